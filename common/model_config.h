// model_config.h: a Hugging Face checkpoint's config.json, typed, without LibTorch.
//
// Both sides use it: the coordinator asks which components each layer has to
// expand a sweep; the worker's model code reads every hyper-parameter from it.
// Supported model_type values: "qwen2" and "llama" (transformer), "qwen3_5_text"
// and "qwen3_5" (the multimodal checkpoint: fields under text_config, weights
// under "model.language_model."), "falcon_h1". Anything else is an error.
//
//   ASSIGN_OR_RETURN(ModelConfig cfg, LoadModelConfig("/ckpt/qwen3.5-0.8b"));
//   cfg.ComponentsOf(3);  // {ATTENTION, MLP}
#ifndef ABLATE_COMMON_MODEL_CONFIG_H_
#define ABLATE_COMMON_MODEL_CONFIG_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "ablate/v1/spec.pb.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/request_limits.h"
#include "nlohmann/json.hpp"

namespace ablate {

enum class Family {
  kTransformer,  // Qwen2 / Qwen2.5 / Llama-style: attention + MLP in every layer
  kQwen35,       // Qwen3.5: Gated DeltaNet or gated attention, then MLP (sequential)
  kFalconH1,     // Falcon-H1: Mamba-2 and attention in parallel, then MLP
};

// "qwen2", "qwen3_5", "falcon_h1": the names used in specs (mode_defaults) and docs.
absl::string_view FamilyName(Family f);

// The token mixer of one decoder layer.
enum class LayerKind {
  kFullAttention,    // attention only
  kLinearAttention,  // Gated DeltaNet only
  kParallelHybrid,   // Mamba-2 + attention in parallel
};

// Qwen3.5 Gated DeltaNet hyper-parameters.
struct LinearAttentionConfig {
  int64_t conv_kernel = 4;       // linear_conv_kernel_dim
  int64_t key_head_dim = 128;    // linear_key_head_dim
  int64_t value_head_dim = 128;  // linear_value_head_dim
  int64_t num_key_heads = 16;    // linear_num_key_heads
  int64_t num_value_heads = 32;  // linear_num_value_heads
  int64_t chunk_size = 64;       // fixed in the reference
};

// Falcon-H1 Mamba-2 hyper-parameters and muP multipliers.
struct FalconH1Config {
  int64_t d_ssm = 0;                                     // mamba_d_ssm (default expand * hidden)
  int64_t n_heads = 0;                                   // mamba_n_heads
  int64_t d_head = 0;                                    // mamba_d_head
  int64_t n_groups = 1;                                  // mamba_n_groups
  int64_t d_state = 128;                                 // mamba_d_state
  int64_t d_conv = 4;                                    // mamba_d_conv
  int64_t chunk_size = 256;                              // mamba_chunk_size
  bool conv_bias = true;                                 // mamba_conv_bias
  bool proj_bias = false;                                // mamba_proj_bias
  bool norm_before_gate = false;                         // mamba_norm_before_gate
  bool rms_norm = true;                                  // mamba_rms_norm (gated RMSNorm over groups)
  bool projectors_bias = false;                          // projectors_bias (bias on the mixer's out_proj)
  std::array<double, 2> time_step_limit = {0.0, 1e300};  // may hold +inf
  double embedding_multiplier = 1.0;
  double lm_head_multiplier = 1.0;
  double key_multiplier = 1.0;
  double attention_in_multiplier = 1.0;
  double attention_out_multiplier = 1.0;
  double ssm_in_multiplier = 1.0;
  double ssm_out_multiplier = 1.0;
  std::array<double, 2> mlp_multipliers = {1.0, 1.0};
  std::array<double, 5> ssm_multipliers = {1.0, 1.0, 1.0, 1.0, 1.0};
};

struct ModelConfig {
  std::string model_type;  // as written in config.json (top level)
  Family family = Family::kTransformer;
  std::string weight_prefix = "model.";  // "model.language_model." for multimodal Qwen3.5
  int64_t vocab_size = 0;
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_layers = 0;
  int64_t num_heads = 0;
  int64_t num_kv_heads = 0;
  int64_t head_dim = 0;  // default hidden_size / num_heads
  double rms_norm_eps = 1e-6;
  double initializer_range = 0.02;  // std of HF's normal weight init
  double rope_theta = 10000.0;
  double partial_rotary_factor = 1.0;
  bool tie_word_embeddings = false;
  bool attention_bias = false;  // q/k/v bias (Qwen2: true)
  bool mlp_bias = false;
  int64_t eos_token_id = -1;
  int64_t bos_token_id = -1;
  std::vector<LayerKind> layer_kinds;  // one per layer
  LinearAttentionConfig linear;        // Qwen3.5 only
  FalconH1Config falcon;               // Falcon-H1 only

  // The ablatable components of layer `layer` (token mixers first, then MLP).
  // REQUIRES: 0 <= layer < num_layers.
  std::vector<v1::Component> ComponentsOf(int64_t layer) const;
  bool HasComponent(int64_t layer, v1::Component c) const;
  // Indices of the layers that have component `c`, ascending. LAYER: all.
  std::vector<int64_t> LayersWith(v1::Component c) const;
};

// Parses config.json content. `what` names the source in errors.
// InvalidArgument on unknown model_type or missing/ill-typed fields, naming the
// field (never echoing its value: configs may come from files the caller cannot
// read), on num_hidden_layers over limits.max_layers_per_model (checked before
// any per-layer vector is built), and on a layer_types list whose length is not
// num_hidden_layers.
absl::StatusOr<ModelConfig> ParseModelConfig(const nlohmann::json& j, absl::string_view what,
                                             const RequestLimits& limits = RequestLimits());

// Reads <dir>/config.json (Infinity/NaN accepted; ResourceExhausted over
// limits.max_config_bytes, checked before reading) and parses it.
absl::StatusOr<ModelConfig> LoadModelConfig(const std::string& dir, const RequestLimits& limits = RequestLimits());

// "attention", "linear_attention", "ssm", "mlp", "layer".
absl::string_view ComponentName(v1::Component c);
// Accepts the names above plus aliases "mamba" (= ssm), "gdn"/"deltanet" (= linear_attention),
// "attn", "ffn"; InvalidArgument otherwise.
absl::StatusOr<v1::Component> ParseComponent(absl::string_view name);

}  // namespace ablate

#endif  // ABLATE_COMMON_MODEL_CONFIG_H_
