// model_config.cc: config.json -> ModelConfig (see header).
#include "common/model_config.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "common/families.h"
#include "common/lenient_json.h"
#include "common/status_macros.h"

namespace ablate {
namespace {

using v1::Component;

// Small typed accessors that name the offending field in every error.
class Fields {
 public:
  Fields(const nlohmann::json& j, absl::string_view what) : j_(j), what_(what) {}

  bool Has(const char* key) const { return j_.contains(key) && !j_.at(key).is_null(); }

  absl::StatusOr<int64_t> Int(const char* key) const {
    if (!Has(key)) return Missing(key);
    const auto& v = j_.at(key);
    if (!v.is_number_integer()) return Bad(key, "an integer");
    return v.get<int64_t>();
  }
  absl::StatusOr<int64_t> Int(const char* key, int64_t def) const {
    if (!Has(key)) return def;
    return Int(key);
  }
  absl::StatusOr<double> Double(const char* key, double def) const {
    if (!Has(key)) return def;
    const auto& v = j_.at(key);
    if (!v.is_number()) return Bad(key, "a number");
    return v.get<double>();
  }
  absl::StatusOr<bool> Bool(const char* key, bool def) const {
    if (!Has(key)) return def;
    const auto& v = j_.at(key);
    if (!v.is_boolean()) return Bad(key, "a boolean");
    return v.get<bool>();
  }
  template <size_t N>
  absl::Status DoubleArray(const char* key, std::array<double, N>* out) const {
    if (!Has(key)) return absl::OkStatus();
    const auto& v = j_.at(key);
    if (!v.is_array() || v.size() != N) return Bad(key, absl::StrCat("an array of ", N, " numbers"));
    for (size_t i = 0; i < N; ++i) {
      if (!v[i].is_number()) return Bad(key, absl::StrCat("an array of ", N, " numbers"));
      (*out)[i] = v[i].get<double>();
    }
    return absl::OkStatus();
  }
  // eos/bos may be an int or a list of ints; take the first.
  int64_t FirstId(const char* key) const {
    if (!Has(key)) return -1;
    const auto& v = j_.at(key);
    if (v.is_number_integer()) return v.get<int64_t>();
    if (v.is_array() && !v.empty() && v[0].is_number_integer()) return v[0].get<int64_t>();
    return -1;
  }

  const std::string& what() const { return what_; }

  absl::Status Missing(const char* key) const {
    return absl::InvalidArgumentError(absl::StrCat(what_, ": missing required field '", key, "'"));
  }
  // Says what was found by JSON type only: the value itself is never echoed.
  // The field may be absent (a default that fails a cross-field check).
  absl::Status Bad(const char* key, absl::string_view expected) const {
    return absl::InvalidArgumentError(
        absl::StrCat(what_, ": field '", key, "' must be ", expected, ", got ",
                     Has(key) ? std::string(JsonTypeOf(j_.at(key))) : std::string("its default (absent)")));
  }

