// attention.cc: see attention.h. Follows HF eager attention (Qwen2/Qwen3.5/Falcon-H1).
#include "worker/models/blocks/attention.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "worker/models/blocks/rotary.h"

namespace ablate::models {

torch::Tensor CausalAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                              int64_t score_block_elements) {
  TORCH_CHECK(q.dim() == 4 && k.dim() == 4 && v.sizes() == k.sizes(), "CausalAttention: bad shapes");
  const int64_t b = q.size(0), h = q.size(1), t = q.size(2), d = q.size(3);
  const int64_t kv = k.size(1), s = k.size(2), past = s - t;
  TORCH_CHECK(k.size(0) == b && k.size(3) == d && kv > 0 && h % kv == 0 && past >= 0, "CausalAttention: bad shapes");
  const int64_t rep = h / kv;
  const double scale = 1.0 / std::sqrt(static_cast<double>(d));
  const torch::Tensor keys = k.contiguous(), values = v.contiguous();  // [B, Hkv, S, D]
  const torch::Tensor grouped = q.view({b, kv, rep, t, d});            // query head = kv head * rep + r
  torch::Tensor out = at::empty({b, t, kv, rep, d}, q.options());
  const int64_t block =
      std::max<int64_t>(1, std::min<int64_t>(t, score_block_elements / std::max<int64_t>(1, b * h * s)));
  for (int64_t t0 = 0; t0 < t; t0 += block) {
    const int64_t n = std::min(block, t - t0), seen = past + t0 + n;  // keys 0..seen-1 are visible to the block
    torch::Tensor qb = grouped.narrow(3, t0, n).reshape({b, kv, rep * n, d});
    torch::Tensor scores = at::matmul(qb, keys.narrow(2, 0, seen).transpose(2, 3));  // [B, Hkv, rep*n, seen]
    scores.mul_(scale);
    // Query i of the block (absolute past+t0+i) may see keys 0..past+t0+i.
    torch::Tensor future = at::ones({n, seen}, q.options().dtype(at::kBool)).triu(past + t0 + 1);
    scores.view({b, kv, rep, n, seen}).masked_fill_(future, -std::numeric_limits<double>::infinity());
    torch::Tensor probs = at::softmax(scores, -1, at::kFloat).to(q.scalar_type());
    torch::Tensor ob = at::matmul(probs, values.narrow(2, 0, seen));  // [B, Hkv, rep*n, D]
    out.narrow(1, t0, n).copy_(ob.view({b, kv, rep, n, d}).permute({0, 3, 1, 2, 4}));
  }
  return out.view({b, t, h * d});
}

AttentionImpl::AttentionImpl(const AttentionOptions& o) : o_(o) {
  TORCH_CHECK(o.heads > 0 && o.kv_heads > 0 && o.heads % o.kv_heads == 0, "Attention: bad head counts");
  TORCH_CHECK(o.score_block_elements >= 1, "Attention: score_block_elements must be >= 1");
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
  torch::Tensor out = CausalAttention(q, k, v, o_.score_block_elements);  // [B, T, H*D]
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
