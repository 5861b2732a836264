// vocabulary_test.cc: every table round-trips, covers every proto value, and
// the derived SQL and messages come from it.
#include "common/vocabulary.h"

#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
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

// Every non-zero value of the proto enum has exactly one entry, named like the
// proto value in lower case.
template <typename Entries>
void ExpectCoversEnum(const google::protobuf::EnumDescriptor* d, const Entries& entries) {
  std::set<int> seen;
  for (const auto& e : entries) {
    EXPECT_TRUE(seen.insert(static_cast<int>(e.value)).second) << e.name;
    const auto* v = d->FindValueByNumber(static_cast<int>(e.value));
    ASSERT_NE(v, nullptr) << e.name;
    EXPECT_EQ(e.name, absl::AsciiStrToLower(v->name()));
    EXPECT_TRUE(IsLowerIdentifier(e.name)) << e.name;
    EXPECT_FALSE(e.display.empty()) << e.name;
  }
  for (int i = 0; i < d->value_count(); ++i) {
    if (d->value(i)->number() == 0) continue;
    EXPECT_TRUE(seen.count(d->value(i)->number())) << d->value(i)->name() << " has no table entry";
  }
}

TEST(VocabularyTest, ComponentsCoverTheProtoAndRoundTrip) {
  ExpectCoversEnum(v1::Component_descriptor(), Components());
  std::set<std::string> spellings;
  for (const ComponentEntry& e : Components()) {
    EXPECT_THAT(ParseComponent(e.name), IsOkAndHolds(e.value));
    EXPECT_THAT(ParseComponent(absl::AsciiStrToUpper(e.name)), IsOkAndHolds(e.value));
    EXPECT_EQ(ComponentName(e.value), e.name);
    EXPECT_EQ(ComponentNameOrEmpty(e.value), e.name);
    EXPECT_TRUE(spellings.insert(std::string(e.name)).second);
    for (absl::string_view a : e.aliases) {
      if (a.empty()) continue;
      EXPECT_TRUE(IsLowerIdentifier(a)) << a;
      EXPECT_TRUE(spellings.insert(std::string(a)).second) << a << " is ambiguous";
      EXPECT_THAT(ParseComponent(a), IsOkAndHolds(e.value)) << a;
    }
  }
  EXPECT_EQ(ComponentName(v1::COMPONENT_UNSPECIFIED), "unspecified");
  EXPECT_EQ(ComponentNameOrEmpty(v1::COMPONENT_UNSPECIFIED), "");
}

TEST(VocabularyTest, ComponentAliases) {
  EXPECT_THAT(ParseComponent("gdn"), IsOkAndHolds(v1::LINEAR_ATTENTION));
  EXPECT_THAT(ParseComponent("deltanet"), IsOkAndHolds(v1::LINEAR_ATTENTION));
  EXPECT_THAT(ParseComponent("mamba"), IsOkAndHolds(v1::SSM));
  EXPECT_THAT(ParseComponent("Mamba2"), IsOkAndHolds(v1::SSM));
  EXPECT_THAT(ParseComponent("attn"), IsOkAndHolds(v1::ATTENTION));
  EXPECT_THAT(ParseComponent("ffn"), IsOkAndHolds(v1::MLP));
  EXPECT_THAT(ParseComponent("component_unspecified"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown")));
  EXPECT_THAT(
      ParseComponent("conv"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("unknown component 'conv' (expected attention, linear_attention, ssm, mlp or layer)")));
}

TEST(VocabularyTest, KindsCoverTheProtoAndTheSpecOneof) {
  ExpectCoversEnum(v1::AblationKind_descriptor(), Kinds());
  const auto* oneof = v1::AblationSpec::descriptor()->FindOneofByName("kind");
  ASSERT_NE(oneof, nullptr);
  ASSERT_EQ(oneof->field_count(), static_cast<int>(Kinds().size()));
  for (const KindEntry& e : Kinds()) {
    EXPECT_THAT(ParseKind(e.name), IsOkAndHolds(e.value));
    EXPECT_THAT(ParseKind(absl::AsciiStrToUpper(e.name)), IsOkAndHolds(e.value));
    EXPECT_EQ(KindName(e.value), e.name);
    // The kind names are the AblationSpec oneof's field names (specs write them).
    EXPECT_NE(v1::AblationSpec::descriptor()->FindFieldByName(std::string(e.name)), nullptr) << e.name;
  }
  EXPECT_EQ(KindName(v1::KIND_UNSPECIFIED), "");
  EXPECT_THAT(ParseKind("kind_unspecified"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unknown")));
  EXPECT_THAT(
      ParseKind("bogus"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("(expected baseline, group, layer_sweep, positional, progressive, random or explicit)")));
}

TEST(VocabularyTest, ModesCoverTheProtoAndRoundTrip) {
  ExpectCoversEnum(v1::AblationMode_descriptor(), Modes());
  for (const ModeEntry& e : Modes()) {
    EXPECT_THAT(ParseMode(e.name), IsOkAndHolds(e.value));
    EXPECT_EQ(ModeName(e.value), e.name);
  }
  EXPECT_THAT(ParseMode("skip"), IsOkAndHolds(v1::SKIP_LAYER));
  EXPECT_EQ(ModeName(v1::MODE_UNSPECIFIED), "");
  EXPECT_THAT(ParseMode("drop"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("(expected skip_layer, zero or scale)")));
}

TEST(VocabularyTest, SqlCaseMapsComeFromTheTables) {
  EXPECT_EQ(ComponentNameSql("j.component"),
            "CASE j.component WHEN 1 THEN 'attention' WHEN 2 THEN 'linear_attention' WHEN 3 THEN 'ssm' "
            "WHEN 4 THEN 'mlp' WHEN 5 THEN 'layer' ELSE '' END");
  EXPECT_EQ(KindNameSql("k"),
            "CASE k WHEN 1 THEN 'baseline' WHEN 2 THEN 'group' WHEN 3 THEN 'layer_sweep' WHEN 4 THEN "
            "'positional' WHEN 5 THEN 'progressive' WHEN 6 THEN 'random' WHEN 7 THEN 'explicit' ELSE '' END");
}

}  // namespace
}  // namespace ablate
