// running_job_context.h: the JobContext the runtime hands to the Evaluator for
// one leased job. The evaluator thread reports progress; the heartbeat thread
// reads it and, when the coordinator says so (or the worker drains), stops the
// job. The first stop reason wins and is never cleared.
//
// Thread-safe: every method may be called from any thread.
//
//   RunningJobContext ctx;
//   ctx.ReportProgress(0.5, "window 10/20");   // evaluator thread
//   ctx.Stop(StopReason::kLost);               // heartbeat thread
//   ctx.Cancelled();                           // true
#ifndef ABLATE_WORKER_RUNTIME_RUNNING_JOB_CONTEXT_H_
#define ABLATE_WORKER_RUNTIME_RUNNING_JOB_CONTEXT_H_

#include <atomic>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "worker/evaluator.h"

namespace ablate::worker {

// Why a job was told to stop.
enum class StopReason {
  kNone = 0,
  kCancelled,  // the coordinator cancelled the job (or its sweep): report nothing
  kLost,       // the lease is no longer ours (expired, reassigned): report nothing
  kDrain,      // the worker is draining: release the lease (not the job's fault)
};

class RunningJobContext : public JobContext {
 public:
  void ReportProgress(double fraction, absl::string_view message) override;
  void AddWork(int64_t items, int64_t tokens, int64_t items_total = 0) override;
  bool Cancelled() const override;

  // Sets the stop reason unless one is already set; returns true if this call set it.
  bool Stop(StopReason reason);
  StopReason stop_reason() const;
  // The latest progress (fraction in [0, 1]).
  double fraction() const;
  std::string message() const;
  // Totals of AddWork so far.
  struct Work {
    int64_t items_done = 0;
    int64_t items_total = 0;
    int64_t tokens_done = 0;
  };
  Work work() const;

 private:
  std::atomic<int> reason_{static_cast<int>(StopReason::kNone)};
  mutable absl::Mutex mu_;
  double fraction_ ABSL_GUARDED_BY(mu_) = 0.0;
  std::string message_ ABSL_GUARDED_BY(mu_);
  Work work_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ablate::worker

#endif  // ABLATE_WORKER_RUNTIME_RUNNING_JOB_CONTEXT_H_
