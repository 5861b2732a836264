// causal_conv.h: depthwise causal 1-D convolution + SiLU, as used before the
// Gated DeltaNet and Mamba-2 scans, with a carried state of the last K-1 inputs
// so that decoding token by token equals convolving the whole sequence.
//
// Weight names: "weight" [C, 1, K], optional "bias" [C] (HF nn.Conv1d, groups=C).
//
//   auto [y, new_state] = conv_->forward(x_bct, state_or_undefined);  // y: [B, C, T]
#ifndef ABLATE_WORKER_MODELS_BLOCKS_CAUSAL_CONV_H_
#define ABLATE_WORKER_MODELS_BLOCKS_CAUSAL_CONV_H_

#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

#include <utility>

namespace ablate::models {

class CausalConv1dImpl : public torch::nn::Module {
 public:
  CausalConv1dImpl(int64_t channels, int64_t kernel, bool bias);
  // x: [B, C, T]; state: [B, C, K-1] (the K-1 inputs before x) or undefined (zeros).
  // Returns (silu(conv(x)) [B, C, T], the new state [B, C, K-1]).
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& x, const torch::Tensor& state);
  void Initialize(double std, at::Generator& gen);  // weight ~ N(0, std) (HF), bias 0
  torch::Tensor weight, bias;

 private:
  int64_t channels_, kernel_;
};
TORCH_MODULE(CausalConv1d);

}  // namespace ablate::models

#endif  // ABLATE_WORKER_MODELS_BLOCKS_CAUSAL_CONV_H_
