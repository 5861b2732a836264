// registry.cc: the family table (see registry.h).
#include "worker/models/families/registry.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/families.h"
#include "common/lenient_json.h"
#include "common/status_macros.h"

namespace ablate::models {

bool FamilyTraits::Loads(absl::string_view model_type) const {
  if (family) {
    for (absl::string_view t : FamilyInfo(*family).model_types)
      if (!t.empty() && t == model_type) return true;
    return false;
  }
  return std::find(model_types.begin(), model_types.end(), model_type) != model_types.end();
}

const FamilyRegistry& FamilyRegistry::Product() {
  // One row per family of common/families.h (names, model_types, default mode live there).
  static const FamilyRegistry* const kProduct = new FamilyRegistry({
      {.family = Family::kTransformer, .build = &BuildTransformerSpec},
      {.family = Family::kQwen35,
       .build = &BuildQwen35Spec,
       .ignored_weight_prefixes = {"model.visual.", "mtp."},
       .logits_abs_tolerance = 5e-3,
       .logits_rel_tolerance = 2e-4,
       .nll_tolerance_long = 1e-3},
      {.family = Family::kFalconH1, .build = &BuildFalconH1Spec},
  });
  return *kProduct;
}

FamilyRegistry FamilyRegistry::With(FamilyTraits row) const {
  std::vector<FamilyTraits> rows = rows_;
  rows.push_back(std::move(row));
  return FamilyRegistry(std::move(rows));
}

const FamilyTraits* FamilyRegistry::Find(absl::string_view model_type) const {
  for (const FamilyTraits& t : rows_)
    if (t.Loads(model_type)) return &t;
  return nullptr;
}

const FamilyTraits& TraitsOf(Family family) {
  for (const FamilyTraits& t : FamilyRegistry::Product().rows())
    if (t.family == family) return t;
  // No silent fallback to another family's wiring: a Family without a row is a
  // programming error (FamilyRegistryTest checks every family has one).
  std::fprintf(stderr, "ablate: no model registry entry for family %d\n", static_cast<int>(family));
  std::abort();
}

absl::StatusOr<const FamilyTraits*> RowFor(const FamilyRegistry& families, const ModelConfig& config) {
  const FamilyTraits* row = families.Find(config.model_type);
  if (row == nullptr || row->build == nullptr) {
    // Shown only when it looks like a model type name (never arbitrary bytes).
    const std::string& t = config.model_type;
    const bool plain = !t.empty() && t.size() <= 64 && std::all_of(t.begin(), t.end(), [](char ch) {
      return absl::ascii_isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-' || ch == '.';
    });
    return absl::InvalidArgumentError(
        absl::StrCat("config: no model family loads model_type ", plain ? absl::StrCat("'", t, "'") : "(not shown)"));
  }
  return row;
}

absl::StatusOr<ModelConfig> ReadModelConfig(const std::string& dir, const FamilyRegistry& families,
                                            const RequestLimits& limits) {
  const std::string path = dir + "/config.json";
  ASSIGN_OR_RETURN(std::string text, ReadBoundedFile(path, limits.max_config_bytes, "max-config-bytes"));
  ASSIGN_OR_RETURN(nlohmann::json j, ParseLenientJson(text, path));
  const nlohmann::json* type = j.is_object() && j.contains("model_type") ? &j.at("model_type") : nullptr;
  const FamilyTraits* row = type != nullptr && type->is_string() ? families.Find(type->get<std::string>()) : nullptr;
  return row != nullptr ? row->parse(j, path, limits) : ParseModelConfig(j, path, limits);
}

}  // namespace ablate::models
