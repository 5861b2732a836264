// coordinator_bench.cc: jobs leased + completed per second through the real
// coordinator (CoordinatorServer on 127.0.0.1:0, SQLite file under /tmp,
// group commit on) by N concurrent worker threads using the generated stubs.
// Also times SubmitSweep of the whole grid (answered once counted and stored;
// a grid over 10,000 jobs has its jobs created in the background).
// Prints a table (jobs/s, mean/p50/p99 latency of LeaseJobs and of the
// completion call: CompleteJob per job, or CompleteJobs per lease batch);
// the numbers depend on the machine, so nothing is asserted.
// --group-commit-ms takes a comma list: each value runs the whole bench on a
// fresh database in the same process, so write policies compare side by side
// (0: commit as soon as the writer is idle; N: the old fixed N ms window).
//
// CPU per job: the bench process's, the coordinator's (with --server process)
// and the coordinator's SQLite writer thread's ("ablate-writer", from
// /proc/PID/task/*/schedstat); every lease and completion passes through that
// one thread, so 10^6 / its microseconds per job is the coordinator's ceiling
// however many cores serve the RPCs.
// --server process runs the real build/coordinator/ablate-coordinator binary
// as a separate process (a fresh database, 127.0.0.1, a free port), as in
// production, so the coordinator's CPU per job is measured apart from the
// bench's 64 client threads; the default (inproc) is CoordinatorServer in this
// process.
// --only TEXT runs only the modes whose name contains TEXT (e.g. "CompleteJobs 16").
//
//   coordinator_bench [--threads 64] [--seconds 8] [--seeds 1000] [--group-commit-ms 5,0] [--only TEXT]
//                     [--server inproc|process]
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "ablate/v1/coordinator.grpc.pb.h"
#include "ablate/v1/worker.grpc.pb.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "coordinator/coordinator_server.h"
#include "tests/testing/subprocess.h"

