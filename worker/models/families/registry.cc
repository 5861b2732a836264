// registry.cc: the family table (see registry.h).
#include "worker/models/families/registry.h"

namespace ablate::models {

const FamilyTraits& TraitsOf(Family family) {
  static const FamilyTraits* const kTable = new FamilyTraits[3]{
      {Family::kTransformer, &BuildTransformerSpec, {}, 1e-4, 0.0, 1e-4, 1e-4},
      {Family::kQwen35, &BuildQwen35Spec, {"model.visual.", "mtp."}, 5e-3, 2e-4, 1e-4, 1e-3},
      {Family::kFalconH1, &BuildFalconH1Spec, {}, 1e-4, 0.0, 1e-4, 1e-4},
  };
  for (int i = 0; i < 3; ++i)
    if (kTable[i].family == family) return kTable[i];
  return kTable[0];
}

}  // namespace ablate::models
