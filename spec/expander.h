// expander.h: grid expansion. A SweepSpec becomes the ordered list of jobs
// (models x ablation conditions x evaluations x seeds), each holding its
// concrete, explicit target list so any result can be reproduced without the
// spec. Deterministic: the same spec and layouts give the same jobs, with the
// same random draws, on every machine.
//
//   ConfigLayoutSource layouts;  // reads <model.path>/config.json
//   ASSIGN_OR_RETURN(Expansion e, ExpandSweep(spec, layouts));
#ifndef ABLATE_SPEC_EXPANDER_H_
#define ABLATE_SPEC_EXPANDER_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ablate/v1/coordinator.pb.h"
#include "ablate/v1/job.pb.h"
#include "ablate/v1/spec.pb.h"
#include "absl/status/statusor.h"
#include "common/model_config.h"

namespace ablate::spec {

// Where the expander gets each model's layer layout.
class LayoutSource {
 public:
  virtual ~LayoutSource() = default;
  // NotFound / InvalidArgument (naming the model) if the layout cannot be read.
  virtual absl::StatusOr<ModelConfig> Get(const v1::ModelSpec& model) = 0;
};

// Reads <model.path>/config.json through LoadModelConfig, caching per path.
class ConfigLayoutSource : public LayoutSource {
 public:
  absl::StatusOr<ModelConfig> Get(const v1::ModelSpec& model) override;

 private:
  std::map<std::string, ModelConfig> cache_;
};

struct Expansion {
  std::vector<v1::JobSpec> jobs;             // in expansion order (JobSpec.index = position)
  std::vector<v1::ExpansionCount> counts;    // per (model, kind)
};

// Validates the spec against the layouts and expands it. InvalidArgument with a
// message naming the offending field (e.g. "ablations[2].layer_sweep.component:
// model 'qwen2.5' has no linear_attention layers") for bad specs, an empty grid,
// or a grid larger than execution.max_jobs.
absl::StatusOr<Expansion> ExpandSweep(const v1::SweepSpec& spec, LayoutSource& layouts);

// Counts only (no JobSpec materialised); same validation. For `ablate expand` and
// for rejecting over-large grids cheaply.
absl::StatusOr<std::vector<v1::ExpansionCount>> CountSweep(const v1::SweepSpec& spec,
                                                           LayoutSource& layouts);

// The jobs of ExpandSweep, in the same order, streamed to `sink` without
// materialising them (for large grids: ~2 GB for 10^6 jobs of 36 targets each
// when materialised). The whole spec is validated before the first job is
// emitted. `sink` gets a reference that is valid only during the call (one
// JobSpec object is reused); a non-OK status from `sink` stops the expansion
// and is returned. Returns the counts, as CountSweep.
absl::StatusOr<std::vector<v1::ExpansionCount>> StreamSweep(
    const v1::SweepSpec& spec, LayoutSource& layouts,
    const std::function<absl::Status(const v1::JobSpec&)>& sink);

}  // namespace ablate::spec

#endif  // ABLATE_SPEC_EXPANDER_H_
