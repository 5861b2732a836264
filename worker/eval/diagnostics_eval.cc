// diagnostics_eval.cc: RunDiagnostics (see evaluations.h). The first
// num_tokens tokens of the corpus go through one traced forward pass with the
// job's plan; per-layer statistics (diagnostics.h) become metrics whose value
// is the mean over layers and whose detail_json holds the per-layer values:
//   diag/norm_ratio, diag/cosine, diag/lens_kl, diag/lens_kl_raw,
//   diag/branch_ratio/<component>, and diag/layers (value: layer count,
//   detail: every layer's full record).
#include <map>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"
#include "worker/eval/diagnostics.h"
#include "worker/eval/evaluations.h"
#include "worker/eval/window_logits.h"

namespace ablate::eval {
namespace {

constexpr int64_t kDefaultTokens = 256;

v1::Metric LayerMetric(const std::string& name, const std::vector<std::pair<int64_t, double>>& values) {
  nlohmann::json layers = nlohmann::json::array();
  double sum = 0.0;
  for (const auto& [layer, v] : values) {
    layers.push_back({{"layer", layer}, {"value", v}});
    sum += v;
  }
  const double mean = values.empty() ? 0.0 : sum / static_cast<double>(values.size());
  return MakeMetric(name, mean, nlohmann::json{{"layers", layers}}.dump());
}

}  // namespace

absl::StatusOr<EvalOutput> RunDiagnostics(const EvalEnv& env, const v1::DiagnosticsEval& spec) {
  if (spec.dataset().empty()) return absl::InvalidArgumentError("diagnostics.dataset is empty");
  if (spec.num_tokens() < 0) return absl::InvalidArgumentError("diagnostics.num_tokens must be >= 0");
  ASSIGN_OR_RETURN(text::TextCorpus corpus, text::LoadTextCorpus(spec.dataset()));
  ASSIGN_OR_RETURN(std::shared_ptr<const TokenIds> ids, env.tokenize_corpus(corpus));
  const auto n =
      static_cast<int64_t>(std::min<size_t>(ids->size(), spec.num_tokens() > 0 ? spec.num_tokens() : kDefaultTokens));
  if (n < 1) return absl::InvalidArgumentError(absl::StrCat(spec.dataset(), ": no tokens"));
  if (env.ctx != nullptr) {
    if (env.ctx->Cancelled()) return absl::CancelledError("job cancelled");
    env.ctx->ReportProgress(0.1, "diagnostics forward");
  }
  const TokenIds head(ids->begin(), ids->begin() + n);
  const at::Tensor input = at::tensor(head, at::TensorOptions().dtype(at::kLong)).unsqueeze(0).to(env.lm->device());
  models::ForwardTrace trace;
  models::ForwardOptions fo;
  fo.plan = &env.plan;
  fo.trace = &trace;
  fo.capture_branches = true;
  (void)env.lm->ForwardHidden(input, fo);  // trace.final_hidden: the output; logits come in chunks
  if (env.ctx != nullptr) env.ctx->ReportProgress(0.6, "diagnostics statistics");
  const std::vector<LayerDiagnostics> layers =
      ComputeDiagnostics(*env.lm, trace, ChunkRows(env.lm->config().vocab_size, env.logits_chunk_bytes));

  std::vector<std::pair<int64_t, double>> norm, cosine, lens, lens_raw;
  std::map<std::string, std::vector<std::pair<int64_t, double>>> branch;
  for (const LayerDiagnostics& d : layers) {
    norm.emplace_back(d.layer, d.norm_ratio);
    cosine.emplace_back(d.layer, d.cosine);
    lens.emplace_back(d.layer, d.lens_kl);
    lens_raw.emplace_back(d.layer, d.lens_kl_raw);
    for (const auto& [c, v] : d.branch_ratio) branch[c].emplace_back(d.layer, v);
  }
  EvalOutput out;
  out.dataset_fingerprint = corpus.fingerprint.combined_sha256;
  out.tokens_evaluated = n;
  out.metrics.push_back(MakeMetric("diag/layers", static_cast<double>(layers.size()), DiagnosticsJson(layers)));
  out.metrics.push_back(LayerMetric("diag/norm_ratio", norm));
  out.metrics.push_back(LayerMetric("diag/cosine", cosine));
  out.metrics.push_back(LayerMetric("diag/lens_kl", lens));
  out.metrics.push_back(LayerMetric("diag/lens_kl_raw", lens_raw));
  for (const auto& [c, values] : branch) out.metrics.push_back(LayerMetric("diag/branch_ratio/" + c, values));
  return out;
}

}  // namespace ablate::eval
