// worker_runtime.h: the pull-based worker loop. One WorkerRuntime drives one
// device: it registers with the coordinator, long-polls LeaseJobs, runs each
// leased job through the Evaluator, and reports CompleteJob / FailJob. A
// separate heartbeat thread sends progress, renews the leases it holds and
// applies the coordinator's answer (cancelled jobs and lost leases flip
// JobContext::Cancelled). The same class runs in `ablate-worker` (Slurm job,
// Kubernetes pod, systemd unit) and in-process in `ablate run`.
//
// Failure handling:
//  - Coordinator away: every RPC has a deadline; failures are retried with
//    exponential backoff + jitter, forever (idle_exit_ms aside) once the
//    worker has registered; before that, for at most startup_timeout_ms. A coordinator
//    that forgot the worker (NOT_FOUND) is registered with again.
//  - Finished results are re-sent until the coordinator answers (bounded by
//    report_retry_ms); completions are fenced by (lease, attempt) on the
//    coordinator, so a resend never yields a second result.
//  - Pipelining (options.pipeline, default): the next LeaseJobs is in flight
//    while the last job of the current lease runs, and reports go through a
//    ReportQueue (one background sender, in order); Run() returns only after
//    every queued report was delivered or given up (the same bounds as above).
//  - RequestStop (SIGTERM) drains: no new leases, leases not yet started are
//    released at once, the running job may finish within drain_grace_ms; after
//    that it is cancelled and its lease released (FailJob release=true, which
//    does not count as an attempt). Run() then returns OK.
//  - A job the coordinator cancels (heartbeat answer) is stopped and reported
//    with FailJob(release=true), which ends it CANCELLED; a lost lease (the job
//    went to another worker) is stopped and nothing is reported.
//
// Thread-safety: Run() is called once, from one thread. RequestStop(), stats()
// and worker_id() may be called from any thread at any time. The evaluator is
// only used from the thread that calls Run().
//
//   WorkerRuntime runtime(options, std::move(evaluator));
//   std::thread t([&] { status = runtime.Run(); });
//   ...; runtime.RequestStop(); t.join();
#ifndef ABLATE_WORKER_RUNTIME_WORKER_RUNTIME_H_
#define ABLATE_WORKER_RUNTIME_WORKER_RUNTIME_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "ablate/v1/worker.grpc.pb.h"
#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "auth/grpc_security.h"
#include "common/path_policy.h"
#include "worker/evaluator.h"
#include "worker/runtime/lease_table.h"
#include "worker/runtime/report_queue.h"
#include "worker/runtime/worker_options.h"

namespace ablate::worker {

class WorkerRuntime {
 public:
  struct Stats {
    int64_t completed = 0;      // CompleteJob accepted (incl. duplicates)
    int64_t failed = 0;         // FailJob sent for a job error
    int64_t released = 0;       // leases handed back (drain)
    int64_t dropped = 0;        // jobs not completed here: cancelled, lease lost, report refused
    int64_t registrations = 0;  // successful RegisterWorker calls
  };

  WorkerRuntime(WorkerOptions options, std::unique_ptr<Evaluator> evaluator);
  ~WorkerRuntime();
  WorkerRuntime(const WorkerRuntime&) = delete;
  WorkerRuntime& operator=(const WorkerRuntime&) = delete;

  // Serves until RequestStop() (after draining), the coordinator answers
  // shutting_down, or idle_exit_ms passes without work. OK on any of these.
  // InvalidArgument for bad options or a null evaluator; FailedPrecondition if
  // called twice. UNAVAILABLE if the coordinator never answered within
  // startup_timeout_ms of the start; once registered, never fails because the
  // coordinator is unreachable.
  absl::Status Run();

  // Starts a drain (see above). Idempotent; returns immediately. Not
  // async-signal-safe: call it from a signal-waiting thread, not a handler.
  void RequestStop();

  Stats stats() const;
  // The id the coordinator gave at the last registration; empty before.
  std::string worker_id() const;

 private:
  void Log(const std::string& line) const;
  bool Stopping() const;
  // Waits `d` or until RequestStop(); false if stopping.
  bool SleepUnlessStopping(absl::Duration d);
  std::unique_ptr<grpc::ClientContext> NewContext(absl::Duration timeout) const;
  // The current stub (a new channel after ResetChannel()).
  std::shared_ptr<v1::WorkerService::Stub> stub() const;
  void ResetChannel();

