// worker_runtime.cc: see worker_runtime.h.
#include "worker/runtime/worker_runtime.h"

#include <unistd.h>

#include <exception>
#include <iostream>
#include <random>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"
#include "worker/runtime/backoff.h"
#include "worker/runtime/device_probe.h"
#include "worker/runtime/rpc_status.h"

namespace ablate::worker {
namespace {

BackoffOptions BackoffFrom(const WorkerOptions& o) {
  BackoffOptions b;
  b.initial_ms = o.backoff_initial_ms;
  b.max_ms = o.backoff_max_ms;
  b.multiplier = o.backoff_multiplier;
  b.jitter = o.backoff_jitter;
  return b;
}

uint64_t FreshSeed() {
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) ^ rd() ^ static_cast<uint64_t>(getpid());
}

// Pipeline back-pressure: no new lease while this many reports are queued
// (a coordinator that answers leases but is slow to take results).
constexpr int kMaxQueuedReports = 64;
// Completions per CompleteJobs call at most (the coordinator takes up to 256).
constexpr int kMaxCompletionsPerCall = 64;

std::string Describe(const v1::Job& job) {
  const v1::JobSpec& s = job.spec();
  return absl::StrCat("job ", job.job_id(), " [", s.model().name(), " ", s.condition().label(), " ",
                      s.evaluation().name(), " seed=", s.seed(), "]");
}

}  // namespace

WorkerRuntime::WorkerRuntime(WorkerOptions options, std::unique_ptr<Evaluator> evaluator)
    : options_(std::move(options)), evaluator_(std::move(evaluator)) {
  name_ = options_.name.empty() ? absl::StrCat(HostName(), "/", options_.device, "/", getpid()) : options_.name;
}

WorkerRuntime::~WorkerRuntime() {
  {
    absl::MutexLock lock(&mu_);
    stop_requested_ = true;
    heartbeat_stop_ = true;
  }
  if (heartbeat_thread_.joinable()) heartbeat_thread_.join();
}

void WorkerRuntime::Log(const std::string& line) const {
  const std::string full = absl::StrCat("[worker ", name_, "] ", line);
  if (options_.log_sink) {
    options_.log_sink(full);
  } else {
    std::cerr << absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ ", absl::Now(), absl::UTCTimeZone()) << full << std::endl;
  }
}

bool WorkerRuntime::Stopping() const {
  absl::MutexLock lock(&mu_);
  return stop_requested_;
}

bool WorkerRuntime::SleepUnlessStopping(absl::Duration d) {
  absl::MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(absl::Condition(&stop_requested_), d);
  return !stop_requested_;
}

std::unique_ptr<grpc::ClientContext> WorkerRuntime::NewContext(absl::Duration timeout) const {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  return ctx;
}

std::shared_ptr<v1::WorkerService::Stub> WorkerRuntime::stub() const {
  absl::MutexLock lock(&mu_);
  return stub_;
}

void WorkerRuntime::ResetChannel() {
  grpc::ChannelArguments args;
  // Notice a restarted coordinator within about a second. (Not
  // GRPC_ARG_MIN_RECONNECT_BACKOFF_MS: that is the minimum *connect timeout*;
  // lowering it makes slow handshakes fail forever.)
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 1000);
  std::shared_ptr<v1::WorkerService::Stub> fresh =
      v1::WorkerService::NewStub(auth::MakeChannel(options_.coordinator_address, security_, args));
  absl::MutexLock lock(&mu_);
  stub_ = std::move(fresh);
}

void WorkerRuntime::RequestStop() {
  absl::MutexLock lock(&mu_);
  if (stop_requested_) return;
  stop_requested_ = true;
  stop_requested_at_ = absl::Now();
  if (lease_call_ != nullptr) lease_call_->TryCancel();
}

WorkerRuntime::Stats WorkerRuntime::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

std::string WorkerRuntime::worker_id() const {
  absl::MutexLock lock(&mu_);
  return worker_id_;
}

// ---- registration ----

absl::Status WorkerRuntime::EnsureRegistered(const std::string& stale_id) {
  absl::MutexLock reg(&register_mu_);
  {
    absl::MutexLock lock(&mu_);
    if (!worker_id_.empty() && worker_id_ != stale_id) return absl::OkStatus();
  }
  return Register();
}

