// grpc_service.cc: see grpc_service.h.
#include "coordinator/grpc_service.h"

#include <algorithm>
#include <atomic>
#include <deque>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "auth/grpc_security.h"
#include "common/request_limits.h"
#include "common/thread_name.h"
#include "rpc/grpc_status.h"

namespace ablate::coordinator {
namespace {

constexpr int64_t kKeepAliveMs = 5000;    // a WatchSweep event at least this often
constexpr int64_t kRateWindowMs = 10000;  // jobs_per_second over this window

// Finishes `reactor` with `result`'s status, copying the value into *resp.
template <typename T>
void FinishWith(grpc::ServerUnaryReactor* reactor, T* resp, absl::StatusOr<T> result) {
  if (result.ok()) {
    *resp = std::move(*result);
    reactor->Finish(grpc::Status::OK);
  } else {
    reactor->Finish(rpc::ToGrpcStatus(result.status()));
  }
}

template <typename T>
Callback<T> Finisher(grpc::ServerUnaryReactor* reactor, T* resp) {
  return [reactor, resp](absl::StatusOr<T> r) { FinishWith(reactor, resp, std::move(r)); };
}

grpc::ServerUnaryReactor* Reject(grpc::CallbackServerContext* ctx, const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  reactor->Finish(rpc::ToGrpcStatus(status));
  return reactor;
}

// A stream finished at once with `status`.
class RejectedStream : public grpc::ServerWriteReactor<v1::SweepEvent> {
 public:
  explicit RejectedStream(const grpc::Status& status) { Finish(status); }
  void OnDone() override { delete this; }
};

absl::Status CheckWorker(const std::string& worker_id) {
  if (worker_id.empty()) return absl::InvalidArgumentError("worker_id: empty (call RegisterWorker)");
  return absl::OkStatus();
}

absl::Status CheckReport(const std::string& worker_id, int64_t job_id, const std::string& lease_id, int32_t attempt) {
  if (absl::Status s = CheckWorker(worker_id); !s.ok()) return s;
  if (job_id <= 0) return absl::InvalidArgumentError("job_id: must be positive");
  if (lease_id.empty()) return absl::InvalidArgumentError("lease_id: empty");
  if (attempt <= 0) return absl::InvalidArgumentError("attempt: must be positive");
  return absl::OkStatus();
}

absl::Status CheckResult(const v1::JobResult& result) {
  absl::flat_hash_set<std::string> names;
  for (int i = 0; i < result.metrics_size(); ++i) {
    const std::string& name = result.metrics(i).name();
    if (name.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("result.metrics[", i, "].name: empty"));
    }
    if (!names.insert(name).second) {
      return absl::InvalidArgumentError(absl::StrCat("result.metrics[", i, "].name: duplicate metric '", name, "'"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

// ---------------------------------------------------------------- WatchSweep

class WatchReactor : public grpc::ServerWriteReactor<v1::SweepEvent> {
 public:
  WatchReactor(WatchHub* hub, int64_t sweep_id, auth::Caller caller)
      : hub_(hub), sweep_id_(sweep_id), caller_(std::move(caller)) {
    hub_->Add(this);
  }

  // Called by the hub thread (under the hub's lock). Starts a write when due,
  // or returns true if the stream should be finished with *finish.
  bool Poll(int64_t now_ms, bool shutting_down, grpc::Status* finish) {
    bool start_write = false;
    {
      absl::MutexLock lock(&mu_);
      if (writing_ || finish_called_) return false;
      if (cancelled_ || shutting_down) {
        finish_called_ = true;
        *finish = cancelled_ ? grpc::Status::CANCELLED
                             : grpc::Status(grpc::StatusCode::UNAVAILABLE, "the coordinator is shutting down");
        return true;
      }
      absl::StatusOr<v1::SweepEvent> snap = hub_->core()->SweepSnapshot(sweep_id_, caller_);
      if (!snap.ok()) {
        finish_called_ = true;
        *finish = rpc::ToGrpcStatus(snap.status());
        return true;
      }
      const v1::SweepCounts& c = snap->counts();
      const int64_t done = c.succeeded() + c.failed() + c.cancelled();
      samples_.push_back({now_ms, done});
      while (samples_.size() > 2 && now_ms - samples_.front().first > kRateWindowMs) {
        samples_.pop_front();
      }
      const int64_t span_ms = now_ms - samples_.front().first;
      snap->set_jobs_per_second(span_ms > 0 ? 1000.0 * static_cast<double>(done - samples_.front().second) / span_ms
                                            : 0);
      const bool ended =
          c.queued() + c.leased() == 0 && (snap->state() == v1::SWEEP_DONE || snap->state() == v1::SWEEP_CANCELLED);
      const bool changed =
          !sent_any_ || c.SerializeAsString() != last_.counts().SerializeAsString() || snap->state() != last_.state();
      if (changed || ended || now_ms - last_sent_ms_ >= kKeepAliveMs) {
        last_ = *snap;
        event_ = *snap;
        sent_any_ = true;
        last_sent_ms_ = now_ms;
        writing_ = true;
        final_ = ended;
        start_write = true;
      }
    }
    if (start_write) StartWrite(&event_);
    return false;
  }

  void OnWriteDone(bool ok) override {
    bool finish = false;
    grpc::Status status = grpc::Status::OK;
    {
      absl::MutexLock lock(&mu_);
      writing_ = false;
      if (!finish_called_ && (!ok || cancelled_ || final_)) {
        finish_called_ = true;
        finish = true;
        if (!ok || cancelled_) status = grpc::Status::CANCELLED;
      }
    }
    if (finish) Finish(status);
  }

  void OnCancel() override {
    bool finish = false;
    {
      absl::MutexLock lock(&mu_);
      cancelled_ = true;
      if (!writing_ && !finish_called_) {
        finish_called_ = true;
        finish = true;
      }
    }
    if (finish) Finish(grpc::Status::CANCELLED);
  }

  void OnDone() override {
    hub_->Remove(this);
    delete this;
  }

 private:
  WatchHub* const hub_;
  const int64_t sweep_id_;
  const auth::Caller caller_;
  absl::Mutex mu_;
  bool writing_ = false;
  bool finish_called_ = false;
  bool cancelled_ = false;
  bool final_ = false;
  bool sent_any_ = false;
  int64_t last_sent_ms_ = 0;
  v1::SweepEvent last_;
  v1::SweepEvent event_;                             // the message being written (owned until OnWriteDone)
  std::deque<std::pair<int64_t, int64_t>> samples_;  // (unix ms, jobs ended)
};

WatchHub::WatchHub(ClientApi* core, int32_t interval_ms) : core_(core), interval_ms_(std::max(10, interval_ms)) {
  thread_ = std::thread([this] {
    NameThisThread("ablate-watch");
    Loop();
  });
}

WatchHub::~WatchHub() { Shutdown(); }

void WatchHub::Add(WatchReactor* r) {
  absl::MutexLock lock(&mu_);
  reactors_.push_back(r);
}

void WatchHub::Remove(WatchReactor* r) {
  absl::MutexLock lock(&mu_);
  reactors_.erase(std::remove(reactors_.begin(), reactors_.end(), r), reactors_.end());
}

void WatchHub::RequestStop() {
  absl::MutexLock lock(&mu_);
  stopping_ = true;
}

void WatchHub::Shutdown() {
  RequestStop();
  if (thread_.joinable()) thread_.join();
}

void WatchHub::Loop() {
  bool first = true;
  while (true) {
    std::vector<std::pair<WatchReactor*, grpc::Status>> to_finish;
    bool stopping;
    {
      absl::MutexLock lock(&mu_);
      if (!first) {
        mu_.AwaitWithTimeout(absl::Condition(&stopping_), absl::Milliseconds(interval_ms_));
      }
      first = false;
      stopping = stopping_;
      if (stopping && reactors_.empty()) return;
      const int64_t now = absl::ToUnixMillis(absl::Now());
      for (WatchReactor* r : reactors_) {
        grpc::Status status;
        if (r->Poll(now, stopping, &status)) to_finish.push_back({r, status});
      }
    }
    // Outside the lock: Finish leads to OnDone, which takes the lock.
    for (auto& [r, status] : to_finish) r->Finish(status);
    if (stopping) {
      // Streams still writing finish from OnWriteDone (the server cancels
      // slow clients after its grace period); wait for them to leave.
      absl::MutexLock lock(&mu_);
      auto empty = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return reactors_.empty(); };
      mu_.AwaitWithTimeout(absl::Condition(&empty), absl::Milliseconds(interval_ms_));
    }
  }
}

// ---------------------------------------------------------------- Coordinator

grpc::ServerUnaryReactor* CoordinatorService::SubmitSweep(grpc::CallbackServerContext* ctx,
                                                          const v1::SubmitSweepRequest* req,
                                                          v1::SubmitSweepResponse* resp) {
  absl::StatusOr<auth::Caller> caller = auth::CallerOf(*ctx, authn_);
  if (!caller.ok()) return Reject(ctx, caller.status());
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  // Expansion and the big insert run off the reactor thread; the expansion
  // stops when the caller goes away (ctx is valid until Finish).
  submits_->Post([this, ctx, reactor, req, resp, caller = *std::move(caller)] {
    FinishWith(reactor, resp, core_->SubmitSweep(*req, caller, [ctx] { return ctx->IsCancelled(); }));
  });
  return reactor;
}

grpc::ServerUnaryReactor* CoordinatorService::GetSweep(grpc::CallbackServerContext* ctx, const v1::GetSweepRequest* req,
                                                       v1::SweepInfo* resp) {
  if (req->sweep_id() <= 0) return Reject(ctx, absl::InvalidArgumentError("sweep_id: must be positive"));
  absl::StatusOr<auth::Caller> caller = auth::CallerOf(*ctx, authn_);
  if (!caller.ok()) return Reject(ctx, caller.status());
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  runner_->Post([this, reactor, req, resp, caller = *std::move(caller)] {
    FinishWith(reactor, resp, core_->GetSweep(req->sweep_id(), caller));
  });
  return reactor;
}

grpc::ServerUnaryReactor* CoordinatorService::ListSweeps(grpc::CallbackServerContext* ctx,
                                                         const v1::ListSweepsRequest* req,
                                                         v1::ListSweepsResponse* resp) {
  absl::StatusOr<auth::Caller> caller = auth::CallerOf(*ctx, authn_);
  if (!caller.ok()) return Reject(ctx, caller.status());
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  runner_->Post([this, reactor, req, resp, caller = *std::move(caller)] {
    FinishWith(reactor, resp, core_->ListSweeps(*req, caller));
  });
  return reactor;
}

grpc::ServerUnaryReactor* CoordinatorService::CancelSweep(grpc::CallbackServerContext* ctx,
                                                          const v1::CancelSweepRequest* req,
                                                          v1::CancelSweepResponse* resp) {
  if (req->sweep_id() <= 0) return Reject(ctx, absl::InvalidArgumentError("sweep_id: must be positive"));
  absl::StatusOr<auth::Caller> caller = auth::CallerOf(*ctx, authn_);
  if (!caller.ok()) return Reject(ctx, caller.status());
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  runner_->Post([this, reactor, req, resp, caller = *std::move(caller)] {
    core_->CancelSweep(*req, Finisher(reactor, resp), caller);
  });
  return reactor;
}

grpc::ServerUnaryReactor* CoordinatorService::ListJobs(grpc::CallbackServerContext* ctx, const v1::ListJobsRequest* req,
                                                       v1::ListJobsResponse* resp) {
  if (req->page_size() < 0) return Reject(ctx, absl::InvalidArgumentError("page_size: negative"));
  absl::StatusOr<auth::Caller> caller = auth::CallerOf(*ctx, authn_);
  if (!caller.ok()) return Reject(ctx, caller.status());
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  runner_->Post([this, reactor, req, resp, caller = *std::move(caller)] {
    FinishWith(reactor, resp, core_->ListJobs(*req, caller));
  });
  return reactor;
}

grpc::ServerUnaryReactor* CoordinatorService::QueryResults(grpc::CallbackServerContext* ctx,
                                                           const v1::QueryResultsRequest* req,
                                                           v1::QueryResultsResponse* resp) {
  if (req->page_size() < 0) return Reject(ctx, absl::InvalidArgumentError("page_size: negative"));
  absl::StatusOr<auth::Caller> caller = auth::CallerOf(*ctx, authn_);
  if (!caller.ok()) return Reject(ctx, caller.status());
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  runner_->Post([this, reactor, req, resp, caller = *std::move(caller)] {
    FinishWith(reactor, resp, core_->QueryResults(*req, caller));
  });
  return reactor;
}

grpc::ServerWriteReactor<v1::SweepEvent>* CoordinatorService::WatchSweep(grpc::CallbackServerContext* ctx,
                                                                         const v1::WatchSweepRequest* req) {
  if (req->sweep_id() <= 0) {
    return new RejectedStream(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "sweep_id: must be positive"));
  }
  absl::StatusOr<auth::Caller> caller = auth::CallerOf(*ctx, authn_);
  if (!caller.ok()) return new RejectedStream(rpc::ToGrpcStatus(caller.status()));
  return new WatchReactor(hub_, req->sweep_id(), *std::move(caller));
}

grpc::ServerUnaryReactor* CoordinatorService::ListWorkers(grpc::CallbackServerContext* ctx,
                                                          const v1::ListWorkersRequest* req,
                                                          v1::ListWorkersResponse* resp) {
  (void)req;
  absl::StatusOr<auth::Caller> caller = auth::CallerOf(*ctx, authn_);
  if (!caller.ok()) return Reject(ctx, caller.status());
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  FinishWith(reactor, resp, core_->ListWorkers(*caller));  // in memory, short
  return reactor;
}

// ---------------------------------------------------------------- WorkerService

namespace {

// A parked LeaseJobs call: the core finishes it (commit thread, maintenance
// thread) and OnCancel un-parks it. Leases granted to a call that then failed
// before its answer reached the worker (it cancelled: a worker stopping,
// a dropped connection) are released at once (FailJob release: not an
// attempt), instead of waiting out their TTL while nobody runs them.
class LeaseReactor : public grpc::ServerUnaryReactor {
 public:
  LeaseReactor(WorkerApi* core, grpc::CallbackServerContext* ctx, const v1::LeaseJobsRequest* req,
               v1::LeaseJobsResponse* resp, const auth::Caller& caller)
      : core_(core), ctx_(ctx), resp_(resp), caller_(caller) {
    token_ = core_->LeaseJobs(
        *req,
        [this, resp](absl::StatusOr<v1::LeaseJobsResponse> r) {
          FinishWith<v1::LeaseJobsResponse>(this, resp, std::move(r));
        },
        caller);
  }
  void OnCancel() override {
    if (token_ != 0) core_->CancelLeaseWait(token_);
  }
  void OnDone() override {
    if (ctx_->IsCancelled()) {
      for (const v1::Lease& lease : resp_->leases()) {
        v1::FailJobRequest release;
        release.set_worker_id(lease.job().worker_id());
        release.set_job_id(lease.job().job_id());
        release.set_lease_id(lease.lease_id());
        release.set_attempt(lease.attempt());
        release.set_release(true);
        release.set_error("released: the lease never reached the worker (call cancelled)");
        core_->FailJob(
            release, [](absl::StatusOr<v1::FailJobResponse>) {}, caller_);
      }
    }
    delete this;
  }

 private:
  WorkerApi* const core_;
  grpc::CallbackServerContext* const ctx_;  // valid until OnDone returns
  v1::LeaseJobsResponse* const resp_;       // the answer (empty unless granted)
  const auth::Caller caller_;
  uint64_t token_ = 0;  // written before the handler returns, read after
};

}  // namespace

grpc::ServerUnaryReactor* WorkerServiceImpl::RegisterWorker(grpc::CallbackServerContext* ctx,
                                                            const v1::RegisterWorkerRequest* req,
                                                            v1::RegisterWorkerResponse* resp) {
  absl::StatusOr<auth::Caller> caller = auth::CallerOf(*ctx, authn_);
  if (!caller.ok()) return Reject(ctx, caller.status());
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  core_->RegisterWorker(*req, Finisher(reactor, resp), *caller);
  return reactor;
}

grpc::ServerUnaryReactor* WorkerServiceImpl::LeaseJobs(grpc::CallbackServerContext* ctx,
                                                       const v1::LeaseJobsRequest* req, v1::LeaseJobsResponse* resp) {
  if (absl::Status s = CheckWorker(req->worker_id()); !s.ok()) return Reject(ctx, s);
  if (req->max_jobs() < 0) return Reject(ctx, absl::InvalidArgumentError("max_jobs: negative"));
  absl::StatusOr<auth::Caller> caller = auth::CallerOf(*ctx, authn_);
  if (!caller.ok()) return Reject(ctx, caller.status());
  return new LeaseReactor(core_, ctx, req, resp, *caller);
}

grpc::ServerUnaryReactor* WorkerServiceImpl::Heartbeat(grpc::CallbackServerContext* ctx,
                                                       const v1::HeartbeatRequest* req, v1::HeartbeatResponse* resp) {
  if (absl::Status s = CheckWorker(req->worker_id()); !s.ok()) return Reject(ctx, s);
  absl::StatusOr<auth::Caller> caller = auth::CallerOf(*ctx, authn_);
  if (!caller.ok()) return Reject(ctx, caller.status());
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  core_->Heartbeat(*req, Finisher(reactor, resp), *caller);
  return reactor;
}

grpc::ServerUnaryReactor* WorkerServiceImpl::CompleteJob(grpc::CallbackServerContext* ctx,
                                                         const v1::CompleteJobRequest* req,
                                                         v1::CompleteJobResponse* resp) {
  absl::Status s = CheckReport(req->worker_id(), req->job_id(), req->lease_id(), req->attempt());
  if (s.ok()) s = CheckResult(req->result());
  if (!s.ok()) return Reject(ctx, s);
  absl::StatusOr<auth::Caller> caller = auth::CallerOf(*ctx, authn_);
  if (!caller.ok()) return Reject(ctx, caller.status());
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  core_->CompleteJob(*req, Finisher(reactor, resp), *caller);
  return reactor;
}

grpc::ServerUnaryReactor* WorkerServiceImpl::CompleteJobs(grpc::CallbackServerContext* ctx,
                                                          const v1::CompleteJobsRequest* req,
                                                          v1::CompleteJobsResponse* resp) {
  absl::Status s = CheckWorker(req->worker_id());
  // The count before anything per completion (the core checks it again).
  if (s.ok()) {
    s = CheckCount("CompleteJobs completions", req->completions_size(), core_->max_completions_per_request(),
                   "max-completions-per-request");
  }
  for (int i = 0; s.ok() && i < req->completions_size(); ++i) {
    const v1::CompleteJobRequest& c = req->completions(i);
    s = CheckReport(req->worker_id(), c.job_id(), c.lease_id(), c.attempt());
    if (s.ok()) s = CheckResult(c.result());
    if (!s.ok()) s = absl::InvalidArgumentError(absl::StrCat("completions[", i, "].", s.message()));
  }
  if (!s.ok()) return Reject(ctx, s);
  absl::StatusOr<auth::Caller> caller = auth::CallerOf(*ctx, authn_);
  if (!caller.ok()) return Reject(ctx, caller.status());
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  core_->CompleteJobs(*req, Finisher(reactor, resp), *caller);
  return reactor;
}

grpc::ServerUnaryReactor* WorkerServiceImpl::FailJob(grpc::CallbackServerContext* ctx, const v1::FailJobRequest* req,
                                                     v1::FailJobResponse* resp) {
  absl::Status s = CheckReport(req->worker_id(), req->job_id(), req->lease_id(), req->attempt());
  if (!s.ok()) return Reject(ctx, s);
  absl::StatusOr<auth::Caller> caller = auth::CallerOf(*ctx, authn_);
  if (!caller.ok()) return Reject(ctx, caller.status());
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  core_->FailJob(*req, Finisher(reactor, resp), *caller);
  return reactor;
}

// ---------------------------------------------------------------- Admin

grpc::ServerUnaryReactor* AdminServiceImpl::ListAudit(grpc::CallbackServerContext* ctx, const v1::ListAuditRequest* req,
                                                      v1::ListAuditResponse* resp) {
  if (req->page_size() < 0) return Reject(ctx, absl::InvalidArgumentError("page_size: negative"));
  absl::StatusOr<auth::Caller> caller = auth::CallerOf(*ctx, authn_);
  if (!caller.ok()) return Reject(ctx, caller.status());
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  runner_->Post([this, reactor, req, resp, caller = *std::move(caller)] {
    const int page = req->page_size() > 0 ? req->page_size() : 1000;
    absl::StatusOr<std::vector<storage::AuditRecord>> rows = core_->ListAudit(req->after_audit_id(), page, caller);
    if (!rows.ok()) return FinishWith<v1::ListAuditResponse>(reactor, resp, rows.status());
    v1::ListAuditResponse out;
    for (const storage::AuditRecord& r : *rows) {
      v1::AuditEntry* e = out.add_entries();
      e->set_audit_id(r.audit_id);
      e->set_unix_ms(r.unix_ms);
      e->set_subject(r.subject);
      e->set_tenant(r.tenant);
      e->set_rpc(r.rpc);
      e->set_sweep_id(r.sweep_id);
      e->set_outcome(r.outcome);
      e->set_detail(r.detail);
    }
    if (!rows->empty() && static_cast<int>(rows->size()) >= std::min(page, 10000)) {
      out.set_next_after_audit_id(rows->back().audit_id);
    }
    FinishWith<v1::ListAuditResponse>(reactor, resp, std::move(out));
  });
  return reactor;
}

}  // namespace ablate::coordinator
