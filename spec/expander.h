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
#include "absl/time/time.h"
#include "common/model_config.h"
#include "common/path_policy.h"
#include "common/request_limits.h"

namespace ablate::spec {

// Where the expander gets each model's layer layout.
class LayoutSource {
 public:
  virtual ~LayoutSource() = default;
  // NotFound / InvalidArgument (naming the model) if the layout cannot be read.
  virtual absl::StatusOr<ModelConfig> Get(const v1::ModelSpec& model) = 0;
};

// Reads <model.path>/config.json through LoadModelConfig, caching per path.
// With a restricted `paths` policy, a path outside it is PermissionDenied
// before anything is opened (the message does not say whether it exists).
class ConfigLayoutSource : public LayoutSource {
 public:
  ConfigLayoutSource() = default;
  ConfigLayoutSource(RequestLimits limits, PathPolicy paths) : limits_(limits), paths_(std::move(paths)) {}

  absl::StatusOr<ModelConfig> Get(const v1::ModelSpec& model) override;

 private:
  RequestLimits limits_;
  PathPolicy paths_;
  std::map<std::string, ModelConfig> cache_;
};

// How an expansion is bounded. Everything proportional to the grid is checked
// against `limits` from the spec's structure and the layouts' layer counts
// BEFORE any condition or job is built (count first, then expand).
struct ExpandOptions {
  RequestLimits limits;                          // defaults as the coordinator's
  absl::Time deadline = absl::InfiniteFuture();  // DeadlineExceeded past it
  std::function<bool()> cancelled;               // if set and true: Cancelled
};

struct Expansion {
  std::vector<v1::JobSpec> jobs;           // in expansion order (JobSpec.index = position)
  std::vector<v1::ExpansionCount> counts;  // per (model, kind)
};

// Validates the spec against the layouts and expands it. InvalidArgument with a
// message naming the offending field (e.g. "ablations[2].layer_sweep.component:
// model 'qwen2.5' has no linear_attention layers") for bad specs, an empty grid,
// a grid larger than execution.max_jobs, or anything over options.limits (the
// message names the limit); Cancelled / DeadlineExceeded when stopped.
absl::StatusOr<Expansion> ExpandSweep(const v1::SweepSpec& spec, LayoutSource& layouts,
                                      const ExpandOptions& options = ExpandOptions());

// Counts only, from the spec's structure and the layouts: no condition, draw
// or JobSpec is built, so its cost does not grow with trials or jobs. Same
// validation, except the label-uniqueness check that needs the labels. For
// `ablate expand` and for rejecting over-large grids cheaply.
absl::StatusOr<std::vector<v1::ExpansionCount>> CountSweep(const v1::SweepSpec& spec, LayoutSource& layouts,
                                                           const ExpandOptions& options = ExpandOptions());

// Layout-free limits of a spec: spec bytes, name / path lengths, number of
// models, evaluations, ablations and seeds, trials per ablation. The first
// problem, naming the field and the limit; OK otherwise. ExpandSweep,
// CountSweep and StreamSweep call it first.
absl::Status CheckSpecLimits(const v1::SweepSpec& spec, const RequestLimits& limits);

// The jobs of ExpandSweep, in the same order, streamed to `sink` without
// materialising them (for large grids: ~2 GB for 10^6 jobs of 36 targets each
// when materialised). The whole spec is validated before the first job is
// emitted. `sink` gets a reference that is valid only during the call (one
// JobSpec object is reused); a non-OK status from `sink` stops the expansion
// and is returned. Returns the counts, as CountSweep.
absl::StatusOr<std::vector<v1::ExpansionCount>> StreamSweep(const v1::SweepSpec& spec, LayoutSource& layouts,
                                                            const std::function<absl::Status(const v1::JobSpec&)>& sink,
                                                            const ExpandOptions& options = ExpandOptions());

}  // namespace ablate::spec

#endif  // ABLATE_SPEC_EXPANDER_H_