absl::Status WorkerRuntime::Register() {
  v1::RegisterWorkerRequest req;
  req.set_host(HostName());
  req.set_name(name_);
  *req.add_devices() = ProbeDevice(options_.device);
  req.set_code_version(options_.code_version);
  {
    absl::MutexLock lock(&mu_);
    for (const auto& m : loaded_models_) req.add_loaded_models(m);
  }
  v1::RegisterWorkerResponse resp;
  auto ctx = NewContext(absl::Milliseconds(options_.rpc_timeout_ms));
  absl::Status s = FromGrpcStatus(stub()->RegisterWorker(ctx.get(), req, &resp), "RegisterWorker");
  if (!s.ok()) return s;
  if (resp.worker_id().empty()) return absl::InternalError("RegisterWorker: empty worker_id in answer");
  int32_t interval = options_.heartbeat_interval_ms > 0 ? options_.heartbeat_interval_ms : resp.heartbeat_interval_ms();
  if (interval <= 0) interval = 2000;
  {
    absl::MutexLock lock(&mu_);
    worker_id_ = resp.worker_id();
    heartbeat_interval_ms_ = interval;
    ++stats_.registrations;
  }
  Log(absl::StrCat("registered with ", options_.coordinator_address, " as ", resp.worker_id(), " (device ",
                   options_.device, ", heartbeat every ", interval, " ms)"));
  return absl::OkStatus();
}

void WorkerRuntime::ForgetRegistration(const std::string& stale_id) {
  absl::MutexLock lock(&mu_);
  if (worker_id_ == stale_id) worker_id_.clear();
}

// ---- the job loop ----

