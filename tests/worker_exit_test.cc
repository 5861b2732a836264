// worker_exit_test.cc: `ablate-worker` exits non-zero, with a clear message,
// when it cannot start: CUDA requested on a machine without it, a coordinator
// address nothing answers on (after --startup-timeout-ms), bad flags. Real
// processes; the Slurm batch script passes these codes on as the job's.
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/subprocess.h"

namespace ablate::testing {
namespace {

using ::testing::HasSubstr;

const std::string kWorker = std::string(ABLATE_BINARY_DIR) + "/worker/runtime/ablate-worker";

struct Exit {
  int code = -1;
  std::string log;
};

Exit RunWorker(const std::vector<std::string>& args) {
  const std::string dir = MakeTempDir("worker-exit");
  std::vector<std::string> argv = {kWorker};
  argv.insert(argv.end(), args.begin(), args.end());
  auto p = Subprocess::Start(argv, dir + "/worker.log");
  EXPECT_TRUE(p.ok()) << p.status();
  if (!p.ok()) return {};
  std::optional<int> code = (*p)->Wait(absl::Seconds(60));
  EXPECT_TRUE(code.has_value()) << "worker still running after 60 s:\n" << (*p)->Log();
  return {code.value_or(-1), (*p)->Log()};
}

TEST(WorkerExitTest, CudaRequestedWithoutCudaExitsOne) {
  if (access("/dev/nvidia0", F_OK) == 0) GTEST_SKIP() << "this machine has a GPU";
  Exit e = RunWorker({"--device", "cuda:0", "--coordinator", "127.0.0.1:1"});
  EXPECT_EQ(e.code, 1) << e.log;
  EXPECT_THAT(e.log, HasSubstr("cuda:0 requested but CUDA is not available"));
}

TEST(WorkerExitTest, AutoWithoutCudaRunsOnCpu) {
  if (access("/dev/nvidia0", F_OK) == 0) GTEST_SKIP() << "this machine has a GPU";
  Exit e = RunWorker(
      {"--device", "auto", "--coordinator", absl::StrCat("127.0.0.1:", PickFreePort()), "--startup-timeout-ms", "500"});
  EXPECT_THAT(e.log, HasSubstr("device cpu"));
  EXPECT_EQ(e.code, 1) << e.log;  // and then: nobody answered
}

TEST(WorkerExitTest, UnreachableCoordinatorExitsOneAfterTheStartupWindow) {
  const std::string address = absl::StrCat("127.0.0.1:", PickFreePort());
  Exit e = RunWorker({"--device", "cpu", "--coordinator", address, "--startup-timeout-ms", "1500"});
  EXPECT_EQ(e.code, 1) << e.log;
  EXPECT_THAT(e.log, HasSubstr(absl::StrCat("coordinator ", address, " did not answer within 1500 ms of startup")));
}

TEST(WorkerExitTest, BadFlagsExitTwo) {
  EXPECT_EQ(RunWorker({"--no-such-flag"}).code, 2);
  Exit e = RunWorker({"--device", "gpu7"});
  EXPECT_EQ(e.code, 2) << e.log;
  EXPECT_THAT(e.log, HasSubstr("'gpu7' is not 'cpu' or 'cuda:N'"));
  EXPECT_EQ(RunWorker({"--help"}).code, 0);
}

}  // namespace
}  // namespace ablate::testing
