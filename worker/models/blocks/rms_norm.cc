// rms_norm.cc: see rms_norm.h. Mirrors HF's float32 upcasts.
#include "worker/models/blocks/rms_norm.h"

namespace ablate::models {
namespace {
torch::Tensor Normalize(const torch::Tensor& h, double eps) {
  return h * at::rsqrt(h.pow(2).mean(-1, /*keepdim=*/true) + eps);
}
}  // namespace

RMSNormImpl::RMSNormImpl(const RMSNormOptions& options) : options_(options) {
  weight = register_parameter("weight", torch::empty({options.dim}));
}

torch::Tensor RMSNormImpl::forward(const torch::Tensor& x) {
  TORCH_CHECK(x.size(-1) == options_.dim, "RMSNorm: last dim ", x.size(-1), " != ", options_.dim);
  torch::Tensor h = Normalize(x.to(torch::kFloat32), options_.eps);
  if (options_.zero_centered) return (h * (weight.to(torch::kFloat32) + 1.0)).to(x.scalar_type());
  return weight * h.to(x.scalar_type());
}

void RMSNormImpl::Initialize() {
  torch::NoGradGuard g;
  if (options_.zero_centered)
    weight.zero_();
  else
    weight.fill_(1.0);
}

GatedRMSNormImpl::GatedRMSNormImpl(const GatedRMSNormOptions& options) : options_(options) {
  TORCH_CHECK(options.groups > 0 && options.dim % options.groups == 0, "GatedRMSNorm: bad groups");
  weight = register_parameter("weight", torch::empty({options.dim}));
}

torch::Tensor GatedRMSNormImpl::forward(const torch::Tensor& x, const torch::Tensor& gate) {
  TORCH_CHECK(x.size(-1) == options_.dim && gate.sizes() == x.sizes(), "GatedRMSNorm: shape mismatch");
  const int64_t g = options_.groups, d = options_.dim / g;
  torch::Tensor h = x.to(torch::kFloat32);
  if (!options_.norm_before_gate) h = h * at::silu(gate.to(torch::kFloat32));
  std::vector<int64_t> grouped = x.sizes().vec();
  grouped.back() = g;
  grouped.push_back(d);
  h = Normalize(h.reshape(grouped), options_.eps);  // [..., G, D/G]
  h = (weight.to(torch::kFloat32).view({g, d}) * h).reshape(x.sizes());
  if (options_.norm_before_gate) h = h * at::silu(gate.to(torch::kFloat32));
  return h.to(x.scalar_type());
}

void GatedRMSNormImpl::Initialize() {
  torch::NoGradGuard ng;
  weight.fill_(1.0);
}

}  // namespace ablate::models
