// token_scoring.cc: see token_scoring.h.
#include "worker/eval/token_scoring.h"

#include <algorithm>
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
  TORCH_CHECK(score_begin >= 0 && score_begin + k <= logits.size(0), "ScoreTargets: positions [", score_begin, ", ",
              score_begin + k, ") outside T=", logits.size(0));
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

TokenScores ScoreTargets(const WindowLogits& logits, int64_t score_begin, const std::vector<int64_t>& targets) {
  TokenScores out;
  const auto k = static_cast<int64_t>(targets.size());
  const int64_t chunk = logits.chunk_rows();
  for (int64_t b = 0; b < k; b += chunk) {
    const int64_t n = std::min(chunk, k - b);
    const std::vector<int64_t> part(targets.begin() + b, targets.begin() + b + n);
    TokenScores s = ScoreTargets(logits.Rows(score_begin + b, n), 0, part);
    out.logprobs.insert(out.logprobs.end(), s.logprobs.begin(), s.logprobs.end());
    out.greedy.insert(out.greedy.end(), s.greedy.begin(), s.greedy.end());
  }
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

void DriftTally::Add(const WindowLogits& baseline, const WindowLogits& ablated, int64_t begin, int64_t count) {
  if (count == 0) return;
  const bool same = &baseline == &ablated;
  const int64_t chunk = std::min(baseline.chunk_rows(), ablated.chunk_rows());
  std::vector<at::Tensor> kl;  // [n] float32 per chunk: summed once below, as the whole-tensor Add does
  int64_t agree = 0;
  for (int64_t b = 0; b < count; b += chunk) {
    const int64_t n = std::min(chunk, count - b);
    const at::Tensor q = ablated.Rows(begin + b, n);
    const at::Tensor p = same ? q : baseline.Rows(begin + b, n);
    kl.push_back(KlDivergence(p, q));
    agree += p.argmax(-1).eq(q.argmax(-1)).sum().item<int64_t>();
  }
  kl_sum_ += at::cat(kl).to(at::kDouble).sum().item<double>();
  agree_ += agree;
  count_ += count;
}

double DriftTally::kl_mean() const {
  return count_ ? kl_sum_ / static_cast<double>(count_) : std::numeric_limits<double>::quiet_NaN();
}

double DriftTally::top1_agreement() const {
  return count_ ? static_cast<double>(agree_) / static_cast<double>(count_) : std::numeric_limits<double>::quiet_NaN();
}

}  // namespace ablate::eval
