// coordinator_server.cc: CoordinatorServer::Start: the Scheduler over the
// SQLite store, the gRPC services, reflection, and an orderly shutdown
// (long polls answered "shutting down", streams ended, calls drained within
// the grace period, queued writes committed).
#include "coordinator/coordinator_server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include <iostream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "auth/authenticator.h"
#include "auth/grpc_security.h"
#include "auth/listen_policy.h"
#include "auth/rate_limiter.h"
#include "common/path_policy.h"
#include "common/status_macros.h"
#include "coordinator/grpc_service.h"
#include "coordinator/http/http_server.h"
#include "coordinator/metrics/coordinator_metrics.h"
#include "coordinator/scheduler.h"
#include "coordinator/task_runner.h"
#include "spec/expander.h"
#include "spec/layout_sources.h"
#include "spec/spec_parser.h"

namespace ablate::coordinator {
namespace {

constexpr int kMaxSendBytes = 512 << 20;  // dry-run expansions of big grids

// The production expander: defaults, then the expansion with the layouts the
// client sent, streamed; a model without one has its config.json read from
// its path here (inside the --allow-path directories). StreamSweep counts the
// grid from the spec's structure and the layer counts, against the limits,
// and validates the whole spec before it emits the first job.
ExpandFn MakeExpander(RequestLimits limits, PathPolicy paths) {
  return [limits, paths](v1::SweepSpec* spec, const google::protobuf::RepeatedPtrField<v1::ModelLayout>& sent,
                         const spec::ExpandOptions& options,
                         const JobSink& sink) -> absl::StatusOr<std::vector<v1::ExpansionCount>> {
    spec::ApplyDefaults(spec);
    ASSIGN_OR_RETURN(auto by_name, spec::ParseSentLayouts(*spec, sent, limits));
    spec::ConfigLayoutSource from_paths(limits, paths);
    spec::FixedLayoutSource layouts(std::move(by_name), &from_paths);
    return spec::StreamSweep(*spec, layouts, sink, options);
  };
}

class CoordinatorServerImpl : public CoordinatorServer {
 public:
  ~CoordinatorServerImpl() override { Shutdown(absl::ZeroDuration()); }

