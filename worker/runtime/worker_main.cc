// worker_main.cc: the `ablate-worker` binary: one process per device (GPU or
// CPU), pulling jobs from a coordinator. Runs unchanged as a Slurm task
// (`srun ablate-worker --device cuda:$SLURM_LOCALID`), a Kubernetes pod or a
// systemd unit. SIGTERM/SIGINT drains (exit 0); a second SIGINT exits at once.
//
// Exit codes: 0 after a drain, idle exit or coordinator shutdown; 1 when the
// worker cannot start (CUDA requested but absent, coordinator not answering
// within --startup-timeout-ms) or fails; 2 for bad flags.
//
//   ABLATE_COORDINATOR=10.0.0.5:50051 ablate-worker --device auto
#include <atomic>
#include <cstdlib>
#include <iostream>
#include <memory>

#include "CLI/CLI.hpp"
#include "worker/runtime/device_probe.h"
#include "worker/runtime/stop_signals.h"
#include "worker/runtime/worker_flags.h"
#include "worker/runtime/worker_runtime.h"
#ifdef ABLATE_HAVE_LM_EVALUATOR
#include <torch/cuda.h>

#include "worker/eval/lm_evaluator.h"
#endif

#ifndef ABLATE_VERSION
#define ABLATE_VERSION "dev"
#endif

int main(int argc, char** argv) {
  // First, so a SIGTERM during startup (model loading can take a while) already
  // drains instead of killing the process.
  std::atomic<ablate::worker::WorkerRuntime*> target{nullptr};
  std::atomic<bool> stop_early{false};
  ablate::worker::StopSignals signals([&] {
    stop_early.store(true);
    if (auto* runtime = target.load()) runtime->RequestStop();
  });

  CLI::App app{"ablate-worker: runs ablation jobs leased from an ablate coordinator"};
  ablate::worker::WorkerOptions options;
  options.code_version = "ablate " ABLATE_VERSION;
  ablate::worker::AddWorkerFlags(&app, &options);
  app.get_option("--coordinator")->envname("ABLATE_COORDINATOR");
  int max_cached_models = 2;
  int threads = 0;
  std::string reuse = "on";
  int64_t reuse_cache_mib = 1024;
  app.add_option("--max-cached-models", max_cached_models, "models kept resident (LRU)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--threads", threads, "intra-op CPU threads (0: LibTorch default)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--reuse", reuse,
                 "residual-stream reuse across jobs on the same model and input (same numbers; off for "
                 "comparison and debugging)")
      ->capture_default_str()
      ->check(CLI::IsMember({"on", "off"}));
  app.add_option("--reuse-cache-mib", reuse_cache_mib,
                 "memory for reused hidden states, on the job's device (LRU)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
#ifdef ABLATE_HAVE_LM_EVALUATOR
  const bool cuda_available = options.device == "auto" && torch::cuda::is_available();
#else
  const bool cuda_available = false;
#endif
  absl::StatusOr<std::string> device =
      ablate::worker::ResolveDevice(options.device, cuda_available, std::getenv("SLURM_LOCALID"),
                                    std::getenv("LOCAL_RANK"), std::getenv("CUDA_VISIBLE_DEVICES"));
  if (!device.ok()) {
    std::cerr << "ablate-worker: " << device.status().message() << "\n";
    return 2;
  }
  options.device = *device;
  {
    const char* visible = std::getenv("CUDA_VISIBLE_DEVICES");
    std::cerr << "ablate-worker: device " << options.device
              << " (CUDA_VISIBLE_DEVICES=" << (visible != nullptr ? visible : "<unset>") << ")\n";
  }
  if (absl::Status s = ablate::worker::ValidateWorkerOptions(options); !s.ok()) {
    std::cerr << "ablate-worker: " << s.message() << "\n";
    return 2;
  }
#ifdef ABLATE_HAVE_LM_EVALUATOR
  ablate::eval::LmEvaluatorOptions eval_options;
  eval_options.device = options.device;
  eval_options.max_cached_models = max_cached_models;
  eval_options.num_threads = threads;
  eval_options.reuse = reuse == "on";
  eval_options.max_reuse_cache_bytes = reuse_cache_mib << 20;
  auto evaluator = ablate::eval::CreateLmEvaluator(eval_options);
  if (!evaluator.ok()) {
    std::cerr << "ablate-worker: " << evaluator.status().message() << "\n";
    return 1;
  }
  absl::Status status;
  {
    ablate::worker::WorkerRuntime runtime(options, *std::move(evaluator));
    target.store(&runtime);
    if (stop_early.load()) runtime.RequestStop();
    status = runtime.Run();
    target.store(nullptr);
  }
  if (!status.ok()) {
    std::cerr << "ablate-worker: " << status.message() << "\n";
    return 1;
  }
  return 0;
#else
  (void)max_cached_models;
  (void)threads;
  (void)reuse;
  (void)reuse_cache_mib;
  std::cerr << "ablate-worker: no evaluator is built into this binary (the LibTorch evaluation "
               "engine, CMake target ablate_eval, is missing); refusing to lease jobs\n";
  return 1;
#endif
}