 private:
  const nlohmann::json& j_;
  std::string what_;
};

absl::Status ParseCommon(const Fields& f, const RequestLimits& limits, ModelConfig* c) {
  ASSIGN_OR_RETURN(c->vocab_size, f.Int("vocab_size"));
  ASSIGN_OR_RETURN(c->hidden_size, f.Int("hidden_size"));
  ASSIGN_OR_RETURN(c->intermediate_size, f.Int("intermediate_size"));
  ASSIGN_OR_RETURN(c->num_layers, f.Int("num_hidden_layers"));
  ASSIGN_OR_RETURN(c->num_heads, f.Int("num_attention_heads"));
  ASSIGN_OR_RETURN(c->num_kv_heads, f.Int("num_key_value_heads", c->num_heads));
  if (c->num_layers <= 0) return f.Bad("num_hidden_layers", "positive");
  // Before anything per layer is built (layer_kinds, LayersWith, pools).
  RETURN_IF_ERROR(CheckCount(absl::StrCat(f.what(), ": num_hidden_layers"), c->num_layers, limits.max_layers_per_model,
                             "max-layers-per-model"));
  if (c->hidden_size <= 0) return f.Bad("hidden_size", "positive");
  if (c->num_heads <= 0) return f.Bad("num_attention_heads", "positive");
  if (c->num_kv_heads <= 0 || c->num_heads % c->num_kv_heads != 0)
    return f.Bad("num_key_value_heads", "a positive divisor of num_attention_heads");
  ASSIGN_OR_RETURN(c->head_dim, f.Int("head_dim", c->hidden_size / c->num_heads));
  ASSIGN_OR_RETURN(c->rms_norm_eps, f.Double("rms_norm_eps", 1e-6));
  ASSIGN_OR_RETURN(c->initializer_range, f.Double("initializer_range", 0.02));
  ASSIGN_OR_RETURN(c->tie_word_embeddings, f.Bool("tie_word_embeddings", false));
  ASSIGN_OR_RETURN(c->mlp_bias, f.Bool("mlp_bias", false));
  c->eos_token_id = f.FirstId("eos_token_id");
  c->bos_token_id = f.FirstId("bos_token_id");
  return absl::OkStatus();
}

// RoPE: transformers >= 4.5x writes rope_parameters {rope_theta, partial_rotary_factor};
// older configs have them at top level.
absl::Status ParseRope(const nlohmann::json& j, const Fields& f, absl::string_view what, double default_theta,
                       ModelConfig* c) {
  ASSIGN_OR_RETURN(c->rope_theta, f.Double("rope_theta", default_theta));
  ASSIGN_OR_RETURN(c->partial_rotary_factor, f.Double("partial_rotary_factor", c->partial_rotary_factor));
  if (j.contains("rope_parameters") && j.at("rope_parameters").is_object()) {
    Fields rp(j.at("rope_parameters"), absl::StrCat(what, ": rope_parameters"));
    ASSIGN_OR_RETURN(c->rope_theta, rp.Double("rope_theta", c->rope_theta));
    ASSIGN_OR_RETURN(c->partial_rotary_factor, rp.Double("partial_rotary_factor", c->partial_rotary_factor));
  }
  if (j.contains("rope_scaling") && j.at("rope_scaling").is_object()) {
    const auto& rs = j.at("rope_scaling");
    // json::value throws on a present key of another type: read strings only.
    auto str = [&rs](const char* key) -> std::string {
      return rs.contains(key) && rs.at(key).is_string() ? rs.at(key).get<std::string>() : "";
    };
    std::string type = str("rope_type");
    if (type.empty()) type = str("type");
    if (type.empty()) type = "default";
    if (type != "default" && type != "mrope") {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": rope_scaling type is not supported (only default and mrope)"));
    }
  }
  if (c->partial_rotary_factor <= 0 || c->partial_rotary_factor > 1)
    return absl::InvalidArgumentError(absl::StrCat(what, ": partial_rotary_factor must be in (0, 1]"));
  return absl::OkStatus();
}

absl::Status ParseTransformer(const nlohmann::json& j, const Fields& f, absl::string_view what,
                              const RequestLimits& limits, ModelConfig* c) {
  c->family = Family::kTransformer;
  RETURN_IF_ERROR(ParseCommon(f, limits, c));
  RETURN_IF_ERROR(ParseRope(j, f, what, 10000.0, c));
  // Qwen2 always has q/k/v biases; Llama-style configs say so in attention_bias.
  if (c->model_type == "qwen2") {
    c->attention_bias = true;
  } else {
    ASSIGN_OR_RETURN(c->attention_bias, f.Bool("attention_bias", false));
  }
  if (f.Has("use_sliding_window")) {
    ASSIGN_OR_RETURN(bool sliding, f.Bool("use_sliding_window", false));
    if (sliding) return absl::InvalidArgumentError(absl::StrCat(what, ": use_sliding_window=true is not supported"));
  }
  c->layer_kinds.assign(c->num_layers, LayerKind::kFullAttention);
  return absl::OkStatus();
}

absl::Status ParseQwen35(const nlohmann::json& j, const Fields& f, absl::string_view what, const RequestLimits& limits,
                         ModelConfig* c) {
  c->family = Family::kQwen35;
  RETURN_IF_ERROR(ParseCommon(f, limits, c));
  c->partial_rotary_factor = 0.25;
  RETURN_IF_ERROR(ParseRope(j, f, what, 10000.0, c));
  ASSIGN_OR_RETURN(c->attention_bias, f.Bool("attention_bias", false));
  auto& l = c->linear;
  ASSIGN_OR_RETURN(l.conv_kernel, f.Int("linear_conv_kernel_dim", 4));
  ASSIGN_OR_RETURN(l.key_head_dim, f.Int("linear_key_head_dim", 128));
  ASSIGN_OR_RETURN(l.value_head_dim, f.Int("linear_value_head_dim", 128));
  ASSIGN_OR_RETURN(l.num_key_heads, f.Int("linear_num_key_heads", 16));
  ASSIGN_OR_RETURN(l.num_value_heads, f.Int("linear_num_value_heads", 32));
  if (l.num_key_heads <= 0 || l.num_value_heads % l.num_key_heads != 0)
    return f.Bad("linear_num_value_heads", "a multiple of linear_num_key_heads");
  if (f.Has("layer_types")) {
    const auto& lt = j.at("layer_types");
    if (!lt.is_array() || static_cast<int64_t>(lt.size()) != c->num_layers)
      return f.Bad("layer_types", absl::StrCat("an array of num_hidden_layers (", c->num_layers, ") strings"));
    for (const auto& t : lt) {
      const std::string s = t.is_string() ? t.get<std::string>() : "";
      if (s == "linear_attention")
        c->layer_kinds.push_back(LayerKind::kLinearAttention);
      else if (s == "full_attention")
        c->layer_kinds.push_back(LayerKind::kFullAttention);
      else
        return absl::InvalidArgumentError(absl::StrCat(what, ": layer_types entry (", JsonTypeOf(t),
                                                       ") is not 'linear_attention' or 'full_attention'"));
    }
  } else {
    ASSIGN_OR_RETURN(int64_t interval, f.Int("full_attention_interval", 4));
    if (interval <= 0) return f.Bad("full_attention_interval", "positive");
    for (int64_t i = 0; i < c->num_layers; ++i)
      c->layer_kinds.push_back((i + 1) % interval ? LayerKind::kLinearAttention : LayerKind::kFullAttention);
  }
  return absl::OkStatus();
}

