// recovery.h: the coordinator core's recovery and upkeep, over the state it
// shares with the other parts (scheduler_state.h): rebuilding the in-memory
// state from SQLite on start, and the periodic work (lease expiry, lost
// workers, the end of a restart's re-claim grace, long-poll timeouts).
//
// - Load: every unfinished sweep is resumed (the Materializer carries on
//   creating a big sweep's jobs at its cursor); jobs LEASED by the previous
//   process are requeued (not counted) and held out of the queue for
//   reclaim_grace_ms, so the worker still running one re-claims it (heartbeat
//   or report) before another worker is given it.
// - Tick: lease expiry and worker loss requeue without counting against
//   max_attempts; a separate cap (max_lost_leases) fails a job whose leases
//   keep expiring (it crashes or hangs every worker it lands on).
//
// Thread-safety: Load runs once, before any other part; Tick and
// MaintenanceLoop are thread-safe (Tick takes the state's lock, and commits
// and answers outside it).
//
//   Recovery recovery(state);
//   RETURN_IF_ERROR(recovery.Load());
//   std::thread t([&] { recovery.MaintenanceLoop(); });
#ifndef ABLATE_COORDINATOR_RECOVERY_H_
#define ABLATE_COORDINATOR_RECOVERY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "coordinator/scheduler_state.h"

namespace ablate::coordinator {

class Recovery {
 public:
  // `state` must outlive this object.
  explicit Recovery(SchedulerState& state) : state_(state) {}
  Recovery(const Recovery&) = delete;
  Recovery& operator=(const Recovery&) = delete;

  // Rebuilds the in-memory state from the store (see above); returns after the
  // requeues are committed.
  absl::Status Load();
  // Times out long polls (all of them once shutting down); requeues expired
  // leases and leases of lost workers (every expiry_scan_interval_ms, or at
  // once with force_scan). Returns after the requeues are committed.
  void Tick(bool force_scan = false);
  // Ticks until state.stop_thread (the maintenance thread's body).
  void MaintenanceLoop();

 private:
  // Ends the current lease of a LEASED job that was lost (expired, worker
  // gone): requeued uncounted, CANCELLED if cancel-pending, FAILED after
  // max_lost_leases.
  void LoseLease(JobEntry& e, const std::string& why, int64_t now, std::vector<SchedulerState::Op>* ops)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(state_.mu);

  SchedulerState& state_;
};

}  // namespace ablate::coordinator

#endif  // ABLATE_COORDINATOR_RECOVERY_H_