  absl::Status Init(const CoordinatorOptions& o) {
    RETURN_IF_ERROR(auth::CheckListenPolicy({.address = o.listen_address,
                                             .auth = !o.auth_file.empty(),
                                             .tls = o.tls.enabled(),
                                             .insecure_allow_remote = o.insecure_allow_remote}));
    if (o.auth_file.empty()) {
      authn_ = auth::Authenticator::Disabled();
    } else {
      ASSIGN_OR_RETURN(authn_, auth::Authenticator::FromFile(o.auth_file));
    }
    if (!auth::IsLoopbackAddress(o.listen_address) && o.auth_file.empty()) {
      std::cerr << "ablate-coordinator: WARNING: --insecure-allow-remote: listening on " << o.listen_address
                << " without authentication; anyone who can reach it can submit, cancel, read "
                   "every sweep and forge results\n";
    }
    SchedulerOptions so;
    so.db_path = o.db_path;
    so.heartbeat_interval_ms = o.heartbeat_interval_ms;
    so.worker_timeout_ms = o.worker_timeout_ms;
    so.expiry_scan_interval_ms = o.expiry_scan_interval_ms;
    so.max_long_poll_ms = o.max_long_poll_ms;
    so.max_jobs_per_lease = o.max_jobs_per_lease;
    so.max_completions_per_request = o.max_completions_per_request;
    so.max_lost_leases = o.max_lost_leases;
    so.group_commit_ms = o.group_commit_ms;
    so.limits = o.limits;
    so.reclaim_grace_ms = o.reclaim_grace_ms;
    so.synchronous_full = o.synchronous_full;
    so.materialize_above_jobs = o.materialize_above_jobs;
    so.materialize_chunk_jobs = o.materialize_chunk_jobs;
    so.materialize_ahead_jobs = o.materialize_ahead_jobs;
    metrics_ = std::make_unique<metrics::CoordinatorMetrics>();
    so.observer = metrics_.get();
    ASSIGN_OR_RETURN(PathPolicy paths, PathPolicy::Create(o.allow_paths));
    ASSIGN_OR_RETURN(core_, Scheduler::Open(so, MakeExpander(o.limits, std::move(paths))));
    if (authn_->enabled()) core_->SetAuthConfig(authn_->config());
    // Refused tokens are audited, at most 60 rows a minute (a flood must not fill the disk).
    Scheduler* core = core_.get();
    auth::RateLimiter* refusals = &refused_rate_;
    auth::RefusedFn on_refused = [core, refusals](const std::string& method, const std::string& reason,
                                                  const std::string& certificate) {
      if (!refusals->Allow("auth", 60, absl::ToUnixMillis(absl::Now()))) return;
      storage::AuditRecord a;
      a.subject = certificate.empty() ? "" : absl::StrCat("cert:", certificate);
      a.rpc = method.empty() ? "auth" : method;
      a.outcome = "unauthenticated";
      a.detail = reason;
      core->Audit(std::move(a));
    };
    ASSIGN_OR_RETURN(std::shared_ptr<grpc::ServerCredentials> creds,
                     auth::MakeServerCredentials(o.tls, authn_.get(), std::move(on_refused)));
    // Every handler authenticates its own call (auth::CallerOf) with the same
    // Authenticator the credentials' processor gates calls with.
    const auth::Authenticator* authn = authn_.get();
    submits_ = std::make_unique<TaskRunner>(std::max(1, o.submit_threads));
    runner_ = std::make_unique<TaskRunner>(std::max(1, o.query_threads));
    hub_ = std::make_unique<WatchHub>(&core_->client_api(), o.watch_interval_ms);
    coordinator_service_ =
        std::make_unique<CoordinatorService>(&core_->client_api(), submits_.get(), runner_.get(), hub_.get(), authn);
    worker_service_ = std::make_unique<WorkerServiceImpl>(&core_->worker_api(), authn);
    admin_service_ = std::make_unique<AdminServiceImpl>(&core_->client_api(), runner_.get(), authn);

    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
    // grpc.health.v1.Health: SERVING once the store is open (below), NOT_SERVING on shutdown.
    grpc::EnableDefaultHealthCheckService(true);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort(o.listen_address, creds, &port);
    builder.RegisterService(coordinator_service_.get());
    builder.RegisterService(worker_service_.get());
    builder.RegisterService(admin_service_.get());
    // Whole requests larger than this are refused by gRPC (RESOURCE_EXHAUSTED)
    // before they reach a handler; the handlers then check each field's limit.
    builder.SetMaxReceiveMessageSize(static_cast<int>(o.limits.max_receive_message_bytes));
    builder.SetMaxSendMessageSize(kMaxSendBytes);
    // Let clients keep idle long-poll connections alive with pings.
    builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
    builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 5000);
    builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
    // A second coordinator must not share the port (gRPC enables SO_REUSEPORT).
    builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
    server_ = builder.BuildAndStart();
    if (server_ == nullptr || port == 0) {
      ShutdownParts(absl::ZeroDuration());
      return absl::UnavailableError(
          absl::StrCat("cannot listen on '", o.listen_address, "' (address in use or invalid?)"));
    }
    const std::string& addr = o.listen_address;
    const size_t colon = addr.rfind(':');
    address_ = absl::StrCat(colon == std::string::npos ? addr : addr.substr(0, colon), ":", port);
    if (!o.http_listen_address.empty()) {
      // The HTTP front end is plain HTTP: off loopback a token (and every
      // answer) would travel in clear text, so it takes the explicit opt-in
      // (meant for a TLS-terminating proxy in front).
      if (!auth::IsLoopbackAddress(o.http_listen_address) && !o.insecure_allow_remote) {
        ShutdownParts(absl::ZeroDuration());
        return absl::FailedPreconditionError(
            absl::StrCat("--http-listen ", o.http_listen_address,
                         " is not a loopback address; the HTTP front end has no TLS: serve it on loopback "
                         "behind a TLS proxy, or pass --insecure-allow-remote"));
      }
      http::HttpServerOptions ho;
      ho.listen_address = o.http_listen_address;
      if (authn_->enabled()) {
        // The same token check as the gRPC API; the caller scopes every answer.
        auth::Authenticator* authn = authn_.get();
        ho.authorize = [authn](const http::HttpRequestInfo& info) {
          return authn->Authenticate(info.authorization, "");
        };
      }
      absl::StatusOr<std::unique_ptr<http::HttpServer>> h = http::HttpServer::Start(ho, core_.get(), metrics_.get());
      if (!h.ok()) {
        ShutdownParts(absl::ZeroDuration());
        return h.status();
      }
      http_ = *std::move(h);
    }
    if (auto* health = server_->GetHealthCheckService()) health->SetServingStatus(true);
    return absl::OkStatus();
  }