absl::Status ParseFalconH1(const nlohmann::json& j, const Fields& f, absl::string_view what,
                           const RequestLimits& limits, ModelConfig* c) {
  c->family = Family::kFalconH1;
  RETURN_IF_ERROR(ParseCommon(f, limits, c));
  RETURN_IF_ERROR(ParseRope(j, f, what, 1e11, c));
  ASSIGN_OR_RETURN(c->attention_bias, f.Bool("attention_bias", false));
  auto& m = c->falcon;
  ASSIGN_OR_RETURN(double expand, f.Double("mamba_expand", 2.0));
  ASSIGN_OR_RETURN(m.d_ssm, f.Int("mamba_d_ssm", static_cast<int64_t>(expand * c->hidden_size)));
  ASSIGN_OR_RETURN(m.n_heads, f.Int("mamba_n_heads", 128));
  if (m.n_heads <= 0) return f.Bad("mamba_n_heads", "positive");
  if (f.Has("mamba_d_head") && j.at("mamba_d_head").is_string()) {
    m.d_head = m.d_ssm / m.n_heads;  // "auto"
  } else {
    ASSIGN_OR_RETURN(m.d_head, f.Int("mamba_d_head", m.d_ssm / m.n_heads));
  }
  if (m.d_head * m.n_heads != m.d_ssm) return f.Bad("mamba_d_head", "mamba_d_ssm / mamba_n_heads");
  ASSIGN_OR_RETURN(m.n_groups, f.Int("mamba_n_groups", 1));
  if (m.n_groups <= 0 || m.n_heads % m.n_groups != 0) return f.Bad("mamba_n_groups", "a divisor of mamba_n_heads");
  ASSIGN_OR_RETURN(m.d_state, f.Int("mamba_d_state", 256));
  ASSIGN_OR_RETURN(m.d_conv, f.Int("mamba_d_conv", 4));
  ASSIGN_OR_RETURN(m.chunk_size, f.Int("mamba_chunk_size", 256));
  ASSIGN_OR_RETURN(m.conv_bias, f.Bool("mamba_conv_bias", true));
  ASSIGN_OR_RETURN(m.proj_bias, f.Bool("mamba_proj_bias", false));
  ASSIGN_OR_RETURN(m.norm_before_gate, f.Bool("mamba_norm_before_gate", true));
  ASSIGN_OR_RETURN(m.rms_norm, f.Bool("mamba_rms_norm", false));
  ASSIGN_OR_RETURN(m.projectors_bias, f.Bool("projectors_bias", false));
  m.time_step_limit = {0.0, std::numeric_limits<double>::infinity()};
  RETURN_IF_ERROR(f.DoubleArray("time_step_limit", &m.time_step_limit));
  ASSIGN_OR_RETURN(m.embedding_multiplier, f.Double("embedding_multiplier", 1.0));
  ASSIGN_OR_RETURN(m.lm_head_multiplier, f.Double("lm_head_multiplier", 1.0));
  ASSIGN_OR_RETURN(m.key_multiplier, f.Double("key_multiplier", 1.0));
  ASSIGN_OR_RETURN(m.attention_in_multiplier, f.Double("attention_in_multiplier", 1.0));
  ASSIGN_OR_RETURN(m.attention_out_multiplier, f.Double("attention_out_multiplier", 1.0));
  ASSIGN_OR_RETURN(m.ssm_in_multiplier, f.Double("ssm_in_multiplier", 1.0));
  ASSIGN_OR_RETURN(m.ssm_out_multiplier, f.Double("ssm_out_multiplier", 1.0));
  RETURN_IF_ERROR(f.DoubleArray("mlp_multipliers", &m.mlp_multipliers));
  RETURN_IF_ERROR(f.DoubleArray("ssm_multipliers", &m.ssm_multipliers));
  c->layer_kinds.assign(c->num_layers, LayerKind::kParallelHybrid);
  return absl::OkStatus();
}

}  // namespace