namespace {

using namespace ablate;  // NOLINT: a benchmark main

struct Config {
  int threads = 64;
  double seconds = 8;
  int seeds = 1000;  // 49 conditions x 4 evaluations x seeds jobs (the default --max-seeds is 1024)
  std::vector<int> group_commit_ms = {0};
  std::string only;      // run only the modes whose name contains this (empty: all)
  bool process = false;  // --server process: the coordinator binary in its own process
};

struct Row {
  std::string name;
  int64_t jobs = 0;
  double seconds = 0;
  double mean_lease_ms = 0;
  double mean_complete_ms = 0;
  double p50_lease_ms = 0, p99_lease_ms = 0;
  double p50_complete_ms = 0, p99_complete_ms = 0;
  double bench_cpu_s = 0, server_cpu_s = 0, writer_cpu_s = 0;
};

// CPU seconds of process `pid` (threads that exited included), or of its
// live threads named `name` (schedstat's first field: nanoseconds on a CPU).
double CpuSeconds(pid_t pid, const std::string& name = "") {
  if (name.empty() && pid == getpid()) {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
  }
  if (name.empty()) {
    // /proc/PID/stat: utime and stime (fields 14 and 15) in clock ticks,
    // after the command name in parentheses.
    std::string stat;
    std::getline(std::ifstream(absl::StrCat("/proc/", pid, "/stat")), stat);
    const size_t close = stat.rfind(')');
    if (close == std::string::npos) return 0;
    std::vector<std::string> f = absl::StrSplit(stat.substr(close + 2), ' ');
    double utime = 0, stime = 0;
    if (f.size() < 13 || !absl::SimpleAtod(f[11], &utime) || !absl::SimpleAtod(f[12], &stime)) return 0;
    return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  }
  double total = 0;
  std::error_code ec;
  for (const auto& task : std::filesystem::directory_iterator(absl::StrCat("/proc/", pid, "/task"), ec)) {
    if (!name.empty()) {
      std::string comm;
      std::getline(std::ifstream(task.path() / "comm"), comm);
      if (comm != name) continue;
    }
    double ns = 0;
    std::ifstream(task.path() / "schedstat") >> ns;
    total += ns * 1e-9;
  }
  return total;
}

// The coordinator: in this process, or the ablate-coordinator binary next to
// this bench's build directory in a process of its own.
class Server {
 public:
  ~Server() { Stop(); }
  bool Start(const Config& cfg, const std::string& dir, int group_commit_ms) {
    if (!cfg.process) {
      coordinator::CoordinatorOptions o;
      o.db_path = dir + "/bench.db";
      o.listen_address = "127.0.0.1:0";
      o.group_commit_ms = group_commit_ms;
      auto server = coordinator::CoordinatorServer::Start(o);
      if (!server.ok()) {
        std::fprintf(stderr, "start: %s\n", server.status().ToString().c_str());
        return false;
      }
      inproc_ = *std::move(server);
      address_ = inproc_->address();
      pid_ = getpid();
      return true;
    }
    const std::string bin =
        (std::filesystem::canonical("/proc/self/exe").parent_path().parent_path() / "coordinator/ablate-coordinator")
            .string();
    address_ = absl::StrCat("127.0.0.1:", testing::PickFreePort());
    auto child = testing::Subprocess::Start(
        {bin, "--db", dir + "/bench.db", "--listen", address_, "--group-commit-ms", std::to_string(group_commit_ms)},
        dir + "/coordinator.log");
    if (!child.ok()) {
      std::fprintf(stderr, "cannot start %s: %s\n", bin.c_str(), child.status().ToString().c_str());
      return false;
    }
    child_ = *std::move(child);
    pid_ = child_->pid();
    // Ready when it answers a cheap call (a fresh channel each try: one that
    // saw "connection refused" may back off for seconds).
    for (int i = 0; i < 400 && child_->Running(); ++i) {
      auto stub = v1::Coordinator::NewStub(grpc::CreateChannel(address_, grpc::InsecureChannelCredentials()));
      grpc::ClientContext ctx;
      ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
      v1::ListSweepsResponse r;
      if (stub->ListSweeps(&ctx, v1::ListSweepsRequest(), &r).ok()) return true;
      absl::SleepFor(absl::Milliseconds(50));
    }
    std::fprintf(stderr, "the coordinator did not come up: %s\n", child_->Log().c_str());
    return false;
  }
  void Stop() {
    if (inproc_ != nullptr) {
      inproc_->Shutdown(absl::Seconds(2));
      inproc_.reset();
    } else if (child_ != nullptr) {
      child_->Signal(SIGTERM);
      (void)child_->Wait(absl::Seconds(30));
      child_.reset();  // kills and reaps it, should it still run
    }
    pid_ = 0;
  }
  const std::string& address() const { return address_; }
  pid_t pid() const { return pid_; }
  bool separate() const { return inproc_ == nullptr; }

