// attention.cc: see attention.h. Follows HF eager attention (Qwen2/Qwen3.5/Falcon-H1).
#include "worker/models/blocks/attention.h"

#include <cmath>
#include <limits>

#include "worker/models/blocks/rotary.h"

namespace ablate::models {

AttentionImpl::AttentionImpl(const AttentionOptions& o) : o_(o) {
  TORCH_CHECK(o.heads > 0 && o.kv_heads > 0 && o.heads % o.kv_heads == 0, "Attention: bad head counts");
  const int64_t q_out = o.heads * o.head_dim * (o.output_gate ? 2 : 1);
  q_proj_ = register_module("q_proj", Linear(o.hidden, q_out, o.qkv_bias));
  k_proj_ = register_module("k_proj", Linear(o.hidden, o.kv_heads * o.head_dim, o.qkv_bias));
  v_proj_ = register_module("v_proj", Linear(o.hidden, o.kv_heads * o.head_dim, o.qkv_bias));
  o_proj_ = register_module("o_proj", Linear(o.heads * o.head_dim, o.hidden, o.o_bias));
  if (o.qk_norm) {
    RMSNormOptions n{.dim = o.head_dim, .eps = o.norm_eps, .zero_centered = true};
    q_norm_ = register_module("q_norm", RMSNorm(n));
    k_norm_ = register_module("k_norm", RMSNorm(n));
  }
}

torch::Tensor AttentionImpl::Forward(const torch::Tensor& x, const MixerInputs& in, MixerState* state) {
  TORCH_CHECK(x.dim() == 3 && x.size(2) == o_.hidden, "Attention: expected [B, T, ", o_.hidden, "]");
  const int64_t b = x.size(0), t = x.size(1), d = o_.head_dim;
  torch::Tensor q = q_proj_(x), gate;
  if (o_.output_gate) {
    q = q.view({b, t, o_.heads, 2 * d});
    gate = q.narrow(-1, d, d).reshape({b, t, o_.heads * d});
    q = q.narrow(-1, 0, d);  // [B, T, H, D]
  } else {
    q = q.view({b, t, o_.heads, d});
  }
  torch::Tensor k = k_proj_(x).view({b, t, o_.kv_heads, d});  // [B, T, Hkv, D]
  torch::Tensor v = v_proj_(x).view({b, t, o_.kv_heads, d});
  if (o_.qk_norm) {
    q = q_norm_(q);
    k = k_norm_(k);
  }
  q = q.transpose(1, 2);  // [B, H, T, D]
  k = k.transpose(1, 2);  // [B, Hkv, T, D]
  v = v.transpose(1, 2);
  if (o_.key_multiplier != 1.0) k = k * o_.key_multiplier;
  q = ApplyRotary(q, in.cos, in.sin);
  k = ApplyRotary(k, in.cos, in.sin);
  if (state != nullptr) {
    if (state->key.defined()) {
      k = at::cat({state->key, k}, 2);
      v = at::cat({state->value, v}, 2);
    }
    state->key = k;
    state->value = v;
  }
  const int64_t s = k.size(2), past = s - t;  // keys cover positions 0..s-1
  const int64_t rep = o_.heads / o_.kv_heads;
  if (rep > 1) {
    k = k.unsqueeze(2).expand({b, o_.kv_heads, rep, s, d}).reshape({b, o_.heads, s, d});
    v = v.unsqueeze(2).expand({b, o_.kv_heads, rep, s, d}).reshape({b, o_.heads, s, d});
  }
  torch::Tensor scores = at::matmul(q, k.transpose(2, 3)) * (1.0 / std::sqrt(static_cast<double>(d)));
  // Query i (absolute past+i) may see keys 0..past+i.
  torch::Tensor future = at::ones({t, s}, at::TensorOptions().dtype(at::kBool).device(x.device())).triu(past + 1);
  scores = scores.masked_fill(future, -std::numeric_limits<double>::infinity());
  torch::Tensor probs = at::softmax(scores, -1, at::kFloat).to(q.scalar_type());
  torch::Tensor out = at::matmul(probs, v).transpose(1, 2).reshape({b, t, o_.heads * d});  // [B, T, H*D]
  if (o_.output_gate) out = out * at::sigmoid(gate);
  return o_proj_(out);
}

void AttentionImpl::Initialize(double std, at::Generator& gen) {
  q_proj_->Initialize(std, gen);
  k_proj_->Initialize(std, gen);
  v_proj_->Initialize(std, gen);
  o_proj_->Initialize(std, gen);
  if (o_.qk_norm) {
    q_norm_->Initialize();
    k_norm_->Initialize();
  }
}

}  // namespace ablate::models