std::vector<Component> ModelConfig::ComponentsOf(int64_t layer) const {
  switch (layer_kinds.at(layer)) {
    case LayerKind::kFullAttention:
      return {v1::ATTENTION, v1::MLP};
    case LayerKind::kLinearAttention:
      return {v1::LINEAR_ATTENTION, v1::MLP};
    case LayerKind::kParallelHybrid:
      return {v1::SSM, v1::ATTENTION, v1::MLP};
  }
  return {};
}

bool ModelConfig::HasComponent(int64_t layer, Component c) const {
  if (layer < 0 || layer >= num_layers) return false;
  if (c == v1::LAYER) return true;
  const auto comps = ComponentsOf(layer);
  return std::find(comps.begin(), comps.end(), c) != comps.end();
}

std::vector<int64_t> ModelConfig::LayersWith(Component c) const {
  std::vector<int64_t> out;
  for (int64_t i = 0; i < num_layers; ++i)
    if (HasComponent(i, c)) out.push_back(i);
  return out;
}

absl::StatusOr<ModelConfig> ParseModelConfig(const nlohmann::json& root, absl::string_view what,
                                             const RequestLimits& limits) {
  if (!root.is_object()) return absl::InvalidArgumentError(absl::StrCat(what, ": not a JSON object"));
  if (!root.contains("model_type") || !root.at("model_type").is_string())
    return absl::InvalidArgumentError(absl::StrCat(what, ": missing required field 'model_type'"));
  ModelConfig c;
  c.model_type = root.at("model_type").get<std::string>();
  const nlohmann::json* j = &root;
  std::string where(what);
  if (c.model_type == "qwen3_5") {
    if (!root.contains("text_config") || !root.at("text_config").is_object())
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": model_type 'qwen3_5' needs an object field 'text_config'"));
    j = &root.at("text_config");
    where = absl::StrCat(what, ": text_config");
    c.weight_prefix = "model.language_model.";
  }
  absl::StatusOr<Family> family = FamilyOfModelType(c.model_type);
  if (!family.ok()) {
    // Shown only when it looks like a model type name (never arbitrary file bytes).
    const bool plain =
        !c.model_type.empty() && c.model_type.size() <= 64 &&
        std::all_of(c.model_type.begin(), c.model_type.end(), [](char ch) {
          return absl::ascii_isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-' || ch == '.';
        });
    return absl::InvalidArgumentError(absl::StrCat(what, ": unsupported model_type ",
                                                   plain ? absl::StrCat("'", c.model_type, "'") : "(not shown)",
                                                   " (supported: ", ModelTypeList(), ")"));
  }
  Fields f(*j, where);
  absl::Status s;
  switch (*family) {
    case Family::kTransformer:
      s = ParseTransformer(*j, f, where, limits, &c);
      break;
    case Family::kQwen35:
      s = ParseQwen35(*j, f, where, limits, &c);
      // The multimodal config keeps tie_word_embeddings at the top level.
      if (s.ok() && c.model_type == "qwen3_5" && root.contains("tie_word_embeddings") &&
          root.at("tie_word_embeddings").is_boolean())
        c.tie_word_embeddings = root.at("tie_word_embeddings").get<bool>();
      break;
    case Family::kFalconH1:
      s = ParseFalconH1(*j, f, where, limits, &c);
      break;
  }
  if (!s.ok()) return s;
  // Every family: a layer_types list must describe every layer (Qwen3.5 reads
  // it; the others must not silently ignore a contradicting one).
  if (j->contains("layer_types") && !j->at("layer_types").is_null()) {
    const auto& lt = j->at("layer_types");
    if (!lt.is_array() || static_cast<int64_t>(lt.size()) != c.num_layers) {
      return f.Bad("layer_types", absl::StrCat("an array of num_hidden_layers (", c.num_layers, ") strings",
                                               lt.is_array() ? absl::StrCat(", not ", lt.size()) : ""));
    }
  }
  return c;
}

absl::StatusOr<ModelConfig> LoadModelConfig(const std::string& dir, const RequestLimits& limits) {
  const std::string path = dir + "/config.json";
  ASSIGN_OR_RETURN(std::string text, ReadBoundedFile(path, limits.max_config_bytes, "max-config-bytes"));
  ASSIGN_OR_RETURN(nlohmann::json j, ParseLenientJson(text, path));
  return ParseModelConfig(j, path, limits);
}

}  // namespace ablate
