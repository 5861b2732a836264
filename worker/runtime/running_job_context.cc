// running_job_context.cc: see running_job_context.h.
#include "worker/runtime/running_job_context.h"

#include <algorithm>
#include <cmath>

namespace ablate::worker {

void RunningJobContext::ReportProgress(double fraction, absl::string_view message) {
  if (!std::isfinite(fraction)) fraction = 0.0;
  absl::MutexLock lock(&mu_);
  fraction_ = std::clamp(fraction, 0.0, 1.0);
  message_ = std::string(message);
}

void RunningJobContext::AddWork(int64_t items, int64_t tokens, int64_t items_total) {
  absl::MutexLock lock(&mu_);
  work_.items_done += std::max<int64_t>(0, items);
  work_.tokens_done += std::max<int64_t>(0, tokens);
  work_.items_total += std::max<int64_t>(0, items_total);
}

RunningJobContext::Work RunningJobContext::work() const {
  absl::MutexLock lock(&mu_);
  return work_;
}

bool RunningJobContext::Cancelled() const { return stop_reason() != StopReason::kNone; }

bool RunningJobContext::Stop(StopReason reason) {
  int expected = static_cast<int>(StopReason::kNone);
  return reason_.compare_exchange_strong(expected, static_cast<int>(reason));
}

StopReason RunningJobContext::stop_reason() const { return static_cast<StopReason>(reason_.load()); }

double RunningJobContext::fraction() const {
  absl::MutexLock lock(&mu_);
  return fraction_;
}

std::string RunningJobContext::message() const {
  absl::MutexLock lock(&mu_);
  return message_;
}

}  // namespace ablate::worker
