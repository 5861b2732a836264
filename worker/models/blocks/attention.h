// attention.h: causal grouped-query softmax attention with the options the
// families need: q/k/v bias (Qwen2), per-head q/k RMSNorm (Qwen3.5, zero-centred),
// a per-head sigmoid output gate packed into q_proj (Qwen3.5), a key multiplier
// (Falcon-H1), partial RoPE. Eager math: softmax in float32, causal mask.
//
// Weight names: q_proj, k_proj, v_proj, o_proj (+ .bias), q_norm, k_norm.
// With a MixerState the keys/values (after RoPE) are appended to the KV cache.
//
//   auto attn = std::make_shared<AttentionImpl>(AttentionOptions{.hidden = 64, .heads = 4,
//                                                .kv_heads = 2, .head_dim = 16});
//   torch::Tensor y = attn->Forward(x, inputs, /*state=*/nullptr);  // [B, T, hidden]
#ifndef ABLATE_WORKER_MODELS_BLOCKS_ATTENTION_H_
#define ABLATE_WORKER_MODELS_BLOCKS_ATTENTION_H_

#include "worker/models/blocks/linear.h"
#include "worker/models/blocks/mixer.h"
#include "worker/models/blocks/rms_norm.h"

namespace ablate::models {

struct AttentionOptions {
  int64_t hidden = 0;
  int64_t heads = 0;
  int64_t kv_heads = 0;  // divides heads
  int64_t head_dim = 0;
  bool qkv_bias = false;        // bias on q/k/v projections
  bool o_bias = false;          // bias on o_proj
  bool qk_norm = false;         // zero-centred RMSNorm over head_dim on q and k (before RoPE)
  bool output_gate = false;     // q_proj emits [q | gate] per head; out *= sigmoid(gate)
  double key_multiplier = 1.0;  // k scaled before RoPE (Falcon-H1)
  double norm_eps = 1e-6;       // q/k norm epsilon
  // Scores alive at once (batch x heads x query block x keys), >= 1; bounds
  // the query block (at least one query per block).
  int64_t score_block_elements = int64_t{1} << 23;
};

// Causal softmax attention of queries at absolute positions past..past+T-1,
// past = S - T, over keys/values at 0..S-1. q: [B, H, T, D]; k, v: [B, Hkv, S, D]
// with Hkv dividing H (query head h reads key/value head h / (H / Hkv)).
// Returns [B, T, H * D] in q's dtype; scores are scaled by 1/sqrt(D), masked
// and soft-maxed in float32, queries in blocks of at most
// max(1, score_block_elements / (B * H * S)), each block seeing only the keys
// it may attend to. Same result as the eager full-matrix form up to rounding.
torch::Tensor CausalAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                              int64_t score_block_elements);

class AttentionImpl : public MixerImpl {
 public:
  explicit AttentionImpl(const AttentionOptions& options);
  torch::Tensor Forward(const torch::Tensor& x, const MixerInputs& in, MixerState* state) override;
  void Initialize(double std, at::Generator& gen) override;

 private:
  AttentionOptions o_;
  Linear q_proj_{nullptr}, k_proj_{nullptr}, v_proj_{nullptr}, o_proj_{nullptr};
  RMSNorm q_norm_{nullptr}, k_norm_{nullptr};
};

}  // namespace ablate::models

#endif  // ABLATE_WORKER_MODELS_BLOCKS_ATTENTION_H_