 private:
  std::unique_ptr<coordinator::CoordinatorServer> inproc_;
  std::unique_ptr<testing::Subprocess> child_;
  std::string address_;
  pid_t pid_ = 0;
};

// The q-quantile (0..1) of `us` (microseconds), in milliseconds; sorts `us`.
double QuantileMs(std::vector<int64_t>& us, double q) {
  if (us.empty()) return 0;
  std::sort(us.begin(), us.end());
  const size_t i = std::min(us.size() - 1, static_cast<size_t>(q * static_cast<double>(us.size())));
  return static_cast<double>(us[i]) / 1000.0;
}

std::unique_ptr<grpc::ClientContext> Ctx() {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  return ctx;
}

v1::SweepSpec BigSpec(int seeds, const std::string& name) {
  v1::SweepSpec s;
  s.set_name(name);
  v1::ModelSpec* m = s.add_models();
  m->set_name("qwen2.5-0.5b");
  m->set_path(std::string(ABLATE_SOURCE_DIR) + "/spec/testdata/qwen2.5-0.5b");
  // Four evaluations: 196k jobs, more than a mode drains in --seconds 3 at
  // 20k jobs/s, so no lease waits for an empty queue (which times the queue
  // running dry, not the coordinator).
  for (int i = 0; i < 4; ++i) {
    v1::EvaluationSpec* e = s.add_evaluations();
    e->set_name(absl::StrCat("wikitext-", i));
    e->mutable_perplexity()->set_dataset("/data/wiki.test.raw");
  }
  s.add_ablations()->mutable_baseline();
  s.add_ablations()->mutable_layer_sweep()->set_component(v1::ATTENTION);
  s.add_ablations()->mutable_layer_sweep()->set_component(v1::MLP);
  for (int i = 0; i < seeds; ++i) s.add_seeds(i);
  return s;
}

// `threads` workers lease `batch` jobs at a time and complete them (one
// CompleteJob each, or with `batched` one CompleteJobs for the lot), for
// `seconds` or until the queue is empty. Complete latency: per call.
Row Drive(const Server& server, const std::string& name, int threads, int batch, double seconds, bool batched = false) {
  const std::string& address = server.address();
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i < 8; ++i) {
    grpc::ChannelArguments args;
    args.SetInt("ablate.bench.channel", i);  // distinct channels, distinct connections
    channels.push_back(grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args));
  }
  std::atomic<int64_t> jobs{0}, lease_us{0}, leases{0}, complete_us{0}, completes{0};
  std::atomic<bool> stop{false};
  // Per-thread latency samples (microseconds), merged after the run.
  std::vector<std::vector<int64_t>> lease_samples(threads), complete_samples(threads);
  const double bench_cpu0 = CpuSeconds(getpid()), server_cpu0 = CpuSeconds(server.pid()),
               writer_cpu0 = CpuSeconds(server.pid(), "ablate-writer");
  const absl::Time start = absl::Now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      auto stub = v1::WorkerService::NewStub(channels[t % channels.size()]);
      v1::RegisterWorkerRequest reg;
      reg.set_host("bench");
      reg.set_name(absl::StrCat("bench-", t));
      reg.add_devices()->set_name("cuda:0");
      reg.add_loaded_models(std::string(ABLATE_SOURCE_DIR) + "/spec/testdata/qwen2.5-0.5b");
      v1::RegisterWorkerResponse rr;
      if (!stub->RegisterWorker(Ctx().get(), reg, &rr).ok()) return;
      while (!stop.load()) {
        v1::LeaseJobsRequest lr;
        lr.set_worker_id(rr.worker_id());
        lr.set_max_jobs(batch);
        lr.set_wait_ms(100);
        v1::LeaseJobsResponse resp;
        absl::Time t0 = absl::Now();
        if (!stub->LeaseJobs(Ctx().get(), lr, &resp).ok()) break;
        const int64_t lease_took = absl::ToInt64Microseconds(absl::Now() - t0);
        lease_us += lease_took;
        lease_samples[t].push_back(lease_took);
        leases += 1;
        if (resp.leases().empty()) break;  // the queue is drained
        v1::CompleteJobsRequest all;
        all.set_worker_id(rr.worker_id());
        for (const v1::Lease& l : resp.leases()) {
          v1::CompleteJobRequest c;
          c.set_worker_id(rr.worker_id());
          c.set_job_id(l.job().job_id());
          c.set_lease_id(l.lease_id());
          c.set_attempt(l.attempt());
          v1::Metric* m = c.mutable_result()->add_metrics();
          m->set_name("perplexity");
          m->set_value(12.5);
          m->set_detail_json("{\"tokens\":4096}");
          c.mutable_result()->set_wall_seconds(1.0);
          if (batched) {
            *all.add_completions() = std::move(c);
            continue;
          }
          v1::CompleteJobResponse cr;
          absl::Time t1 = absl::Now();
          if (stub->CompleteJob(Ctx().get(), c, &cr).ok() && cr.accepted()) jobs += 1;
          const int64_t complete_took = absl::ToInt64Microseconds(absl::Now() - t1);
          complete_us += complete_took;
          complete_samples[t].push_back(complete_took);
          completes += 1;
        }
        if (batched) {
          v1::CompleteJobsResponse cr;
          absl::Time t1 = absl::Now();
          if (stub->CompleteJobs(Ctx().get(), all, &cr).ok()) {
            for (const v1::CompleteJobOutcome& o : cr.outcomes()) jobs += o.code() == 0 && o.response().accepted();
          }
          const int64_t complete_took = absl::ToInt64Microseconds(absl::Now() - t1);
          complete_us += complete_took;
          complete_samples[t].push_back(complete_took);
          completes += 1;
        }
        if (absl::ToDoubleSeconds(absl::Now() - start) > seconds) stop = true;
      }
    });
  }
  for (auto& th : pool) th.join();
  Row row;
  row.bench_cpu_s = CpuSeconds(getpid()) - bench_cpu0;
  row.server_cpu_s = server.separate() ? CpuSeconds(server.pid()) - server_cpu0 : 0;
  row.writer_cpu_s = CpuSeconds(server.pid(), "ablate-writer") - writer_cpu0;
  row.name = name;
  row.jobs = jobs.load();
  row.seconds = absl::ToDoubleSeconds(absl::Now() - start);
  row.mean_lease_ms = leases.load() ? lease_us.load() / 1000.0 / leases.load() : 0;
  row.mean_complete_ms = completes.load() ? complete_us.load() / 1000.0 / completes.load() : 0;
  std::vector<int64_t> lease_all, complete_all;
  for (int t = 0; t < threads; ++t) {
    lease_all.insert(lease_all.end(), lease_samples[t].begin(), lease_samples[t].end());
    complete_all.insert(complete_all.end(), complete_samples[t].begin(), complete_samples[t].end());
  }
  row.p50_lease_ms = QuantileMs(lease_all, 0.50);
  row.p99_lease_ms = QuantileMs(lease_all, 0.99);
  row.p50_complete_ms = QuantileMs(complete_all, 0.50);
  row.p99_complete_ms = QuantileMs(complete_all, 0.99);
  return row;
}