absl::Status WorkerRuntime::Run() {
  if (absl::Status s = ValidateWorkerOptions(options_); !s.ok()) return s;
  if (evaluator_ == nullptr) return absl::InvalidArgumentError("WorkerRuntime: evaluator is null");
  {
    absl::StatusOr<PathPolicy> paths = PathPolicy::Create(options_.allow_paths);
    if (!paths.ok()) return paths.status();
    paths_ = *std::move(paths);
  }
  {
    absl::MutexLock lock(&mu_);
    if (ran_) return absl::FailedPreconditionError("WorkerRuntime::Run called twice");
    ran_ = true;
    loaded_models_ = evaluator_->LoadedModels();
  }
  absl::StatusOr<auth::ClientSecurity> security = auth::LoadClientSecurity(options_.security);
  if (!security.ok()) return security.status();
  security_ = *std::move(security);
  ResetChannel();
  if (options_.pipeline) {
    reports_ = std::make_unique<ReportQueue>(
        [this](std::vector<ReportQueue::Completion> batch) { ReportCompletions(batch); }, kMaxCompletionsPerCall);
  }
  heartbeat_thread_ = std::thread([this] { HeartbeatLoop(); });

  Backoff backoff(BackoffFrom(options_), FreshSeed());
  const absl::Time started = absl::Now();
  absl::Time last_work = started;
  absl::Status result = absl::OkStatus();
  bool reachable = true;
  auto note_failure = [&](const absl::Status& s) {
    if (reachable || backoff.failures() % 20 == 0) {
      Log(absl::StrCat("coordinator ", options_.coordinator_address, " unavailable (", s.message(),
                       "); retrying with backoff"));
    }
    reachable = false;
    SleepUnlessStopping(backoff.Next());
    if (backoff.failures() >= 2 && IsRetryable(s)) ResetChannel();
  };
  std::shared_ptr<PendingLease> next;                  // pipeline: the lease call made while a job ran
  absl::Duration last_job = absl::InfiniteDuration();  // how long the previous job took
  while (!Stopping()) {
    if (options_.idle_exit_ms > 0 && absl::Now() - last_work > absl::Milliseconds(options_.idle_exit_ms)) {
      Log(absl::StrCat("no work for ", options_.idle_exit_ms, " ms; exiting"));
      break;
    }
    const std::string id = worker_id();
    if (id.empty()) {
      absl::Status s = EnsureRegistered(id);
      if (!s.ok()) {
        if (stats().registrations == 0 && options_.startup_timeout_ms > 0 &&
            absl::Now() - started > absl::Milliseconds(options_.startup_timeout_ms)) {
          result = absl::UnavailableError(absl::StrCat(
              "coordinator ", options_.coordinator_address, " did not answer within ", options_.startup_timeout_ms,
              " ms of startup (", s.message(), "); check --coordinator / ABLATE_COORDINATOR"));
          break;
        }
        note_failure(s);
        continue;
      }
    }
    if (reports_ != nullptr) reports_->WaitUntilPendingBelow(kMaxQueuedReports);
    std::shared_ptr<PendingLease> call = next != nullptr ? std::move(next) : StartLease();
    next = nullptr;
    if (call == nullptr) break;  // stopping
    absl::StatusOr<v1::LeaseJobsResponse> leased = AwaitLease(*call);
    if (!leased.ok()) {
      if (Stopping()) break;
      if (leased.status().code() == absl::StatusCode::kNotFound) {
        Log(absl::StrCat("coordinator does not know worker ", id, "; registering again"));
        ForgetRegistration(id);
        continue;
      }
      note_failure(leased.status());
      continue;
    }
    if (!reachable) Log("coordinator reachable again");
    reachable = true;
    backoff.Reset();
    const int n = leased->leases_size();
    for (int i = 0; i < n; ++i) {
      const v1::Lease& lease = leased->leases(i);
      last_work = absl::Now();
      if (Stopping()) {
        ReleaseUnstarted(lease, "released: worker draining before the job started");
        continue;
      }
      // Pipeline: while jobs are short, ask for the next ones while the last
      // of these runs.
      if (reports_ != nullptr && i == n - 1 && !leased->shutting_down() &&
          last_job < absl::Milliseconds(options_.prefetch_below_ms) && reports_->pending() < kMaxQueuedReports) {
        next = StartLease();
      }
      const absl::Time job_start = absl::Now();
      RunJob(lease);
      last_work = absl::Now();
      last_job = last_work - job_start;
    }
    if (!leased->leases().empty()) {
      std::vector<std::string> models = evaluator_->LoadedModels();
      absl::MutexLock lock(&mu_);
      loaded_models_ = std::move(models);
    }
    if (leased->shutting_down()) {
      Log("coordinator is shutting down; exiting");
      break;
    }
  }
  if (next != nullptr) {
    // A lease call made while the last job ran: cancel it; whatever it was
    // granted is handed back.
    {
      absl::MutexLock lock(&mu_);
      if (lease_call_ != nullptr) lease_call_->TryCancel();
    }
    absl::StatusOr<v1::LeaseJobsResponse> unused = AwaitLease(*next);
    if (unused.ok()) {
      for (const v1::Lease& lease : unused->leases()) {
        ReleaseUnstarted(lease, "released: worker stopped before the job started");
      }
    }
  }
  // Every finished result is sent (or given up per report_retry_ms and the
  // drain deadline) before the worker exits.
  if (reports_ != nullptr) reports_->Drain();
  {
    absl::MutexLock lock(&mu_);
    heartbeat_stop_ = true;
  }
  heartbeat_thread_.join();
  const Stats st = stats();
  Log(absl::StrCat("stopped: ", st.completed, " completed, ", st.failed, " failed, ", st.released, " released, ",
                   st.dropped, " dropped"));
  return result;
}

struct WorkerRuntime::PendingLease {
  std::shared_ptr<v1::WorkerService::Stub> stub;  // alive until answered
  grpc::ClientContext ctx;
  v1::LeaseJobsRequest request;
  v1::LeaseJobsResponse response;
  grpc::Status status;
  absl::Notification answered;
};

