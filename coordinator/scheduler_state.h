// scheduler_state.h: the state the coordinator core's parts share. The
// WorkerApi (worker calls), the ClientApi (client calls), the Recovery
// (restart recovery, lease expiry, long-poll timeouts) and the Materializer
// (creating big sweeps' jobs) all read and change the same jobs, sweeps,
// workers and queues; this object holds them, with the store they are kept
// in (one group-commit writer, one reader connection) and the few operations
// every part needs to keep them consistent (moving a job between states,
// granting leases to parked workers, finishing a sweep, committing).
// Scheduler (scheduler.h) owns one and hands it to each part.
//
// Invariants: jobs_/sweeps hold every unfinished sweep and its created jobs;
// a job's state and the tables it sits in (queue, held, expiries, its
// worker's leases, its sweep's counts) change together, only in SetState.
//
// Thread-safety: the fields marked below are guarded by mu, reader by
// reader_mu, owners by owners_mu (owners_mu may be taken under mu, never the
// other way round); methods marked ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) are
// called with mu held, the others take what they need. Callbacks never run under mu.
//
//   absl::MutexLock lock(&state.mu);
//   state.SetState(job, storage::kJobQueued);  // back in the queue
//   state.ServeWaiters(now);                    // a parked worker may take it
#ifndef ABLATE_COORDINATOR_SCHEDULER_STATE_H_
#define ABLATE_COORDINATOR_SCHEDULER_STATE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "ablate/v1/coordinator.pb.h"
#include "ablate/v1/job.pb.h"
#include "ablate/v1/worker.pb.h"
#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "auth/auth_config.h"
#include "auth/caller.h"
#include "auth/rate_limiter.h"
#include "coordinator/clock.h"
#include "coordinator/queue_index.h"
#include "coordinator/rate_window.h"
#include "coordinator/scheduler_options.h"
#include "storage/group_committer.h"
#include "storage/job_store.h"

namespace ablate::coordinator {

// How a job's latest attempt ended, as far as fencing its reports goes.
enum class AttemptEnd : uint8_t { kNone, kRunning, kExpired, kReleased, kFailed };

// One created job of an unfinished sweep.
struct JobEntry {
  int64_t job_id = 0;
  int64_t sweep_id = 0;
  int32_t index = 0;
  int32_t priority = 0;
  int32_t model = 0;
  int32_t eval = 0;
  int state = 0;  // v1::JobState
  bool cancel_requested = false;
  bool has_result = false;
  AttemptEnd attempt_end = AttemptEnd::kNone;
  int32_t attempt = 0;
  int32_t counted = 0;
  int32_t lost = 0;
  int64_t expires_ms = 0;
  int64_t held_until_ms = 0;  // QUEUED but not leasable before this (restart re-claim grace)
  int64_t finished_ms = 0;
  std::string lease_id;
  std::string worker_id;
  std::string last_error;
  int64_t leased_ms = 0;     // when the current attempt was leased
  v1::JobProgress progress;  // the current attempt's latest heartbeat progress
};

// One unfinished sweep.
struct SweepState {
  int64_t sweep_id = 0;
  std::string tenant = auth::kDefaultTenant;
  int state = 0;  // v1::SweepState
  int32_t priority = 0;
  int32_t max_attempts = 3;
  int64_t lease_ttl_ms = 120000;
  bool needs_gpu = false;
  int64_t finished_ms = 0;
  storage::JobCounts counts;  // jobs not created yet included (queued, or cancelled)
  std::vector<int64_t> job_ids;
  RateWindow ended_rate;         // jobs reaching a terminal state
  int64_t job_count = 0;         // jobs of the sweep, created or not
  int64_t materialized = 0;      // jobs created (stored and in jobs): index < materialized
  bool chunk_in_flight = false;  // the materializer is storing a chunk: not finished yet
  int64_t retry_after_ms = 0;    // a failed chunk: the materializer waits until then
  int64_t uncreated() const { return job_count - materialized; }
};

// One worker id seen (registered, or named by a call).
struct WorkerState {
  std::string worker_id;
  std::string tenant = auth::kDefaultTenant;  // of the subject that registered it
  std::string host;
  std::string device;  // device names, comma separated
  bool has_gpu = true;
  std::vector<std::string> loaded_models;
  int64_t last_seen_ms = 0;
  bool alive = false;
  absl::flat_hash_set<int64_t> leases;
  int64_t tokens_done = 0;  // summed over its heartbeats' progress
  RateWindow token_rate;
  // The (model, evaluation) of the last job it was leased (-1: none yet): its
  // next lease prefers more of them (lease_grant.cc), so its cache stays hot.
  int32_t last_model = -1;
  int32_t last_eval = -1;
};

// One tenant's queued jobs and its fair-share position.
struct TenantQueues {
  QueueIndex any;      // jobs any worker may run
  QueueIndex gpu;      // jobs of sweeps with execution.device "cuda*"
  double vtime = 0;    // service received: sum of leased jobs / weight
  int64_t leased = 0;  // jobs LEASED now
  int64_t queued() const { return static_cast<int64_t>(any.size() + gpu.size()); }
};

// A LeaseJobs call not answered yet (parked long poll, or being served).
struct Waiter {
  uint64_t token = 0;
  std::string worker_id;
  int32_t max_jobs = 1;
  std::vector<int32_t> models;
  bool has_gpu = true;
  int64_t deadline_ms = 0;
  int64_t arrived_ms = 0;
  Callback<v1::LeaseJobsResponse> done;
};

// Rate, ETA and running fraction of an unfinished sweep.
struct LiveProgress {
  double jobs_per_second = 0;
  int64_t eta_ms = -1;
  double running_fraction = 0;
};

struct SchedulerState {
  using Op = storage::GroupCommitter::Op;

