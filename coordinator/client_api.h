// client_api.h: the client calls of the coordinator core: submit and cancel
// sweeps, and the queries (sweeps, jobs, results, workers, a sweep's live
// snapshot for WatchSweep, the audit log), over the state it shares with the
// other parts (scheduler_state.h). No gRPC types.
//
// Tenancy (docs/security.md): every method takes the authenticated Caller
// (default Caller::Local(), the admin of the default tenant: the
// unauthenticated mode). Roles are checked here (auth::Authorize); another
// tenant's sweep or job is NotFound, exactly like a missing one; lists are
// scoped to the caller's tenant (admin: all). Quotas (auth::TenantQuota) are
// ResourceExhausted naming the quota.
//
// Thread-safety: all methods are thread-safe. SubmitSweep blocks (call it off
// the RPC thread); CancelSweep's `done` runs once, after the commit, never
// under the state's lock.
//
//   ClientApi& api = scheduler->client_api();
//   ASSIGN_OR_RETURN(v1::SweepInfo info, api.GetSweep(sweep_id, caller));
#ifndef ABLATE_COORDINATOR_CLIENT_API_H_
#define ABLATE_COORDINATOR_CLIENT_API_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ablate/v1/coordinator.pb.h"
#include "absl/status/statusor.h"
#include "auth/caller.h"
#include "coordinator/scheduler_options.h"
#include "coordinator/scheduler_state.h"
#include "storage/job_store.h"

namespace ablate::coordinator {

class ClientApi {
 public:
  // `state` must outlive this object.
  explicit ClientApi(SchedulerState& state) : state_(state) {}
  ClientApi(const ClientApi&) = delete;
  ClientApi& operator=(const ClientApi&) = delete;

  // Expands and stores the sweep (or only expands, for dry_run), owned by the
  // caller's tenant. A sweep of at most materialize_above_jobs jobs is stored
  // with all its jobs in one transaction; a bigger one is stored (spec, job
  // count) in one small transaction and answered, and its jobs are created in
  // the background by the Materializer. Jobs not created yet count as queued
  // (as cancelled once the sweep is cancelled) in every count; ListJobs lists
  // the created ones. The spec is request.spec, or request.spec_text parsed
  // here (relative paths resolved against request.base_dir).
  // request.existing decides whether a sweep of the same name and spec (in
  // the caller's tenant) is returned instead (resumed=true).
  // Blocking (the expansion is streamed once to count and validate it, plus
  // the insert): call it off the RPC thread; holds no lock while expanding.
  // InvalidArgument for a bad spec or a grid over the limits;
  // ResourceExhausted for a spec over max_spec_bytes or naming the tenant
  // quota it would pass; Cancelled when `cancelled` turns true (the caller
  // went away) and DeadlineExceeded past limits.expansion_timeout_ms;
  // FailedPrecondition when resuming meets an unfinished sweep of the same
  // name with another spec. request_id (optional, per tenant): a request with
  // an id already stored and the same request returns the sweep it created
  // (nothing new is stored); the same id with a different request is
  // AlreadyExists.
  absl::StatusOr<v1::SubmitSweepResponse> SubmitSweep(const v1::SubmitSweepRequest& request,
                                                      const auth::Caller& caller = auth::Caller::Local(),
                                                      std::function<bool()> cancelled = nullptr);
  // NotFound for an unknown sweep (or another tenant's).
  absl::StatusOr<v1::SweepInfo> GetSweep(int64_t sweep_id, const auth::Caller& caller = auth::Caller::Local());
  absl::StatusOr<v1::ListSweepsResponse> ListSweeps(const v1::ListSweepsRequest& request,
                                                    const auth::Caller& caller = auth::Caller::Local());
  // Queued jobs (and jobs not created yet) CANCELLED at once, leased ones
  // cancel-pending (reported in Heartbeat.cancelled_job_ids). NotFound for an
  // unknown sweep; a finished sweep cancels nothing (0).
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
  // Audit rows after `after_audit_id`, oldest first (admin only).
  absl::StatusOr<std::vector<storage::AuditRecord>> ListAudit(int64_t after_audit_id, int limit,
                                                              const auth::Caller& caller = auth::Caller::Local());

 private:
  absl::StatusOr<v1::SubmitSweepResponse> SubmitSweepAs(const v1::SubmitSweepRequest& request,
                                                        const auth::Caller& caller, std::function<bool()> cancelled);
  // ResourceExhausted naming the first quota a submit of `jobs` jobs would
  // pass (jobs < 0: the checks before expansion, counting the submit).
  absl::Status CheckSubmitQuota(const auth::Caller& caller, int64_t jobs, bool dry_run);
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

  SchedulerState& state_;
};

}  // namespace ablate::coordinator

#endif  // ABLATE_COORDINATOR_CLIENT_API_H_