std::shared_ptr<WorkerRuntime::PendingLease> WorkerRuntime::StartLease() {
  auto call = std::make_shared<PendingLease>();
  call->request.set_max_jobs(options_.max_jobs_per_lease);
  call->request.set_wait_ms(options_.lease_wait_ms);
  call->ctx.set_deadline(
      absl::ToChronoTime(absl::Now() + absl::Milliseconds(options_.lease_wait_ms + options_.rpc_timeout_ms)));
  {
    absl::MutexLock lock(&mu_);
    if (stop_requested_) return nullptr;
    call->request.set_worker_id(worker_id_);
    for (const auto& m : loaded_models_) call->request.add_loaded_models(m);
    call->stub = stub_;
    lease_call_ = &call->ctx;
  }
  // The callback holds no owning reference: every call is awaited by Run,
  // which owns it, so its context, stub and channel are released on Run's
  // thread. (Capturing the shared_ptr let the callback drop the last
  // reference on gRPC's thread while gRPC was still finishing the call, at
  // worker exit: "ref_counted.h assertion failed: prior > 0", SIGABRT.)
  PendingLease* raw = call.get();
  call->stub->async()->LeaseJobs(&call->ctx, &call->request, &call->response, [this, call = raw](grpc::Status s) {
    // Held (and renewed by heartbeats) from the answer on.
    if (s.ok()) {
      for (const v1::Lease& l : call->response.leases()) {
        leases_.Add(l);
      }
    }
    call->status = std::move(s);
    call->answered.Notify();
  });
  return call;
}

absl::StatusOr<v1::LeaseJobsResponse> WorkerRuntime::AwaitLease(PendingLease& call) {
  call.answered.WaitForNotification();
  {
    absl::MutexLock lock(&mu_);
    if (lease_call_ == &call.ctx) lease_call_ = nullptr;
  }
  if (!call.status.ok()) return FromGrpcStatus(call.status, "LeaseJobs");
  return std::move(call.response);
}

void WorkerRuntime::ReleaseUnstarted(const v1::Lease& lease, const std::string& why) {
  if (ReportFailure(lease, why, true)) {
    absl::MutexLock lock(&mu_);
    ++stats_.released;
  }
  leases_.Remove(lease);
}

void WorkerRuntime::SendReport(const v1::Lease& lease, std::function<void()> report) {
  auto send = [this, lease, report = std::move(report)] {
    report();
    leases_.Remove(lease);  // heartbeats renewed it until the outcome was delivered
  };
  if (reports_ != nullptr) {
    reports_->Push(std::move(send));
  } else {
    send();
  }
}

void WorkerRuntime::SendCompletion(const v1::Lease& lease, v1::JobResult result) {
  if (reports_ != nullptr) {
    reports_->PushCompletion({lease, std::move(result)});
    return;
  }
  ReportComplete(lease, result);
  leases_.Remove(lease);  // heartbeats renewed it until the outcome was delivered
}

void WorkerRuntime::RunJob(const v1::Lease& lease) {
  const v1::Job& job = lease.job();
  const int64_t job_id = job.job_id();
  std::shared_ptr<RunningJobContext> ctx = leases_.Start(job_id);
  if (ctx == nullptr) return;
  absl::StatusOr<v1::JobResult> result = absl::CancelledError("not started");
  const absl::Time start = absl::Now();
  if (absl::Status allowed = CheckJobPaths(job); !allowed.ok()) {
    result = allowed;
  } else if (!ctx->Cancelled()) {
    Log(absl::StrCat("running ", Describe(job), " attempt ", lease.attempt()));
    try {
      result = evaluator_->Evaluate(job, *ctx);
    } catch (const std::exception& e) {
      result = absl::InternalError(absl::StrCat("evaluator threw: ", e.what()));
    } catch (...) {
      result = absl::InternalError("evaluator threw a non-standard exception");
    }
  }
  const double wall = absl::ToDoubleSeconds(absl::Now() - start);
  // Finish: from here a drain leaves the job to its report (lease_table.h).
  switch (leases_.Finish(job_id)) {
    case StopReason::kCancelled: {
      // Cancel-pending on the coordinator: our report ends the job (CANCELLED).
      // Finished work is still sent; the coordinator keeps it.
      Log(absl::StrCat(Describe(job), ": cancelled by the coordinator"));
      if (result.ok()) {
        SendCompletion(lease, *std::move(result));
      } else {
        SendReport(lease, [this, lease] {
          ReportFailure(lease, "cancelled by the coordinator", true);
          absl::MutexLock lock(&mu_);
          ++stats_.dropped;
        });
      }
      return;
    }
    case StopReason::kLost: {
      Log(absl::StrCat(Describe(job), ": lease lost; outcome discarded"));
      {
        absl::MutexLock lock(&mu_);
        ++stats_.dropped;
      }
      break;
    }
    case StopReason::kDrain: {
      // The heartbeat thread already released the lease (grace period elapsed).
      Log(absl::StrCat(Describe(job), ": stopped by drain; lease released"));
      break;
    }
    case StopReason::kNone: {
      if (result.ok()) {
        v1::JobResult r = *std::move(result);
        if (r.wall_seconds() <= 0) r.set_wall_seconds(wall);
        if (r.device().empty()) r.set_device(options_.device);
        if (r.code_version().empty()) r.set_code_version(options_.code_version);
        SendCompletion(lease, std::move(r));
      } else if (result.status().code() == absl::StatusCode::kCancelled) {
        // The evaluator gave up without being told to: hand the job back.
        SendReport(lease, [this, lease, why = std::string(result.status().message())] {
          if (ReportFailure(lease, why, true)) {
            absl::MutexLock lock(&mu_);
            ++stats_.released;
          }
        });
      } else {
        Log(absl::StrCat(Describe(job), " failed: ", result.status().ToString()));
        SendReport(lease, [this, lease, why = result.status().ToString()] {
          if (ReportFailure(lease, why, false)) {
            absl::MutexLock lock(&mu_);
            ++stats_.failed;
          }
        });
      }
      return;
    }
  }
  leases_.Remove(lease);  // nothing to report
}

