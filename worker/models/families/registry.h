// registry.h: which families a loader knows, and how each is read and wired.
// A family is one row: the config.json model_type values it loads, its config
// parser (config.json -> ModelConfig: layout and hyper-parameters), its wiring
// (ModelConfig -> DecoderSpec: blocks, weight names, layer composition; one
// file under families/) and its numeric traits. Nothing outside the row knows
// the family: no switch on it elsewhere in worker/models.
//
// The shipped rows (FamilyRegistry::Product()) are one per family of
// common/families.h and parse with common's ParseModelConfig, because the
// coordinator reads their layouts without LibTorch. A caller may load further
// families by passing a registry with more rows (LoadOptions::families); the
// tests do that for a test-only family.
//
//   FamilyRegistry families = FamilyRegistry::Product().With(MyFamily());
//   ASSIGN_OR_RETURN(auto lm, LoadCausalLM(dir, {.families = &families}));
//
// Thread-safety: a registry is immutable after construction; Product() is a
// constant table.
#ifndef ABLATE_WORKER_MODELS_FAMILIES_REGISTRY_H_
#define ABLATE_WORKER_MODELS_FAMILIES_REGISTRY_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/model_config.h"
#include "common/request_limits.h"
#include "nlohmann/json.hpp"
#include "worker/models/decoder.h"

namespace ablate::models {

// config.json (the whole object) -> ModelConfig. `what` names the source in
// errors; InvalidArgument naming the field on bad input; every per-layer or
// per-size allocation bounded by `limits` first.
using ParseConfigFn = absl::StatusOr<ModelConfig> (*)(const nlohmann::json& config, absl::string_view what,
                                                      const RequestLimits& limits);
// ModelConfig -> the model's wiring. REQUIRES: config came from the row's parse.
using BuildSpecFn = absl::StatusOr<DecoderSpec> (*)(const ModelConfig& config);

struct FamilyTraits {
  // The vocabulary family (common/families.h) of a shipped row; its model_type
  // values come from that table. Unset for a row outside the vocabulary.
  std::optional<Family> family;
  // The model_type values a row outside the vocabulary loads.
  std::vector<std::string> model_types;
  ParseConfigFn parse = &ParseModelConfig;
  BuildSpecFn build = nullptr;
  // Checkpoint tensors under these prefixes are not part of the language model
  // and are ignored (e.g. Qwen3.5's vision tower and multi-token-prediction head).
  std::vector<std::string> ignored_weight_prefixes;
  // Float32-vs-reference logit tolerance (golden README): a case passes if
  // max|d| <= max(abs, rel * max|ref|).
  double logits_abs_tolerance = 1e-4;
  double logits_rel_tolerance = 0.0;
  // NLL tolerance for sequences up to 64 tokens and above (the chunked rules
  // accumulate float32 rounding with length).
  double nll_tolerance_short = 1e-4;
  double nll_tolerance_long = 1e-4;

  // Whether this row loads config.json's `model_type`.
  bool Loads(absl::string_view model_type) const;
};

class FamilyRegistry {
 public:
  FamilyRegistry() = default;  // knows no family
  explicit FamilyRegistry(std::vector<FamilyTraits> rows) : rows_(std::move(rows)) {}

  // The shipped families: one row per family of common/families.h.
  static const FamilyRegistry& Product();

  // A copy with `row` added. REQUIRES: no row here loads one of its model_types.
  FamilyRegistry With(FamilyTraits row) const;

  // The row that loads `model_type`, or nullptr.
  const FamilyTraits* Find(absl::string_view model_type) const;
  const std::vector<FamilyTraits>& rows() const { return rows_; }

 private:
  std::vector<FamilyTraits> rows_;
};

// The shipped row of a vocabulary family (every Family value has one).
const FamilyTraits& TraitsOf(Family family);

// The row that built `config` (found by its model_type). InvalidArgument
// naming the model_type when `families` has none.
absl::StatusOr<const FamilyTraits*> RowFor(const FamilyRegistry& families, const ModelConfig& config);

// Reads <dir>/config.json (bounded by limits.max_config_bytes) and parses it
// with the row of `families` that loads its model_type; without such a row,
// common's ParseModelConfig, whose error lists the supported model_types.
absl::StatusOr<ModelConfig> ReadModelConfig(const std::string& dir, const FamilyRegistry& families,
                                            const RequestLimits& limits = RequestLimits());

// The per-family wiring of the shipped rows (families/transformer.cc, qwen35.cc, falcon_h1.cc).
absl::StatusOr<DecoderSpec> BuildTransformerSpec(const ModelConfig& config);
absl::StatusOr<DecoderSpec> BuildQwen35Spec(const ModelConfig& config);
absl::StatusOr<DecoderSpec> BuildFalconH1Spec(const ModelConfig& config);

}  // namespace ablate::models

#endif  // ABLATE_WORKER_MODELS_FAMILIES_REGISTRY_H_
