// layout_sources.cc: override and in-memory layout sources (see layout_sources.h).
#include "spec/layout_sources.h"

#include "absl/strings/str_cat.h"
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
  if (it == by_name_.end())
    return absl::NotFoundError(absl::StrCat("no layout given for model '", model.name(), "'"));
  return it->second;
}

absl::StatusOr<std::pair<std::string, std::string>> ParseLayoutOverride(absl::string_view text) {
  const size_t eq = text.find('=');
  if (eq == absl::string_view::npos || eq == 0 || eq + 1 == text.size())
    return absl::InvalidArgumentError(
        absl::StrCat("--layout '", text, "': expected MODEL=DIR (a model name of the spec and a directory with config.json)"));
  return std::make_pair(std::string(text.substr(0, eq)), std::string(text.substr(eq + 1)));
}

}  // namespace ablate::spec
