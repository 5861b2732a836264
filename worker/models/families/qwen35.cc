// qwen35.cc: Qwen3.5 wiring: each layer is Gated DeltaNet or gated attention
// (per config.layer_kinds), then SwiGLU MLP; zero-centred (1 + w) RMSNorms;
// attention with q/k norm, per-head sigmoid output gate and partial RoPE.
#include <memory>

#include "worker/models/blocks/attention.h"
#include "worker/models/blocks/gated_delta_net.h"
#include "worker/models/families/registry.h"

namespace ablate::models {

absl::StatusOr<DecoderSpec> BuildQwen35Spec(const ModelConfig& c) {
  DecoderSpec s;
  s.vocab = c.vocab_size;
  s.hidden = c.hidden_size;
  s.tie_embeddings = c.tie_word_embeddings;
  s.final_norm = {.dim = c.hidden_size, .eps = c.rms_norm_eps, .zero_centered = true};
  s.rotary = {.head_dim = c.head_dim, .theta = c.rope_theta, .partial_factor = c.partial_rotary_factor};
  s.initializer_range = c.initializer_range;
  for (int64_t i = 0; i < c.num_layers; ++i) {
    DecoderLayerSpec l;
    l.norm = s.final_norm;
    l.mlp = {.hidden = c.hidden_size, .intermediate = c.intermediate_size, .bias = false};
    if (c.layer_kinds[i] == LayerKind::kLinearAttention) {
      GatedDeltaNetOptions g{.hidden = c.hidden_size,
                             .num_k_heads = c.linear.num_key_heads,
                             .num_v_heads = c.linear.num_value_heads,
                             .k_head_dim = c.linear.key_head_dim,
                             .v_head_dim = c.linear.value_head_dim,
                             .conv_kernel = c.linear.conv_kernel,
                             .chunk_size = c.linear.chunk_size,
                             .norm_eps = c.rms_norm_eps};
      l.mixers.push_back({"linear_attn", v1::LINEAR_ATTENTION, std::make_shared<GatedDeltaNetImpl>(g)});
    } else {
      AttentionOptions a{.hidden = c.hidden_size,
                         .heads = c.num_heads,
                         .kv_heads = c.num_kv_heads,
                         .head_dim = c.head_dim,
                         .qkv_bias = c.attention_bias,
                         .o_bias = c.attention_bias,
                         .qk_norm = true,
                         .output_gate = true,
                         .norm_eps = c.rms_norm_eps};
      l.mixers.push_back({"self_attn", v1::ATTENTION, std::make_shared<AttentionImpl>(a)});
      s.has_rotary = true;
    }
    s.layers.push_back(std::move(l));
  }
  return s;
}

}  // namespace ablate::models
