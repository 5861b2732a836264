// scheduler.h: the coordinator core, assembled. Owns the job store (one
// group-commit writer connection, one reader connection), the state rebuilt
// from it on Open (SchedulerState: the queue index, live leases, workers and
// long-poll waiters) and the parts that work on that state, one per reason to
// change:
//   - WorkerApi (worker_api.h): register, lease, heartbeat, complete, fail;
//   - ClientApi (client_api.h): submit, cancel and the client queries;
//   - Recovery (recovery.h): restart recovery, lease expiry, long-poll
//     timeouts (the maintenance thread);
//   - Materializer (materializer.h): creating big sweeps' jobs (its thread).
// Front ends take the part they serve (the gRPC WorkerService a WorkerApi, the
// Coordinator service a ClientApi). The Scheduler also forwards every part's
// calls, so callers that serve several (the HTTP front end, embedded mode,
// tests) hold one object; the contracts are on the parts' declarations.
// No gRPC types: requests and responses are ablate.v1 proto messages.
//
// Tenancy (docs/security.md): every call takes the authenticated Caller
// (default Caller::Local(), the admin of the default tenant). Quotas and
// fair-share weights come from SetAuthConfig; workers are shared between
// tenants with queued work by weighted fair queueing (lease_grant.cc).
//
// Thread-safety: all methods are thread-safe. Callbacks (`done`) run exactly
// once, on the caller's thread, the committer thread or the maintenance
// thread, never under the state's lock; they must be short.
//
//   ASSIGN_OR_RETURN(auto core, Scheduler::Open({.db_path = path}, expand));
//   core->worker_api().LeaseJobs(req, [](absl::StatusOr<v1::LeaseJobsResponse> r) { ... });
#ifndef ABLATE_COORDINATOR_SCHEDULER_H_
#define ABLATE_COORDINATOR_SCHEDULER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "ablate/v1/coordinator.pb.h"
#include "ablate/v1/worker.pb.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "auth/auth_config.h"
#include "auth/caller.h"
#include "coordinator/client_api.h"
#include "coordinator/clock.h"
#include "coordinator/materializer.h"
#include "coordinator/recovery.h"
#include "coordinator/scheduler_options.h"
#include "coordinator/scheduler_state.h"
#include "coordinator/worker_api.h"
#include "storage/file_lock.h"
#include "storage/group_committer.h"
#include "storage/job_store.h"

namespace ablate::coordinator {

// Cheap in-memory gauges for /metrics (no database read).
struct SchedulerGauges {
  struct Sweep {
    int64_t sweep_id = 0;
    storage::JobCounts counts;
    double jobs_per_second = 0;
  };
  std::vector<Sweep> sweeps;  // unfinished sweeps, by id
  int64_t leases = 0;         // jobs leased now
  int64_t waiters = 0;        // parked LeaseJobs long polls
};

class Scheduler {
 public:
  // Opens/migrates the database and rebuilds the in-memory state
  // (Recovery::Load), then starts the maintenance thread (unless
  // run_maintenance_thread is false) and the materializer thread.
  // FailedPrecondition if another process serves the database (it holds
  // "<db_path>.lock"). `clock` must outlive the scheduler (nullptr: the
  // system clock).
  static absl::StatusOr<std::unique_ptr<Scheduler>> Open(const SchedulerOptions& options, ExpandFn expand,
                                                         const Clock* clock = nullptr);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // ---- the parts ----
  WorkerApi& worker_api() { return worker_api_; }
  ClientApi& client_api() { return client_api_; }
  Recovery& recovery() { return recovery_; }

  // ---- client calls (ClientApi) ----
  absl::StatusOr<v1::SubmitSweepResponse> SubmitSweep(const v1::SubmitSweepRequest& request,
                                                      const auth::Caller& caller = auth::Caller::Local(),
                                                      std::function<bool()> cancelled = nullptr) {
    return client_api_.SubmitSweep(request, caller, std::move(cancelled));
  }
  absl::StatusOr<v1::SweepInfo> GetSweep(int64_t sweep_id, const auth::Caller& caller = auth::Caller::Local()) {
    return client_api_.GetSweep(sweep_id, caller);
  }
  absl::StatusOr<v1::ListSweepsResponse> ListSweeps(const v1::ListSweepsRequest& request,
                                                    const auth::Caller& caller = auth::Caller::Local()) {
    return client_api_.ListSweeps(request, caller);
  }
  void CancelSweep(const v1::CancelSweepRequest& request, Callback<v1::CancelSweepResponse> done,
                   const auth::Caller& caller = auth::Caller::Local()) {
    client_api_.CancelSweep(request, std::move(done), caller);
  }
  absl::StatusOr<v1::ListJobsResponse> ListJobs(const v1::ListJobsRequest& request,
                                                const auth::Caller& caller = auth::Caller::Local()) {
    return client_api_.ListJobs(request, caller);
  }
  absl::StatusOr<v1::QueryResultsResponse> QueryResults(const v1::QueryResultsRequest& request,
                                                        const auth::Caller& caller = auth::Caller::Local()) {
    return client_api_.QueryResults(request, caller);
  }
  v1::ListWorkersResponse ListWorkers() { return client_api_.ListWorkers(); }
  absl::StatusOr<v1::ListWorkersResponse> ListWorkers(const auth::Caller& caller) {
    return client_api_.ListWorkers(caller);
  }
  absl::StatusOr<v1::SweepEvent> SweepSnapshot(int64_t sweep_id, const auth::Caller& caller = auth::Caller::Local()) {
    return client_api_.SweepSnapshot(sweep_id, caller);
  }
  absl::StatusOr<std::vector<storage::AuditRecord>> ListAudit(int64_t after_audit_id, int limit,
                                                              const auth::Caller& caller = auth::Caller::Local()) {
    return client_api_.ListAudit(after_audit_id, limit, caller);
  }

