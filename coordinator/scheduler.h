// scheduler.h: the coordinator core. Owns the job store (one group-commit
// writer connection, one reader connection) and the in-memory scheduling
// state rebuilt from it on Open: the queue index, live leases, workers and
// long-poll waiters. No gRPC types; requests and responses are ablate.v1
// proto messages so the service adapter only validates and translates status.
//
// Semantics (docs/api.md has the full contract):
// - Lease: priority, then sweep age, then job index; a worker's loaded models
//   win within the top priority level; a batch holds one model, same
//   evaluation first. Every lease bumps the job's attempt number (the fencing
//   token) and is durable before it is answered.
// - Complete/Fail are fenced by (attempt, lease_id): a report for an older
//   attempt is refused (accepted=false) and writes nothing; the same report
//   twice is idempotent (duplicate=true, no second result).
// - The latest attempt of a job whose lease expired (or was requeued by a
//   coordinator restart) stays valid until the job is leased again: its
//   completion is accepted and a heartbeat re-claims the lease. After a
//   restart such jobs are held out of the queue for reclaim_grace_ms, so the
//   worker still running one re-claims it before another worker is given it.
// - Lease expiry, worker loss and FailJob(release=true) requeue without
//   counting against max_attempts; FailJob with an error counts; max_attempts
//   counted -> FAILED. A separate cap (max_lost_leases) fails a job whose
//   leases keep expiring (it crashes or hangs every worker it lands on).
// - Big sweeps: jobs are created in the background (SubmitSweep; the
//   materializer, scheduler_materializer.cc); until then they count as queued.
// - CancelSweep: queued jobs (and jobs not created yet) CANCELLED at once, leased ones cancel-pending
//   (reported in Heartbeat.cancelled_job_ids); their next report ends them
//   CANCELLED. A completion of a cancel-pending job is stored (the work is
//   valid) and the job still ends CANCELLED.
// Every answer to a worker is sent after the writes it depends on (and all
// writes queued before them) are committed.
//
// Tenancy (docs/security.md): every method takes the authenticated Caller
// (default Caller::Local(), the admin of the default tenant: the
// unauthenticated mode). Roles are checked here (auth::Authorize); another
// tenant's sweep or job is NotFound, exactly like a missing one; lists are
// scoped to the caller's tenant (admin: all). A worker id belongs to the
// subject that registered it; a lease to the worker id it was granted to:
// lease, heartbeat and reports for another subject's worker or lease are
// PermissionDenied and change nothing. Lease ids are 128 random bits (hex).
// Quotas (auth::TenantQuota, SetAuthConfig) are ResourceExhausted naming the
// quota; workers are shared between tenants with queued work by weighted fair
// queueing (each lease advances the tenant's virtual time by jobs / weight;
// the tenant furthest behind is served first), then priority, then age.
//
// Thread-safety: all methods are thread-safe. Callbacks (`done`) run exactly
// once, on the caller's thread, the committer thread or the maintenance
// thread, never under the scheduler's lock; they must be short.
//
//   ASSIGN_OR_RETURN(auto core, Scheduler::Open({.db_path = path}, expand));
//   core->LeaseJobs(req, [](absl::StatusOr<v1::LeaseJobsResponse> r) { ... });
#ifndef ABLATE_COORDINATOR_SCHEDULER_H_
#define ABLATE_COORDINATOR_SCHEDULER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "ablate/v1/coordinator.pb.h"
#include "ablate/v1/job.pb.h"
#include "ablate/v1/worker.pb.h"
#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "auth/auth_config.h"
#include "auth/caller.h"
#include "auth/rate_limiter.h"
#include "common/request_limits.h"
#include "coordinator/clock.h"
#include "coordinator/queue_index.h"
#include "coordinator/rate_window.h"
#include "coordinator/scheduler_observer.h"
#include "spec/expander.h"
#include "storage/file_lock.h"
#include "storage/group_committer.h"
#include "storage/job_store.h"

