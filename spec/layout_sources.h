// layout_sources.h: LayoutSource implementations besides ConfigLayoutSource.
//
//   OverrideLayoutSource: reads config.json from a directory given per model
//     name (`ablate expand --layout qwen35=spec/testdata/qwen3.5-0.8b`), and
//     falls back to another source for the other models. Lets a spec written for
//     checkpoints on another machine be expanded here.
//   FixedLayoutSource: layouts given in memory, per model name (benchmarks,
//     programmatic sweeps over synthetic layouts, layouts a client sent with
//     its SubmitSweep), optionally falling back to another source.
//
// Thread-safety: not thread-safe (caches); use one per expansion thread.
//
//   ConfigLayoutSource from_paths;
//   OverrideLayoutSource layouts({{"qwen35", "spec/testdata/qwen3.5-0.8b"}}, &from_paths);
//   ASSIGN_OR_RETURN(Expansion e, ExpandSweep(spec, layouts));
#ifndef ABLATE_SPEC_LAYOUT_SOURCES_H_
#define ABLATE_SPEC_LAYOUT_SOURCES_H_

#include <map>
#include <string>

#include "ablate/v1/coordinator.pb.h"
#include "spec/expander.h"

namespace ablate::spec {

class OverrideLayoutSource : public LayoutSource {
 public:
  // `dirs`: model name -> directory holding config.json. `fallback` (not owned,
  // may be null: then models without an override are NotFound) serves the rest.
  OverrideLayoutSource(std::map<std::string, std::string> dirs, LayoutSource* fallback)
      : dirs_(std::move(dirs)), fallback_(fallback) {}

  absl::StatusOr<ModelConfig> Get(const v1::ModelSpec& model) override;

 private:
  std::map<std::string, std::string> dirs_;
  LayoutSource* fallback_;
  std::map<std::string, ModelConfig> cache_;  // by directory
};

class FixedLayoutSource : public LayoutSource {
 public:
  // `fallback` (not owned, may be null) serves the models not in `by_name`.
  explicit FixedLayoutSource(std::map<std::string, ModelConfig> by_name, LayoutSource* fallback = nullptr)
      : by_name_(std::move(by_name)), fallback_(fallback) {}

  // NotFound naming the model when it has no layout (and there is no fallback).
  absl::StatusOr<ModelConfig> Get(const v1::ModelSpec& model) override;

 private:
  std::map<std::string, ModelConfig> by_name_;
  LayoutSource* fallback_;
};

// Parses the layouts a client sent (SubmitSweepRequest.model_layouts: each
// model's config.json text) into FixedLayoutSource's map. InvalidArgument
// naming the entry for a model the spec does not have, a model given twice,
// or a config.json that does not parse.
// Each config.json is held to limits.max_config_bytes before it is parsed and
// to limits.max_layers_per_model before its layers are built.
absl::StatusOr<std::map<std::string, ModelConfig>> ParseSentLayouts(
    const v1::SweepSpec& spec, const google::protobuf::RepeatedPtrField<v1::ModelLayout>& layouts,
    const RequestLimits& limits = RequestLimits());

// Parses "NAME=DIR" (the CLI's --layout). InvalidArgument without '=' or with an empty side.
absl::StatusOr<std::pair<std::string, std::string>> ParseLayoutOverride(absl::string_view text);

}  // namespace ablate::spec

#endif  // ABLATE_SPEC_LAYOUT_SOURCES_H_
