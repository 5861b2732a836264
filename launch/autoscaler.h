// autoscaler.h: launches Slurm worker arrays and keeps them matched to a
// coordinator's queue. LaunchWorkerArray writes the batch script
// (worker_array.h) into the log directory and submits N tasks; Autoscaler
// ticks: read the queue (through a QueueReader, which the CLI implements with
// the coordinator client API), list this job name's tasks (squeue), decide
// (adapt_policy.h), then submit or scancel.
//
// Thread-safety: LaunchWorkerArray is thread-safe; an Autoscaler is used from
// one thread.
//
//   Autoscaler scaler(array_options, {.max_workers = 64}, &slurm, read_queue);
//   RETURN_IF_ERROR(scaler.Run(absl::Seconds(15), should_stop, /*until_done=*/false));
#ifndef ABLATE_LAUNCH_AUTOSCALER_H_
#define ABLATE_LAUNCH_AUTOSCALER_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "launch/adapt_policy.h"
#include "launch/slurm_client.h"
#include "launch/worker_array.h"

namespace ablate::launch {

struct LaunchedArray {
  std::string script_path;
  std::string job_id;  // the array job id sbatch printed
};

// Writes <log_dir>/<job_name>.sbatch (creating log_dir) and submits `count`
// array tasks of it. INVALID_ARGUMENT for bad options or count < 1.
absl::StatusOr<LaunchedArray> LaunchWorkerArray(const WorkerArrayOptions& options, int count, const SlurmClient& slurm);

// What the autoscaler needs from the coordinator.
struct QueueSnapshot {
  int64_t outstanding_jobs = 0;  // queued + leased, over unfinished sweeps
  std::vector<WorkerSeen> workers;
};
using QueueReader = std::function<absl::StatusOr<QueueSnapshot>()>;

class Autoscaler {
 public:
  Autoscaler(WorkerArrayOptions array, AdaptOptions adapt, const SlurmClient* slurm, QueueReader read_queue,
             std::function<void(const std::string&)> log);

  // One round. Errors of the queue read or of Slurm are returned (Run logs
  // them and tries again next tick).
  absl::StatusOr<AdaptDecision> Tick();

  // Ticks every `interval` until `stop()` is true, or, with `until_done`, until
  // a tick sees no outstanding jobs and no tasks left. OK then.
  absl::Status Run(absl::Duration interval, const std::function<bool()>& stop, bool until_done);

 private:
  const WorkerArrayOptions array_;
  const SlurmClient* slurm_;
  const QueueReader read_queue_;
  const std::function<void(const std::string&)> log_;
  AdaptPolicy policy_;
};

}  // namespace ablate::launch

#endif  // ABLATE_LAUNCH_AUTOSCALER_H_
