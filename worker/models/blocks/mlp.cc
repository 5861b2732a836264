// mlp.cc: see mlp.h.
#include "worker/models/blocks/mlp.h"

namespace ablate::models {

MlpImpl::MlpImpl(const MlpOptions& o) : o_(o) {
  gate_proj_ = register_module("gate_proj", Linear(o.hidden, o.intermediate, o.bias));
  up_proj_ = register_module("up_proj", Linear(o.hidden, o.intermediate, o.bias));
  down_proj_ = register_module("down_proj", Linear(o.intermediate, o.hidden, o.bias));
}

torch::Tensor MlpImpl::forward(const torch::Tensor& x) {
  torch::Tensor g = gate_proj_(x);
  if (o_.gate_multiplier != 1.0) g = g * o_.gate_multiplier;
  torch::Tensor y = down_proj_(up_proj_(x) * at::silu(g));
  if (o_.down_multiplier != 1.0) y = y * o_.down_multiplier;
  return y;
}

void MlpImpl::Initialize(double std, at::Generator& gen) {
  gate_proj_->Initialize(std, gen);
  up_proj_->Initialize(std, gen);
  down_proj_->Initialize(std, gen);
}

}  // namespace ablate::models
