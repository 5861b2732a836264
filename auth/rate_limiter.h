// rate_limiter.h: per-key event counts over a sliding 60-second window (the
// submits_per_minute quota; the cap on audit rows for refused tokens).
// Memory is bounded by keys x limit timestamps.
// Thread-safety: all methods are thread-safe.
//
//   RateLimiter submits;
//   if (!submits.Allow(tenant, quota.submits_per_minute, now_ms)) return ResourceExhausted(...);
#ifndef ABLATE_AUTH_RATE_LIMITER_H_
#define ABLATE_AUTH_RATE_LIMITER_H_

#include <cstdint>
#include <deque>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace ablate::auth {

class RateLimiter {
 public:
  explicit RateLimiter(int64_t window_ms = 60000) : window_ms_(window_ms) {}
  // True (and the event counted) if `key` had fewer than `limit` events in the
  // window ending at now_ms. limit <= 0: unlimited (always true, not counted).
  bool Allow(absl::string_view key, int64_t limit, int64_t now_ms);

 private:
  const int64_t window_ms_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::deque<int64_t>> events_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ablate::auth

#endif  // ABLATE_AUTH_RATE_LIMITER_H_