  // ---- worker calls (WorkerApi) ----
  void RegisterWorker(const v1::RegisterWorkerRequest& request, Callback<v1::RegisterWorkerResponse> done,
                      const auth::Caller& caller = auth::Caller::Local()) {
    worker_api_.RegisterWorker(request, std::move(done), caller);
  }
  uint64_t LeaseJobs(const v1::LeaseJobsRequest& request, Callback<v1::LeaseJobsResponse> done,
                     const auth::Caller& caller = auth::Caller::Local()) {
    return worker_api_.LeaseJobs(request, std::move(done), caller);
  }
  void CancelLeaseWait(uint64_t token) { worker_api_.CancelLeaseWait(token); }
  void Heartbeat(const v1::HeartbeatRequest& request, Callback<v1::HeartbeatResponse> done,
                 const auth::Caller& caller = auth::Caller::Local()) {
    worker_api_.Heartbeat(request, std::move(done), caller);
  }
  void CompleteJob(const v1::CompleteJobRequest& request, Callback<v1::CompleteJobResponse> done,
                   const auth::Caller& caller = auth::Caller::Local()) {
    worker_api_.CompleteJob(request, std::move(done), caller);
  }
  void CompleteJobs(const v1::CompleteJobsRequest& request, Callback<v1::CompleteJobsResponse> done,
                    const auth::Caller& caller = auth::Caller::Local()) {
    worker_api_.CompleteJobs(request, std::move(done), caller);
  }
  void FailJob(const v1::FailJobRequest& request, Callback<v1::FailJobResponse> done,
               const auth::Caller& caller = auth::Caller::Local()) {
    worker_api_.FailJob(request, std::move(done), caller);
  }

  // ---- maintenance (Recovery) ----
  void Tick(bool force_scan = false) { recovery_.Tick(force_scan); }

  // ---- security and metrics ----

  // Quotas and fair-share weights from the auth file (replaces the previous
  // config; null: no quotas). Called at start and on every reload.
  void SetAuthConfig(std::shared_ptr<const auth::AuthConfig> config);
  // Appends an audit row (asynchronously; unix_ms filled in if 0).
  void Audit(storage::AuditRecord record) { state_->Audit(std::move(record)); }
  // In-memory counts for metrics.
  SchedulerGauges Gauges();

  // ---- lifecycle ----

  // Answers waiters (and later LeaseJobs) with shutting_down=true.
  void BeginShutdown();
  // BeginShutdown, stops the maintenance and materializer threads, commits
  // queued writes.
  void Stop();

  // Number of jobs queued in memory (for tests and the benchmark).
  int64_t QueuedJobs();
  // Jobs of an unfinished sweep created so far (-1: not in memory), for tests
  // and the benchmark.
  int64_t MaterializedJobs(int64_t sweep_id);
  storage::GroupCommitStats commit_stats() const { return state_->committer->stats(); }

 private:
  Scheduler(const SchedulerOptions& options, ExpandFn expand, const Clock* clock);

  // Constant after construction, in destruction order reversed: the lock is
  // released after the store's connections close; the parts hold references
  // to the state.
  std::unique_ptr<Clock> owned_clock_;
  std::optional<storage::FileLock> db_lock_;  // "<db>.lock": one coordinator per database
  const std::unique_ptr<SchedulerState> state_;
  WorkerApi worker_api_;
  ClientApi client_api_;
  Recovery recovery_;
  Materializer materializer_;

  std::thread maintenance_thread_;
  std::thread materializer_thread_;
};

}  // namespace ablate::coordinator

#endif  // ABLATE_COORDINATOR_SCHEDULER_H_
