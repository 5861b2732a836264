// task_runner.h: a small fixed pool of threads for work that must not run on
// a gRPC reactor thread (sweep expansion + insert, database queries).
//
// Tasks run in FIFO order on `threads` threads. Stop() runs what is queued,
// then joins. Thread-safety: Post may be called from any thread.
//
//   TaskRunner runner(2);
//   runner.Post([reactor] { ...; reactor->Finish(status); });
#ifndef ABLATE_COORDINATOR_TASK_RUNNER_H_
#define ABLATE_COORDINATOR_TASK_RUNNER_H_

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace ablate::coordinator {

class TaskRunner {
 public:
  explicit TaskRunner(int threads);
  ~TaskRunner();
  TaskRunner(const TaskRunner&) = delete;
  TaskRunner& operator=(const TaskRunner&) = delete;

  // After Stop the task runs on the calling thread.
  void Post(std::function<void()> task);
  void Stop();

 private:
  void Loop();

  absl::Mutex mu_;
  std::deque<std::function<void()>> tasks_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;
};

}  // namespace ablate::coordinator

#endif  // ABLATE_COORDINATOR_TASK_RUNNER_H_
