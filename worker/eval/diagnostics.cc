// diagnostics.cc: see diagnostics.h.
#include "worker/eval/diagnostics.h"

#include <algorithm>
#include <string>

#include "common/model_config.h"
#include "nlohmann/json.hpp"
#include "worker/eval/token_scoring.h"

namespace ablate::eval {
namespace {

constexpr double kEps = 1e-12;

at::Tensor Flat(const at::Tensor& t) { return t.reshape({-1, t.size(-1)}).to(at::kDouble); }

}  // namespace

ResidualStats ComputeResidualStats(const at::Tensor& in, const at::Tensor& out) {
  TORCH_CHECK(in.sizes() == out.sizes(), "residual stats: shapes differ ", in.sizes(), " vs ", out.sizes());
  const at::Tensor a = Flat(in), b = Flat(out);
  const at::Tensor na = a.norm(2, -1), nb = b.norm(2, -1);
  ResidualStats s;
  s.norm_ratio = (nb / na.clamp_min(kEps)).mean().item<double>();
  s.cosine = ((a * b).sum(-1) / (na * nb).clamp_min(kEps)).mean().item<double>();
  return s;
}

double BranchRatio(const at::Tensor& branch, const at::Tensor& in) {
  TORCH_CHECK(branch.sizes() == in.sizes(), "branch ratio: shapes differ ", branch.sizes(), " vs ", in.sizes());
  return (Flat(branch).norm(2, -1) / Flat(in).norm(2, -1).clamp_min(kEps)).mean().item<double>();
}

double MeanKl(const at::Tensor& final_logits, const at::Tensor& lens_logits) {
  const int64_t v = final_logits.size(-1);
  return KlDivergence(final_logits.reshape({-1, v}), lens_logits.reshape({-1, v}))
      .to(at::kDouble)
      .mean()
      .item<double>();
}

namespace {

// mean over rows of KL(softmax(LmHead(final)) || softmax(LmHead(lens))), rows
// [N, H] each, chunk rows at a time; `final_logits` holds all of them when it
// fits one chunk (computed once per diagnostics call).
double ChunkedMeanKl(const models::CausalLM& lm, const at::Tensor& final_hidden, const at::Tensor& final_logits,
                     const at::Tensor& lens_hidden, int64_t chunk) {
  const int64_t n = final_hidden.size(0);
  std::vector<at::Tensor> kl;
  for (int64_t b = 0; b < n; b += chunk) {
    const int64_t c = std::min(chunk, n - b);
    const at::Tensor f = final_logits.defined() ? final_logits : lm.LmHead(final_hidden.narrow(0, b, c));
    kl.push_back(KlDivergence(f, lm.LmHead(lens_hidden.narrow(0, b, c))));
  }
  return at::cat(kl).to(at::kDouble).mean().item<double>();
}

}  // namespace

std::vector<LayerDiagnostics> ComputeDiagnostics(const models::CausalLM& lm, const models::ForwardTrace& trace,
                                                 int64_t chunk_rows) {
  const int64_t chunk = std::max<int64_t>(1, chunk_rows);
  const at::Tensor fin = trace.final_hidden.reshape({-1, trace.final_hidden.size(-1)});  // [B*T, H]
  const at::Tensor final_logits = fin.size(0) <= chunk ? lm.LmHead(fin) : at::Tensor();
  const size_t n = trace.layer_outputs.size();
  TORCH_CHECK(trace.layer_inputs.size() == n, "diagnostics: trace has ", trace.layer_inputs.size(),
              " layer inputs but ", n, " outputs");
  std::vector<LayerDiagnostics> out(n);
  for (size_t l = 0; l < n; ++l) {
    LayerDiagnostics& d = out[l];
    d.layer = static_cast<int64_t>(l);
    const ResidualStats rs = ComputeResidualStats(trace.layer_inputs[l], trace.layer_outputs[l]);
    d.norm_ratio = rs.norm_ratio;
    d.cosine = rs.cosine;
    for (const auto& [key, branch] : trace.branch_outputs) {
      if (key.first != static_cast<int64_t>(l) || !branch.defined()) continue;
      d.branch_ratio[std::string(ComponentName(key.second))] = BranchRatio(branch, trace.layer_inputs[l]);
    }
    const at::Tensor& h = trace.layer_outputs[l];
    const at::Tensor flat = h.reshape({-1, h.size(-1)});
    d.lens_kl = ChunkedMeanKl(lm, fin, final_logits, lm.FinalNorm(flat), chunk);
    d.lens_kl_raw = ChunkedMeanKl(lm, fin, final_logits, flat, chunk);
  }
  return out;
}

std::string DiagnosticsJson(const std::vector<LayerDiagnostics>& layers) {
  nlohmann::json arr = nlohmann::json::array();
  for (const LayerDiagnostics& d : layers) {
    arr.push_back({{"layer", d.layer},
                   {"norm_ratio", d.norm_ratio},
                   {"cosine", d.cosine},
                   {"branch_ratio", d.branch_ratio},
                   {"lens_kl", d.lens_kl},
                   {"lens_kl_raw", d.lens_kl_raw}});
  }
  return nlohmann::json{{"layers", arr}}.dump();
}

}  // namespace ablate::eval
