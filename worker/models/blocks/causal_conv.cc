// causal_conv.cc: see causal_conv.h.
#include "worker/models/blocks/causal_conv.h"

#include <cmath>

namespace ablate::models {

CausalConv1dImpl::CausalConv1dImpl(int64_t channels, int64_t kernel, bool bias) : channels_(channels), kernel_(kernel) {
  TORCH_CHECK(kernel >= 1, "CausalConv1d: kernel must be >= 1");
  weight = register_parameter("weight", torch::empty({channels, 1, kernel}));
  if (bias) this->bias = register_parameter("bias", torch::empty({channels}));
}

std::pair<torch::Tensor, torch::Tensor> CausalConv1dImpl::forward(const torch::Tensor& x, const torch::Tensor& state) {
  TORCH_CHECK(x.dim() == 3 && x.size(1) == channels_, "CausalConv1d: expected [B, ", channels_, ", T]");
  const int64_t t = x.size(2), k1 = kernel_ - 1;
  torch::Tensor xs =
      state.defined() ? at::cat({state.to(x.scalar_type()), x}, 2) : at::constant_pad_nd(x, {k1, 0});  // [B, C, K-1+T]
  torch::Tensor y = at::silu(at::conv1d(xs, weight, bias, /*stride=*/at::IntArrayRef{1}, /*padding=*/at::IntArrayRef{0},
                                        /*dilation=*/at::IntArrayRef{1}, /*groups=*/channels_));  // [B, C, T]
  torch::Tensor new_state = xs.narrow(2, t, k1).contiguous();
  return {y, new_state};
}

void CausalConv1dImpl::Initialize(double std, at::Generator& gen) {
  torch::NoGradGuard g;
  weight.normal_(0.0, std, gen);
  if (bias.defined()) bias.zero_();
}

}  // namespace ablate::models
