// report_queue.cc: see report_queue.h.
#include "worker/runtime/report_queue.h"

#include <algorithm>
#include <utility>

namespace ablate::worker {

ReportQueue::ReportQueue(BatchSender send, int max_batch)
    : send_(std::move(send)), max_batch_(std::max(1, max_batch)), thread_([this] { Loop(); }) {}

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
  queue_.push_back(Report{std::move(task), std::nullopt});
}

void ReportQueue::PushCompletion(Completion completion) {
  absl::MutexLock lock(&mu_);
  queue_.push_back(Report{nullptr, std::move(completion)});
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
    std::vector<Completion> batch;
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stop_ || !queue_.empty(); };
      mu_.Await(absl::Condition(&ready));
      if (queue_.empty()) return;  // stop_, and nothing left
      if (!queue_.front().completion.has_value()) {
        task = std::move(queue_.front().task);
        queue_.pop_front();
      } else {
        // The completions queued one after another, up to max_batch_.
        while (!queue_.empty() && queue_.front().completion.has_value() &&
               static_cast<int>(batch.size()) < max_batch_) {
          batch.push_back(*std::move(queue_.front().completion));
          queue_.pop_front();
        }
      }
      running_ = task ? 1 : static_cast<int>(batch.size());
    }
    if (task) {
      task();
    } else {
      send_(std::move(batch));
    }
    absl::MutexLock lock(&mu_);
    running_ = 0;
  }
}

}  // namespace ablate::worker
