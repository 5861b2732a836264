// registry.cc: the family table (see registry.h).
#include "worker/models/families/registry.h"

#include <cstdio>
#include <cstdlib>
#include <vector>

namespace ablate::models {

const FamilyTraits& TraitsOf(Family family) {
  // One row per family of common/families.h (names, model_types, default mode live there).
  static const std::vector<FamilyTraits>* const kTable = new std::vector<FamilyTraits>{
      {Family::kTransformer, &BuildTransformerSpec, {}, 1e-4, 0.0, 1e-4, 1e-4},
      {Family::kQwen35, &BuildQwen35Spec, {"model.visual.", "mtp."}, 5e-3, 2e-4, 1e-4, 1e-3},
      {Family::kFalconH1, &BuildFalconH1Spec, {}, 1e-4, 0.0, 1e-4, 1e-4},
  };
  for (const FamilyTraits& t : *kTable)
    if (t.family == family) return t;
  // No silent fallback to another family's wiring: a Family without a row is a
  // programming error (FamilyRegistryTest checks every family has one).
  std::fprintf(stderr, "ablate: no model registry entry for family %d\n", static_cast<int>(family));
  std::abort();
}

}  // namespace ablate::models
