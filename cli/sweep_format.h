// sweep_format.h: how the sweep commands print things: result tables (table,
// CSV, JSON), the live progress line, sweep and worker lists, and the
// lower-case names used on the command line for kinds and components.
// Pure functions of their inputs (no I/O), so they are unit-testable.
//
//   std::cout << FormatResults(rows, ResultFormat::kTable);
//   std::cerr << "\r" << ProgressLine(event.counts(), event.jobs_per_second());
#ifndef ABLATE_CLI_SWEEP_FORMAT_H_
#define ABLATE_CLI_SWEEP_FORMAT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "ablate/v1/coordinator.pb.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ablate::cli {

// kSummary: the study view of cli/study_summary.h (needs the jobs as well;
// FormatResults prints it as kTable).
enum class ResultFormat { kTable, kCsv, kJson, kSummary };

// "table", "csv", "json", "summary"; InvalidArgument otherwise.
absl::StatusOr<ResultFormat> ParseResultFormat(absl::string_view name);
// The vocabularies of common/vocabulary.h ("layer_sweep" <-> LAYER_SWEEP; every
// component alias, e.g. "gdn", "mamba"), with the flag named in errors.
absl::StatusOr<v1::AblationKind> ParseKind(absl::string_view name);
absl::StatusOr<v1::Component> ParseComponent(absl::string_view name);
// "" for the unspecified value.
std::string KindName(v1::AblationKind kind);
std::string ComponentName(v1::Component component);
std::string SweepStateName(v1::SweepState state);

// Rows in expansion order (by job id; a job's metrics in stored order).
// Table columns: [model] condition evaluation [seed] metric value ratio; the
// model and seed columns appear only when rows differ in them. Ratio "-" when
// unknown.
std::string FormatResults(const std::vector<v1::ResultRow>& rows, ResultFormat format);

// "[##########..........] 250/500  running 3  failed 0  12.5 jobs/s  ETA 20s"
// The ETA is `eta_ms` when >= 0 (the coordinator's estimate, which counts the
// running jobs' reported progress), else the jobs left over jobs_per_second.
std::string ProgressLine(const v1::SweepCounts& counts, double jobs_per_second, int width = 30, int64_t eta_ms = -1);

// One line per sweep: id, name, state, done/total, running, failed, created.
std::string FormatSweeps(const std::vector<v1::SweepInfo>& sweeps, int64_t now_unix_ms);
// The detail of one sweep (counts by state, models, evaluations).
std::string FormatSweep(const v1::SweepInfo& sweep, int64_t now_unix_ms);
// One line per worker: id, name/host, device, alive, leases, last seen, models.
std::string FormatWorkers(const std::vector<v1::WorkerStatus>& workers, int64_t now_unix_ms);

// "3s", "4m05s", "2h10m".
std::string HumanDuration(double seconds);

// Left-aligned columns separated by two spaces, each line prefixed by
// `indent`; no trailing spaces.
std::string FormatColumns(const std::vector<std::vector<std::string>>& rows, absl::string_view indent = "");

}  // namespace ablate::cli

#endif  // ABLATE_CLI_SWEEP_FORMAT_H_
