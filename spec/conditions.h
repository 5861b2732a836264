// conditions.h: one ablation entry of a sweep, applied to one model's layout,
// becomes a list of conditions with explicit targets (the per-kind rules of
// docs/spec.md: modes, thirds, draws, labels). ExpandSweep crosses them with
// evaluations and seeds.
//
// Invariants: targets within a condition are sorted by (layer, component enum);
// the same inputs give the same conditions (random draws use spec/rng.h).
// Errors are InvalidArgument naming the spec field, e.g.
// "ablations[2].layer_sweep.component: model 'qwen2.5' has no linear_attention layers".
// Thread-safety: pure functions of their arguments.
//
//   ASSIGN_OR_RETURN(int64_t n, CountConditions(spec, /*ablation=*/2, /*model=*/0, cfg));
//   RETURN_IF_ERROR(AppendConditions(spec, 2, 0, cfg, &conditions));
#ifndef ABLATE_SPEC_CONDITIONS_H_
#define ABLATE_SPEC_CONDITIONS_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "ablate/v1/job.pb.h"
#include "ablate/v1/spec.pb.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/model_config.h"

namespace ablate::spec {

// The mode a target of `component` on `layer` gets, resolved as documented:
// ablation.mode, else model.default_mode, else mode_defaults[family], else the
// built-in family default (skip_layer for qwen2/qwen3_5, zero for falcon_h1).
// Component layer is always skip_layer. A skip_layer that would remove more than
// the component (an mlp, or one branch of a parallel layer) becomes zero when it
// comes from the built-in default and is an error naming the field otherwise.
// REQUIRES: spec passed ValidateSweepSpec; indices in range.
absl::StatusOr<v1::Target> ResolveTarget(const v1::SweepSpec& spec, int ablation_index, int model_index,
                                         const ModelConfig& config, int layer, v1::Component component);

// How many conditions ablations[ablation_index] yields on models[model_index]
// (0 when the entry is restricted to other models or skipped by skip_missing).
// Checks the layout-dependent rules that decide the count (component present,
// counts vs pool sizes, ranges); cheap: no targets, no draws (memory and time
// proportional to the model's layers, not to trials). `targets`, if not null,
// gets the total number of targets of those conditions.
// REQUIRES: spec passed ValidateSweepSpec and ApplyDefaults.
absl::StatusOr<int64_t> CountConditions(const v1::SweepSpec& spec, int ablation_index, int model_index,
                                        const ModelConfig& config, int64_t* targets = nullptr);

// Appends those conditions, with labels and explicit targets, to `out`.
// `check`, if set, is called every few hundred trials of random and
// progressive ablations; a non-OK status (a cancelled or timed-out expansion)
// stops the expansion and is returned.
// REQUIRES: as CountConditions.
absl::Status AppendConditions(const v1::SweepSpec& spec, int ablation_index, int model_index, const ModelConfig& config,
                              std::vector<v1::Condition>* out, const std::function<absl::Status()>& check = nullptr);

// The positional thirds of n items: sizes n/3 each, the first n%3 parts one more
// (numpy.array_split): {start, end} index pairs for early, middle, late.
std::vector<std::pair<int, int>> Thirds(int n);

}  // namespace ablate::spec

#endif  // ABLATE_SPEC_CONDITIONS_H_
