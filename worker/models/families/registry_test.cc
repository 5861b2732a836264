// registry_test.cc: every family of common/families.h has exactly one shipped
// row, found by each of its model_types; a registry with an added row finds it.
#include "worker/models/families/registry.h"

#include "common/families.h"
#include "gtest/gtest.h"

namespace ablate::models {
namespace {

TEST(FamilyRegistryTest, EveryVocabularyFamilyHasItsOwnRow) {
  for (const FamilyEntry& e : Families()) {
    const FamilyTraits& t = TraitsOf(e.family);
    ASSERT_TRUE(t.family.has_value()) << e.name;
    EXPECT_EQ(*t.family, e.family) << e.name;
    EXPECT_NE(t.build, nullptr) << e.name;
    for (absl::string_view type : e.model_types) {
      if (type.empty()) continue;
      EXPECT_EQ(FamilyRegistry::Product().Find(type), &t) << type;
    }
  }
  EXPECT_EQ(FamilyRegistry::Product().rows().size(), Families().size());
  EXPECT_EQ(FamilyRegistry::Product().Find("mamba2"), nullptr);
}

TEST(FamilyRegistryTest, AddedRowIsFoundByItsModelType) {
  const FamilyRegistry more =
      FamilyRegistry::Product().With({.model_types = {"x_test"}, .build = &BuildTransformerSpec});
  const FamilyTraits* row = more.Find("x_test");
  ASSERT_NE(row, nullptr);
  EXPECT_FALSE(row->family.has_value());
  EXPECT_EQ(row->build, &BuildTransformerSpec);
  EXPECT_EQ(more.Find("qwen2"), &more.rows().front());
  EXPECT_EQ(FamilyRegistry::Product().Find("x_test"), nullptr);  // the shipped table is unchanged
}

}  // namespace
}  // namespace ablate::models
