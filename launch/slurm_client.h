// slurm_client.h: the three Slurm commands the launcher needs, run as
// subprocesses from argument vectors (launch/command_runner.h): sbatch to
// submit a worker array, squeue to list its tasks, scancel to end some.
//
// Thread-safe (stateless apart from its constant options).
//
//   SlurmClient slurm({});
//   ASSIGN_OR_RETURN(std::string job, slurm.Submit(SbatchArgv(o, script, 4)));
//   ASSIGN_OR_RETURN(std::vector<SlurmTask> tasks, slurm.ListTasks("ablate-worker"));
#ifndef ABLATE_LAUNCH_SLURM_CLIENT_H_
#define ABLATE_LAUNCH_SLURM_CLIENT_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "launch/command_runner.h"

namespace ablate::launch {

// One array task (or plain job) as squeue shows it.
struct SlurmTask {
  std::string id;     // "123_4" (array task) or "123"
  std::string state;  // PENDING, RUNNING, COMPLETING, CONFIGURING, ...
  bool pending() const { return state == "PENDING" || state == "REQUEUED"; }
};

struct SlurmCommands {
  std::string sbatch = "sbatch";
  std::string squeue = "squeue";
  std::string scancel = "scancel";
  CommandLimits limits;  // per command (default: 60 s, 1 MiB of output)
};

class SlurmClient {
 public:
  explicit SlurmClient(SlurmCommands commands) : commands_(std::move(commands)) {}

  // Runs `sbatch_argv` (argv[0] replaced by the configured sbatch) and returns
  // the job id it printed (--parsable). UNAVAILABLE with sbatch's message if it failed.
  absl::StatusOr<std::string> Submit(std::vector<std::string> sbatch_argv) const;

  // Every queued or running task of jobs named `job_name` (array tasks one per line).
  absl::StatusOr<std::vector<SlurmTask>> ListTasks(const std::string& job_name) const;

  // scancel of these task ids (SIGTERM first: workers drain). No-op when empty.
  absl::Status Cancel(const std::vector<std::string>& task_ids) const;

 private:
  absl::StatusOr<CommandResult> Run(const std::vector<std::string>& argv) const;

  const SlurmCommands commands_;
};

// Parses `squeue -h -r -o %i|%T` output; lines it cannot read are skipped.
std::vector<SlurmTask> ParseSqueue(const std::string& output);

}  // namespace ablate::launch

#endif  // ABLATE_LAUNCH_SLURM_CLIENT_H_
