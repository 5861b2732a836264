// diagnostics.h: the reference study's per-layer representation diagnostics,
// computed from one traced forward pass (models::ForwardTrace):
//   norm_ratio       mean over tokens of ||out_t|| / ||in_t||  (residual stream)
//   cosine           mean over tokens of cos(in_t, out_t)
//   branch_ratio[c]  mean over tokens of ||branch_c,t|| / ||in_t||
//   lens_kl          mean over tokens of KL(final || lens), lens = LmHead(FinalNorm(out))
//   lens_kl_raw      the same without the final norm: lens = LmHead(out)
// The final distribution is the model's own output (with the plan applied).
// Token means are over every position of every batch row (no padding here).
// Thread-safety: pure functions of their inputs; the model is used const.
//
//   std::vector<LayerDiagnostics> d = ComputeDiagnostics(lm, trace, ChunkRows(vocab, 64 << 20));
//   std::string json = DiagnosticsJson(d);
#ifndef ABLATE_WORKER_EVAL_DIAGNOSTICS_H_
#define ABLATE_WORKER_EVAL_DIAGNOSTICS_H_

#include <ATen/ATen.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "worker/models/causal_lm.h"

namespace ablate::eval {

struct LayerDiagnostics {
  int64_t layer = 0;
  double norm_ratio = 0.0;
  double cosine = 0.0;
  std::map<std::string, double> branch_ratio;  // component name -> ratio
  double lens_kl = 0.0;
  double lens_kl_raw = 0.0;
};

// Residual-stream statistics of one layer. in, out: [..., H] of equal shape.
// Zero-norm input tokens are guarded with a tiny epsilon (1e-12).
struct ResidualStats {
  double norm_ratio = 0.0;
  double cosine = 0.0;
};
ResidualStats ComputeResidualStats(const at::Tensor& in, const at::Tensor& out);

// mean over tokens of ||branch_t|| / ||in_t||. branch, in: [..., H].
double BranchRatio(const at::Tensor& branch, const at::Tensor& in);

// mean over rows of KL(softmax(final) || softmax(lens)). [..., V] each.
double MeanKl(const at::Tensor& final_logits, const at::Tensor& lens_logits);

// All layers of a trace filled with capture_branches = true (its final_hidden
// gives the model's output). Logits, final and lens, are made chunk_rows
// positions at a time; the KL means are the same float64 means of the same
// per-position values as over whole [B*T, V] tensors.
std::vector<LayerDiagnostics> ComputeDiagnostics(const models::CausalLM& lm, const models::ForwardTrace& trace,
                                                 int64_t chunk_rows);

// {"layers":[{"layer":0,"norm_ratio":..,"cosine":..,"branch_ratio":{..},"lens_kl":..,"lens_kl_raw":..},..]}
std::string DiagnosticsJson(const std::vector<LayerDiagnostics>& layers);

}  // namespace ablate::eval

#endif  // ABLATE_WORKER_EVAL_DIAGNOSTICS_H_
