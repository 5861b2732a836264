// submit_bench.cc: SubmitSweep of a ~10^6-job sweep through the real
// coordinator (CoordinatorServer on 127.0.0.1:0, SQLite file under /tmp, the
// product expander reading spec/testdata/qwen2.5-0.5b), once per way of
// storing it, each on a fresh database in the same process:
//   one transaction   every job stored before the answer (materialize_above_jobs = max)
//   background, all   answered after the count; every job created in chunks
//   background, bound answered after the count; jobs created ahead of the workers only
// For each: time to the answer, time until the jobs are created (all, or up to
// the bound), the process's peak RSS (VmHWM, reset before each run through
// /proc/self/clear_refs; client and server together), the worst LeaseJobs and
// GetSweep latency seen by a prober calling both every 10 ms from before the
// submit until the jobs are created, and the time CancelSweep takes
// afterwards. Nothing is asserted: the numbers depend on the machine.
//
//   submit_bench [--evaluations 20] [--seeds 1020] [--modes one,all,bound]
//                [--chunk 5000] [--ahead 50000]
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "ablate/v1/coordinator.grpc.pb.h"
#include "ablate/v1/worker.grpc.pb.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "coordinator/coordinator_server.h"
#include "storage/job_store.h"

namespace {

using namespace ablate;  // NOLINT: a benchmark main

struct Config {
  int evaluations = 20;
  int seeds = 1020;  // 49 conditions x 20 evaluations x 1020 seeds = 999,600 jobs
  std::vector<std::string> modes = {"one", "all", "bound"};
  int chunk = 2000;
  int64_t ahead = 20000;
};

struct Row {
  std::string name;
  int64_t jobs = 0;
  double accept_s = 0;
  double created_s = 0;
  int64_t created = 0;
  double peak_mb = 0;
  double max_lease_ms = 0;
  double max_get_ms = 0;
  double cancel_s = 0;
};

std::unique_ptr<grpc::ClientContext> Ctx(int seconds = 30) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
  return ctx;
}

v1::SweepSpec BigSpec(const Config& cfg) {
  v1::SweepSpec s;
  s.set_name("big");
  v1::ModelSpec* m = s.add_models();
  m->set_name("qwen2.5-0.5b");
  m->set_path(std::string(ABLATE_SOURCE_DIR) + "/spec/testdata/qwen2.5-0.5b");
  for (int i = 0; i < cfg.evaluations; ++i) {
    v1::EvaluationSpec* e = s.add_evaluations();
    e->set_name(absl::StrCat("wikitext", i));
    e->mutable_perplexity()->set_dataset("/data/wiki.test.raw");
  }
  s.add_ablations()->mutable_baseline();
  s.add_ablations()->mutable_layer_sweep()->set_component(v1::ATTENTION);
  s.add_ablations()->mutable_layer_sweep()->set_component(v1::MLP);
  for (int i = 0; i < cfg.seeds; ++i) s.add_seeds(i);
  return s;
}

// VmHWM of this process in MB; ResetPeak() starts a new peak.
double PeakMb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::strtod(line.c_str() + 6, nullptr) / 1024.0;
  }
  return 0;
}
void ResetPeak() { std::ofstream("/proc/self/clear_refs") << "5"; }

// Calls LeaseJobs (1 job, no wait) and GetSweep every 10 ms, keeping the worst latencies.
class Prober {
 public:
  Prober(const std::string& address, int64_t sweep_id) {
    auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
    client_ = v1::Coordinator::NewStub(channel);
    worker_ = v1::WorkerService::NewStub(channel);
    v1::RegisterWorkerRequest reg;
    reg.set_name("prober");
    reg.add_devices()->set_name("cpu");
    v1::RegisterWorkerResponse rr;
    if (worker_->RegisterWorker(Ctx().get(), reg, &rr).ok()) worker_id_ = rr.worker_id();
    thread_ = std::thread([this, sweep_id] { Loop(sweep_id); });
  }
  ~Prober() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  double max_lease_ms() const { return max_lease_ms_; }
  double max_get_ms() const { return max_get_ms_; }

 private:
  void Loop(int64_t sweep_id) {
    while (!stop_) {
      v1::LeaseJobsRequest lr;
      lr.set_worker_id(worker_id_);
      lr.set_max_jobs(1);
      lr.set_wait_ms(0);
      v1::LeaseJobsResponse lresp;
      absl::Time t0 = absl::Now();
      (void)worker_->LeaseJobs(Ctx().get(), lr, &lresp);
      max_lease_ms_ = std::max(max_lease_ms_.load(), absl::ToDoubleMilliseconds(absl::Now() - t0));
      v1::GetSweepRequest gr;
      gr.set_sweep_id(sweep_id);
      v1::SweepInfo info;
      t0 = absl::Now();
      (void)client_->GetSweep(Ctx().get(), gr, &info);
      max_get_ms_ = std::max(max_get_ms_.load(), absl::ToDoubleMilliseconds(absl::Now() - t0));
      absl::SleepFor(absl::Milliseconds(10));
    }
  }

  std::unique_ptr<v1::Coordinator::Stub> client_;
  std::unique_ptr<v1::WorkerService::Stub> worker_;
  std::string worker_id_;
  std::atomic<bool> stop_{false};
  std::atomic<double> max_lease_ms_{0};
  std::atomic<double> max_get_ms_{0};
  std::thread thread_;
};

