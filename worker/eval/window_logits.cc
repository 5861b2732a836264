// window_logits.cc: see window_logits.h.
#include "worker/eval/window_logits.h"

#include <algorithm>

namespace ablate::eval {

int64_t ChunkRows(int64_t vocab, int64_t max_bytes) {
  const int64_t row = std::max<int64_t>(1, vocab) * static_cast<int64_t>(sizeof(float));
  return std::max<int64_t>(1, max_bytes / row);
}

WindowLogits WindowLogits::FromHidden(const models::CausalLM& lm, at::Tensor hidden, int64_t chunk_rows) {
  TORCH_CHECK(hidden.dim() == 2, "WindowLogits: hidden must be [T, H], got ", hidden.sizes());
  WindowLogits w;
  w.lm_ = &lm;
  w.data_ = std::move(hidden);
  w.chunk_rows_ = std::max<int64_t>(1, chunk_rows);
  return w;
}

WindowLogits WindowLogits::FromLogits(at::Tensor logits, int64_t first, int64_t chunk_rows) {
  TORCH_CHECK(logits.dim() == 2, "WindowLogits: logits must be [T, V], got ", logits.sizes());
  WindowLogits w;
  w.data_ = std::move(logits);
  w.first_ = first;
  w.chunk_rows_ = std::max<int64_t>(1, chunk_rows);
  return w;
}

at::Tensor WindowLogits::Rows(int64_t begin, int64_t count) const {
  TORCH_CHECK(data_.defined(), "WindowLogits: no logits");
  TORCH_CHECK(begin >= first_ && count >= 0 && begin + count <= end(), "WindowLogits: rows [", begin, ", ",
              begin + count, ") outside [", first_, ", ", end(), ")");
  const at::Tensor rows = data_.narrow(0, begin - first_, count);
  if (lm_ == nullptr) return rows;
  return lm_->LmHead(rows);
}

}  // namespace ablate::eval
