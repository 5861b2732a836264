// scheduler_observer.h: the seam through which the scheduling core reports
// events for metrics, without knowing how they are exported. The coordinator's
// metrics module implements it (coordinator/metrics/coordinator_metrics.h);
// the core works with none (nullptr).
//
// Thread-safety: implementations must be thread-safe. The core calls them from
// RPC, committer and maintenance threads, some under its lock: they must be
// quick (bump a counter, observe a histogram) and never call the scheduler.
#ifndef ABLATE_COORDINATOR_SCHEDULER_OBSERVER_H_
#define ABLATE_COORDINATOR_SCHEDULER_OBSERVER_H_

#include <cstdint>

namespace ablate::coordinator {

class SchedulerObserver {
 public:
  virtual ~SchedulerObserver() = default;
  // A LeaseJobs call was granted `jobs` leases, `seconds` after it arrived.
  virtual void LeaseGranted(int jobs, double seconds) = 0;
  // An accepted completion, `seconds` after its lease was granted.
  virtual void JobCompleted(double seconds) = 0;
  // A job reached a terminal state: "succeeded", "failed" or "cancelled".
  virtual void JobEnded(const char* state) = 0;
  // A lease was lost (expired or its worker lost) and the job requeued or failed.
  virtual void LeaseLost() = 0;
  // SubmitSweep expanded a spec into `jobs` jobs in `seconds` (dry runs included).
  virtual void SweepExpanded(int64_t jobs, double seconds) = 0;
  // The group committer committed `operations` in one transaction taking `seconds`.
  virtual void BatchCommitted(int operations, double seconds) = 0;
};

}  // namespace ablate::coordinator

#endif  // ABLATE_COORDINATOR_SCHEDULER_OBSERVER_H_