namespace ablate::coordinator {

struct SchedulerOptions {
  std::string db_path = "ablate.db";       // SQLite file (WAL mode)
  int32_t heartbeat_interval_ms = 2000;    // told to workers at registration
  int32_t worker_timeout_ms = 30000;       // no contact this long: worker lost, leases requeued
  int32_t expiry_scan_interval_ms = 500;   // how often expired leases are requeued
  int32_t max_long_poll_ms = 10000;        // cap on LeaseJobs wait_ms
  int32_t max_jobs_per_lease = 64;         // cap on LeaseJobs max_jobs
  int32_t max_lost_leases = 10;            // leases of one job lost to expiry / worker loss
                                           // this often: the job FAILS (0: never); drains,
                                           // releases and coordinator restarts do not count
  int32_t group_commit_ms = 0;             // > 0: a write batch waits this long to fill (0: an
                                           // idle writer commits at once; what queues meanwhile
                                           // forms the next batch)
  int32_t group_commit_max_batch = 1024;   // writes per transaction at most
  RequestLimits limits;                    // request sizes, grid size, result sizes (request_limits.h)
  int64_t list_dead_workers_ms = 3600000;  // ListWorkers shows dead workers seen this recently
  bool synchronous_full = false;           // SQLite synchronous=FULL: commits survive power
                                           // loss too (NORMAL: process crashes only)
  int32_t reclaim_grace_ms = 15000;        // after Open, jobs that were LEASED when the previous
                                           // process died are held this long for their workers
                                           // to re-claim (heartbeat or report) before anyone
                                           // else may lease them (0: no hold)
  bool run_maintenance_thread = true;      // false: the caller drives Tick() (tests)
  int64_t materialize_above_jobs = 10000;  // a sweep with more jobs is stored at once (spec,
                                           // counts) and its jobs are created in the background
                                           // in chunks; smaller ones in one transaction
  int32_t materialize_chunk_jobs = 2000;   // jobs created per transaction in the background
  int64_t materialize_ahead_jobs = 20000;  // created jobs a sweep keeps queued ahead of its
                                           // workers at most; more are created once half of
                                           // them are leased (0: create all at once)
  SchedulerObserver* observer = nullptr;   // metrics hooks (not owned; outlives the scheduler)
};

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

class Scheduler {
 public:
  // Opens/migrates the database and rebuilds the in-memory state: every
  // unfinished sweep is resumed; jobs LEASED by the previous process are
  // requeued (not counted). FailedPrecondition if another process serves the
  // database (it holds "<db_path>.lock"). `clock` must outlive the scheduler (nullptr: the
  // system clock).
  static absl::StatusOr<std::unique_ptr<Scheduler>> Open(const SchedulerOptions& options, ExpandFn expand,
                                                         const Clock* clock = nullptr);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // ---- client API ----

  // Expands and stores the sweep (or only expands, for dry_run), owned by the
  // caller's tenant. A sweep of at most materialize_above_jobs jobs is stored
  // with all its jobs in one transaction; a bigger one is stored (spec, job
  // count) in one small transaction and answered, and its jobs are created in
  // the background in chunks of materialize_chunk_jobs (each chunk and the
  // sweep's resume point in one transaction), at most materialize_ahead_jobs
  // queued ahead of the workers. Jobs not created yet count as queued (as
  // cancelled once the sweep is cancelled) in every count; ListJobs lists the
  // created ones. A restart resumes creating them where it stopped. The spec is request.spec, or
  // request.spec_text parsed here (relative paths resolved against
  // request.base_dir). request.existing decides whether a sweep of the same
  // name and spec (in the caller's tenant) is returned instead (resumed=true).
  // Blocking (the expansion is streamed once to count and validate it, plus
  // the insert): call it off the RPC thread; holds no scheduler lock while
  // expanding. InvalidArgument for a bad spec or
  // a grid over the limits; ResourceExhausted for a spec over max_spec_bytes
  // or naming the tenant quota it would pass; Cancelled when `cancelled`
  // turns true (the caller went away) and DeadlineExceeded past
  // limits.expansion_timeout_ms; FailedPrecondition when resuming meets an
  // unfinished sweep of the same name with another spec.
  // request_id (optional, per tenant): a request with an id already stored
  // and the same request returns the sweep it created (nothing new is
  // stored); the same id with a different request is AlreadyExists.
  absl::StatusOr<v1::SubmitSweepResponse> SubmitSweep(const v1::SubmitSweepRequest& request,
                                                      const auth::Caller& caller = auth::Caller::Local(),
                                                      std::function<bool()> cancelled = nullptr);
  // NotFound for an unknown sweep (or another tenant's).
  absl::StatusOr<v1::SweepInfo> GetSweep(int64_t sweep_id, const auth::Caller& caller = auth::Caller::Local());
  absl::StatusOr<v1::ListSweepsResponse> ListSweeps(const v1::ListSweepsRequest& request,
                                                    const auth::Caller& caller = auth::Caller::Local());
  // NotFound for an unknown sweep; a finished sweep cancels nothing (0).
  void CancelSweep(const v1::CancelSweepRequest& request, Callback<v1::CancelSweepResponse> done,
                   const auth::Caller& caller = auth::Caller::Local());
  absl::StatusOr<v1::ListJobsResponse> ListJobs(const v1::ListJobsRequest& request,
                                                const auth::Caller& caller = auth::Caller::Local());
  absl::StatusOr<v1::QueryResultsResponse> QueryResults(const v1::QueryResultsRequest& request,
                                                        const auth::Caller& caller = auth::Caller::Local());
  v1::ListWorkersResponse ListWorkers();  // as Caller::Local()
  // Workers registered by the caller's tenant (admin: all).
  absl::StatusOr<v1::ListWorkersResponse> ListWorkers(const auth::Caller& caller);
  // Current counts and state of a sweep (for WatchSweep). NotFound if unknown.
  absl::StatusOr<v1::SweepEvent> SweepSnapshot(int64_t sweep_id, const auth::Caller& caller = auth::Caller::Local());

