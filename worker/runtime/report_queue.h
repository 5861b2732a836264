// report_queue.h: a FIFO of outcome reports (CompleteJob / FailJob calls, each
// wrapped as a task) sent by one background thread, so the job loop starts the
// next job while the previous result is still on its way.
//
// Tasks run one at a time, in the order pushed; each is the whole delivery of
// one report, retries included (WorkerRuntime::RetryReport), so a result is
// re-sent until acknowledged exactly as when it is sent inline. Drain() waits
// until every pushed task has finished; the destructor drains, then joins.
// Thread-safety: all methods are thread-safe. A task must not call Drain() or
// WaitUntilPendingBelow() (it would wait for itself).
//
//   ReportQueue reports;
//   reports.Push([=] { ReportComplete(lease, result); leases_.Remove(id); });
//   reports.WaitUntilPendingBelow(64);  // back-pressure before leasing more
//   reports.Drain();                    // before the worker exits
#ifndef ABLATE_WORKER_RUNTIME_REPORT_QUEUE_H_
#define ABLATE_WORKER_RUNTIME_REPORT_QUEUE_H_

#include <deque>
#include <functional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace ablate::worker {

class ReportQueue {
 public:
  ReportQueue();
  // Drains, then stops the thread.
  ~ReportQueue();
  ReportQueue(const ReportQueue&) = delete;
  ReportQueue& operator=(const ReportQueue&) = delete;

  // Queues `task` behind every task pushed before it.
  void Push(std::function<void()> task);
  // Tasks pushed and not yet finished (queued or running).
  int pending() const;
  // Blocks until fewer than `n` tasks are pending (n >= 1).
  void WaitUntilPendingBelow(int n);
  // Blocks until every task pushed so far has finished.
  void Drain() { WaitUntilPendingBelow(1); }

 private:
  void Loop();

  mutable absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  int running_ ABSL_GUARDED_BY(mu_) = 0;  // 0 or 1: the task being sent
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;  // last: started after the members above exist
};

}  // namespace ablate::worker

#endif  // ABLATE_WORKER_RUNTIME_REPORT_QUEUE_H_
