// window_logits.h: one scoring window's next-token logits, produced a bounded
// number of positions at a time so that no evaluation holds [T, V] logits
// (a 248k vocabulary at 2048 tokens is 2 GB of float32, twice with
// log-softmax). A WindowLogits holds either the window's final normed hidden
// states and the model (the LM head is applied per chunk of rows) or
// already-materialized logits (the baseline cache, test doubles).
//
// Rows(b, n) of a hidden-state window equals rows [b, b + n) of the model's
// Forward logits up to float32 rounding: the LM head is a per-row product, but
// OpenBLAS's sgemm sums a row in an order that depends on how many rows share
// the call (tests/eval_reuse_test.cc bounds it). The same chunking always
// gives the same bits, so results do not depend on residual reuse.
//
// Thread-safety: immutable; Rows is const and uses the model const.
//
//   WindowLogits w = WindowLogits::FromHidden(lm, hidden_row, ChunkRows(vocab, 64 << 20));
//   for (int64_t b = 0; b < n; b += w.chunk_rows()) use(w.Rows(b, std::min(w.chunk_rows(), n -
//   b)));
#ifndef ABLATE_WORKER_EVAL_WINDOW_LOGITS_H_
#define ABLATE_WORKER_EVAL_WINDOW_LOGITS_H_

#include <ATen/ATen.h>

#include <cstdint>
#include <limits>

#include "worker/models/causal_lm.h"

namespace ablate::eval {

// Rows per chunk so that one chunk of float32 logits stays within max_bytes (>= 1).
int64_t ChunkRows(int64_t vocab, int64_t max_bytes);

class WindowLogits {
 public:
  WindowLogits() = default;  // undefined: no logits (e.g. no baseline pass)

  // hidden: [len, H] final normed hidden states of one window (ForwardHidden);
  // lm must outlive this object.
  static WindowLogits FromHidden(const models::CausalLM& lm, at::Tensor hidden, int64_t chunk_rows);
  // logits: [n, V] for positions [first, first + n).
  static WindowLogits FromLogits(at::Tensor logits, int64_t first = 0,
                                 int64_t chunk_rows = std::numeric_limits<int64_t>::max());

  bool defined() const { return data_.defined(); }
  int64_t chunk_rows() const { return chunk_rows_; }
  int64_t end() const { return first_ + (data_.defined() ? data_.size(0) : 0); }  // one past the last position

  // float32 [count, V] logits of positions [begin, begin + count), on the
  // model's device. REQUIRES: first <= begin, begin + count <= end().
  at::Tensor Rows(int64_t begin, int64_t count) const;

 private:
  const models::CausalLM* lm_ = nullptr;  // null: data_ holds logits
  at::Tensor data_;                       // [n, H] hidden or [n, V] logits
  int64_t first_ = 0;                     // position of data_[0]
  int64_t chunk_rows_ = std::numeric_limits<int64_t>::max();
};

}  // namespace ablate::eval

#endif  // ABLATE_WORKER_EVAL_WINDOW_LOGITS_H_
