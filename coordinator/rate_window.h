// rate_window.h: a rate over a sliding time window (jobs/s, tokens/s): amounts
// added into one-second buckets; Rate() divides what the last `window` seconds
// hold by the time they cover (at least one second once anything was added).
//
// Not thread-safe: the scheduler keeps one per sweep and per worker under its lock.
//
//   RateWindow r(30);  r.Add(now_ms, 1);  r.Rate(now_ms);  // per second
#ifndef ABLATE_COORDINATOR_RATE_WINDOW_H_
#define ABLATE_COORDINATOR_RATE_WINDOW_H_

#include <algorithm>
#include <cstdint>
#include <deque>
#include <utility>

namespace ablate::coordinator {

class RateWindow {
 public:
  explicit RateWindow(int window_seconds = 30) : window_s_(std::max(1, window_seconds)) {}

  void Add(int64_t now_ms, double amount) {
    const int64_t sec = now_ms / 1000;
    if (first_ms_ < 0) first_ms_ = now_ms;
    if (buckets_.empty() || buckets_.back().first < sec) {
      buckets_.emplace_back(sec, amount);
    } else {
      buckets_.back().second += amount;  // same second (or the clock stepped back)
    }
    Trim(sec);
  }

  // Amount per second over the window ending now (0 before anything was added).
  double Rate(int64_t now_ms) {
    if (first_ms_ < 0) return 0;
    Trim(now_ms / 1000);
    double sum = 0;
    for (const auto& b : buckets_) sum += b.second;
    // Cover the whole window, or only the time since the first Add.
    const double span_s =
        std::clamp(static_cast<double>(now_ms - first_ms_) / 1000.0, 1.0, static_cast<double>(window_s_));
    return sum / span_s;
  }

 private:
  void Trim(int64_t now_s) {
    while (!buckets_.empty() && buckets_.front().first <= now_s - window_s_) buckets_.pop_front();
  }

  int window_s_;
  int64_t first_ms_ = -1;
  std::deque<std::pair<int64_t, double>> buckets_;  // (unix second, amount), ascending
};

}  // namespace ablate::coordinator

#endif  // ABLATE_COORDINATOR_RATE_WINDOW_H_
