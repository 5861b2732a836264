// hf_config.cc: HF config.json templates (key order and defaults of
// transformers' Qwen2Config, Qwen3_5TextConfig, FalconH1Config to_dict()).
#include "worker/train/hf_config.h"

#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"

namespace ablate::train {
namespace {

using ojson = nlohmann::ordered_json;

ojson Qwen2Template() {
  return ojson{{"architectures", {"Qwen2ForCausalLM"}},
               {"model_type", "qwen2"},
               {"dtype", "float32"},
               {"transformers_version", "5.3.0"},
               {"vocab_size", 151936},
               {"hidden_size", 4096},
               {"intermediate_size", 22016},
               {"num_hidden_layers", 32},
               {"num_attention_heads", 32},
               {"num_key_value_heads", 32},
               {"hidden_act", "silu"},
               {"max_position_embeddings", 32768},
               {"initializer_range", 0.02},
               {"rms_norm_eps", 1e-06},
               {"use_cache", true},
               {"tie_word_embeddings", false},
               {"rope_parameters", {{"rope_theta", 10000.0}, {"rope_type", "default"}}},
               {"use_sliding_window", false},
               {"sliding_window", nullptr},
               {"max_window_layers", nullptr},
               {"layer_types", nullptr},
               {"attention_dropout", 0.0},
               {"pad_token_id", nullptr},
               {"bos_token_id", nullptr},
               {"eos_token_id", nullptr}};
}

ojson Qwen35Template() {
  return ojson{{"architectures", {"Qwen3_5ForCausalLM"}},
               {"model_type", "qwen3_5_text"},
               {"dtype", "float32"},
               {"transformers_version", "5.3.0"},
               {"vocab_size", 248320},
               {"hidden_size", 4096},
               {"intermediate_size", 12288},
               {"num_hidden_layers", 32},
               {"num_attention_heads", 16},
               {"num_key_value_heads", 4},
               {"hidden_act", "silu"},
               {"max_position_embeddings", 32768},
               {"initializer_range", 0.02},
               {"rms_norm_eps", 1e-06},
               {"use_cache", true},
               {"tie_word_embeddings", false},
               {"rope_parameters",
                {{"rope_type", "default"},
                 {"rope_theta", 10000000.0},
                 {"partial_rotary_factor", 0.25},
                 {"mrope_section", {11, 11, 10}},
                 {"mrope_interleaved", true}}},
               {"attention_bias", false},
               {"attention_dropout", 0.0},
               {"head_dim", 256},
               {"linear_conv_kernel_dim", 4},
               {"linear_key_head_dim", 128},
               {"linear_value_head_dim", 128},
               {"linear_num_key_heads", 16},
               {"linear_num_value_heads", 32},
               {"layer_types", nullptr},
               {"pad_token_id", nullptr},
               {"bos_token_id", nullptr},
               {"eos_token_id", nullptr}};
}

ojson FalconH1Template() {
  return ojson{{"architectures", {"FalconH1ForCausalLM"}},
               {"model_type", "falcon_h1"},
               {"dtype", "float32"},
               {"transformers_version", "5.3.0"},
               {"vocab_size", 128000},
               {"tie_word_embeddings", false},
               {"hidden_size", 4096},
               {"intermediate_size", 14336},
               {"num_hidden_layers", 32},
               {"num_attention_heads", 32},
               {"num_key_value_heads", 8},
               {"head_dim", nullptr},
               {"hidden_act", "silu"},
               {"initializer_range", 0.02},
               {"rms_norm_eps", 1e-05},
               {"use_cache", true},
               {"num_logits_to_keep", 1},
               {"pad_token_id", 0},
               {"bos_token_id", 1},
               {"eos_token_id", 2},
               {"max_position_embeddings", 8192},
               {"attention_dropout", 0.0},
               {"mamba_d_ssm", nullptr},
               {"mamba_n_heads", 128},
               {"mamba_d_head", "auto"},
               {"mamba_n_groups", 1},
               {"mamba_d_state", 256},
               {"mamba_d_conv", 4},
               {"mamba_expand", 2},
               {"mamba_chunk_size", 256},
               {"mamba_conv_bias", true},
               {"mamba_proj_bias", false},
               {"mamba_norm_before_gate", true},
               {"mamba_rms_norm", false},
               {"time_step_min", 0.001},
               {"time_step_max", 0.1},
               {"time_step_limit", {0.0, std::numeric_limits<double>::infinity()}},
               {"projectors_bias", false},
               {"rope_parameters", {{"rope_theta", 100000.0}, {"rope_type", "default"}}},
               {"attention_bias", false},
               {"mlp_bias", false},
               {"lm_head_multiplier", 1.0},
               {"embedding_multiplier", 1.0},
               {"mlp_multipliers", nullptr},
               {"key_multiplier", nullptr},
               {"attention_in_multiplier", nullptr},
               {"attention_out_multiplier", nullptr},
               {"ssm_multipliers", nullptr},
               {"ssm_in_multiplier", nullptr},
               {"ssm_out_multiplier", nullptr}};
}

bool SameKind(const nlohmann::json& a, const ojson& b) {
  if (b.is_null() || a.is_null()) return true;  // HF's None defaults accept a value
  if (a.is_number() && b.is_number()) return true;
  if (b.is_string() && b == "auto") return true;
  return a.type() == b.type();
}

int64_t Int(const ojson& j, const char* key) { return j[key].get<int64_t>(); }

}  // namespace

const char* SupportedTrainModelTypes() { return "qwen2, qwen3_5_text, falcon_h1"; }

absl::StatusOr<ojson> MakeHfConfig(const nlohmann::json& values, absl::string_view what) {
  if (!values.is_object())
    return absl::InvalidArgumentError(absl::StrCat(what, ": expected a map of config.json keys"));
  if (!values.contains("model_type") || !values["model_type"].is_string())
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": missing string field 'model_type' (one of ", SupportedTrainModelTypes(), ")"));
  const std::string type = values["model_type"];
  ojson cfg;
  if (type == "qwen2") {
    cfg = Qwen2Template();
  } else if (type == "qwen3_5_text") {
    cfg = Qwen35Template();
  } else if (type == "falcon_h1") {
    cfg = FalconH1Template();
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ".model_type: unsupported '", type, "' (supported: ", SupportedTrainModelTypes(), ")"));
  }
  for (const auto& [key, v] : values.items()) {
    if (!cfg.contains(key))
      return absl::InvalidArgumentError(absl::StrCat(what, ".", key, ": not a config.json key of model_type ", type));
    if (key == "rope_parameters" && v.is_object()) {
      for (const auto& [rk, rv] : v.items()) cfg[key][rk] = rv;
      continue;
    }
    if (!SameKind(v, cfg[key]))
      return absl::InvalidArgumentError(
          absl::StrCat(what, ".", key, ": expected a value like ", cfg[key].dump(), ", got ", v.dump()));
    cfg[key] = v;
  }
  for (const char* k : {"hidden_size", "num_hidden_layers", "num_attention_heads", "vocab_size"}) {
    if (!cfg[k].is_number_integer() || cfg[k].get<int64_t>() <= 0)
      return absl::InvalidArgumentError(absl::StrCat(what, ".", k, ": must be a positive integer"));
  }
  const int64_t layers = Int(cfg, "num_hidden_layers");
  if (type == "qwen2") {
    if (cfg["max_window_layers"].is_null()) cfg["max_window_layers"] = layers;
    if (cfg["layer_types"].is_null()) cfg["layer_types"] = ojson(std::vector<std::string>(layers, "full_attention"));
  } else if (type == "qwen3_5_text") {
    if (cfg["layer_types"].is_null()) {
      ojson kinds = ojson::array();
      for (int64_t i = 0; i < layers; ++i) kinds.push_back((i + 1) % 4 == 0 ? "full_attention" : "linear_attention");
      cfg["layer_types"] = kinds;
    }
  } else {  // falcon_h1
    if (cfg["head_dim"].is_null()) cfg["head_dim"] = Int(cfg, "hidden_size") / Int(cfg, "num_attention_heads");
    if (cfg["mamba_d_ssm"].is_null()) cfg["mamba_d_ssm"] = Int(cfg, "mamba_expand") * Int(cfg, "hidden_size");
    if (cfg["mamba_d_head"] == "auto") {
      const int64_t heads = Int(cfg, "mamba_n_heads"), d_ssm = Int(cfg, "mamba_d_ssm");
      if (heads <= 0 || d_ssm % heads != 0)
        return absl::InvalidArgumentError(
            absl::StrCat(what, ".mamba_n_heads: must divide mamba_d_ssm (", d_ssm, "), got ", heads));
      cfg["mamba_d_head"] = d_ssm / heads;
    }
    if (cfg["mlp_multipliers"].is_null()) cfg["mlp_multipliers"] = {1.0, 1.0};
    if (cfg["ssm_multipliers"].is_null()) cfg["ssm_multipliers"] = {1.0, 1.0, 1.0, 1.0, 1.0};
    for (const char* k : {"key_multiplier", "attention_in_multiplier", "attention_out_multiplier", "ssm_in_multiplier",
                          "ssm_out_multiplier"}) {
      if (cfg[k].is_null()) cfg[k] = 1.0;
    }
  }
  if (cfg.contains("layer_types") && cfg["layer_types"].size() != static_cast<size_t>(layers))
    return absl::InvalidArgumentError(
        absl::StrCat(what, ".layer_types: has ", cfg["layer_types"].size(), " entries, num_hidden_layers is ", layers));
  return cfg;
}

}  // namespace ablate::train
