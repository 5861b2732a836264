// decoder.cc: see decoder.h.
#include "worker/models/decoder.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/nn/modules/container/modulelist.h>

namespace ablate::models {
namespace {

double FactorOf(const LayerPlan* plan, v1::Component c) {
  if (plan == nullptr) return 1.0;
  auto it = plan->factor.find(c);
  return it == plan->factor.end() ? 1.0 : it->second;
}

}  // namespace

DecoderLayerImpl::DecoderLayerImpl(DecoderLayerSpec spec) : spec_(std::move(spec)) {
  input_norm_ = register_module(spec_.input_norm_name, RMSNorm(spec_.norm));
  for (const MixerSlot& m : spec_.mixers) register_module(m.name, m.module);
  post_norm_ = register_module(spec_.post_norm_name, RMSNorm(spec_.norm));
  mlp_ = register_module(spec_.mlp_name, Mlp(spec_.mlp));
}

torch::Tensor DecoderLayerImpl::forward(const torch::Tensor& x, const LayerCall& call) {
  if (call.plan != nullptr && call.plan->skip) return x;  // the layer is the identity
  const bool stateful = call.states != nullptr;
  torch::Tensor h = input_norm_(x);
  torch::Tensor mixed;  // sum of the branch contributions
  for (size_t i = 0; i < spec_.mixers.size(); ++i) {
    const MixerSlot& m = spec_.mixers[i];
    const double f = FactorOf(call.plan, m.component);
    // A zeroed branch contributes nothing; it still runs when a decode state or
    // the trace needs it, so that the state stays consistent.
    if (f == 0.0 && !stateful && !call.capture_branches) continue;
    torch::Tensor in = m.in_multiplier == 1.0 ? h : h * m.in_multiplier;
    torch::Tensor out = m.module->Forward(in, *call.inputs, stateful ? &(*call.states)[i] : nullptr);
    if (call.capture_branches && call.trace) call.trace->branch_outputs[{call.index, m.component}] = out;
    if (f == 0.0) continue;
    if (f != 1.0) out = out * f;
    if (m.out_multiplier != 1.0) out = out * m.out_multiplier;
    mixed = mixed.defined() ? mixed + out : out;
  }
  torch::Tensor y = mixed.defined() ? x + mixed : x;
  const double f = FactorOf(call.plan, v1::MLP);
  if (f == 0.0 && !call.capture_branches) return y;
  torch::Tensor out = mlp_(post_norm_(y));
  if (call.capture_branches && call.trace) call.trace->branch_outputs[{call.index, v1::MLP}] = out;
  if (f == 0.0) return y;
  if (f != 1.0) out = out * f;
  return y + out;
}

void DecoderLayerImpl::Initialize(double std, at::Generator& gen) {
  input_norm_->Initialize();
  post_norm_->Initialize();
  for (const MixerSlot& m : spec_.mixers) m.module->Initialize(std, gen);
  mlp_->Initialize(std, gen);
}

DecoderModelImpl::DecoderModelImpl(DecoderSpec spec) : spec_(std::move(spec)) {
  inner_ = register_module("model", std::make_shared<torch::nn::Module>());
  embed_ = inner_->register_module("embed_tokens", WeightHolder(std::vector<int64_t>{spec_.vocab, spec_.hidden}));
  torch::nn::ModuleList list;
  for (DecoderLayerSpec& l : spec_.layers) {
    layers_.push_back(DecoderLayer(l));
    list->push_back(layers_.back());
  }
  inner_->register_module("layers", list);
  final_norm_ = inner_->register_module(spec_.final_norm_name, RMSNorm(spec_.final_norm));
  if (!spec_.tie_embeddings) lm_head_ = register_module("lm_head", Linear(spec_.hidden, spec_.vocab, false));
  if (spec_.has_rotary) rotary_ = std::make_unique<RotaryEmbedding>(spec_.rotary);
}

torch::Tensor DecoderModelImpl::Hidden(const torch::Tensor& ids, int64_t offset,
                                       std::vector<std::vector<MixerState>>* states, const StackCall& stack) {
  TORCH_CHECK(ids.dim() == 2 && ids.scalar_type() == torch::kInt64, "input_ids must be int64 [B, T]");
  TORCH_CHECK(ids.size(1) >= 1, "input_ids must hold at least one token");
  const int64_t n = num_layers();
  const int64_t start = stack.start_layer;
  ForwardTrace* trace = stack.trace;
  torch::Tensor x;
  if (start == 0) {
    x = at::embedding(embed_->weight, ids);  // [B, T, H]
    if (spec_.embedding_multiplier != 1.0) x = x * spec_.embedding_multiplier;
  } else {
    TORCH_CHECK(start > 0 && start <= n, "start_layer ", start, " outside [0, ", n, "]");
    TORCH_CHECK(states == nullptr && trace == nullptr, "start_layer needs a full-sequence forward without trace");
    TORCH_CHECK(stack.start_hidden.defined() && stack.start_hidden.dim() == 3 &&
                    stack.start_hidden.size(0) == ids.size(0) && stack.start_hidden.size(1) == ids.size(1) &&
                    stack.start_hidden.size(2) == spec_.hidden,
                "start_hidden must be [B, T, H] for input_ids ", ids.sizes());
    x = stack.start_hidden.to(ids.device());
  }
  MixerInputs in;
  in.offset = offset;
  if (rotary_) std::tie(in.cos, in.sin) = rotary_->Tables(offset, ids.size(1), x.device(), x.scalar_type());
  if (trace) {
    trace->layer_inputs.clear();
    trace->layer_outputs.clear();
    trace->branch_outputs.clear();
  }
  if (stack.residuals) stack.residuals->assign(n + 1, torch::Tensor());
  auto keep = [&](int64_t i) {
    if (stack.residuals && i >= start && i <= stack.residuals_until) (*stack.residuals)[i] = x;
  };
  for (int64_t i = start; i < n; ++i) {
    LayerCall call;
    call.index = i;
    call.inputs = &in;
    call.states = states ? &(*states)[i] : nullptr;
    call.plan = stack.plans ? &(*stack.plans)[i] : nullptr;
    call.trace = trace;
    call.capture_branches = stack.capture_branches && trace != nullptr;
    keep(i);
    if (trace) trace->layer_inputs.push_back(x);
    x = layers_[i]->forward(x, call);
    if (trace) trace->layer_outputs.push_back(x);
  }
  keep(n);
  return x;
}

torch::Tensor DecoderModelImpl::FinalNorm(const torch::Tensor& h) { return final_norm_(h); }

torch::Tensor DecoderModelImpl::LmHead(const torch::Tensor& normed) {
  const torch::Tensor& w = lm_head_ ? lm_head_->weight : embed_->weight;
  torch::Tensor logits = at::linear(normed.to(w.scalar_type()), w);
  if (spec_.lm_head_multiplier != 1.0) logits = logits * spec_.lm_head_multiplier;
  return logits.to(torch::kFloat32);
}

void DecoderModelImpl::Initialize(uint64_t seed) {
  torch::NoGradGuard ng;
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  const double std = spec_.initializer_range;
  embed_->weight.normal_(0.0, std, gen);
  for (auto& l : layers_) l->Initialize(std, gen);
  final_norm_->Initialize();
  if (lm_head_) lm_head_->Initialize(std, gen);
}

}  // namespace ablate::models
