// adapt_policy.cc: see adapt_policy.h.
#include "launch/adapt_policy.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "launch/worker_array.h"

namespace ablate::launch {
namespace {

// The coordinator's record of the worker in this task, or null if it has not
// registered (yet). Worker ids are "<name>" or "<name>-<suffix>".
const WorkerSeen* WorkerOf(const SlurmTask& task, const std::vector<WorkerSeen>& workers) {
  const std::string name = WorkerNameForTask(task.id);
  const WorkerSeen* found = nullptr;
  for (const WorkerSeen& w : workers) {
    if (w.worker_id != name && !absl::StartsWith(w.worker_id, absl::StrCat(name, "-"))) continue;
    if (found == nullptr || (w.alive && !found->alive)) found = &w;
  }
  return found;
}

}  // namespace

AdaptDecision AdaptPolicy::Decide(int64_t outstanding_jobs, const std::vector<SlurmTask>& tasks,
                                  const std::vector<WorkerSeen>& workers) {
  AdaptDecision d;
  const int64_t want = std::max<int64_t>(outstanding_jobs, options_.min_workers);
  d.target = static_cast<int>(std::min<int64_t>(want, options_.max_workers));
  d.current = static_cast<int>(tasks.size());
  if (d.target >= d.current) {
    below_ticks_ = 0;
    d.submit = d.target - d.current;
    return d;
  }
  if (++below_ticks_ < options_.scale_down_after) return d;
  below_ticks_ = 0;
  int excess = d.current - d.target;
  // Pending tasks first, newest first (squeue lists oldest first).
  for (auto it = tasks.rbegin(); it != tasks.rend() && excess > 0; ++it) {
    if (!it->pending()) continue;
    d.cancel.push_back(it->id);
    --excess;
  }
  for (auto it = tasks.rbegin(); it != tasks.rend() && excess > 0; ++it) {
    if (it->pending()) continue;
    const WorkerSeen* w = WorkerOf(*it, workers);
    if (w == nullptr || !w->alive || w->active_leases > 0) continue;
    d.cancel.push_back(it->id);
    --excess;
  }
  return d;
}

}  // namespace ablate::launch
