// registry_test.cc: every family of common/families.h has exactly one wiring row.
#include "worker/models/families/registry.h"

#include "common/families.h"
#include "gtest/gtest.h"

namespace ablate::models {
namespace {

TEST(FamilyRegistryTest, EveryVocabularyFamilyHasItsOwnRow) {
  for (const FamilyEntry& e : Families()) {
    const FamilyTraits& t = TraitsOf(e.family);
    EXPECT_EQ(t.family, e.family) << e.name;
    EXPECT_NE(t.build, nullptr) << e.name;
  }
}

}  // namespace
}  // namespace ablate::models
