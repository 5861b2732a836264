// worker_bench.cc: jobs/s through the whole pull loop (LeaseJobs -> Evaluate
// (no work) -> CompleteJob -> group commit) for 1, 2, 4 in-process worker
// runtimes and 1 or 8 jobs per lease, with the worker's pipelining off (one
// call at a time) and on (lease prefetch + background reports), against an
// in-process coordinator on a fresh SQLite file. Prints one row per
// configuration; the ratio column is against 1 worker x 1 job per lease
// without pipelining, measured in the same process.
//
//   worker_bench [--jobs-scale N]   (N x 1000 jobs per configuration; default 1)
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "ablate/v1/coordinator.grpc.pb.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "coordinator/coordinator_server.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "tests/test_evaluator.h"
#include "worker/runtime/worker_runtime.h"

namespace {

using namespace ablate;  // NOLINT: a benchmark program

// 125 conditions x 2 evaluations x 4*scale seeds = 1000*scale jobs.
v1::SweepSpec Spec(const std::string& model_dir, const std::string& dataset, int scale) {
  v1::SweepSpec s;
  s.set_name("worker-bench");
  v1::ModelSpec* m = s.add_models();
  m->set_name("q24");
  m->set_path(model_dir);
  for (const char* name : {"a", "b"}) {
    v1::EvaluationSpec* e = s.add_evaluations();
    e->set_name(name);
    e->mutable_perplexity()->set_dataset(dataset);
  }
  s.add_ablations()->mutable_baseline();
  s.add_ablations()->mutable_layer_sweep()->set_component(v1::ATTENTION);
  s.add_ablations()->mutable_layer_sweep()->set_component(v1::MLP);
  s.add_ablations()->mutable_layer_sweep()->set_component(v1::LAYER);
  v1::AblationSpec* r = s.add_ablations();
  r->mutable_random()->set_count(2);
  r->mutable_random()->set_pool(v1::LAYERS);
  r->mutable_random()->set_trials(52);
  for (int i = 0; i < 4 * scale; ++i) s.add_seeds(i);
  return s;
}

struct Row {
  int workers, per_lease;
  bool pipeline;
  int64_t jobs;
  double seconds;
};

Row RunOne(const std::string& dir, const v1::SweepSpec& spec, int workers, int per_lease, bool pipeline) {
  const std::string db = absl::StrCat(dir, "/bench-", workers, "-", per_lease, pipeline ? "-p" : "", ".db");
  coordinator::CoordinatorOptions copts;
  copts.db_path = db;
  copts.listen_address = "127.0.0.1:0";
  copts.heartbeat_interval_ms = 500;
  auto server = coordinator::CoordinatorServer::Start(copts);
  if (!server.ok()) {
    std::fprintf(stderr, "coordinator: %s\n", std::string(server.status().message()).c_str());
    std::exit(1);
  }
  auto stub = v1::Coordinator::NewStub(grpc::CreateChannel((*server)->address(), grpc::InsecureChannelCredentials()));
  v1::SubmitSweepRequest req;
  *req.mutable_spec() = spec;
  v1::SubmitSweepResponse resp;
  {
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(60)));
    grpc::Status s = stub->SubmitSweep(&ctx, req, &resp);
    if (!s.ok()) {
      std::fprintf(stderr, "submit: %s\n", s.error_message().c_str());
      std::exit(1);
    }
  }
  std::vector<std::unique_ptr<worker::WorkerRuntime>> runtimes;
  for (int i = 0; i < workers; ++i) {
    worker::WorkerOptions o;
    o.coordinator_address = (*server)->address();
    o.max_jobs_per_lease = per_lease;
    o.pipeline = pipeline;
    o.lease_wait_ms = 500;
    o.log_sink = [](const std::string&) {};
    testing::TestEvaluatorOptions eo;
    eo.sleep_ms = 0;
    runtimes.push_back(std::make_unique<worker::WorkerRuntime>(o, std::make_unique<testing::TestEvaluator>(eo)));
  }
  const absl::Time t0 = absl::Now();
  std::vector<std::thread> threads;
  for (auto& rt : runtimes) threads.emplace_back([&rt] { (void)rt->Run(); });
  while (true) {
    v1::GetSweepRequest g;
    g.set_sweep_id(resp.sweep_id());
    v1::SweepInfo info;
    grpc::ClientContext ctx;
    ctx.set_deadline(absl::ToChronoTime(absl::Now() + absl::Seconds(10)));
    if (stub->GetSweep(&ctx, g, &info).ok() && info.state() != v1::SWEEP_RUNNING) break;
    absl::SleepFor(absl::Milliseconds(5));
  }
  const double seconds = absl::ToDoubleSeconds(absl::Now() - t0);
  for (auto& rt : runtimes) rt->RequestStop();
  for (auto& t : threads) t.join();
  (*server)->Shutdown(absl::Seconds(1));
  (*server)->Wait();
  return {workers, per_lease, pipeline, resp.job_count(), seconds};
}

}  // namespace

int main(int argc, char** argv) {
  int scale = 1;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--jobs-scale") scale = std::max(1, std::atoi(argv[i + 1]));
  }
  char tmpl[] = "/tmp/ablate-worker-bench-XXXXXX";
  const std::string dir = mkdtemp(tmpl);
  std::filesystem::create_directories(dir + "/q24");
  std::ofstream(dir + "/q24/config.json") << R"({"model_type": "qwen2", "hidden_size": 64, "intermediate_size": 128,
            "num_attention_heads": 4, "num_key_value_heads": 2, "num_hidden_layers": 24,
            "vocab_size": 256})";
  std::ofstream(dir + "/text.raw") << "x\n";
  const v1::SweepSpec spec = Spec(dir + "/q24", dir + "/text.raw", scale);

  std::printf("%-9s %-8s %-10s %8s %9s %10s %8s\n", "pipeline", "workers", "per_lease", "jobs", "seconds", "jobs/s",
              "ratio");
  double base = 0;
  for (bool pipeline : {false, true}) {
    for (int per_lease : {1, 8}) {
      for (int workers : {1, 2, 4}) {
        Row r = RunOne(dir, spec, workers, per_lease, pipeline);
        const double rate = r.jobs / r.seconds;
        if (base == 0) base = rate;
        std::printf("%-9s %-8d %-10d %8lld %9.2f %10.1f %8.2f\n", r.pipeline ? "on" : "off", r.workers, r.per_lease,
                    static_cast<long long>(r.jobs), r.seconds, rate, rate / base);
        std::fflush(stdout);
      }
    }
  }
  std::filesystem::remove_all(dir);
  return 0;
}