  SchedulerState(const SchedulerOptions& options, ExpandFn expand, const Clock* clock);
  SchedulerState(const SchedulerState&) = delete;
  SchedulerState& operator=(const SchedulerState&) = delete;

  static AttemptEnd AttemptEndFromOutcome(const std::string& outcome);

  // ---- conversions and lookups (scheduler_state.cc) ----

  // The one Record -> in-memory conversion, for Submit (fresh rows) and
  // recovery (any stored row): every stored field copied; max_attempts and the
  // lease TTL clamped to >= 1 (Submit's values already are).
  void LoadSweepState(const storage::SweepRecord& rec, SweepState& sw);
  void LoadJobEntry(const storage::JobRecord& j, JobEntry& e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  int32_t InternModel(const std::string& path) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  int32_t InternEval(const std::string& name) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  // `claimant`: the caller, recorded as the tenant of a worker id seen first here.
  WorkerState& TouchWorker(const std::string& worker_id, int64_t now, const auth::Caller* claimant = nullptr)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  QueueKey KeyOf(const JobEntry& e) const;
  QueueIndex& QueueOf(const JobEntry& e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  TenantQueues& TenantOf(const JobEntry& e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  bool AnyQueued() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  auth::TenantQuota QuotaOf(const std::string& tenant) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  // OK if `caller` registered worker_id (an unknown id becomes the caller's);
  // PermissionDenied otherwise.
  absl::Status CheckWorkerOwner(const std::string& worker_id, const auth::Caller& caller);
  // OK if `caller` registered lease_worker (the worker a lease was granted to).
  absl::Status CheckLeaseOwner(const std::string& lease_worker, const auth::Caller& caller);
  storage::JobStateUpdate UpdateOf(const JobEntry& e) const;

  // ---- state changes (scheduler_state.cc) ----

  // Moves e to `state`, keeping sweep counts, the queue and lease tables right.
  // A QUEUED job with held_until_ms set waits in held instead of the queue.
  void SetState(JobEntry& e, int state) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  // Moves held jobs whose grace ended into the queue.
  void ReleaseHeld(int64_t now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  // Adds a QUEUED job to its tenant's queue (a tenant rejoining starts level).
  void Enqueue(JobEntry& e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  // After a job became terminal: finishes its sweep if all jobs are terminal.
  void MaybeFinishSweep(int64_t sweep_id, int64_t now, std::vector<Op>* ops) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);

  // ---- granting leases (lease_grant.cc) ----

  // Picks and leases up to max_jobs for the waiter; false if nothing fits.
  bool TryGrant(Waiter& w, int64_t now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  // Grants what it can to the parked waiters, oldest first (after jobs were
  // queued or a quota freed room).
  void ServeWaiters(int64_t now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);

  // ---- live progress (scheduler_progress.cc) ----

  // Stores a heartbeat's progress for a job the worker holds.
  void RecordProgress(WorkerState& worker, JobEntry& e, const v1::LeaseProgress& p, int64_t now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  // Progress of a leased job, for ListWorkers and GetSweep.
  v1::JobProgress ProgressOf(const JobEntry& e) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  // Rate, ETA and running fraction of an unfinished sweep; with `info`, also
  // fills its jobs_per_second, eta_ms and running jobs.
  LiveProgress LiveProgressOf(SweepState& sw, int64_t now, v1::SweepInfo* info) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  // Bookkeeping when a job becomes terminal (rate window, metrics).
  void NoteEnded(JobEntry& e, int state) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);

  // ---- the store (scheduler_state.cc) ----

  // Queues `ops` as one operation; `done` runs after their batch commits (on
  // the committer thread, never under mu). Called under mu, right after the
  // memory changes the ops record and before anything else can change the
  // same rows (e.g. ServeWaiters leasing a job just requeued): the store then
  // applies writes in the order memory saw them, so a slow thread can never
  // overwrite a newer row with an older one.
  void Commit(std::vector<Op> ops, std::function<void(absl::Status)> done) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  // Runs `fn` on the reader connection (serialized).
  absl::Status ReaderCall(const std::function<absl::Status(storage::JobStore&)>& fn);
  // Appends an audit row (asynchronously; unix_ms filled in if 0).
  void Audit(storage::AuditRecord record);

  // Constant after construction.
  const SchedulerOptions options;
  const ExpandFn expand;
  const Clock* const clock;
  const std::string lease_nonce;  // random per process: worker ids never repeat across restarts
  // Set once by Scheduler::Open before any part runs; stopped by Scheduler::Stop.
  std::unique_ptr<storage::GroupCommitter> committer;

  absl::Mutex reader_mu;
  std::unique_ptr<storage::JobStore> reader ABSL_GUARDED_BY(reader_mu);

  absl::Mutex mu;
  absl::flat_hash_map<int64_t, JobEntry> jobs ABSL_GUARDED_BY(mu);
  absl::flat_hash_map<int64_t, SweepState> sweeps ABSL_GUARDED_BY(mu);  // unfinished ones
  absl::flat_hash_map<std::string, WorkerState> workers ABSL_GUARDED_BY(mu);
  absl::flat_hash_map<std::string, int32_t> model_ids ABSL_GUARDED_BY(mu);
  absl::flat_hash_map<std::string, int32_t> eval_ids ABSL_GUARDED_BY(mu);
  absl::flat_hash_map<std::string, TenantQueues> tenants ABSL_GUARDED_BY(mu);
  std::shared_ptr<const auth::AuthConfig> auth_config ABSL_GUARDED_BY(mu);
  absl::flat_hash_map<std::string, int64_t> result_bytes ABSL_GUARDED_BY(mu);  // per tenant
  auth::RateLimiter submit_rate;
  std::set<std::pair<int64_t, int64_t>> expiries ABSL_GUARDED_BY(mu);  // (expires_ms, job_id)
  std::set<std::pair<int64_t, int64_t>> held ABSL_GUARDED_BY(mu);      // (held_until_ms, job_id)
  std::list<Waiter> waiters ABSL_GUARDED_BY(mu);
  uint64_t next_token ABSL_GUARDED_BY(mu) = 1;
  uint64_t next_worker ABSL_GUARDED_BY(mu) = 1;
  int64_t last_scan_ms ABSL_GUARDED_BY(mu) = 0;
  bool shutting_down ABSL_GUARDED_BY(mu) = false;
  bool stop_thread ABSL_GUARDED_BY(mu) = false;
  bool materialize_wake ABSL_GUARDED_BY(mu) = false;  // a sweep may have jobs to create
  bool stop_materializer ABSL_GUARDED_BY(mu) = false;
  std::atomic<bool> stopping{false};  // stops a running expansion (read without mu)

  // Worker id -> subject that registered it. Its own lock: read from commit
  // callbacks, which must not take mu ordering risks.
  absl::Mutex owners_mu;
  absl::flat_hash_map<std::string, std::string> owners ABSL_GUARDED_BY(owners_mu);
};

}  // namespace ablate::coordinator

#endif  // ABLATE_COORDINATOR_SCHEDULER_STATE_H_
