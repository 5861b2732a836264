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
#include <memory>
#include <string>

#include "common/allocation_policy.h"
#include "worker/runtime/worker_program.h"
#ifdef ABLATE_HAVE_LM_EVALUATOR
#include <torch/cuda.h>

#include "worker/eval/lm_evaluator.h"
#endif

#ifndef ABLATE_VERSION
#define ABLATE_VERSION "dev"
#endif

int main(int argc, char** argv) {
  ablate::ApplyAllocationPolicy();  // before any thread or tensor allocates
  int max_cached_models = 2;
  int threads = 0;
  std::string reuse = "on";
  int64_t reuse_cache_mib = 1024;
  ablate::worker::WorkerProgram program;
  program.name = "ablate-worker";
  program.description = "ablate-worker: runs ablation jobs leased from an ablate coordinator";
  program.code_version = "ablate " ABLATE_VERSION;
  program.add_flags = [&](CLI::App* app) {
    app->add_option("--max-cached-models", max_cached_models, "models kept resident (LRU)")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    app->add_option(
           "--threads", threads,
           "CPU threads per job (LibTorch for bf16/fp16, OpenBLAS for fp32; 0: the cores available to the process)")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    app->add_option("--reuse", reuse,
                    "residual-stream reuse across jobs on the same model and input (same numbers; off for "
                    "comparison and debugging)")
        ->capture_default_str()
        ->check(CLI::IsMember({"on", "off"}));
    app->add_option("--reuse-cache-mib", reuse_cache_mib,
                    "memory for reused hidden states, on the job's device (LRU; an evaluation too big for it keeps "
                    "evenly spread layers)")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
  };
#ifdef ABLATE_HAVE_LM_EVALUATOR
  program.cuda_available = [] { return torch::cuda::is_available(); };
  program.make_evaluator =
      [&](const ablate::worker::WorkerOptions& options) -> absl::StatusOr<std::unique_ptr<ablate::worker::Evaluator>> {
    ablate::eval::LmEvaluatorOptions eval_options;
    eval_options.device = options.device;
    eval_options.max_cached_models = max_cached_models;
    eval_options.num_threads = threads;
    eval_options.reuse = reuse == "on";
    eval_options.max_reuse_cache_bytes = reuse_cache_mib << 20;
    return ablate::eval::CreateLmEvaluator(eval_options);
  };
#else
  program.make_evaluator =
      [](const ablate::worker::WorkerOptions&) -> absl::StatusOr<std::unique_ptr<ablate::worker::Evaluator>> {
    return absl::FailedPreconditionError(
        "no evaluator is built into this binary (the LibTorch evaluation engine, CMake target ablate_eval, "
        "is missing); refusing to lease jobs");
  };
#endif
  return ablate::worker::RunWorkerProgram(argc, argv, program);
}
