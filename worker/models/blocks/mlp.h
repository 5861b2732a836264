// mlp.h: SwiGLU feed-forward: down(silu(gate(x) * gate_mult) * up(x)) * down_mult.
// The multipliers are Falcon-H1's mlp_multipliers (1 elsewhere).
// Weight names: gate_proj, up_proj, down_proj (+ .bias with mlp_bias).
//
//   Mlp mlp = register_module("mlp", Mlp(MlpOptions{.hidden = 64, .intermediate = 128}));
#ifndef ABLATE_WORKER_MODELS_BLOCKS_MLP_H_
#define ABLATE_WORKER_MODELS_BLOCKS_MLP_H_

#include "worker/models/blocks/linear.h"

namespace ablate::models {

struct MlpOptions {
  int64_t hidden = 0;
  int64_t intermediate = 0;
  bool bias = false;
  double gate_multiplier = 1.0;
  double down_multiplier = 1.0;
};

class MlpImpl : public torch::nn::Module {
 public:
  explicit MlpImpl(const MlpOptions& options);
  torch::Tensor forward(const torch::Tensor& x);  // [B, T, hidden] -> same
  void Initialize(double std, at::Generator& gen);

 private:
  MlpOptions o_;
  Linear gate_proj_{nullptr}, up_proj_{nullptr}, down_proj_{nullptr};
};
TORCH_MODULE(Mlp);

}  // namespace ablate::models

#endif  // ABLATE_WORKER_MODELS_BLOCKS_MLP_H_