  // Registers unless someone already replaced `stale_id` with a fresh id.
  absl::Status EnsureRegistered(const std::string& stale_id);
  absl::Status Register() ABSL_EXCLUSIVE_LOCKS_REQUIRED(register_mu_);
  void ForgetRegistration(const std::string& stale_id);

  // One LeaseJobs call in flight (asynchronous; answered on a gRPC thread).
  struct PendingLease;
  // Starts a LeaseJobs call; its leases join leases_ as soon as it is
  // answered (so heartbeats keep them alive). Null when stopping. The caller
  // owns the call and must AwaitLease it before dropping it (the gRPC
  // callback holds no reference).
  std::shared_ptr<PendingLease> StartLease();
  // Waits for the call's answer.
  absl::StatusOr<v1::LeaseJobsResponse> AwaitLease(PendingLease& call);
  // Hands back (FailJob release) leases this worker will not run.
  void ReleaseUnstarted(const v1::Lease& lease, const std::string& why);
  void RunJob(const v1::Lease& lease);
  // Sends a finished job's outcome (`report`), then forgets its lease: in the
  // background (pipeline) or here.
  void SendReport(const v1::Lease& lease, std::function<void()> report);
  // Sends a finished job's result, then forgets its lease: queued (pipeline;
  // sent with the completions queued next to it) or here.
  void SendCompletion(const v1::Lease& lease, v1::JobResult result);
  // Sends queued completions: one CompleteJob alone, else one CompleteJobs
  // (each acknowledged by its outcome; to a coordinator without it, one
  // CompleteJob each), then forgets their leases.
  void ReportCompletions(const std::vector<ReportQueue::Completion>& batch);
  // Sends the outcome, retrying while the coordinator is away. False if it was
  // refused or could not be delivered in time.
  bool ReportComplete(const v1::Lease& lease, const v1::JobResult& result);
  bool ReportFailure(const v1::Lease& lease, const std::string& error, bool release);
  // Retries `call(ctx, worker_id)` per the report policy. `what` names it in logs.
  bool RetryReport(const std::string& what,
                   const std::function<grpc::Status(grpc::ClientContext*, const std::string&)>& call);

  void HeartbeatLoop();
  void SendHeartbeat();

  // PermissionDenied (without saying whether the file exists) when one of the
  // job's model / tokenizer / data paths is outside --allow-path.
  absl::Status CheckJobPaths(const v1::Job& job) const;

  // Set by Run() before any job runs, then constant.
  PathPolicy paths_;

  // Constant after construction.
  const WorkerOptions options_;
  const std::unique_ptr<Evaluator> evaluator_;
  std::string name_;
  std::thread heartbeat_thread_;

  LeaseTable leases_;                     // thread-safe on its own
  std::unique_ptr<ReportQueue> reports_;  // pipeline only; set in Run before any job

  absl::Mutex register_mu_ ABSL_ACQUIRED_BEFORE(mu_);  // serialises RegisterWorker calls

  mutable absl::Mutex mu_;
  bool ran_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_requested_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time stop_requested_at_ ABSL_GUARDED_BY(mu_);
  bool heartbeat_stop_ ABSL_GUARDED_BY(mu_) = false;
  std::string worker_id_ ABSL_GUARDED_BY(mu_);
  int32_t heartbeat_interval_ms_ ABSL_GUARDED_BY(mu_) = 2000;
  grpc::ClientContext* lease_call_ ABSL_GUARDED_BY(mu_) = nullptr;  // in-flight LeaseJobs
  std::vector<std::string> loaded_models_ ABSL_GUARDED_BY(mu_);
  // Replaced (not mutated) when the coordinator stays unreachable: a gRPC
  // channel that saw "connection refused" can sit in its own reconnect backoff
  // for seconds after the coordinator is back.
  std::shared_ptr<v1::WorkerService::Stub> stub_ ABSL_GUARDED_BY(mu_);
  auth::ClientSecurity security_;  // set once in Run, before any channel
  Stats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ablate::worker

#endif  // ABLATE_WORKER_RUNTIME_WORKER_RUNTIME_H_
