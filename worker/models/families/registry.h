// registry.h: Family -> how to wire it. One table; each family's properties
// live here or in its own file (families/<family>.cc), never in distant switches.
//
//   const FamilyTraits& t = TraitsOf(config.family);
//   ASSIGN_OR_RETURN(DecoderSpec spec, t.build(config));
#ifndef ABLATE_WORKER_MODELS_FAMILIES_REGISTRY_H_
#define ABLATE_WORKER_MODELS_FAMILIES_REGISTRY_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/model_config.h"
#include "worker/models/decoder.h"

namespace ablate::models {

using BuildSpecFn = absl::StatusOr<DecoderSpec> (*)(const ModelConfig&);

struct FamilyTraits {
  Family family;
  BuildSpecFn build;
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
};

// Every Family value has an entry.
const FamilyTraits& TraitsOf(Family family);

// The per-family wiring (families/transformer.cc, qwen35.cc, falcon_h1.cc).
absl::StatusOr<DecoderSpec> BuildTransformerSpec(const ModelConfig& config);
absl::StatusOr<DecoderSpec> BuildQwen35Spec(const ModelConfig& config);
absl::StatusOr<DecoderSpec> BuildFalconH1Spec(const ModelConfig& config);

}  // namespace ablate::models

#endif  // ABLATE_WORKER_MODELS_FAMILIES_REGISTRY_H_
