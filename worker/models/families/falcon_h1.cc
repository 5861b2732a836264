// falcon_h1.cc: Falcon-H1 wiring: Mamba-2 and attention in parallel on the same
// normed input, then SwiGLU MLP; every muP multiplier from the config
// (embedding, lm_head, key, attention in/out, ssm in/out, in_proj segments, MLP).
#include <memory>

#include "worker/models/blocks/attention.h"
#include "worker/models/blocks/mamba2.h"
#include "worker/models/families/registry.h"

namespace ablate::models {

absl::StatusOr<DecoderSpec> BuildFalconH1Spec(const ModelConfig& c) {
  const FalconH1Config& f = c.falcon;
  DecoderSpec s;
  s.vocab = c.vocab_size;
  s.hidden = c.hidden_size;
  s.tie_embeddings = c.tie_word_embeddings;
  s.final_norm = {.dim = c.hidden_size, .eps = c.rms_norm_eps};
  s.final_norm_name = "final_layernorm";
  s.embedding_multiplier = f.embedding_multiplier;
  s.lm_head_multiplier = f.lm_head_multiplier;
  s.has_rotary = true;
  s.rotary = {.head_dim = c.head_dim, .theta = c.rope_theta, .partial_factor = c.partial_rotary_factor};
  s.initializer_range = c.initializer_range;
  for (int64_t i = 0; i < c.num_layers; ++i) {
    DecoderLayerSpec l;
    l.norm = s.final_norm;
    l.post_norm_name = "pre_ff_layernorm";
    l.mlp_name = "feed_forward";
    l.mlp = {.hidden = c.hidden_size,
             .intermediate = c.intermediate_size,
             .bias = c.mlp_bias,
             .gate_multiplier = f.mlp_multipliers[0],
             .down_multiplier = f.mlp_multipliers[1]};
    Mamba2Options m{.hidden = c.hidden_size,
                    .d_ssm = f.d_ssm,
                    .n_heads = f.n_heads,
                    .head_dim = f.d_head,
                    .n_groups = f.n_groups,
                    .d_state = f.d_state,
                    .conv_kernel = f.d_conv,
                    .chunk_size = f.chunk_size,
                    .conv_bias = f.conv_bias,
                    .proj_bias = f.proj_bias,
                    .out_bias = f.projectors_bias,
                    .rms_norm = f.rms_norm,
                    .norm_before_gate = f.norm_before_gate,
                    .norm_eps = c.rms_norm_eps,
                    .dt_min = f.time_step_limit[0],
                    .dt_max = f.time_step_limit[1],
                    .segment_multipliers = f.ssm_multipliers};
    AttentionOptions a{.hidden = c.hidden_size,
                       .heads = c.num_heads,
                       .kv_heads = c.num_kv_heads,
                       .head_dim = c.head_dim,
                       .qkv_bias = c.attention_bias,
                       .o_bias = c.attention_bias,
                       .key_multiplier = f.key_multiplier};
    l.mixers.push_back({"mamba", v1::SSM, std::make_shared<Mamba2Impl>(m), f.ssm_in_multiplier, f.ssm_out_multiplier});
    l.mixers.push_back({"self_attn", v1::ATTENTION, std::make_shared<AttentionImpl>(a), f.attention_in_multiplier,
                        f.attention_out_multiplier});
    s.layers.push_back(std::move(l));
  }
  return s;
}

}  // namespace ablate::models