int64_t Created(storage::JobStore& store, int64_t sweep_id) {
  auto rec = store.GetSweep(sweep_id);
  return rec.ok() ? rec->materialized_jobs : -1;
}

bool RunMode(const Config& cfg, const std::string& mode, Row* row) {
  const std::string dir = absl::StrCat("/tmp/ablate_submit_bench_", getpid(), "_", mode);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  coordinator::CoordinatorOptions o;
  o.db_path = dir + "/bench.db";
  o.listen_address = "127.0.0.1:0";
  o.materialize_chunk_jobs = cfg.chunk;
  if (mode == "one") {
    row->name = "one transaction";
    o.materialize_above_jobs = std::numeric_limits<int64_t>::max();
  } else if (mode == "all") {
    row->name = "background, all";
    o.materialize_ahead_jobs = 0;
  } else {
    row->name = absl::StrCat("background, ", cfg.ahead, " ahead");
    o.materialize_ahead_jobs = cfg.ahead;
  }
  ResetPeak();
  {
    auto server = coordinator::CoordinatorServer::Start(o);
    if (!server.ok()) {
      std::fprintf(stderr, "start: %s\n", server.status().ToString().c_str());
      return false;
    }
    auto reader = storage::JobStore::Open(o.db_path, {.read_only = true});
    if (!reader.ok()) {
      std::fprintf(stderr, "reader: %s\n", reader.status().ToString().c_str());
      return false;
    }
    auto channel = grpc::CreateChannel((*server)->address(), grpc::InsecureChannelCredentials());
    auto client = v1::Coordinator::NewStub(channel);
    Prober prober((*server)->address(), /*sweep_id=*/1);  // the first sweep of a fresh database
    absl::SleepFor(absl::Milliseconds(50));

    v1::SubmitSweepRequest req;
    *req.mutable_spec() = BigSpec(cfg);
    v1::SubmitSweepResponse resp;
    const absl::Time t0 = absl::Now();
    grpc::Status s = client->SubmitSweep(Ctx(600).get(), req, &resp);
    row->accept_s = absl::ToDoubleSeconds(absl::Now() - t0);
    if (!s.ok()) {
      std::fprintf(stderr, "submit: %s\n", s.error_message().c_str());
      return false;
    }
    row->jobs = resp.job_count();
    const int64_t want = mode == "bound" ? std::min(row->jobs, cfg.ahead) : row->jobs;
    while (Created(**reader, resp.sweep_id()) < want) absl::SleepFor(absl::Milliseconds(5));
    row->created_s = absl::ToDoubleSeconds(absl::Now() - t0);
    row->created = Created(**reader, resp.sweep_id());
    prober.Stop();
    row->max_lease_ms = prober.max_lease_ms();
    row->max_get_ms = prober.max_get_ms();
    row->peak_mb = PeakMb();

    v1::CancelSweepRequest cr;
    cr.set_sweep_id(resp.sweep_id());
    v1::CancelSweepResponse cresp;
    const absl::Time t1 = absl::Now();
    s = client->CancelSweep(Ctx(600).get(), cr, &cresp);
    row->cancel_s = absl::ToDoubleSeconds(absl::Now() - t1);
    if (!s.ok()) std::fprintf(stderr, "cancel: %s\n", s.error_message().c_str());
    (*server)->Shutdown(absl::Seconds(2));
  }
  std::filesystem::remove_all(dir);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Config cfg;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    bool ok = true;
    if (flag == "--evaluations") {
      ok = absl::SimpleAtoi(value, &cfg.evaluations);
    } else if (flag == "--seeds") {
      ok = absl::SimpleAtoi(value, &cfg.seeds);
    } else if (flag == "--chunk") {
      ok = absl::SimpleAtoi(value, &cfg.chunk);
    } else if (flag == "--ahead") {
      ok = absl::SimpleAtoi(value, &cfg.ahead);
    } else if (flag == "--modes") {
      cfg.modes = absl::StrSplit(value, ',');
    } else {
      ok = false;
    }
    if (!ok) {
      std::fprintf(stderr,
                   "usage: submit_bench [--evaluations N] [--seeds N] [--modes one,all,bound] "
                   "[--chunk N] [--ahead N]\n");
      return 2;
    }
  }
  std::vector<Row> rows;
  for (const std::string& mode : cfg.modes) {
    Row row;
    if (!RunMode(cfg, mode, &row)) return 1;
    rows.push_back(row);
  }
  std::printf("%-26s %9s %9s %10s %10s %9s %12s %11s %9s\n", "SubmitSweep", "jobs", "accept_s", "created_s", "created",
              "peak_MB", "max_lease_ms", "max_get_ms", "cancel_s");
  for (const Row& r : rows) {
    std::printf("%-26s %9lld %9.2f %10.2f %10lld %9.0f %12.1f %11.1f %9.2f\n", r.name.c_str(),
                static_cast<long long>(r.jobs), r.accept_s, r.created_s, static_cast<long long>(r.created), r.peak_mb,
                r.max_lease_ms, r.max_get_ms, r.cancel_s);
  }
  return 0;
}
