#include "common/lenient_json.h"

#include <cmath>

#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace ablate {
namespace {

using ::ablate::testing::StatusIs;
using ::testing::HasSubstr;

TEST(LenientJson, AcceptsPythonSpecials) {
  auto j = ParseLenientJson(R"({"a": [0.0, Infinity], "b": -Infinity, "c": NaN, "s": "Infinity NaN"})", "t");
  ASSERT_OK(j);
  EXPECT_TRUE(std::isinf((*j)["a"][1].get<double>()));
  EXPECT_GT((*j)["a"][1].get<double>(), 0);
  EXPECT_LT((*j)["b"].get<double>(), 0);
  EXPECT_TRUE(std::isinf((*j)["b"].get<double>()));
  EXPECT_TRUE(std::isnan((*j)["c"].get<double>()));
  EXPECT_EQ((*j)["s"].get<std::string>(), "Infinity NaN");
  EXPECT_EQ((*j)["a"][0].get<double>(), 0.0);
}

TEST(LenientJson, EscapedQuotesInStrings) {
  auto j = ParseLenientJson(R"({"a": "x\"Infinity", "b": 1})", "t");
  ASSERT_OK(j);
  EXPECT_EQ((*j)["a"].get<std::string>(), "x\"Infinity");
}

TEST(LenientJson, MalformedNamesSource) {
  EXPECT_THAT(ParseLenientJson("{\"a\": }", "my.json"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("my.json")));
}

}  // namespace
}  // namespace ablate

namespace ablate {
namespace {

// Found by model_config_fuzz: a number too large for a double made the
// re-parse throw out_of_range, which was not caught and ended the process.
TEST(LenientJson, HugeNumbersAreAnErrorNotACrash) {
  for (const char* text : {R"({"a": 1e400})", R"({"a": 1516Infinity})", R"([-1e99999])"}) {
    auto j = ParseLenientJson(text, "config.json");
    EXPECT_EQ(j.status().code(), absl::StatusCode::kInvalidArgument) << text;
  }
}

}  // namespace
}  // namespace ablate
