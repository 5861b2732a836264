// worker_program.cc: see worker_program.h.
#include "worker/runtime/worker_program.h"

#include <atomic>
#include <cstdlib>
#include <iostream>

#include "worker/runtime/device_probe.h"
#include "worker/runtime/stop_signals.h"
#include "worker/runtime/worker_flags.h"
#include "worker/runtime/worker_runtime.h"

namespace ablate::worker {

int RunWorkerProgram(int argc, char** argv, const WorkerProgram& program) {
  // First, so a SIGTERM during startup (model loading can take a while) already
  // drains instead of killing the process.
  std::atomic<WorkerRuntime*> target{nullptr};
  std::atomic<bool> stop_early{false};
  StopSignals signals([&] {
    stop_early.store(true);
    if (auto* runtime = target.load()) runtime->RequestStop();
  });

  CLI::App app{program.description};
  WorkerOptions options;
  options.code_version = program.code_version;
  AddWorkerFlags(&app, &options);
  if (program.coordinator_from_env) app.get_option("--coordinator")->envname("ABLATE_COORDINATOR");
  if (program.add_flags) program.add_flags(&app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  const bool cuda_available = options.device == "auto" && program.cuda_available && program.cuda_available();
  absl::StatusOr<std::string> device = ResolveDevice(options.device, cuda_available, std::getenv("SLURM_LOCALID"),
                                                     std::getenv("LOCAL_RANK"), std::getenv("CUDA_VISIBLE_DEVICES"));
  if (!device.ok()) {
    std::cerr << program.name << ": " << device.status().message() << "\n";
    return 2;
  }
  options.device = *device;
  {
    // Logged so that launch tests (Slurm, one GPU per worker) can check it.
    const char* visible = std::getenv("CUDA_VISIBLE_DEVICES");
    std::cerr << program.name << ": device " << options.device
              << " (CUDA_VISIBLE_DEVICES=" << (visible != nullptr ? visible : "<unset>") << ")\n";
  }
  if (absl::Status s = ValidateWorkerOptions(options); !s.ok()) {
    std::cerr << program.name << ": " << s.message() << "\n";
    return 2;
  }
  absl::StatusOr<std::unique_ptr<Evaluator>> evaluator = program.make_evaluator(options);
  if (!evaluator.ok()) {
    std::cerr << program.name << ": " << evaluator.status().message() << "\n";
    return 1;
  }
  absl::Status status;
  {
    WorkerRuntime runtime(options, *std::move(evaluator));
    target.store(&runtime);
    if (stop_early.load()) runtime.RequestStop();
    status = runtime.Run();
    target.store(nullptr);
  }
  if (!status.ok()) {
    std::cerr << program.name << ": " << status.message() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace ablate::worker
