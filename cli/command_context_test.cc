// command_context_test.cc: the CLI's one-line error convention.
#include "cli/command_context.h"

#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ablate::cli {
namespace {

using ::testing::HasSubstr;

std::string FailOutput(const absl::Status& s, int* code) {
  std::ostringstream captured;
  std::streambuf* old = std::cerr.rdbuf(captured.rdbuf());
  CommandContext ctx;
  *code = ctx.Fail(s);
  std::cerr.rdbuf(old);
  return captured.str();
}

TEST(CommandContextTest, EmptyMessagesAreDescribedNotPrintedBlank) {
  int code = 0;
  const std::string out = FailOutput(absl::UnimplementedError(""), &code);
  EXPECT_NE(out, "ablate: \n");
  EXPECT_THAT(out, HasSubstr("UNIMPLEMENTED"));
  EXPECT_THAT(out, HasSubstr("no message"));
  EXPECT_EQ(code, 1);
  EXPECT_EQ(FailOutput(absl::InvalidArgumentError("spec: bad"), &code), "ablate: spec: bad\n");
  EXPECT_EQ(code, 2);
}

}  // namespace
}  // namespace ablate::cli
