// rms_norm.h: RMSNorm variants used by the families.
//
// RMSNorm: y = w * norm(x) (Qwen2, Falcon-H1) or, zero_centered, y = (1 + w) * norm(x)
// (Qwen3.5: weights stored zero-centred). Statistics in float32, output in x's dtype.
// GatedRMSNorm: y = w * norm(x) * silu(gate) over `groups` equal groups of the last
// dim; norm_before_gate=false multiplies by silu(gate) first (Falcon-H1's default).
//
//   RMSNorm n = register_module("input_layernorm", RMSNorm(RMSNormOptions{.dim = 64}));
#ifndef ABLATE_WORKER_MODELS_BLOCKS_RMS_NORM_H_
#define ABLATE_WORKER_MODELS_BLOCKS_RMS_NORM_H_

#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

namespace ablate::models {

struct RMSNormOptions {
  int64_t dim = 0;
  double eps = 1e-6;
  bool zero_centered = false;  // scale by (1 + w) (Qwen3.5)
};

class RMSNormImpl : public torch::nn::Module {
 public:
  explicit RMSNormImpl(const RMSNormOptions& options);
  // x: [..., dim] -> same shape and dtype.
  torch::Tensor forward(const torch::Tensor& x);
  void Initialize();  // ones (zeros when zero_centered)
  torch::Tensor weight;

 private:
  RMSNormOptions options_;
};
TORCH_MODULE(RMSNorm);

struct GatedRMSNormOptions {
  int64_t dim = 0;
  double eps = 1e-6;
  int64_t groups = 1;            // statistics per group of dim/groups channels
  bool norm_before_gate = true;  // false: y = w * norm(x * silu(gate))
};

class GatedRMSNormImpl : public torch::nn::Module {
 public:
  explicit GatedRMSNormImpl(const GatedRMSNormOptions& options);
  // x, gate: [..., dim] -> x's shape and dtype (computed in float32).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& gate);
  void Initialize();  // ones
  torch::Tensor weight;

 private:
  GatedRMSNormOptions options_;
};
TORCH_MODULE(GatedRMSNorm);

}  // namespace ablate::models

#endif  // ABLATE_WORKER_MODELS_BLOCKS_RMS_NORM_H_
