// layout_sources.h: LayoutSource implementations besides ConfigLayoutSource.
//
//   OverrideLayoutSource: reads config.json from a directory given per model
//     name (`ablate expand --layout qwen35=spec/testdata/qwen3.5-0.8b`), and
//     falls back to another source for the other models. Lets a spec written for
//     checkpoints on another machine be expanded here.
//   FixedLayoutSource: layouts given in memory, per model name (benchmarks,
//     programmatic sweeps over synthetic layouts).
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
  explicit FixedLayoutSource(std::map<std::string, ModelConfig> by_name) : by_name_(std::move(by_name)) {}

  // NotFound naming the model when it has no layout.
  absl::StatusOr<ModelConfig> Get(const v1::ModelSpec& model) override;

 private:
  std::map<std::string, ModelConfig> by_name_;
};

// Parses "NAME=DIR" (the CLI's --layout). InvalidArgument without '=' or with an empty side.
absl::StatusOr<std::pair<std::string, std::string>> ParseLayoutOverride(absl::string_view text);

}  // namespace ablate::spec

#endif  // ABLATE_SPEC_LAYOUT_SOURCES_H_
