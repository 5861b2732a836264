// token_scoring.h: metrics over logits tensors, the only LibTorch-facing part
// of the metric code.
//   ScoreTargets   log p(target) and greedy flags at the scored positions of
//                  one window (log_softmax in float32, sums in float64); the
//                  WindowLogits overload walks the positions in chunks
//   DriftTally     KL(baseline || ablated) of next-token distributions and
//                  top-1 agreement, accumulated over evaluated positions
//                  (in chunks for WindowLogits; the same float64 sum)
//   KlDivergence   per-position KL(p || q) from two logit tensors
// Every quantity is per position, so chunking changes no number: the chunked
// overloads give the same bits as the whole-tensor ones (tests check it).
// Thread-safety: functions are pure; a DriftTally is not shared across threads.
//
//   TokenScores s = ScoreTargets(logits[b], w.score_begin, w.targets);
//   drift.Add(base_logits.narrow(0, w.score_begin, k), logits.narrow(...));
#ifndef ABLATE_WORKER_EVAL_TOKEN_SCORING_H_
#define ABLATE_WORKER_EVAL_TOKEN_SCORING_H_

#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

#include "worker/eval/window_logits.h"

namespace ablate::eval {

struct TokenScores {
  std::vector<double> logprobs;  // natural log per target
  std::vector<bool> greedy;      // target == argmax at its position
  double Sum() const;
  bool AllGreedy() const;
};

// logits: [T, V] for one sequence (any floating dtype, any device).
// REQUIRES: score_begin + targets.size() <= T, every target < V.
TokenScores ScoreTargets(const at::Tensor& logits, int64_t score_begin, const std::vector<int64_t>& targets);
// The same over a window's logits, chunk_rows() positions at a time.
// REQUIRES: score_begin + targets.size() <= logits.end().
TokenScores ScoreTargets(const WindowLogits& logits, int64_t score_begin, const std::vector<int64_t>& targets);

// KL(softmax(p_logits) || softmax(q_logits)) per row: [N, V] x [N, V] -> [N]
// float32; rows with identical logits give exactly 0. Negative rounding is clamped to 0.
at::Tensor KlDivergence(const at::Tensor& p_logits, const at::Tensor& q_logits);

class DriftTally {
 public:
  // baseline, ablated: [N, V] logits at the same N evaluated positions.
  void Add(const at::Tensor& baseline, const at::Tensor& ablated);
  // The same for positions [begin, begin + count) of two windows, a chunk
  // (the smaller chunk_rows()) at a time; baseline and ablated may be the
  // same object (an un-ablated job: KL exactly 0).
  void Add(const WindowLogits& baseline, const WindowLogits& ablated, int64_t begin, int64_t count);
  double kl_mean() const;         // NaN when empty
  double top1_agreement() const;  // NaN when empty
  int64_t positions() const { return count_; }

 private:
  double kl_sum_ = 0.0;
  int64_t agree_ = 0;
  int64_t count_ = 0;
};

}  // namespace ablate::eval

#endif  // ABLATE_WORKER_EVAL_TOKEN_SCORING_H_
