// mamba2_stack.cc: TEST ONLY family (see mamba2_stack.h). config.json keys and
// weight names follow Hugging Face's Mamba2 (Mamba2ForCausalLM):
// backbone.embeddings, backbone.layers.N.norm, backbone.layers.N.mixer.{in_proj,
// conv1d, dt_bias, A_log, D, norm, out_proj}, backbone.norm_f, lm_head. It is
// not checked against Hugging Face outputs: it shows the seams, not a port.
#include "tests/families/mamba2_stack.h"

#include <any>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/request_limits.h"
#include "common/status_macros.h"
#include "worker/models/blocks/mamba2.h"

namespace ablate::models::test_families {
namespace {

// Reads typed fields of one JSON object; errors name the field, never its value.
class Reader {
 public:
  Reader(const nlohmann::json& j, absl::string_view what) : j_(j), what_(what) {}

  absl::StatusOr<int64_t> Int(const char* key, std::optional<int64_t> def = std::nullopt) const {
    if (!Has(key)) {
      if (def) return *def;
      return absl::InvalidArgumentError(absl::StrCat(what_, ": missing required field '", key, "'"));
    }
    if (!j_.at(key).is_number_integer()) return Bad(key, "an integer");
    return j_.at(key).get<int64_t>();
  }
  absl::StatusOr<int64_t> Positive(const char* key, std::optional<int64_t> def = std::nullopt) const {
    ASSIGN_OR_RETURN(int64_t v, Int(key, def));
    if (v <= 0) return Bad(key, "positive");
    return v;
  }
  absl::StatusOr<double> Double(const char* key, double def) const {
    if (!Has(key)) return def;
    if (!j_.at(key).is_number()) return Bad(key, "a number");
    return j_.at(key).get<double>();
  }
  absl::StatusOr<bool> Bool(const char* key, bool def) const {
    if (!Has(key)) return def;
    if (!j_.at(key).is_boolean()) return Bad(key, "a boolean");
    return j_.at(key).get<bool>();
  }
  absl::Status Bad(const char* key, absl::string_view expected) const {
    return absl::InvalidArgumentError(absl::StrCat(what_, ": field '", key, "' must be ", expected));
  }
  bool Has(const char* key) const { return j_.contains(key) && !j_.at(key).is_null(); }

 private:
  const nlohmann::json& j_;
  std::string what_;
};

absl::StatusOr<ModelConfig> ParseMamba2StackConfig(const nlohmann::json& j, absl::string_view what,
                                                   const RequestLimits& limits) {
  if (!j.is_object()) return absl::InvalidArgumentError(absl::StrCat(what, ": not a JSON object"));
  const Reader r(j, what);
  ModelConfig c;
  c.model_type = kMamba2StackModelType;
  c.weight_prefix = "backbone.";
  ASSIGN_OR_RETURN(c.num_layers, r.Positive("num_hidden_layers"));
  // Before anything per layer is built.
  RETURN_IF_ERROR(CheckCount(absl::StrCat(what, ": num_hidden_layers"), c.num_layers, limits.max_layers_per_model,
                             "max-layers-per-model"));
  ASSIGN_OR_RETURN(c.vocab_size, r.Positive("vocab_size"));
  ASSIGN_OR_RETURN(c.hidden_size, r.Positive("hidden_size"));
  ASSIGN_OR_RETURN(c.rms_norm_eps, r.Double("layer_norm_epsilon", 1e-5));
  ASSIGN_OR_RETURN(c.initializer_range, r.Double("initializer_range", 0.1));
  ASSIGN_OR_RETURN(c.tie_word_embeddings, r.Bool("tie_word_embeddings", false));

  Mamba2Options m{.hidden = c.hidden_size, .norm_before_gate = false, .norm_eps = c.rms_norm_eps};
  ASSIGN_OR_RETURN(m.n_heads, r.Positive("num_heads"));
  ASSIGN_OR_RETURN(m.head_dim, r.Positive("head_dim"));
  ASSIGN_OR_RETURN(double expand, r.Double("expand", 2.0));
  m.d_ssm = m.n_heads * m.head_dim;
  if (m.d_ssm != static_cast<int64_t>(expand * c.hidden_size))
    return r.Bad("head_dim", "expand * hidden_size / num_heads");
  ASSIGN_OR_RETURN(m.n_groups, r.Positive("n_groups", 1));
  if (m.n_heads % m.n_groups != 0) return r.Bad("n_groups", "a divisor of num_heads");
  ASSIGN_OR_RETURN(m.d_state, r.Positive("state_size", 128));
  ASSIGN_OR_RETURN(m.conv_kernel, r.Positive("conv_kernel", 4));
  ASSIGN_OR_RETURN(m.chunk_size, r.Positive("chunk_size", 256));
  ASSIGN_OR_RETURN(m.conv_bias, r.Bool("use_conv_bias", true));
  ASSIGN_OR_RETURN(m.proj_bias, r.Bool("use_bias", false));
  m.out_bias = m.proj_bias;
  if (r.Has("time_step_limit")) {
    const auto& v = j.at("time_step_limit");
    if (!v.is_array() || v.size() != 2 || !v[0].is_number() || !v[1].is_number())
      return r.Bad("time_step_limit", "an array of 2 numbers");
    m.dt_min = v[0].get<double>();
    m.dt_max = v[1].get<double>();
  }
  // The layout the coordinator and plans see: one ablatable component per layer.
  c.layer_components.assign(c.num_layers, {v1::SSM});
  c.family_settings = m;
  return c;
}

absl::StatusOr<DecoderSpec> BuildMamba2StackSpec(const ModelConfig& c) {
  const auto* m = std::any_cast<Mamba2Options>(&c.family_settings);
  if (m == nullptr) return absl::InvalidArgumentError("config: not parsed by the Mamba-2 stack family");
  DecoderSpec s;
  s.vocab = c.vocab_size;
  s.hidden = c.hidden_size;
  s.tie_embeddings = c.tie_word_embeddings;
  s.embedding_name = "embeddings";
  s.final_norm = {.dim = c.hidden_size, .eps = c.rms_norm_eps};
  s.final_norm_name = "norm_f";
  s.initializer_range = c.initializer_range;
  for (int64_t i = 0; i < c.num_layers; ++i) {
    DecoderLayerSpec l;
    l.input_norm_name = "norm";
    l.norm = s.final_norm;
    l.has_mlp = false;
    l.mixers.push_back({"mixer", v1::SSM, std::make_shared<Mamba2Impl>(*m)});
    s.layers.push_back(std::move(l));
  }
  return s;
}

}  // namespace

FamilyTraits Mamba2StackFamily() {
  return {.model_types = {kMamba2StackModelType}, .parse = &ParseMamba2StackConfig, .build = &BuildMamba2StackSpec};
}

}  // namespace ablate::models::test_families