absl::Status WorkerRuntime::CheckJobPaths(const v1::Job& job) const {
  const v1::JobSpec& spec = job.spec();
  std::vector<std::pair<const char*, const std::string*>> paths = {{"model.path", &spec.model().path()},
                                                                   {"model.tokenizer", &spec.model().tokenizer()}};
  const v1::EvaluationSpec& e = spec.evaluation();
  switch (e.kind_case()) {
    case v1::EvaluationSpec::kPerplexity:
      paths.push_back({"evaluation.perplexity.dataset", &e.perplexity().dataset()});
      break;
    case v1::EvaluationSpec::kMultipleChoice:
      paths.push_back({"evaluation.multiple_choice.path", &e.multiple_choice().path()});
      paths.push_back({"evaluation.multiple_choice.fewshot_path", &e.multiple_choice().fewshot_path()});
      break;
    case v1::EvaluationSpec::kGeneration:
      paths.push_back({"evaluation.generation.path", &e.generation().path()});
      paths.push_back({"evaluation.generation.fewshot_path", &e.generation().fewshot_path()});
      break;
    case v1::EvaluationSpec::kDiagnostics:
      paths.push_back({"evaluation.diagnostics.dataset", &e.diagnostics().dataset()});
      break;
    default:
      break;
  }
  for (const auto& [field, path] : paths) {
    if (path->empty()) continue;
    if (absl::Status s = paths_.Check(*path, field); !s.ok()) return s;
  }
  return absl::OkStatus();
}

// ---- reports ----

bool WorkerRuntime::ReportComplete(const v1::Lease& lease, const v1::JobResult& result) {
  v1::CompleteJobResponse resp;
  const bool delivered = RetryReport(absl::StrCat("CompleteJob(job ", lease.job().job_id(), ")"),
                                     [&](grpc::ClientContext* ctx, const std::string& worker_id) {
                                       v1::CompleteJobRequest req;
                                       req.set_worker_id(worker_id);
                                       req.set_job_id(lease.job().job_id());
                                       req.set_lease_id(lease.lease_id());
                                       req.set_attempt(lease.attempt());
                                       *req.mutable_result() = result;
                                       return stub()->CompleteJob(ctx, req, &resp);
                                     });
  absl::MutexLock lock(&mu_);
  if (delivered && resp.accepted()) {
    ++stats_.completed;
    return true;
  }
  if (delivered) {
    Log(absl::StrCat("job ", lease.job().job_id(), ": completion not accepted (stale attempt ", lease.attempt(), ")"));
  }
  ++stats_.dropped;
  return false;
}