  // ---- security ----

  // Quotas and fair-share weights from the auth file (replaces the previous
  // config; null: no quotas). Called at start and on every reload.
  void SetAuthConfig(std::shared_ptr<const auth::AuthConfig> config);
  // Appends an audit row (asynchronously; unix_ms filled in if 0).
  void Audit(storage::AuditRecord record);
  // Audit rows after `after_audit_id`, oldest first (admin only).
  absl::StatusOr<std::vector<storage::AuditRecord>> ListAudit(int64_t after_audit_id, int limit,
                                                              const auth::Caller& caller = auth::Caller::Local());
  // In-memory counts for metrics.
  SchedulerGauges Gauges();

  // ---- worker API ----

  // The new worker id (random suffix) belongs to caller.subject.
  void RegisterWorker(const v1::RegisterWorkerRequest& request, Callback<v1::RegisterWorkerResponse> done,
                      const auth::Caller& caller = auth::Caller::Local());
  // Answers at once when jobs are queued (or wait_ms <= 0, or shutting down);
  // otherwise parks the request until jobs arrive or the wait ends. Returns a
  // token for CancelLeaseWait (0 if already answered).
  uint64_t LeaseJobs(const v1::LeaseJobsRequest& request, Callback<v1::LeaseJobsResponse> done,
                     const auth::Caller& caller = auth::Caller::Local());
  // The RPC went away: answers the parked request with Cancelled (if still parked).
  void CancelLeaseWait(uint64_t token);
  // Heartbeat, CompleteJob, FailJob: PermissionDenied (nothing changes) when
  // the worker id is another subject's, or the lease is held by another
  // subject's worker.
  void Heartbeat(const v1::HeartbeatRequest& request, Callback<v1::HeartbeatResponse> done,
                 const auth::Caller& caller = auth::Caller::Local());
  // CompleteJob: InvalidArgument (too many metrics, a long name) /
  // ResourceExhausted (a detail_json or the whole result over the limits)
  // before anything is stored.
  void CompleteJob(const v1::CompleteJobRequest& request, Callback<v1::CompleteJobResponse> done,
                   const auth::Caller& caller = auth::Caller::Local());
  void FailJob(const v1::FailJobRequest& request, Callback<v1::FailJobResponse> done,
               const auth::Caller& caller = auth::Caller::Local());

  // ---- lifecycle ----

  // Answers waiters (and later LeaseJobs) with shutting_down=true.
  void BeginShutdown();
  // BeginShutdown, stops the maintenance thread, commits queued writes.
  void Stop();
  // Times out long polls; requeues expired leases and leases of lost workers
  // (every expiry_scan_interval_ms, or at once with force_scan). Returns after
  // the requeues are committed.
  void Tick(bool force_scan = false);

  // Number of jobs queued in memory (for tests and the benchmark).
  int64_t QueuedJobs();
  // Jobs of an unfinished sweep created so far (-1: not in memory), for tests
  // and the benchmark.
  int64_t MaterializedJobs(int64_t sweep_id);
  storage::GroupCommitStats commit_stats() const { return committer_->stats(); }

 private:
  enum class AttemptEnd : uint8_t { kNone, kRunning, kExpired, kReleased, kFailed };

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

  struct SweepState {
    int64_t sweep_id = 0;
    std::string tenant = auth::kDefaultTenant;
    int state = 0;  // v1::SweepState
    int32_t priority = 0;
    int32_t max_attempts = 3;
    int32_t lease_ttl_ms = 120000;
    bool needs_gpu = false;
    int64_t finished_ms = 0;
    storage::JobCounts counts;  // jobs not created yet included (queued, or cancelled)
    std::vector<int64_t> job_ids;
    RateWindow ended_rate;         // jobs reaching a terminal state
    int64_t job_count = 0;         // jobs of the sweep, created or not
    int64_t materialized = 0;      // jobs created (stored and in jobs_): index < materialized
    bool chunk_in_flight = false;  // the materializer is storing a chunk: not finished yet
    int64_t retry_after_ms = 0;    // a failed chunk: the materializer waits until then
    int64_t uncreated() const { return job_count - materialized; }
  };

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
  };

