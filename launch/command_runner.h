// command_runner.h: runs an external program (sbatch, squeue, scancel) from an
// argument vector, never through a shell, with a deadline and a cap on how
// much of its output is kept. Used by the Slurm launcher.
//
// Thread-safe (no shared state; each call owns its child process).
//
//   ASSIGN_OR_RETURN(CommandResult r, RunCommand({"squeue", "-h", "-o", "%i"}, {}));
//   if (r.exit_code != 0) return absl::InternalError(r.err);
#ifndef ABLATE_LAUNCH_COMMAND_RUNNER_H_
#define ABLATE_LAUNCH_COMMAND_RUNNER_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace ablate::launch {

struct CommandLimits {
  // The child is killed (SIGKILL) and DEADLINE_EXCEEDED returned after this.
  absl::Duration timeout = absl::Seconds(60);
  // Bytes kept of stdout and of stderr each; the rest is read and dropped.
  size_t max_output_bytes = 1 << 20;
};

struct CommandResult {
  int exit_code = 0;       // the program's exit code, or 128 + signal
  std::string out;         // stdout (at most max_output_bytes)
  std::string err;         // stderr (at most max_output_bytes)
  bool truncated = false;  // some output was dropped
};

// Runs argv[0] (looked up on PATH when it has no '/') with argv; stdin is
// /dev/null. NOT_FOUND if the program cannot be started, DEADLINE_EXCEEDED on
// timeout, INVALID_ARGUMENT for an empty argv. A non-zero exit is not an error
// here: the caller reads exit_code.
absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv, const CommandLimits& limits);

}  // namespace ablate::launch

#endif  // ABLATE_LAUNCH_COMMAND_RUNNER_H_
