// layout_sources.cc: override and in-memory layout sources (see layout_sources.h).
#include "spec/layout_sources.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "common/lenient_json.h"
#include "common/status_macros.h"

namespace ablate::spec {

absl::StatusOr<ModelConfig> OverrideLayoutSource::Get(const v1::ModelSpec& model) {
  auto dir = dirs_.find(model.name());
  if (dir == dirs_.end()) {
    if (fallback_ == nullptr)
      return absl::NotFoundError(absl::StrCat("no layout given for model '", model.name(), "'"));
    return fallback_->Get(model);
  }
  auto it = cache_.find(dir->second);
  if (it != cache_.end()) return it->second;
  ASSIGN_OR_RETURN(ModelConfig cfg, LoadModelConfig(dir->second));
  cache_.emplace(dir->second, cfg);
  return cfg;
}

absl::StatusOr<ModelConfig> FixedLayoutSource::Get(const v1::ModelSpec& model) {
  auto it = by_name_.find(model.name());
  if (it != by_name_.end()) return it->second;
  if (fallback_ != nullptr) return fallback_->Get(model);
  return absl::NotFoundError(absl::StrCat("no layout given for model '", model.name(), "'"));
}

absl::StatusOr<std::map<std::string, ModelConfig>> ParseSentLayouts(
    const v1::SweepSpec& spec, const google::protobuf::RepeatedPtrField<v1::ModelLayout>& layouts,
    const RequestLimits& limits) {
  RETURN_IF_ERROR(CheckCount("model_layouts", layouts.size(), limits.max_models, "max-models"));
  std::set<std::string> names;
  for (const v1::ModelSpec& m : spec.models()) names.insert(m.name());
  std::map<std::string, ModelConfig> out;
  for (int i = 0; i < layouts.size(); ++i) {
    const v1::ModelLayout& l = layouts[i];
    const std::string where = absl::StrCat("model_layouts[", i, "] ('", l.model(), "')");
    if (names.count(l.model()) == 0) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": the spec has no such model"));
    }
    if (out.count(l.model()) != 0) {
      return absl::InvalidArgumentError(absl::StrCat(where, ": given twice"));
    }
    const std::string what = absl::StrCat(where, " config.json");
    RETURN_IF_ERROR(
        CheckBytes(what, static_cast<int64_t>(l.config_json().size()), limits.max_config_bytes, "max-config-bytes"));
    ASSIGN_OR_RETURN(nlohmann::json j, ParseLenientJson(l.config_json(), what));
    ASSIGN_OR_RETURN(ModelConfig cfg, ParseModelConfig(j, what, limits));
    out.emplace(l.model(), std::move(cfg));
  }
  return out;
}

absl::StatusOr<std::pair<std::string, std::string>> ParseLayoutOverride(absl::string_view text) {
  const size_t eq = text.find('=');
  if (eq == absl::string_view::npos || eq == 0 || eq + 1 == text.size())
    return absl::InvalidArgumentError(absl::StrCat(
        "--layout '", text, "': expected MODEL=DIR (a model name of the spec and a directory with config.json)"));
  return std::make_pair(std::string(text.substr(0, eq)), std::string(text.substr(eq + 1)));
}

}  // namespace ablate::spec