void WorkerRuntime::ReportCompletions(const std::vector<ReportQueue::Completion>& batch) {
  if (batch.size() == 1) {  // alone: the plain CompleteJob
    ReportComplete(batch[0].lease, batch[0].result);
    leases_.Remove(batch[0].lease);
    return;
  }
  v1::CompleteJobsResponse resp;
  grpc::StatusCode last = grpc::StatusCode::OK;
  const bool delivered = RetryReport(absl::StrCat("CompleteJobs(", batch.size(), " jobs)"),
                                     [&](grpc::ClientContext* ctx, const std::string& worker_id) {
                                       v1::CompleteJobsRequest req;
                                       req.set_worker_id(worker_id);
                                       for (const ReportQueue::Completion& c : batch) {
                                         v1::CompleteJobRequest* one = req.add_completions();
                                         one->set_job_id(c.lease.job().job_id());
                                         one->set_lease_id(c.lease.lease_id());
                                         one->set_attempt(c.lease.attempt());
                                         *one->mutable_result() = c.result;
                                       }
                                       resp.Clear();
                                       grpc::Status s = stub()->CompleteJobs(ctx, req, &resp);
                                       last = s.error_code();
                                       return s;
                                     });
  if (!delivered && last == grpc::StatusCode::UNIMPLEMENTED) {
    // A coordinator without CompleteJobs: one call each.
    for (const ReportQueue::Completion& c : batch) {
      ReportComplete(c.lease, c.result);
      leases_.Remove(c.lease);
    }
    return;
  }
  {
    absl::MutexLock lock(&mu_);
    for (size_t i = 0; i < batch.size(); ++i) {
      const v1::Lease& lease = batch[i].lease;
      const int k = static_cast<int>(i);
      const bool answered = delivered && k < resp.outcomes_size();
      if (answered && resp.outcomes(k).code() == 0 && resp.outcomes(k).response().accepted()) {
        ++stats_.completed;
        continue;
      }
      if (answered && resp.outcomes(k).code() == 0) {
        Log(absl::StrCat("job ", lease.job().job_id(), ": completion not accepted (stale attempt ", lease.attempt(),
                         ")"));
      } else if (answered) {
        Log(absl::StrCat("job ", lease.job().job_id(), ": completion refused: ", resp.outcomes(k).message()));
      }
      ++stats_.dropped;
    }
  }
  for (const ReportQueue::Completion& c : batch) leases_.Remove(c.lease);
}

bool WorkerRuntime::ReportFailure(const v1::Lease& lease, const std::string& error, bool release) {
  v1::FailJobResponse resp;
  const bool delivered = RetryReport(absl::StrCat("FailJob(job ", lease.job().job_id(), release ? ", release)" : ")"),
                                     [&](grpc::ClientContext* ctx, const std::string& worker_id) {
                                       v1::FailJobRequest req;
                                       req.set_worker_id(worker_id);
                                       req.set_job_id(lease.job().job_id());
                                       req.set_lease_id(lease.lease_id());
                                       req.set_attempt(lease.attempt());
                                       req.set_error(error);
                                       req.set_release(release);
                                       return stub()->FailJob(ctx, req, &resp);
                                     });
  return delivered && resp.accepted();
}

bool WorkerRuntime::RetryReport(const std::string& what,
                                const std::function<grpc::Status(grpc::ClientContext*, const std::string&)>& call) {
  Backoff backoff(BackoffFrom(options_), FreshSeed());
  const absl::Time give_up = absl::Now() + absl::Milliseconds(options_.report_retry_ms);
  int not_found = 0;  // NOT_FOUND once means "worker unknown"; twice, the job itself is unknown
  while (true) {
    absl::Time deadline = give_up;
    {
      absl::MutexLock lock(&mu_);
      if (stop_requested_) {
        deadline = std::min(deadline,
                            stop_requested_at_ + absl::Milliseconds(options_.drain_grace_ms + options_.rpc_timeout_ms));
      }
    }
    std::string id = worker_id();
    absl::Status s;
    if (id.empty()) {
      s = EnsureRegistered(id);
      id = worker_id();
    }
    if (s.ok()) {
      auto ctx = NewContext(absl::Milliseconds(options_.rpc_timeout_ms));
      s = FromGrpcStatus(call(ctx.get(), id), what);
      if (s.ok()) return true;
      if (s.code() == absl::StatusCode::kNotFound && ++not_found == 1) {
        ForgetRegistration(id);  // re-register, then send again
      } else if (!IsRetryable(s)) {
        Log(absl::StrCat(what, " refused: ", s.ToString()));
        return false;
      }
    }
    if (absl::Now() >= deadline) {
      Log(absl::StrCat(what, " not delivered, giving up: ", s.ToString()));
      return false;
    }
    if (backoff.failures() == 0) Log(absl::StrCat(what, " failed (", s.message(), "); retrying"));
    absl::SleepFor(std::min(backoff.Next(), std::max(absl::ZeroDuration(), deadline - absl::Now())));
    if (backoff.failures() >= 2 && s.code() == absl::StatusCode::kUnavailable) ResetChannel();
  }
}

