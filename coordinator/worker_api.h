// worker_api.h: the worker calls of the coordinator core (register, lease,
// heartbeat, complete one or a batch, fail), over the state it shares with the other parts
// (scheduler_state.h). No gRPC types: requests and responses are ablate.v1
// proto messages; the gRPC WorkerService only authenticates and translates.
//
// Semantics (docs/api.md has the full contract):
// - Lease: see lease_grant.cc (fair share, priority, age, model affinity, a
//   batch of one model and evaluation). Every lease bumps the job's attempt
//   (the fencing token) and is durable before it is answered.
// - Complete/Fail are fenced by (attempt, lease_id): a report for an older
//   attempt is refused (accepted=false) and writes nothing; the same report
//   twice is idempotent (duplicate=true, no second result).
// - The latest attempt of a job whose lease expired (or was requeued by a
//   coordinator restart) stays valid until the job is leased again: its
//   completion is accepted and a heartbeat re-claims the lease.
// - FailJob(release=true) requeues without counting against max_attempts;
//   FailJob with an error counts; max_attempts counted -> FAILED.
// - A completion of a cancel-pending job is stored (the work is valid) and the
//   job still ends CANCELLED.
// Every answer is sent after the writes it depends on (and all writes queued
// before them) are committed.
//
// Tenancy: a worker id belongs to the subject that registered it; a lease to
// the worker id it was granted to: lease, heartbeat and reports for another
// subject's worker or lease are PermissionDenied and change nothing.
//
// Thread-safety: all methods are thread-safe. Callbacks (`done`) run exactly
// once, on the caller's thread or the committer thread, never under the
// state's lock; they must be short.
//
//   WorkerApi& api = scheduler->worker_api();
//   api.LeaseJobs(req, [](absl::StatusOr<v1::LeaseJobsResponse> r) { ... }, caller);
#ifndef ABLATE_COORDINATOR_WORKER_API_H_
#define ABLATE_COORDINATOR_WORKER_API_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ablate/v1/worker.pb.h"
#include "auth/caller.h"
#include "coordinator/scheduler_options.h"
#include "coordinator/scheduler_state.h"

namespace ablate::coordinator {

class WorkerApi {
 public:
  // `state` must outlive this object.
  explicit WorkerApi(SchedulerState& state) : state_(state) {}
  WorkerApi(const WorkerApi&) = delete;
  WorkerApi& operator=(const WorkerApi&) = delete;

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
  // The most completions one CompleteJobs request may carry.
  int32_t max_completions_per_request() const { return state_.options.max_completions_per_request; }
  // CompleteJobs: the completions of one worker (request.worker_id; each
  // completion's worker_id empty or the same), each checked, fenced and
  // answered exactly as CompleteJob would (an outcome per completion, in
  // order: its response, or its error code and message), all stored in one
  // transaction and answered once it commits. The whole request is refused
  // (nothing stored) when the caller may not use worker_id
  // (PermissionDenied), over max_completions_per_request (InvalidArgument) or
  // over max_receive_message_bytes (ResourceExhausted), checked before
  // anything per completion is allocated; an error storing the batch fails
  // it whole (the worker re-sends it).
  void CompleteJobs(const v1::CompleteJobsRequest& request, Callback<v1::CompleteJobsResponse> done,
                    const auth::Caller& caller = auth::Caller::Local());
  void FailJob(const v1::FailJobRequest& request, Callback<v1::FailJobResponse> done,
               const auth::Caller& caller = auth::Caller::Local());

 private:
  // One completion's part of a commit: its answer (set at once, or in commit
  // order for a job no longer in memory) and what undoes its in-memory change
  // if the commit fails.
  struct Completion {
    std::shared_ptr<absl::StatusOr<v1::CompleteJobResponse>> answer =
        std::make_shared<absl::StatusOr<v1::CompleteJobResponse>>();
    std::function<void(absl::Status)> on_fail;
    bool serve_waiters = false;  // call ServeWaiters once the writes are queued
  };
  // The body of CompleteJob after its checks: decides `request`, sent by
  // `worker_id` (request.worker_id() is not read), against the in-memory
  // state, appending the writes to *ops and the answer to *out.
  void CompleteLocked(const v1::CompleteJobRequest& request, const std::string& worker_id, const auth::Caller& caller,
                      int64_t now, std::vector<SchedulerState::Op>* ops, Completion* out)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(state_.mu);

  SchedulerState& state_;
};

}  // namespace ablate::coordinator

#endif  // ABLATE_COORDINATOR_WORKER_API_H_
