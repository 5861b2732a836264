// golden.h: checks a model port against a golden directory (config.json,
// model.safetensors, expected.safetensors, optional manifest.json), generically:
// every tensor of expected.safetensors named
//   <case>.logits.<ablation>            compared with Forward's logits
//   <case>.hidden.<ablation>.embed      the input to layer 0
//   <case>.hidden.<ablation>.layer<i>   the output of layer i
//   <case>.hidden.<ablation>.final_norm the final norm's output
// with <case>.input_ids as input and <ablation> one of baseline,
// zero.layer<i>.<comp>, zero.all.<comp>, skip.layer<i>, skip.all.<comp>,
// skip.layers.<i>_<j>[_<k>...], scale.layer<i>.<comp>.<factor> (comp: attention,
// linear_attention, mamba/ssm, mlp). manifest.json's mean_next_token_nll (f32)
// is checked too when present, and so is incremental decoding ("decode.baseline":
// prefill half the tokens, then Step one token at a time, against the baseline
// logits). Tolerances come from the family (registry.h).
//
//   ASSIGN_OR_RETURN(GoldenReport r, RunGoldenChecks("/shared/golden/qwen2-tiny-tied"));
//   for (const auto& c : r.checks) std::cout << FormatCheck(c) << "\n";
#ifndef ABLATE_WORKER_MODELS_GOLDEN_H_
#define ABLATE_WORKER_MODELS_GOLDEN_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "worker/models/causal_lm.h"

namespace ablate::models {

struct GoldenCheck {
  std::string name;       // the expected tensor name without the case, e.g. "logits.zero.layer0.mlp"
  std::string case_name;  // "s17"
  double max_abs_diff = 0;
  double tolerance = 0;
  std::optional<double> nll_diff;  // max over sequences, when the manifest has the value
  double nll_tolerance = 0;
  std::string error;  // non-empty: the check could not run (counts as failure)
  bool pass = false;
};

struct GoldenReport {
  std::string dir;
  std::string family;
  std::vector<GoldenCheck> checks;
  bool all_pass() const;
};

// Parses an ablation name (see above) into a plan for `config`.
// InvalidArgument on an unknown form, layer or component.
absl::StatusOr<AblationPlan> PlanFromGoldenName(const ModelConfig& config, const std::string& ablation);

// Loads the model and runs every case. Errors only when the directory itself is
// unusable (missing/malformed files); per-case problems become failed checks.
absl::StatusOr<GoldenReport> RunGoldenChecks(const std::string& dir, const LoadOptions& options = {});

// "s17 logits.zero.layer0.mlp  max|d|=1.2e-06 tol=1.0e-04 nll|d|=3.1e-08  PASS"
std::string FormatCheck(const GoldenCheck& check);

}  // namespace ablate::models

#endif  // ABLATE_WORKER_MODELS_GOLDEN_H_
