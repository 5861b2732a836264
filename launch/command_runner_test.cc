// command_runner_test.cc: real child processes: exit codes, both streams,
// the output cap, the deadline, and a program that does not exist.
#include "launch/command_runner.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ablate::launch {
namespace {

TEST(RunCommandTest, CapturesStdoutStderrAndExitCode) {
  auto r = RunCommand({"/bin/sh", "-c", "echo out; echo err >&2; exit 3"}, {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 3);
  EXPECT_EQ(r->out, "out\n");
  EXPECT_EQ(r->err, "err\n");
  EXPECT_FALSE(r->truncated);
}

TEST(RunCommandTest, ArgumentsAreNotInterpretedByAShell) {
  auto r = RunCommand({"echo", "a; rm -rf /nonexistent $(id)"}, {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->out, "a; rm -rf /nonexistent $(id)\n");
}

TEST(RunCommandTest, KeepsAtMostTheCapAndStillReadsToTheEnd) {
  CommandLimits limits;
  limits.max_output_bytes = 100;
  auto r = RunCommand({"/bin/sh", "-c", "head -c 1000000 /dev/zero; echo done >&2"}, limits);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->exit_code, 0);
  EXPECT_EQ(r->out.size(), 100u);
  EXPECT_TRUE(r->truncated);
  EXPECT_EQ(r->err, "done\n");
}

TEST(RunCommandTest, KillsAChildPastTheDeadline) {
  CommandLimits limits;
  limits.timeout = absl::Milliseconds(300);
  auto r = RunCommand({"sleep", "30"}, limits);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded) << r.status();
}

TEST(RunCommandTest, MissingProgramIsNotFound) {
  auto r = RunCommand({"ablate-no-such-program-xyz"}, {});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound) << r.status();
  EXPECT_EQ(RunCommand({}, {}).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace ablate::launch
