// worker_array.h: what a Slurm job array of ablate workers looks like (one
// worker per array task, one GPU or none each) and the batch script that runs
// one such worker: it forwards the drain signal to the worker, waits for it,
// and exits with the worker's exit code, so a worker that could not start
// fails its Slurm job.
//
// Pure functions, thread-safe.
//
//   WorkerArrayOptions o;
//   o.coordinator = "login1:50051";
//   o.worker_binary = "/opt/ablate/bin/ablate-worker";
//   ASSIGN_OR_RETURN(std::string script, RenderWorkerScript(o));
//   std::vector<std::string> argv = SbatchArgv(o, "/tmp/w.sbatch", 8);
#ifndef ABLATE_LAUNCH_WORKER_ARRAY_H_
#define ABLATE_LAUNCH_WORKER_ARRAY_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace ablate::launch {

struct WorkerArrayOptions {
  // Coordinator the workers pull from (host:port), reachable from the compute nodes.
  std::string coordinator;
  // Absolute path of ablate-worker on the compute nodes.
  std::string worker_binary;
  // Slurm job name of every array task (squeue --name finds them again).
  std::string job_name = "ablate-worker";
  // Per worker (= per array task). Empty strings: the partition's defaults.
  std::string partition, account, time_limit, memory;
  int gpus = 1;  // 0: CPU workers
  int cpus = 4;
  // --signal=B:TERM@grace_s: the batch shell is signalled this long before the
  // time limit, and the worker drains.
  int signal_grace_s = 60;
  // How long the running job may finish after the drain signal before it is
  // handed back. Keep it below Slurm's KillWait (30 s by default) so a scancel
  // drain also finishes before SIGKILL, and below signal_grace_s.
  int drain_grace_s = 20;
  // The worker exits (its Slurm job ends) after this long without work.
  int idle_exit_s = 300;
  // The worker exits non-zero if the coordinator has not answered this long after start.
  int startup_timeout_s = 300;
  // --device of the worker; empty: "auto" with GPUs, "cpu" without.
  std::string device;
  bool requeue = true;
  // Where the script is written and each task logs (ablate-worker-%A_%a.out).
  std::string log_dir;
  // Extra sbatch options (given on the sbatch command line, each one argument).
  std::vector<std::string> sbatch_args;
  // Extra ablate-worker flags (quoted into the script).
  std::vector<std::string> worker_args;
};

// INVALID_ARGUMENT naming the first field that is missing, out of range or
// holds characters that have no place there (newlines, spaces in Slurm values).
absl::Status ValidateWorkerArrayOptions(const WorkerArrayOptions& options);

// The batch script (bash) for one array task. Validates first.
absl::StatusOr<std::string> RenderWorkerScript(const WorkerArrayOptions& options);

// sbatch --parsable --array=0-(count-1) <sbatch_args...> <script_path>.
std::vector<std::string> SbatchArgv(const WorkerArrayOptions& options, const std::string& script_path, int count);

// The worker name a task registers with: "slurm-<array job>_<task>" (squeue's
// %i of that task). The coordinator's worker id starts with it.
std::string WorkerNameForTask(const std::string& slurm_task_id);

// 'text' quoted for bash (single quotes).
std::string ShellQuote(const std::string& text);

}  // namespace ablate::launch

#endif  // ABLATE_LAUNCH_WORKER_ARRAY_H_