  // One tenant's queued jobs and its fair-share position.
  struct TenantQueues {
    QueueIndex any;      // jobs any worker may run
    QueueIndex gpu;      // jobs of sweeps with execution.device "cuda*"
    double vtime = 0;    // service received: sum of leased jobs / weight
    int64_t leased = 0;  // jobs LEASED now
    int64_t queued() const { return static_cast<int64_t>(any.size() + gpu.size()); }
  };

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

  static AttemptEnd AttemptEndFromOutcome(const std::string& outcome);

  Scheduler(const SchedulerOptions& options, ExpandFn expand, const Clock* clock);
  absl::Status Load();
  void MaintenanceLoop();

  // ---- background job creation (scheduler_materializer.cc) ----
  // The materializer thread: creates the jobs of big sweeps, oldest sweep first.
  void MaterializeLoop();
  // The sweep whose jobs to create next (0: none), given its backlog.
  int64_t NextToMaterialize(int64_t now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool MaterializerShouldWake() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return materialize_wake_ || stop_materializer_;
  }
  // Creates jobs of one sweep from its cursor up to its backlog bound.
  absl::Status MaterializeSome(int64_t sweep_id);
  // Stores `chunk` (jobs from..from+size) and adds it to the queue. Cancelled
  // when the sweep was cancelled (its jobs end CANCELLED).
  absl::Status StoreChunk(int64_t sweep_id, int64_t from, std::vector<storage::JobRecord>* chunk);