// One whole bench (submit, five lease/complete modes, reads) against a fresh
// coordinator using `group_commit_ms`. Returns the process exit code.
int RunBench(const Config& cfg, int group_commit_ms) {
  const std::string dir = absl::StrCat("/tmp/ablate_coordinator_bench_", getpid(), "_gc", group_commit_ms);
  std::filesystem::create_directories(dir);
  Server server;
  if (!server.Start(cfg, dir, group_commit_ms)) return 1;
  auto channel = grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials());
  auto client = v1::Coordinator::NewStub(channel);

  v1::SubmitSweepRequest req;
  *req.mutable_spec() = BigSpec(cfg.seeds, "bench");
  v1::SubmitSweepResponse resp;
  absl::Time t0 = absl::Now();
  auto ctx = Ctx();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(300));
  grpc::Status s = client->SubmitSweep(ctx.get(), req, &resp);
  const double submit_s = absl::ToDoubleSeconds(absl::Now() - t0);
  if (!s.ok()) {
    std::fprintf(stderr, "submit: %s\n", s.error_message().c_str());
    return 1;
  }

  // Each mode after the first gets a fresh sweep too, so no mode finds the
  // queue drained by the ones before it.
  auto more_jobs = [&](int i) {
    v1::SubmitSweepRequest more;
    *more.mutable_spec() = BigSpec(cfg.seeds, absl::StrCat("bench-", i));
    v1::SubmitSweepResponse r;
    auto c = Ctx();
    c->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(300));
    return client->SubmitSweep(c.get(), more, &r).ok();
  };
  struct Mode {
    const char* name;
    int batch;
    bool batched;
  };
  std::vector<Row> rows;
  int i = 0;
  for (const Mode& m : {Mode{"lease 1, complete 1", 1, false}, Mode{"lease 4, complete 4", 4, false},
                        Mode{"lease 16, complete 16", 16, false}, Mode{"lease 4, CompleteJobs 4", 4, true},
                        Mode{"lease 16, CompleteJobs 16", 16, true}}) {
    if (!cfg.only.empty() && std::string(m.name).find(cfg.only) == std::string::npos) continue;
    if (i++ > 0 && !more_jobs(i)) {
      std::fprintf(stderr, "submit: more jobs refused\n");
      return 1;
    }
    rows.push_back(Drive(server, m.name, cfg.threads, m.batch, cfg.seconds, m.batched));
  }

  // Read paths on the now large database (one page each, median of 5).
  auto time_ms = [](auto fn) {
    std::vector<double> t;
    for (int i = 0; i < 5; ++i) {
      absl::Time t0 = absl::Now();
      fn();
      t.push_back(absl::ToDoubleMilliseconds(absl::Now() - t0));
    }
    std::sort(t.begin(), t.end());
    return t[2];
  };
  const double query_ms = time_ms([&] {
    v1::QueryResultsRequest q;
    q.set_sweep_id(resp.sweep_id());
    q.set_metric("perplexity");
    q.set_kind(v1::LAYER_SWEEP);
    q.set_page_size(1000);
    q.set_after_result_id(20000);
    v1::QueryResultsResponse r;
    (void)client->QueryResults(Ctx().get(), q, &r);
  });
  const double get_ms = time_ms([&] {
    v1::GetSweepRequest g;
    g.set_sweep_id(resp.sweep_id());
    v1::SweepInfo info;
    (void)client->GetSweep(Ctx().get(), g, &info);
  });
  const double list_ms = time_ms([&] {
    v1::ListJobsRequest l;
    l.set_sweep_id(resp.sweep_id());
    l.set_state(v1::QUEUED);
    l.set_page_size(1000);
    v1::ListJobsResponse r;
    (void)client->ListJobs(Ctx().get(), l, &r);
  });

  std::printf(
      "\ncoordinator_bench: %d worker threads, loopback gRPC, SQLite WAL in %s, "
      "--group-commit-ms %d, coordinator %s\n",
      cfg.threads, dir.c_str(), group_commit_ms,
      server.separate() ? "in a process of its own (ablate-coordinator)" : "in the bench's process");
  std::printf("SubmitSweep of %lld jobs (answered; jobs created in the background): %.2f s\n\n",
              static_cast<long long>(resp.job_count()), submit_s);
  std::printf("%-26s %7s %6s %7s %24s %24s %27s %9s\n", "mode", "jobs", "secs", "jobs/s", "lease ms mean/p50/p99",
              "complete ms mean/p50/p99", "CPU us/job bench/coord/writer", "ceiling");
  for (const Row& r : rows) {
    const double per_job = r.jobs > 0 ? 1e6 / static_cast<double>(r.jobs) : 0;
    const std::string coord = server.separate() ? absl::StrFormat("%.1f", r.server_cpu_s * per_job) : "-";
    std::printf("%-26s %7lld %6.2f %7.0f %8.2f %7.2f %7.2f %8.2f %7.2f %7.2f %9.1f %8s %8.1f %9.0f\n", r.name.c_str(),
                static_cast<long long>(r.jobs), r.seconds, r.jobs / r.seconds, r.mean_lease_ms, r.p50_lease_ms,
                r.p99_lease_ms, r.mean_complete_ms, r.p50_complete_ms, r.p99_complete_ms, r.bench_cpu_s * per_job,
                coord.c_str(), r.writer_cpu_s * per_job, r.writer_cpu_s > 0 ? r.jobs / r.writer_cpu_s : 0);
  }
  std::printf(
      "(CPU us/job: the bench process (its clients, and the coordinator unless it has its own process), the "
      "coordinator process, its SQLite writer thread; ceiling: jobs per second of writer CPU, the most one "
      "coordinator can store whatever its cores)\n");
  std::printf(
      "\nreads on the %lld-job sweep (median of 5): QueryResults page of 1000 with "
      "baselines %.1f ms, GetSweep %.1f ms, ListJobs(QUEUED) page of 1000 %.1f ms\n",
      static_cast<long long>(resp.job_count()), query_ms, get_ms, list_ms);
  server.Stop();
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Config cfg;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--threads")) cfg.threads = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--seconds")) cfg.seconds = std::atof(argv[i + 1]);
    if (!std::strcmp(argv[i], "--seeds")) cfg.seeds = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--only")) cfg.only = argv[i + 1];
    if (!std::strcmp(argv[i], "--server")) {
      if (std::strcmp(argv[i + 1], "process") != 0 && std::strcmp(argv[i + 1], "inproc") != 0) {
        std::fprintf(stderr, "--server: inproc or process, not %s\n", argv[i + 1]);
        return 2;
      }
      cfg.process = !std::strcmp(argv[i + 1], "process");
    }
    if (!std::strcmp(argv[i], "--group-commit-ms")) {
      cfg.group_commit_ms.clear();
      for (absl::string_view v : absl::StrSplit(argv[i + 1], ',')) {
        int ms = 0;
        if (!absl::SimpleAtoi(v, &ms) || ms < 0) {
          std::fprintf(stderr, "--group-commit-ms: not a list of milliseconds: %s\n", argv[i + 1]);
          return 2;
        }
        cfg.group_commit_ms.push_back(ms);
      }
    }
  }
  for (int ms : cfg.group_commit_ms) {
    if (int rc = RunBench(cfg, ms); rc != 0) return rc;
  }
  return 0;
}
