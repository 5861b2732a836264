// study_summary.h: the results of a sweep as the reference study presents
// them (arXiv 2603.22473): for each evaluation and model, one line per
// ablation condition with the headline metric, its ratio to the model's
// baseline and the drift from it; random trials folded into one line (mean
// and range); then the random-removal resilience of each hybrid relative to
// each transformer in the sweep.
//
// Resilience definition (docs/reference-study.md): for a perplexity
// evaluation and a count k, R(model, k) is the mean perplexity ratio to
// baseline over every random condition of that model that skips exactly k
// whole decoder layers (all targets in skip_layer mode). The resilience of a
// hybrid H against a transformer T is R(T, k) / R(H, k): how many times more
// the transformer's perplexity grows when k random layers are removed. Only
// counts k measured for both models are compared; nothing is interpolated.
//
// A model is a transformer when its family is qwen2 (attention + MLP layers
// only); qwen3_5 and falcon_h1 are hybrids.
//
// Pure function of its inputs (no I/O), so it is unit-testable.
//
//   std::cout << FormatStudySummary(jobs, rows);
#ifndef ABLATE_CLI_STUDY_SUMMARY_H_
#define ABLATE_CLI_STUDY_SUMMARY_H_

#include <string>
#include <vector>

#include "ablate/v1/coordinator.pb.h"
#include "ablate/v1/job.pb.h"

namespace ablate::cli {

// `jobs`: the sweep's jobs (any state; their specs carry the conditions and
// target lists); `rows`: its results. Rows whose job is missing from `jobs`
// are still shown, without a target description. Evaluations without a
// headline metric (perplexity, acc_norm, acc, exact_match), such as
// diagnostics, are listed by name only: `ablate results` has every metric.
std::string FormatStudySummary(const std::vector<v1::Job>& jobs, const std::vector<v1::ResultRow>& rows);

}  // namespace ablate::cli

#endif  // ABLATE_CLI_STUDY_SUMMARY_H_
