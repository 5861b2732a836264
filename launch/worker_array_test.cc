// worker_array_test.cc: the worker batch script: its #SBATCH lines, quoting
// of hostile values (bash parses the script without running anything), the
// validation of fields that go into #SBATCH lines, and the sbatch argv.
#include "launch/worker_array.h"

#include <cstdio>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "launch/command_runner.h"

namespace ablate::launch {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

WorkerArrayOptions Base() {
  WorkerArrayOptions o;
  o.coordinator = "login1:50051";
  o.worker_binary = "/opt/ablate/bin/ablate-worker";
  o.log_dir = "/scratch/ablate-logs";
  o.partition = "gpu";
  o.account = "lab";
  o.time_limit = "04:00:00";
  o.memory = "32G";
  return o;
}

TEST(WorkerArrayTest, ScriptHasOneGpuPerTaskSignalRequeueAndForwarding) {
  auto s = RenderWorkerScript(Base());
  ASSERT_TRUE(s.ok()) << s.status();
  for (const char* line :
       {"#SBATCH --gres=gpu:1\n", "#SBATCH --ntasks=1\n", "#SBATCH --cpus-per-task=4\n", "#SBATCH --signal=B:TERM@60\n",
        "#SBATCH --requeue\n", "#SBATCH --partition=gpu\n", "#SBATCH --account=lab\n", "#SBATCH --time=04:00:00\n",
        "#SBATCH --mem=32G\n", "#SBATCH --open-mode=append\n"}) {
    EXPECT_THAT(*s, HasSubstr(line));
  }
  EXPECT_THAT(*s, HasSubstr("'--device' 'auto'"));
  EXPECT_THAT(*s, HasSubstr("'--drain-grace-ms' '20000'"));
  EXPECT_THAT(*s, HasSubstr("kill -TERM \"$worker_pid\""));
  EXPECT_THAT(*s, HasSubstr("exit \"$code\""));
}

TEST(WorkerArrayTest, CpuWorkersHaveNoGresAndRunOnCpu) {
  WorkerArrayOptions o = Base();
  o.gpus = 0;
  auto s = RenderWorkerScript(o);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_THAT(*s, Not(HasSubstr("--gres")));
  EXPECT_THAT(*s, HasSubstr("'--device' 'cpu'"));
}

TEST(WorkerArrayTest, HostileWorkerArgsStayOneArgumentEach) {
  WorkerArrayOptions o = Base();
  o.worker_args = {"--name", "x'; touch /tmp/pwned; echo '$(id)`id`"};
  auto s = RenderWorkerScript(o);
  ASSERT_TRUE(s.ok()) << s.status();
  const std::string path = ::testing::TempDir() + "/worker.sbatch";
  std::ofstream(path) << *s;
  auto r = RunCommand({"bash", "-n", path}, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->exit_code, 0) << r->err;
  EXPECT_EQ(ShellQuote("a'b"), "'a'\\''b'");
}

TEST(WorkerArrayTest, RejectsValuesThatWouldBreakTheScript) {
  WorkerArrayOptions o = Base();
  o.partition = "gpu\n#SBATCH --uid=0";
  EXPECT_EQ(RenderWorkerScript(o).status().code(), absl::StatusCode::kInvalidArgument);
  o = Base();
  o.coordinator = "";
  EXPECT_FALSE(ValidateWorkerArrayOptions(o).ok());
  o = Base();
  o.worker_binary = "ablate-worker";
  EXPECT_FALSE(ValidateWorkerArrayOptions(o).ok());
  o = Base();
  o.drain_grace_s = 60;  // not below the signal grace
  EXPECT_FALSE(ValidateWorkerArrayOptions(o).ok());
  o = Base();
  o.worker_args = {"a\nb"};
  EXPECT_FALSE(ValidateWorkerArrayOptions(o).ok());
}

TEST(WorkerArrayTest, SbatchArgvPutsExtraFlagsBeforeTheScript) {
  WorkerArrayOptions o = Base();
  o.sbatch_args = {"--qos=low", "--constraint=a100"};
  EXPECT_THAT(SbatchArgv(o, "/x/w.sbatch", 8),
              ElementsAre("sbatch", "--parsable", "--array=0-7", "--qos=low", "--constraint=a100", "/x/w.sbatch"));
  EXPECT_EQ(WorkerNameForTask("12_3"), "slurm-12_3");
}

}  // namespace
}  // namespace ablate::launch
