// adapt_policy.h: how many Slurm worker tasks a sweep queue needs, in the
// manner of dask-jobqueue's adapt(): the target is the work outstanding
// (queued + leased jobs: a worker runs one job at a time) clamped to
// [min, max]. Scaling up happens at once; scaling down only after the target
// stayed below the current count for `scale_down_after` consecutive ticks,
// and then pending tasks go first (they do nothing yet), then running tasks
// whose worker is registered and idle. A running task whose worker has not
// registered yet (loading, starting) or holds a lease is never chosen.
//
// Not thread-safe: one owner calls Decide() once per tick.
//
//   AdaptPolicy policy({.min_workers = 0, .max_workers = 64});
//   AdaptDecision d = policy.Decide(outstanding_jobs, tasks, workers);
#ifndef ABLATE_LAUNCH_ADAPT_POLICY_H_
#define ABLATE_LAUNCH_ADAPT_POLICY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "launch/slurm_client.h"

namespace ablate::launch {

struct AdaptOptions {
  int min_workers = 0;
  int max_workers = 8;
  // Consecutive ticks the target must stay below the current count before
  // tasks are cancelled (dask's wait_count).
  int scale_down_after = 3;
};

// A worker as the coordinator lists it (ListWorkers).
struct WorkerSeen {
  std::string worker_id;  // starts with the name it registered with ("slurm-123_4")
  int active_leases = 0;
  bool alive = true;
};

struct AdaptDecision {
  int target = 0;                   // workers wanted (clamped)
  int current = 0;                  // pending + running tasks
  int submit = 0;                   // new array tasks to submit
  std::vector<std::string> cancel;  // task ids to scancel
};

class AdaptPolicy {
 public:
  explicit AdaptPolicy(AdaptOptions options) : options_(options) {}

  AdaptDecision Decide(int64_t outstanding_jobs, const std::vector<SlurmTask>& tasks,
                       const std::vector<WorkerSeen>& workers);

 private:
  const AdaptOptions options_;
  int below_ticks_ = 0;
};

}  // namespace ablate::launch

#endif  // ABLATE_LAUNCH_ADAPT_POLICY_H_