  std::string address() const override { return address_; }
  std::string http_address() const override { return http_ ? http_->address() : ""; }

  void Shutdown(absl::Duration grace) override {
    bool started_here = false;
    {
      absl::MutexLock lock(&mu_);
      if (!shutdown_started_) started_here = shutdown_started_ = true;
    }
    if (!started_here) {
      done_.WaitForNotification();
      return;
    }
    ShutdownParts(grace);
    done_.Notify();
  }

  void Wait() override { done_.WaitForNotification(); }

  absl::Status ReloadAuth() override {
    if (!authn_ || !authn_->enabled()) return absl::FailedPreconditionError("no --auth-file to reload");
    RETURN_IF_ERROR(authn_->Reload());
    core_->SetAuthConfig(authn_->config());
    return absl::OkStatus();
  }

 private:
  void ShutdownParts(absl::Duration grace) {
    if (server_ != nullptr) {
      if (auto* health = server_->GetHealthCheckService()) health->SetServingStatus(false);
    }
    if (http_) http_->Stop();           // dashboards and probes first: they only read
    if (core_) core_->BeginShutdown();  // parked long polls answer shutting_down=true
    if (hub_) hub_->RequestStop();      // watch streams end
    if (server_) {
      server_->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(absl::ToInt64Milliseconds(grace)));
    }
    if (hub_) hub_->Shutdown();
    if (submits_) submits_->Stop();
    if (runner_) runner_->Stop();
    if (core_) core_->Stop();  // commits what is queued
  }

  std::unique_ptr<auth::Authenticator> authn_;  // outlives the server (its processor reads it)
  auth::RateLimiter refused_rate_;
  std::unique_ptr<metrics::CoordinatorMetrics> metrics_;  // before core_: it observes the core
  std::unique_ptr<Scheduler> core_;
  std::unique_ptr<http::HttpServer> http_;
  std::unique_ptr<TaskRunner> submits_;  // SubmitSweep, one at a time
  std::unique_ptr<TaskRunner> runner_;   // queries
  std::unique_ptr<WatchHub> hub_;
  std::unique_ptr<CoordinatorService> coordinator_service_;
  std::unique_ptr<WorkerServiceImpl> worker_service_;
  std::unique_ptr<AdminServiceImpl> admin_service_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  absl::Mutex mu_;
  bool shutdown_started_ ABSL_GUARDED_BY(mu_) = false;
  absl::Notification done_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<CoordinatorServer>> CoordinatorServer::Start(const CoordinatorOptions& options) {
  auto server = std::make_unique<CoordinatorServerImpl>();
  RETURN_IF_ERROR(server->Init(options));
  return std::unique_ptr<CoordinatorServer>(std::move(server));
}

}  // namespace ablate::coordinator
