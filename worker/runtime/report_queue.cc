// report_queue.cc: see report_queue.h.
#include "worker/runtime/report_queue.h"

#include <utility>

namespace ablate::worker {

ReportQueue::ReportQueue() : thread_([this] { Loop(); }) {}

ReportQueue::~ReportQueue() {
  Drain();
  {
    absl::MutexLock lock(&mu_);
    stop_ = true;
  }
  thread_.join();
}

void ReportQueue::Push(std::function<void()> task) {
  absl::MutexLock lock(&mu_);
  queue_.push_back(std::move(task));
}

int ReportQueue::pending() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(queue_.size()) + running_;
}

void ReportQueue::WaitUntilPendingBelow(int n) {
  absl::MutexLock lock(&mu_);
  auto below = [this, n]()
                   ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return static_cast<int>(queue_.size()) + running_ < n; };
  mu_.Await(absl::Condition(&below));
}

void ReportQueue::Loop() {
  while (true) {
    std::function<void()> task;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_ || !queue_.empty(); };
      mu_.Await(absl::Condition(&ready));
      if (queue_.empty()) return;  // stop_, and nothing left
      task = std::move(queue_.front());
      queue_.pop_front();
      running_ = 1;
    }
    task();
    absl::MutexLock lock(&mu_);
    running_ = 0;
  }
}

}  // namespace ablate::worker
