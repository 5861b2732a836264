// test_worker_main.cc: TEST ONLY. `ablate-test-worker`: the real WorkerRuntime
// (the same process shell as `ablate-worker`: worker/runtime/worker_program.h)
// with the deterministic TestEvaluator instead of LibTorch, for multi-process
// orchestration tests.
//
//   ablate-test-worker --coordinator 127.0.0.1:5000 --sleep-ms 2 [--hang]
#include <memory>

#include "tests/test_evaluator.h"
#include "worker/runtime/worker_program.h"

int main(int argc, char** argv) {
  ablate::testing::TestEvaluatorOptions eval_options;
  ablate::worker::WorkerProgram program;
  program.name = "ablate-test-worker";
  program.description = "ablate-test-worker: WorkerRuntime + deterministic test evaluator (tests only)";
  program.code_version = "ablate-test";
  program.coordinator_from_env = false;
  program.add_flags = [&](CLI::App* app) {
    app->add_option("--sleep-ms", eval_options.sleep_ms, "simulated work per job")->capture_default_str();
    app->add_flag("--hang", eval_options.hang_all, "every job runs until cancelled");
    app->add_option("--metric", eval_options.metric, "the metric's name")->capture_default_str();
  };
  // No CUDA in the test evaluator: "auto" is cpu.
  program.make_evaluator =
      [&](const ablate::worker::WorkerOptions&) -> absl::StatusOr<std::unique_ptr<ablate::worker::Evaluator>> {
    return std::make_unique<ablate::testing::TestEvaluator>(eval_options);
  };
  return ablate::worker::RunWorkerProgram(argc, argv, program);
}
