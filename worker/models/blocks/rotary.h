// rotary.h: rotary position embeddings (rotate_half convention) with an
// optional partial rotary factor: only the first rotary_dim dims of each head
// rotate (Qwen3.5: head_dim * 0.25); the rest pass through.
//
//   RotaryEmbedding rope({.head_dim = 128, .theta = 1e6});
//   auto [cos, sin] = rope.Tables(/*offset=*/0, /*length=*/T, device, dtype);
//   q = ApplyRotary(q, cos, sin);  // q: [B, H, T, D]
#ifndef ABLATE_WORKER_MODELS_BLOCKS_ROTARY_H_
#define ABLATE_WORKER_MODELS_BLOCKS_ROTARY_H_

#include <ATen/ATen.h>

#include <cstdint>
#include <utility>

namespace ablate::models {

struct RotaryOptions {
  int64_t head_dim = 0;
  double theta = 10000.0;
  double partial_factor = 1.0;  // rotary_dim = int(head_dim * partial_factor)
};

class RotaryEmbedding {
 public:
  explicit RotaryEmbedding(const RotaryOptions& options);
  int64_t rotary_dim() const { return rotary_dim_; }
  // cos, sin for positions offset .. offset+length-1: [length, rotary_dim],
  // computed in float32 (as the reference) then cast to `dtype`.
  std::pair<at::Tensor, at::Tensor> Tables(int64_t offset, int64_t length, at::Device device,
                                           at::ScalarType dtype) const;

 private:
  int64_t rotary_dim_;
  double theta_;
};

// x: [B, H, T, D] with D >= rotary_dim; cos/sin: [T, rotary_dim]. Returns x rotated.
at::Tensor ApplyRotary(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin);

}  // namespace ablate::models

#endif  // ABLATE_WORKER_MODELS_BLOCKS_ROTARY_H_