  // The one Record -> in-memory conversion, for Submit (fresh rows) and
  // recovery (any stored row): every stored field copied; max_attempts and the
  // lease TTL clamped to >= 1 (Submit's values already are).
  void LoadSweepState(const storage::SweepRecord& rec, SweepState& sw);
  void LoadJobEntry(const storage::JobRecord& j, JobEntry& e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  int32_t InternModel(const std::string& path) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  int32_t InternEval(const std::string& name) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // `claimant`: the caller, recorded as the tenant of a worker id seen first here.
  WorkerState& TouchWorker(const std::string& worker_id, int64_t now, const auth::Caller* claimant = nullptr)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  QueueKey KeyOf(const JobEntry& e) const;
  QueueIndex& QueueOf(const JobEntry& e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  TenantQueues& TenantOf(const JobEntry& e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool AnyQueued() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  auth::TenantQuota QuotaOf(const std::string& tenant) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // OK if `caller` registered worker_id (an unknown id becomes the caller's);
  // PermissionDenied otherwise.
  absl::Status CheckWorkerOwner(const std::string& worker_id, const auth::Caller& caller);
  // OK if `caller` registered lease_worker (the worker a lease was granted to).
  absl::Status CheckLeaseOwner(const std::string& lease_worker, const auth::Caller& caller);
  absl::StatusOr<v1::SubmitSweepResponse> SubmitSweepAs(const v1::SubmitSweepRequest& request,
                                                        const auth::Caller& caller, std::function<bool()> cancelled);
  // ResourceExhausted naming the first quota a submit of `jobs` jobs would
  // pass (jobs < 0: the checks before expansion, counting the submit).
  absl::Status CheckSubmitQuota(const auth::Caller& caller, int64_t jobs, bool dry_run);
  // Moves e to `state`, keeping sweep counts, the queue and lease tables right.
  // A QUEUED job with held_until_ms set waits in held_ instead of the queue.
  void SetState(JobEntry& e, int state) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Moves held jobs whose grace ended into the queue.
  void ReleaseHeld(int64_t now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Adds a QUEUED job to its tenant's queue (a tenant rejoining starts level).
  void Enqueue(JobEntry& e) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  storage::JobStateUpdate UpdateOf(const JobEntry& e) const;
  // Ends the current lease of a LEASED job that was lost (expired, worker
  // gone): requeued uncounted, CANCELLED if cancel-pending, FAILED after
  // max_lost_leases.
  void LoseLease(JobEntry& e, const std::string& why, int64_t now, std::vector<storage::GroupCommitter::Op>* ops)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // After a job became terminal: finishes its sweep if all jobs are terminal.
  void MaybeFinishSweep(int64_t sweep_id, int64_t now, std::vector<storage::GroupCommitter::Op>* ops)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Picks and leases up to max_jobs for the waiter; false if nothing fits.
  bool TryGrant(Waiter& w, int64_t now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ServeWaiters(int64_t now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Queues `ops` as one operation; `done` runs after their batch commits.
  void Commit(std::vector<storage::GroupCommitter::Op> ops, std::function<void(absl::Status)> done);
  // Stores a heartbeat's progress for a job the worker holds (scheduler_progress.cc).
  void RecordProgress(WorkerState& worker, JobEntry& e, const v1::LeaseProgress& p, int64_t now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Progress of a leased job, for ListWorkers and GetSweep.
  v1::JobProgress ProgressOf(const JobEntry& e) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Rate, ETA and running fraction of an unfinished sweep; with `info`, also
  // fills its jobs_per_second, eta_ms and running jobs.
  struct LiveProgress {
    double jobs_per_second = 0;
    int64_t eta_ms = -1;
    double running_fraction = 0;
  };
  LiveProgress LiveProgressOf(SweepState& sw, int64_t now, v1::SweepInfo* info) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Bookkeeping when a job becomes terminal (rate window, metrics).
  void NoteEnded(JobEntry& e, int state) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status ReaderCall(const std::function<absl::Status(storage::JobStore&)>& fn);
  // Deterministic serialization (request_id fingerprints).
  static std::string DeterministicBytes(const google::protobuf::Message& message);
  // The answer to a SubmitSweep whose request_id is stored (`seen`: its sweep
  // and request bytes): that sweep, or AlreadyExists when the request differs.
  absl::StatusOr<v1::SubmitSweepResponse> Replay(const std::string& request_id,
                                                 const std::pair<int64_t, std::string>& seen,
                                                 const std::string& request_bytes);
  // The sweep SubmitSweep returns instead of storing `spec` under `policy`
  // (nullopt: store a new one). See v1::ExistingSweepPolicy.
  absl::StatusOr<std::optional<v1::SubmitSweepResponse>> FindExistingSweep(const v1::SweepSpec& spec,
                                                                           v1::ExistingSweepPolicy policy,
                                                                           const auth::Caller& caller);

  // Constant after construction.
  const SchedulerOptions options_;
  const ExpandFn expand_;
  const Clock* const clock_;
  std::unique_ptr<Clock> owned_clock_;
  std::string lease_nonce_;                   // random per process: worker ids never repeat across restarts
  std::optional<storage::FileLock> db_lock_;  // "<db>.lock": one coordinator per database
  std::unique_ptr<storage::GroupCommitter> committer_;

  absl::Mutex reader_mu_;
  std::unique_ptr<storage::JobStore> reader_ ABSL_GUARDED_BY(reader_mu_);

  absl::Mutex mu_;
  absl::flat_hash_map<int64_t, JobEntry> jobs_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<int64_t, SweepState> sweeps_ ABSL_GUARDED_BY(mu_);  // unfinished ones
  absl::flat_hash_map<std::string, WorkerState> workers_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, int32_t> model_ids_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, int32_t> eval_ids_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, TenantQueues> tenants_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const auth::AuthConfig> auth_config_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, int64_t> result_bytes_ ABSL_GUARDED_BY(mu_);  // per tenant
  auth::RateLimiter submit_rate_;

  // Worker id -> subject that registered it. Its own lock: read from commit
  // callbacks, which must not take mu_ ordering risks.
  absl::Mutex owners_mu_;
  absl::flat_hash_map<std::string, std::string> owners_ ABSL_GUARDED_BY(owners_mu_);
  std::set<std::pair<int64_t, int64_t>> expiries_ ABSL_GUARDED_BY(mu_);  // (expires_ms, job_id)
  std::set<std::pair<int64_t, int64_t>> held_ ABSL_GUARDED_BY(mu_);      // (held_until_ms, job_id)
  std::list<Waiter> waiters_ ABSL_GUARDED_BY(mu_);
  uint64_t next_token_ ABSL_GUARDED_BY(mu_) = 1;
  uint64_t next_worker_ ABSL_GUARDED_BY(mu_) = 1;
  int64_t last_scan_ms_ ABSL_GUARDED_BY(mu_) = 0;
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_thread_ ABSL_GUARDED_BY(mu_) = false;
  bool materialize_wake_ ABSL_GUARDED_BY(mu_) = false;  // a sweep may have jobs to create
  bool stop_materializer_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<bool> stopping_{false};  // stops a running expansion (read without mu_)
  std::thread maintenance_;
  std::thread materializer_;
};

}  // namespace ablate::coordinator

#endif  // ABLATE_COORDINATOR_SCHEDULER_H_
