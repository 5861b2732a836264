// test_worker_main.cc: TEST ONLY. `ablate-test-worker`: the real WorkerRuntime
// (same flags, signals and drain as `ablate-worker`) with the deterministic
// TestEvaluator instead of LibTorch, for multi-process orchestration tests.
//
//   ablate-test-worker --coordinator 127.0.0.1:5000 --sleep-ms 2 [--hang]
#include <atomic>
#include <cstdlib>
#include <iostream>

#include "CLI/CLI.hpp"
#include "tests/test_evaluator.h"
#include "worker/runtime/device_probe.h"
#include "worker/runtime/stop_signals.h"
#include "worker/runtime/worker_flags.h"
#include "worker/runtime/worker_runtime.h"

int main(int argc, char** argv) {
  std::atomic<ablate::worker::WorkerRuntime*> target{nullptr};
  std::atomic<bool> stop_early{false};
  ablate::worker::StopSignals signals([&] {
    stop_early.store(true);
    if (auto* runtime = target.load()) runtime->RequestStop();
  });
  CLI::App app{"ablate-test-worker: WorkerRuntime + deterministic test evaluator (tests only)"};
  ablate::worker::WorkerOptions options;
  options.code_version = "ablate-test";
  ablate::worker::AddWorkerFlags(&app, &options);
  ablate::testing::TestEvaluatorOptions eval_options;
  app.add_option("--sleep-ms", eval_options.sleep_ms, "simulated work per job")->capture_default_str();
  app.add_flag("--hang", eval_options.hang_all, "every job runs until cancelled");
  app.add_option("--metric", eval_options.metric, "the metric's name")->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  // No CUDA in the test evaluator: "auto" is cpu. The visible GPUs are logged
  // like ablate-worker does, so Slurm tests can check one GPU per worker.
  auto device = ablate::worker::ResolveDevice(options.device, false, std::getenv("SLURM_LOCALID"),
                                              std::getenv("LOCAL_RANK"),
                                              std::getenv("CUDA_VISIBLE_DEVICES"));
  if (!device.ok()) {
    std::cerr << "ablate-test-worker: " << device.status().message() << "\n";
    return 2;
  }
  options.device = *device;
  {
    const char* visible = std::getenv("CUDA_VISIBLE_DEVICES");
    std::cerr << "ablate-test-worker: device " << options.device
              << " (CUDA_VISIBLE_DEVICES=" << (visible != nullptr ? visible : "<unset>") << ")\n";
  }
  absl::Status status;
  {
    ablate::worker::WorkerRuntime runtime(
        options, std::make_unique<ablate::testing::TestEvaluator>(eval_options));
    target.store(&runtime);
    if (stop_early.load()) runtime.RequestStop();
    status = runtime.Run();
    target.store(nullptr);
  }
  if (!status.ok()) {
    std::cerr << "ablate-test-worker: " << status.message() << "\n";
    return 1;
  }
  return 0;
}
