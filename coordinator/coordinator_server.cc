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

constexpr int kMaxReceiveBytes = 64 << 20;   // a spec + its text, a result with per-layer detail
constexpr int kMaxSendBytes = 512 << 20;     // dry-run expansions of big grids

// The production expander: defaults, a cheap count against the limit, then the
// full expansion with the layouts the client sent; a model without one has its
// config.json read from its path here.
ExpandFn MakeExpander(int64_t max_jobs) {
  return [max_jobs](v1::SweepSpec* spec,
                    const google::protobuf::RepeatedPtrField<v1::ModelLayout>& sent)
             -> absl::StatusOr<spec::Expansion> {
    spec::ApplyDefaults(spec);
    ASSIGN_OR_RETURN(auto by_name, spec::ParseSentLayouts(*spec, sent));
    spec::ConfigLayoutSource from_paths;
    spec::FixedLayoutSource layouts(std::move(by_name), &from_paths);
    ASSIGN_OR_RETURN(std::vector<v1::ExpansionCount> counts, spec::CountSweep(*spec, layouts));
    int64_t total = 0;
    for (const auto& c : counts) total += c.jobs();
    if (total > max_jobs) {
      return absl::InvalidArgumentError(absl::StrCat(
          "spec: the sweep expands to ", total, " jobs, more than the coordinator's limit of ",
          max_jobs, " (max_jobs_per_sweep)"));
    }
    return spec::ExpandSweep(*spec, layouts);
  };
}

class CoordinatorServerImpl : public CoordinatorServer {
 public:
  ~CoordinatorServerImpl() override { Shutdown(absl::ZeroDuration()); }

  absl::Status Init(const CoordinatorOptions& o) {
    SchedulerOptions so;
    so.db_path = o.db_path;
    so.heartbeat_interval_ms = o.heartbeat_interval_ms;
    so.worker_timeout_ms = o.worker_timeout_ms;
    so.expiry_scan_interval_ms = o.expiry_scan_interval_ms;
    so.max_long_poll_ms = o.max_long_poll_ms;
    so.max_jobs_per_lease = o.max_jobs_per_lease;
    so.max_lost_leases = o.max_lost_leases;
    so.group_commit_ms = o.group_commit_ms;
    so.max_jobs_per_sweep = o.max_jobs_per_sweep;
    so.reclaim_grace_ms = o.reclaim_grace_ms;
    so.synchronous_full = o.synchronous_full;
    metrics_ = std::make_unique<metrics::CoordinatorMetrics>();
    so.observer = metrics_.get();
    ASSIGN_OR_RETURN(core_, Scheduler::Open(so, MakeExpander(o.max_jobs_per_sweep)));
    submits_ = std::make_unique<TaskRunner>(1);
    runner_ = std::make_unique<TaskRunner>(std::max(1, o.query_threads));
    hub_ = std::make_unique<WatchHub>(core_.get(), o.watch_interval_ms);
    coordinator_service_ =
        std::make_unique<CoordinatorService>(core_.get(), submits_.get(), runner_.get(),
                                             hub_.get());
    worker_service_ = std::make_unique<WorkerServiceImpl>(core_.get());

    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
    // grpc.health.v1.Health: SERVING once the store is open (below), NOT_SERVING on shutdown.
    grpc::EnableDefaultHealthCheckService(true);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort(o.listen_address, grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(coordinator_service_.get());
    builder.RegisterService(worker_service_.get());
    builder.SetMaxReceiveMessageSize(kMaxReceiveBytes);
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
      http::HttpServerOptions ho;
      ho.listen_address = o.http_listen_address;
      absl::StatusOr<std::unique_ptr<http::HttpServer>> h =
          http::HttpServer::Start(ho, core_.get(), metrics_.get());
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

 private:
  void ShutdownParts(absl::Duration grace) {
    if (server_ != nullptr) {
      if (auto* health = server_->GetHealthCheckService()) health->SetServingStatus(false);
    }
    if (http_) http_->Stop();           // dashboards and probes first: they only read
    if (core_) core_->BeginShutdown();  // parked long polls answer shutting_down=true
    if (hub_) hub_->RequestStop();      // watch streams end
    if (server_) {
      server_->Shutdown(std::chrono::system_clock::now() +
                        std::chrono::milliseconds(absl::ToInt64Milliseconds(grace)));
    }
    if (hub_) hub_->Shutdown();
    if (submits_) submits_->Stop();
    if (runner_) runner_->Stop();
    if (core_) core_->Stop();  // commits what is queued
  }

  std::unique_ptr<metrics::CoordinatorMetrics> metrics_;  // before core_: it observes the core
  std::unique_ptr<Scheduler> core_;
  std::unique_ptr<http::HttpServer> http_;
  std::unique_ptr<TaskRunner> submits_;  // SubmitSweep, one at a time
  std::unique_ptr<TaskRunner> runner_;   // queries
  std::unique_ptr<WatchHub> hub_;
  std::unique_ptr<CoordinatorService> coordinator_service_;
  std::unique_ptr<WorkerServiceImpl> worker_service_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  absl::Mutex mu_;
  bool shutdown_started_ ABSL_GUARDED_BY(mu_) = false;
  absl::Notification done_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<CoordinatorServer>> CoordinatorServer::Start(
    const CoordinatorOptions& options) {
  auto server = std::make_unique<CoordinatorServerImpl>();
  RETURN_IF_ERROR(server->Init(options));
  return std::unique_ptr<CoordinatorServer>(std::move(server));
}

}  // namespace ablate::coordinator