// ---- heartbeats and the drain watchdog ----

void WorkerRuntime::HeartbeatLoop() {
  bool drain_released = false;
  while (true) {
    absl::Duration wait;
    bool drain_due = false;
    {
      absl::MutexLock lock(&mu_);
      // Until registered, look again soon; the interval comes with registration.
      wait = absl::Milliseconds(worker_id_.empty() ? std::min(heartbeat_interval_ms_, 50) : heartbeat_interval_ms_);
      if (stop_requested_ && !drain_released) {
        const absl::Time due = stop_requested_at_ + absl::Milliseconds(options_.drain_grace_ms);
        wait = std::min(wait, std::max(absl::ZeroDuration(), due - absl::Now()));
      }
      // Wake early on shutdown, and when a drain starts (its grace timer begins).
      const bool stop_seen = stop_requested_;
      auto wake = [this, stop_seen]()
                      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return heartbeat_stop_ || stop_requested_ != stop_seen; };
      mu_.AwaitWithTimeout(absl::Condition(&wake), wait);
      if (heartbeat_stop_) return;
      drain_due = stop_requested_ && !drain_released &&
                  absl::Now() >= stop_requested_at_ + absl::Milliseconds(options_.drain_grace_ms);
    }
    if (drain_due) {
      drain_released = true;
      for (const v1::Lease& lease : leases_.StopRunningForDrain()) {
        Log(absl::StrCat("drain grace of ", options_.drain_grace_ms, " ms elapsed; releasing job ",
                         lease.job().job_id()));
        if (ReportFailure(lease, "released: worker drained before the job finished", true)) {
          absl::MutexLock lock(&mu_);
          ++stats_.released;
        }
      }
    }
    SendHeartbeat();
  }
}

void WorkerRuntime::SendHeartbeat() {
  const std::string id = worker_id();
  if (id.empty()) return;  // the job loop is registering
  v1::HeartbeatRequest req;
  req.set_worker_id(id);
  for (v1::LeaseProgress& p : leases_.Progress()) *req.add_leases() = std::move(p);
  {
    absl::MutexLock lock(&mu_);
    for (const auto& m : loaded_models_) req.add_loaded_models(m);
  }
  v1::HeartbeatResponse resp;
  auto ctx = NewContext(absl::Milliseconds(options_.rpc_timeout_ms));
  absl::Status s = FromGrpcStatus(stub()->Heartbeat(ctx.get(), req, &resp), "Heartbeat");
  if (s.code() == absl::StatusCode::kNotFound) {
    // The coordinator restarted and forgot us: register again right away so the
    // running job's heartbeats continue (its old lease is reported lost, if so).
    Log(absl::StrCat("coordinator does not know worker ", id, "; registering again"));
    ForgetRegistration(id);
    if (absl::Status r = EnsureRegistered(""); !r.ok()) {
      Log(absl::StrCat("re-registration failed: ", r.message()));
    }
    return;
  }
  if (!s.ok()) return;  // transient; the job loop reports outages
  if (leases_.Apply(resp) > 0) {
    Log(absl::StrCat("heartbeat: cancelled [", absl::StrJoin(resp.cancelled_job_ids(), ","), "] lost [",
                     absl::StrJoin(resp.lost_job_ids(), ","), "]"));
  }
}

}  // namespace ablate::worker
