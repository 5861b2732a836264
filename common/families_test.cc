// families_test.cc: the family table round-trips, names every supported
// family on an unknown one, and drives model_type dispatch.
#include "common/families.h"

#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace ablate {
namespace {

using ::ablate::testing::IsOkAndHolds;
using ::ablate::testing::StatusIs;
using ::testing::HasSubstr;

bool IsLowerIdentifier(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!(absl::ascii_islower(static_cast<unsigned char>(c)) || absl::ascii_isdigit(static_cast<unsigned char>(c)) ||
          c == '_'))
      return false;
  }
  return true;
}

TEST(FamiliesTest, RoundTripAndUnknownIsAnError) {
  ASSERT_EQ(Families().size(), 3u);
  std::set<std::string> model_types;
  for (const FamilyEntry& e : Families()) {
    EXPECT_EQ(&FamilyInfo(e.family), &e);
    EXPECT_EQ(FamilyName(e.family), e.name);
    EXPECT_THAT(ParseFamily(e.name), IsOkAndHolds(e.family));
    EXPECT_TRUE(IsLowerIdentifier(e.name));
    EXPECT_TRUE(e.role == "transformer" || e.role == "hybrid") << e.role;
    EXPECT_FALSE(e.display.empty());
    EXPECT_NE(e.default_mode, v1::MODE_UNSPECIFIED);
    for (absl::string_view t : e.model_types) {
      if (t.empty()) continue;
      EXPECT_TRUE(model_types.insert(std::string(t)).second) << t;
      EXPECT_THAT(FamilyOfModelType(t), IsOkAndHolds(e.family));
    }
  }
  EXPECT_EQ(FamilyName(Family::kTransformer), "qwen2");
  EXPECT_EQ(FamilyName(Family::kQwen35), "qwen3_5");
  EXPECT_EQ(FamilyName(Family::kFalconH1), "falcon_h1");
  EXPECT_EQ(FamilyInfo(Family::kFalconH1).default_mode, v1::ZERO);
  EXPECT_EQ(FamilyInfo(Family::kTransformer).default_mode, v1::SKIP_LAYER);
  EXPECT_THAT(ParseFamily("llama"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("unknown family 'llama' (expected qwen2, qwen3_5 or falcon_h1)")));
  EXPECT_THAT(FamilyOfModelType("mistral"), StatusIs(absl::StatusCode::kNotFound, HasSubstr("model_type")));
  EXPECT_EQ(ModelTypeList(), "qwen2, llama, qwen3_5_text, qwen3_5, falcon_h1");
}

TEST(FamiliesTest, EveryModelTypeOfTheTableParses) {
  // model_config.cc dispatches on the table: an unknown type names them all.
  auto c = ParseModelConfig(nlohmann::json{{"model_type", "mistral"}}, "cfg");
  EXPECT_THAT(c.status(), StatusIs(absl::StatusCode::kInvalidArgument,
                                   HasSubstr("unsupported model_type 'mistral' (supported: " + ModelTypeList() + ")")));
}

}  // namespace
}  // namespace ablate
