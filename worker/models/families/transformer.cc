// transformer.cc: Qwen2 / Qwen2.5 / Llama-style wiring: every layer is
// attention (optional q/k/v bias) then SwiGLU MLP, plain RMSNorm, full RoPE.
#include <memory>

#include "worker/models/blocks/attention.h"
#include "worker/models/families/registry.h"

namespace ablate::models {

absl::StatusOr<DecoderSpec> BuildTransformerSpec(const ModelConfig& c) {
  DecoderSpec s;
  s.vocab = c.vocab_size;
  s.hidden = c.hidden_size;
  s.tie_embeddings = c.tie_word_embeddings;
  s.final_norm = {.dim = c.hidden_size, .eps = c.rms_norm_eps};
  s.has_rotary = true;
  s.rotary = {.head_dim = c.head_dim, .theta = c.rope_theta, .partial_factor = c.partial_rotary_factor};
  s.initializer_range = c.initializer_range;
  for (int64_t i = 0; i < c.num_layers; ++i) {
    DecoderLayerSpec l;
    l.norm = s.final_norm;
    l.mlp = {.hidden = c.hidden_size, .intermediate = c.intermediate_size, .bias = c.mlp_bias};
    AttentionOptions a{.hidden = c.hidden_size,
                       .heads = c.num_heads,
                       .kv_heads = c.num_kv_heads,
                       .head_dim = c.head_dim,
                       .qkv_bias = c.attention_bias,
                       // Llama-style attention_bias covers o_proj too; Qwen2's o_proj has none.
                       .o_bias = c.attention_bias && c.model_type != "qwen2"};
    l.mixers.push_back({"self_attn", v1::ATTENTION, std::make_shared<AttentionImpl>(a)});
    s.layers.push_back(std::move(l));
  }
  return s;
}

}  // namespace ablate::models
