// report_queue.h: a FIFO of outcome reports sent by one background thread, so
// the job loop starts the next job while the previous result is still on its
// way. A report is a task (a FailJob call, say) or a completion (a finished
// job's result); completions queued one after another are handed to the
// batch sender together (up to max_batch), which sends them in one call
// (CompleteJobs), so a worker finishing jobs faster than one round trip each
// does not fall behind.
//
// Reports run one at a time (a batch counts as one run), in the order pushed;
// each run is the whole delivery, retries included (WorkerRuntime::RetryReport),
// so a result is re-sent until acknowledged exactly as when it is sent inline.
// Drain() waits until every pushed report has finished; the destructor drains,
// then joins. pending() counts reports (a batch of n counts n until it ends).
// Thread-safety: all methods are thread-safe. A task or the batch sender must
// not call Drain() or WaitUntilPendingBelow() (it would wait for itself).
//
//   ReportQueue reports([&](std::vector<ReportQueue::Completion> b) { SendAll(b); });
//   reports.PushCompletion({lease, result});
//   reports.Push([=] { ReportFailure(lease, error); });
//   reports.WaitUntilPendingBelow(64);  // back-pressure before leasing more
//   reports.Drain();                    // before the worker exits
#ifndef ABLATE_WORKER_RUNTIME_REPORT_QUEUE_H_
#define ABLATE_WORKER_RUNTIME_REPORT_QUEUE_H_

#include <deque>
#include <functional>
#include <optional>
#include <thread>
#include <vector>

#include "ablate/v1/job.pb.h"
#include "ablate/v1/worker.pb.h"
#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace ablate::worker {

class ReportQueue {
 public:
  // A finished job's result, to be reported.
  struct Completion {
    v1::Lease lease;
    v1::JobResult result;
  };
  // Delivers completions (1 to max_batch of them, in queue order).
  using BatchSender = std::function<void(std::vector<Completion>)>;

  // `send` delivers completions (needed before PushCompletion is used);
  // `max_batch` (>= 1) caps the completions handed to it at once.
  explicit ReportQueue(BatchSender send = nullptr, int max_batch = 64);
  // Drains, then stops the thread.
  ~ReportQueue();
  ReportQueue(const ReportQueue&) = delete;
  ReportQueue& operator=(const ReportQueue&) = delete;

  // Queues `task` behind every report pushed before it.
  void Push(std::function<void()> task);
  // Queues a completion behind every report pushed before it.
  void PushCompletion(Completion completion);
  // Reports pushed and not yet finished (queued or running).
  int pending() const;
  // Blocks until fewer than `n` reports are pending (n >= 1).
  void WaitUntilPendingBelow(int n);
  // Blocks until every report pushed so far has finished.
  void Drain() { WaitUntilPendingBelow(1); }

 private:
  struct Report {
    std::function<void()> task;            // or
    std::optional<Completion> completion;  // a completion
  };

  void Loop();

  // Constant after construction.
  const BatchSender send_;
  const int max_batch_;

  mutable absl::Mutex mu_;
  std::deque<Report> queue_ ABSL_GUARDED_BY(mu_);
  int running_ ABSL_GUARDED_BY(mu_) = 0;  // reports being sent (a task, or a batch)
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;  // last: started after the members above exist
};

}  // namespace ablate::worker

#endif  // ABLATE_WORKER_RUNTIME_REPORT_QUEUE_H_
