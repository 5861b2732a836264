// worker_program.h: the process shell of a worker binary, shared by
// `ablate-worker` (worker_main.cc, the LibTorch evaluator) and the tests'
// `ablate-test-worker` (tests/test_worker_main.cc, a deterministic evaluator):
// stop signals installed first (a SIGTERM during startup already drains), the
// common flags, device resolution and logging, option validation, then the
// runtime with the binary's evaluator until it stops.
//
// Exit codes: 0 after a drain, idle exit or coordinator shutdown; 1 when the
// evaluator cannot be created or the runtime fails; 2 for bad flags or options.
//
//   int main(int argc, char** argv) {
//     return ablate::worker::RunWorkerProgram(argc, argv, {.name = "ablate-worker", ...});
//   }
#ifndef ABLATE_WORKER_RUNTIME_WORKER_PROGRAM_H_
#define ABLATE_WORKER_RUNTIME_WORKER_PROGRAM_H_

#include <functional>
#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "worker/evaluator.h"
#include "worker/runtime/worker_options.h"

namespace ablate::worker {

struct WorkerProgram {
  // The binary's name, prefixed to every message ("ablate-worker").
  std::string name;
  // The --help banner.
  std::string description;
  // Reported to the coordinator ("ablate 0.3.0").
  std::string code_version;
  // --coordinator falls back to $ABLATE_COORDINATOR.
  bool coordinator_from_env = true;
  // Adds the binary's own flags after the common ones (may be empty).
  std::function<void(CLI::App*)> add_flags;
  // After parsing: whether `--device auto` may pick CUDA (may be empty: no).
  std::function<bool()> cuda_available;
  // Creates the evaluator once options.device is resolved and the options are
  // valid. An error exits 1 with its message.
  std::function<absl::StatusOr<std::unique_ptr<Evaluator>>(const WorkerOptions&)> make_evaluator;
};

// Runs the worker process described by `program`; returns the exit code.
int RunWorkerProgram(int argc, char** argv, const WorkerProgram& program);

}  // namespace ablate::worker

#endif  // ABLATE_WORKER_RUNTIME_WORKER_PROGRAM_H_
