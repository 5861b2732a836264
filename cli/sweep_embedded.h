// sweep_embedded.h: `ablate run` as a library: a coordinator in this process
// (127.0.0.1, an ephemeral port, a SQLite file), the sweep submitted to it over
// real gRPC, N WorkerRuntimes on threads pulling from it over loopback, live
// progress, and the results when the sweep ends. Nothing is special-cased for
// being in one process: the same leases, heartbeats and fencing as a cluster.
//
// The evaluator comes from a factory so tests can run the whole path with a
// test-only evaluator; the CLI passes the LibTorch one.
//
// Re-running the same spec on the same DB resumes the unfinished sweep of the
// same name and spec instead of submitting it again.
//
// Thread-safety: RunSweepEmbedded blocks; call it from one thread.
//
//   EmbeddedRunOptions opts{.db_path = "ablate.db", .workers = 2};
//   ASSIGN_OR_RETURN(EmbeddedRunResult r, RunSweepEmbedded(spec, text, opts, factory, std::cerr));
#ifndef ABLATE_CLI_SWEEP_EMBEDDED_H_
#define ABLATE_CLI_SWEEP_EMBEDDED_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "ablate/v1/coordinator.pb.h"
#include "absl/status/statusor.h"
#include "worker/evaluator.h"

namespace ablate::cli {

struct EmbeddedRunOptions {
  std::string db_path = "ablate.db";     // SQLite file of the embedded coordinator
  int32_t workers = 1;                   // local worker runtimes (threads)
  std::string device = "cpu";            // "cpu", "cuda" (worker i gets cuda:i) or "cuda:N"
  int32_t progress_interval_ms = 500;    // how often the progress line is refreshed
  bool progress_tty = false;             // true: redraw one line with \r; false: a line now and then
  int32_t heartbeat_interval_ms = 1000;  // embedded coordinator: worker heartbeat period
  // Set to true from another thread (Ctrl-C) to stop early: local workers
  // drain (running jobs get 2 s, then are handed back), the coordinator
  // commits and stops, and the call returns Cancelled. Null: never.
  const std::atomic<bool>* interrupt = nullptr;
  bool with_jobs = false;  // also return every job of the sweep (EmbeddedRunResult::jobs)
};

// Builds the evaluator of local worker `index` for `device`.
using EvaluatorFactory =
    std::function<absl::StatusOr<std::unique_ptr<worker::Evaluator>>(const std::string& device, int index)>;

struct EmbeddedRunResult {
  int64_t sweep_id = 0;
  bool resumed = false;              // an unfinished sweep with the same spec was picked up
  v1::SweepInfo sweep;               // final state and counts
  std::vector<v1::ResultRow> rows;   // every result of the sweep
  std::vector<v1::Job> failed_jobs;  // jobs that ended FAILED (with last_error)
  std::vector<v1::Job> jobs;         // every job, when options.with_jobs
};

// Runs `spec` to completion. InvalidArgument for a bad spec (from the
// coordinator's expansion) or options; Unavailable/Internal if the coordinator
// cannot start (e.g. the DB cannot be opened); Cancelled when interrupted
// (everything finished so far is in the DB; the same call resumes). Failed
// jobs are not an error: they are in the result.
absl::StatusOr<EmbeddedRunResult> RunSweepEmbedded(const v1::SweepSpec& spec, const std::string& spec_text,
                                                   const EmbeddedRunOptions& options,
                                                   const EvaluatorFactory& make_evaluator, std::ostream& progress);

}  // namespace ablate::cli

#endif  // ABLATE_CLI_SWEEP_EMBEDDED_H_
