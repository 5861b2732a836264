// token_scoring.cc: see token_scoring.h.
#include "worker/eval/token_scoring.h"

#include <limits>
#include <numeric>

namespace ablate::eval {

double TokenScores::Sum() const { return std::accumulate(logprobs.begin(), logprobs.end(), 0.0); }

bool TokenScores::AllGreedy() const {
  for (bool g : greedy) {
    if (!g) return false;
  }
  return true;
}

TokenScores ScoreTargets(const at::Tensor& logits, int64_t score_begin, const std::vector<int64_t>& targets) {
  TokenScores out;
  const auto k = static_cast<int64_t>(targets.size());
  if (k == 0) return out;
  TORCH_CHECK(logits.dim() == 2, "ScoreTargets: logits must be [T, V], got ", logits.sizes());
  TORCH_CHECK(score_begin >= 0 && score_begin + k <= logits.size(0), "ScoreTargets: positions [",
              score_begin, ", ", score_begin + k, ") outside T=", logits.size(0));
  at::Tensor rows = logits.narrow(0, score_begin, k).to(at::kFloat);
  at::Tensor logp = at::log_softmax(rows, -1);
  at::Tensor tgt = at::tensor(targets, at::TensorOptions().dtype(at::kLong)).to(logp.device());
  at::Tensor picked = logp.gather(1, tgt.unsqueeze(1)).squeeze(1).to(at::kDouble).cpu().contiguous();
  at::Tensor greedy = rows.argmax(-1).eq(tgt).cpu().contiguous();
  const double* lp = picked.data_ptr<double>();
  const bool* gr = greedy.data_ptr<bool>();
  out.logprobs.assign(lp, lp + k);
  out.greedy.assign(gr, gr + k);
  return out;
}

at::Tensor KlDivergence(const at::Tensor& p_logits, const at::Tensor& q_logits) {
  TORCH_CHECK(p_logits.sizes() == q_logits.sizes(), "KlDivergence: shapes differ ", p_logits.sizes(), " vs ",
              q_logits.sizes());
  at::Tensor lp = at::log_softmax(p_logits.to(at::kFloat), -1);
  at::Tensor lq = at::log_softmax(q_logits.to(at::kFloat), -1);
  return (lp.exp() * (lp - lq)).sum(-1).clamp_min(0.0);
}

void DriftTally::Add(const at::Tensor& baseline, const at::Tensor& ablated) {
  if (baseline.size(0) == 0) return;
  kl_sum_ += KlDivergence(baseline, ablated).to(at::kDouble).sum().item<double>();
  agree_ += baseline.argmax(-1).eq(ablated.argmax(-1)).sum().item<int64_t>();
  count_ += baseline.size(0);
}

double DriftTally::kl_mean() const {
  return count_ ? kl_sum_ / static_cast<double>(count_) : std::numeric_limits<double>::quiet_NaN();
}

double DriftTally::top1_agreement() const {
  return count_ ? static_cast<double>(agree_) / static_cast<double>(count_)
                : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace ablate::eval
