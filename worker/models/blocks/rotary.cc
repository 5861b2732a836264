// rotary.cc: see rotary.h.
#include "worker/models/blocks/rotary.h"

namespace ablate::models {

RotaryEmbedding::RotaryEmbedding(const RotaryOptions& options)
    : rotary_dim_(static_cast<int64_t>(options.head_dim * options.partial_factor)), theta_(options.theta) {
  TORCH_CHECK(rotary_dim_ > 0 && rotary_dim_ % 2 == 0 && rotary_dim_ <= options.head_dim,
              "RotaryEmbedding: bad rotary dim ", rotary_dim_);
}

std::pair<at::Tensor, at::Tensor> RotaryEmbedding::Tables(int64_t offset, int64_t length, at::Device device,
                                                          at::ScalarType dtype) const {
  // inv_freq = 1 / theta^(arange(0, R, 2) / R), in float32 like the reference.
  at::Tensor exponent =
      at::arange(0, rotary_dim_, 2, at::TensorOptions().dtype(at::kLong).device(device)).to(at::kFloat) /
      static_cast<double>(rotary_dim_);
  at::Tensor inv_freq = at::reciprocal(at::pow(theta_, exponent));  // [R/2]
  at::Tensor pos =
      at::arange(offset, offset + length, at::TensorOptions().dtype(at::kLong).device(device)).to(at::kFloat);  // [T]
  at::Tensor freqs = pos.unsqueeze(1) * inv_freq.unsqueeze(0);  // [T, R/2]
  at::Tensor emb = at::cat({freqs, freqs}, -1);                 // [T, R]
  return {emb.cos().to(dtype), emb.sin().to(dtype)};
}

at::Tensor ApplyRotary(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin) {
  const int64_t r = cos.size(-1), d = x.size(-1);
  TORCH_CHECK(x.dim() == 4 && r <= d && cos.size(0) == x.size(2), "ApplyRotary: bad shapes");
  at::Tensor rot = r == d ? x : x.narrow(-1, 0, r);
  at::Tensor x1 = rot.narrow(-1, 0, r / 2), x2 = rot.narrow(-1, r / 2, r / 2);
  at::Tensor rotated = at::cat({-x2, x1}, -1);
  at::Tensor out = rot * cos + rotated * sin;
  if (r == d) return out;
  return at::cat({out, x.narrow(-1, r, d - r)}, -1);
}

}  // namespace ablate::models
