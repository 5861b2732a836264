// slurm_client_test.cc: squeue output parsing, and the client against
// programs that stand in for sbatch/scancel (sh one-liners, real processes):
// error messages carry the command's own first line. The real Slurm runs are
// in tests/slurm/.
#include "launch/slurm_client.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ablate::launch {
namespace {

using ::testing::HasSubstr;

TEST(ParseSqueueTest, ReadsTasksAndSkipsGarbage) {
  const auto tasks = ParseSqueue(
      "123_0|RUNNING\n123_1|PENDING\n\nbogus line\n124|COMPLETING\n"
      "12;3|RUNNING\n");
  ASSERT_EQ(tasks.size(), 3u);
  EXPECT_EQ(tasks[0].id, "123_0");
  EXPECT_FALSE(tasks[0].pending());
  EXPECT_TRUE(tasks[1].pending());
  EXPECT_EQ(tasks[2].id, "124");
}

TEST(SlurmClientTest, SubmitReturnsTheParsableJobIdAndFailuresSayWhy) {
  SlurmCommands ok;
  ok.sbatch = "/bin/echo";  // prints its arguments: not a job id
  EXPECT_THAT(std::string(SlurmClient(ok).Submit({"sbatch", "x"}).status().message()), HasSubstr("printed no job id"));
  SlurmCommands parsable;
  parsable.sbatch = "true";
  // `true` prints nothing: no job id either.
  EXPECT_FALSE(SlurmClient(parsable).Submit({"sbatch"}).ok());
  SlurmCommands failing;
  failing.scancel = "false";
  absl::Status s = SlurmClient(failing).Cancel({"12_3"});
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(s.message()), HasSubstr("exit 1"));
  EXPECT_EQ(SlurmClient(failing).Cancel({"12; rm"}).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(SlurmClient(failing).Cancel({}).ok());
}

}  // namespace
}  // namespace ablate::launch
