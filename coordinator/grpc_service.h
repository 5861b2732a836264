// grpc_service.h: the thin gRPC adapters over the coordinator core, on the
// callback API: validate the request, call the core part it serves (ClientApi
// for the Coordinator and Admin services, WorkerApi for the WorkerService),
// translate status. They never see the store or the scheduling state.
//
// No RPC blocks a gRPC thread for long:
// - worker RPCs hand a callback to the core and Finish from it (after the
//   group commit), LeaseJobs with a reactor that parks in the core and is
//   finished by a commit / maintenance thread (OnCancel un-parks it);
// - client RPCs that touch the database (submit = expansion + big insert,
//   queries) run on a small TaskRunner;
// - WatchSweep streams are fed by one WatchHub thread for all watchers.
// Every handler takes the Caller the auth processor attached to the call
// (auth::CallerOf) and hands it to the core, which checks roles and scopes by
// tenant; with `auth_required` a call without one is refused.
// Thread-safety: the services are used by gRPC from many threads; all state
// lives in the core parts, the TaskRunner and the WatchHub, which are
// thread-safe and must outlive the services' server.
//
//   CoordinatorService coord(&core->client_api(), &submits, &queries, &hub);
//   WorkerServiceImpl worker(&core->worker_api());
//   builder.RegisterService(&coord); builder.RegisterService(&worker);
#ifndef ABLATE_COORDINATOR_GRPC_SERVICE_H_
#define ABLATE_COORDINATOR_GRPC_SERVICE_H_

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "ablate/v1/admin.grpc.pb.h"
#include "ablate/v1/coordinator.grpc.pb.h"
#include "ablate/v1/worker.grpc.pb.h"
#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "auth/authenticator.h"
#include "coordinator/client_api.h"
#include "coordinator/task_runner.h"
#include "coordinator/worker_api.h"

namespace ablate::coordinator {

class WatchReactor;

// Feeds every WatchSweep stream from one thread: an event when a sweep's
// counts or state change (at most one per interval), a keep-alive event every
// 5 s, and a last event when the sweep has ended, then the stream finishes.
class WatchHub {
 public:
  WatchHub(ClientApi* core, int32_t interval_ms);
  ~WatchHub();
  WatchHub(const WatchHub&) = delete;
  WatchHub& operator=(const WatchHub&) = delete;

  // Starts finishing every stream (Unavailable); does not wait.
  void RequestStop();
  // RequestStop, then waits until every stream has left. Idempotent.
  void Shutdown();

  // Used by WatchReactor.
  void Add(WatchReactor* r);
  void Remove(WatchReactor* r);
  ClientApi* core() const { return core_; }

 private:
  void Loop();

  ClientApi* const core_;
  const int32_t interval_ms_;
  absl::Mutex mu_;
  std::vector<WatchReactor*> reactors_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

class CoordinatorService final : public v1::Coordinator::CallbackService {
 public:
  // `submits` runs SubmitSweep (expansion + big insert), `queries` the other
  // database-touching calls, so a huge submission never delays a status query.
  CoordinatorService(ClientApi* core, TaskRunner* submits, TaskRunner* queries, WatchHub* hub,
                     const auth::Authenticator* authn = nullptr)
      : core_(core), submits_(submits), runner_(queries), hub_(hub), authn_(authn) {}

  grpc::ServerUnaryReactor* SubmitSweep(grpc::CallbackServerContext* ctx, const v1::SubmitSweepRequest* req,
                                        v1::SubmitSweepResponse* resp) override;
  grpc::ServerUnaryReactor* GetSweep(grpc::CallbackServerContext* ctx, const v1::GetSweepRequest* req,
                                     v1::SweepInfo* resp) override;
  grpc::ServerUnaryReactor* ListSweeps(grpc::CallbackServerContext* ctx, const v1::ListSweepsRequest* req,
                                       v1::ListSweepsResponse* resp) override;
  grpc::ServerUnaryReactor* CancelSweep(grpc::CallbackServerContext* ctx, const v1::CancelSweepRequest* req,
                                        v1::CancelSweepResponse* resp) override;
  grpc::ServerUnaryReactor* ListJobs(grpc::CallbackServerContext* ctx, const v1::ListJobsRequest* req,
                                     v1::ListJobsResponse* resp) override;
  grpc::ServerUnaryReactor* QueryResults(grpc::CallbackServerContext* ctx, const v1::QueryResultsRequest* req,
                                         v1::QueryResultsResponse* resp) override;
  grpc::ServerWriteReactor<v1::SweepEvent>* WatchSweep(grpc::CallbackServerContext* ctx,
                                                       const v1::WatchSweepRequest* req) override;
  grpc::ServerUnaryReactor* ListWorkers(grpc::CallbackServerContext* ctx, const v1::ListWorkersRequest* req,
                                        v1::ListWorkersResponse* resp) override;

 private:
  ClientApi* const core_;
  TaskRunner* const submits_;
  TaskRunner* const runner_;
  WatchHub* const hub_;
  const auth::Authenticator* const authn_;  // null: no authentication
};

class WorkerServiceImpl final : public v1::WorkerService::CallbackService {
 public:
  explicit WorkerServiceImpl(WorkerApi* core, const auth::Authenticator* authn = nullptr)
      : core_(core), authn_(authn) {}

  grpc::ServerUnaryReactor* RegisterWorker(grpc::CallbackServerContext* ctx, const v1::RegisterWorkerRequest* req,
                                           v1::RegisterWorkerResponse* resp) override;
  grpc::ServerUnaryReactor* LeaseJobs(grpc::CallbackServerContext* ctx, const v1::LeaseJobsRequest* req,
                                      v1::LeaseJobsResponse* resp) override;
  grpc::ServerUnaryReactor* Heartbeat(grpc::CallbackServerContext* ctx, const v1::HeartbeatRequest* req,
                                      v1::HeartbeatResponse* resp) override;
  grpc::ServerUnaryReactor* CompleteJob(grpc::CallbackServerContext* ctx, const v1::CompleteJobRequest* req,
                                        v1::CompleteJobResponse* resp) override;
  grpc::ServerUnaryReactor* CompleteJobs(grpc::CallbackServerContext* ctx, const v1::CompleteJobsRequest* req,
                                         v1::CompleteJobsResponse* resp) override;
  grpc::ServerUnaryReactor* FailJob(grpc::CallbackServerContext* ctx, const v1::FailJobRequest* req,
                                    v1::FailJobResponse* resp) override;

 private:
  WorkerApi* const core_;
  const auth::Authenticator* const authn_;  // null: no authentication
};

// The operator-only Admin service (role admin).
class AdminServiceImpl final : public v1::Admin::CallbackService {
 public:
  AdminServiceImpl(ClientApi* core, TaskRunner* queries, const auth::Authenticator* authn)
      : core_(core), runner_(queries), authn_(authn) {}

  grpc::ServerUnaryReactor* ListAudit(grpc::CallbackServerContext* ctx, const v1::ListAuditRequest* req,
                                      v1::ListAuditResponse* resp) override;

 private:
  ClientApi* const core_;
  TaskRunner* const runner_;
  const auth::Authenticator* const authn_;  // null: no authentication
};

}  // namespace ablate::coordinator

#endif  // ABLATE_COORDINATOR_GRPC_SERVICE_H_
