// linear.h: y = x W^T (+ b) with HF parameter names ("weight", "bias").
// Parameters start uninitialised (torch::empty): a checkpoint or Initialize fills them.
//
//   Linear q = register_module("q_proj", Linear(hidden, heads * dim, /*bias=*/true));
#ifndef ABLATE_WORKER_MODELS_BLOCKS_LINEAR_H_
#define ABLATE_WORKER_MODELS_BLOCKS_LINEAR_H_

#include <ATen/ATen.h>
#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>

namespace ablate::models {

class LinearImpl : public torch::nn::Module {
 public:
  LinearImpl(int64_t in, int64_t out, bool bias) {
    weight = register_parameter("weight", torch::empty({out, in}));
    if (bias) this->bias = register_parameter("bias", torch::empty({out}));
  }
  torch::Tensor forward(const torch::Tensor& x) { return at::linear(x, weight, bias); }
  void Initialize(double std, at::Generator& gen) {
    torch::NoGradGuard g;
    weight.normal_(0.0, std, gen);
    if (bias.defined()) bias.zero_();
  }
  torch::Tensor weight, bias;
};
TORCH_MODULE(Linear);

}  // namespace ablate::models

#endif  // ABLATE_WORKER_MODELS_BLOCKS_LINEAR_H_
