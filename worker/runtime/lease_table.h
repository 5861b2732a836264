// lease_table.h: the leases a worker currently holds, shared between the job
// loop (adds, starts, removes) and the heartbeat thread (reports progress,
// applies cancellations and lost leases, releases the running job when a drain
// runs past its grace period).
//
// Invariant: a lease is in the table from the LeaseJobs answer until its
// outcome is reported (or dropped as lost/cancelled), so heartbeats keep it
// alive the whole time, including while a report waits in the ReportQueue.
//
// Thread-safe.
//
//   LeaseTable table;
//   table.Add(lease);
//   auto ctx = table.Start(lease.job().job_id());
//   table.Apply(response);      // heartbeat thread
//   table.Remove(lease.job().job_id());
#ifndef ABLATE_WORKER_RUNTIME_LEASE_TABLE_H_
#define ABLATE_WORKER_RUNTIME_LEASE_TABLE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "ablate/v1/worker.pb.h"
#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "worker/runtime/running_job_context.h"

namespace ablate::worker {

class LeaseTable {
 public:
  // Holds a new lease (not started). Replaces an older lease for the same job.
  void Add(const v1::Lease& lease);
  // Marks the job as running and returns its context; null if the job is not held.
  std::shared_ptr<RunningJobContext> Start(int64_t job_id);
  // The job's evaluation ended: from now on a drain leaves it alone (its
  // outcome is being reported). Returns why it was stopped before that
  // (kNone: it was not), decided atomically with StopRunningForDrain, so a
  // finished job is either reported or released by the drain, never both.
  StopReason Finish(int64_t job_id);
  // The context of a held job (started or not); null if not held.
  std::shared_ptr<RunningJobContext> Context(int64_t job_id) const;
  // Forgets the job.
  void Remove(int64_t job_id);
  // Forgets the job only if it is still held under `lease` (a newer lease of
  // the same job, granted meanwhile, stays).
  void Remove(const v1::Lease& lease);

  // Progress of every held lease, for a heartbeat.
  std::vector<v1::LeaseProgress> Progress() const;
  // Applies a heartbeat answer: cancelled and lost jobs are stopped. Returns how
  // many held jobs were affected.
  int Apply(const v1::HeartbeatResponse& response);
  // Stops every running (started, not finished) job with kDrain (first time
  // only) and returns their leases so the caller can release them.
  std::vector<v1::Lease> StopRunningForDrain();

  int size() const;

 private:
  struct Held {
    v1::Lease lease;
    std::shared_ptr<RunningJobContext> context;
    bool started = false;
    bool finished = false;  // evaluation over; its report may still be on the way
  };
  mutable absl::Mutex mu_;
  std::map<int64_t, Held> held_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ablate::worker

#endif  // ABLATE_WORKER_RUNTIME_LEASE_TABLE_H_
