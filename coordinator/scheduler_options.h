// scheduler_options.h: the coordinator core's configuration (SchedulerOptions)
// and the function types its parts share: the expansion it is given (ExpandFn,
// JobSink) and the callbacks that answer asynchronous calls (Callback).
//
// Thread-safety: plain values; an ExpandFn must be callable from several
// threads at once (submits and the materializer expand concurrently).
//
//   SchedulerOptions o{.db_path = "ablate.db", .max_jobs_per_lease = 16};
#ifndef ABLATE_COORDINATOR_SCHEDULER_OPTIONS_H_
#define ABLATE_COORDINATOR_SCHEDULER_OPTIONS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ablate/v1/coordinator.pb.h"
#include "ablate/v1/job.pb.h"
#include "ablate/v1/spec.pb.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "common/request_limits.h"
#include "coordinator/scheduler_observer.h"
#include "spec/expander.h"

namespace ablate::coordinator {

struct SchedulerOptions {
  std::string db_path = "ablate.db";          // SQLite file (WAL mode)
  int32_t heartbeat_interval_ms = 2000;       // told to workers at registration
  int32_t worker_timeout_ms = 30000;          // no contact this long: worker lost, leases requeued
  int32_t expiry_scan_interval_ms = 500;      // how often expired leases are requeued
  int32_t max_long_poll_ms = 10000;           // cap on LeaseJobs wait_ms
  int32_t max_jobs_per_lease = 64;            // cap on LeaseJobs max_jobs
  int32_t max_completions_per_request = 256;  // cap on CompleteJobs completions
  int32_t max_lost_leases = 10;               // leases of one job lost to expiry / worker loss
                                              // this often: the job FAILS (0: never); drains,
                                              // releases and coordinator restarts do not count
  int32_t group_commit_ms = 0;                // > 0: a write batch waits this long to fill (0: an
                                              // idle writer commits at once; what queues meanwhile
                                              // forms the next batch)
  int32_t group_commit_max_batch = 1024;      // writes per transaction at most
  RequestLimits limits;                       // request sizes, grid size, result sizes (request_limits.h)
  int64_t list_dead_workers_ms = 3600000;     // ListWorkers shows dead workers seen this recently
  bool synchronous_full = false;              // SQLite synchronous=FULL: commits survive power
                                              // loss too (NORMAL: process crashes only)
  int32_t reclaim_grace_ms = 15000;           // after Open, jobs that were LEASED when the previous
                                              // process died are held this long for their workers
                                              // to re-claim (heartbeat or report) before anyone
                                              // else may lease them (0: no hold)
  bool run_maintenance_thread = true;         // false: the caller drives Tick() (tests)
  int64_t materialize_above_jobs = 10000;     // a sweep with more jobs is stored at once (spec,
                                              // counts) and its jobs are created in the background
                                              // in chunks; smaller ones in one transaction
  int32_t materialize_chunk_jobs = 2000;      // jobs created per transaction in the background
  int64_t materialize_ahead_jobs = 20000;     // created jobs a sweep keeps queued ahead of its
                                              // workers at most; more are created once half of
                                              // them are leased (0: create all at once)
  SchedulerObserver* observer = nullptr;      // metrics hooks (not owned; outlives the scheduler)
};

// Receives the jobs of an expansion in order (JobSpec.index = position); the
// reference is valid only during the call. A non-OK status stops the expansion.
using JobSink = std::function<absl::Status(const v1::JobSpec&)>;

// Expands a submitted spec within `options` (limits, deadline, cancel flag),
// streaming its jobs to `sink`, and returns the counts per (model, kind). The
// whole spec is validated before the first job reaches the sink. `layouts`:
// the model layouts the client sent with it (SubmitSweepRequest.model_layouts;
// models without one are the expander's to resolve). May fill defaults into
// *spec (the stored spec is the one after the call; expanding it again gives
// the same jobs: the scheduler resumes a big sweep's expansion this way).
// InvalidArgument naming the field for bad specs; the sink's status when it
// stops the expansion.
using ExpandFn = std::function<absl::StatusOr<std::vector<v1::ExpansionCount>>(
    v1::SweepSpec* spec, const google::protobuf::RepeatedPtrField<v1::ModelLayout>& layouts,
    const spec::ExpandOptions& options, const JobSink& sink)>;

template <typename T>
using Callback = std::function<void(absl::StatusOr<T>)>;

// A commit's `done` that answers `response` once the writes are stored, or
// the store's error.
template <typename T>
std::function<void(absl::Status)> AnswerWhenStored(T response, Callback<T> done) {
  return [response = std::move(response), done = std::move(done)](absl::Status s) {
    if (s.ok()) {
      done(response);
    } else {
      done(s);
    }
  };
}

}  // namespace ablate::coordinator

#endif  // ABLATE_COORDINATOR_SCHEDULER_OPTIONS_H_
