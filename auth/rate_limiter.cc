// rate_limiter.cc: see rate_limiter.h.
#include "auth/rate_limiter.h"

namespace ablate::auth {

bool RateLimiter::Allow(absl::string_view key, int64_t limit, int64_t now_ms) {
  if (limit <= 0) return true;
  absl::MutexLock lock(&mu_);
  std::deque<int64_t>& q = events_[key];
  while (!q.empty() && q.front() <= now_ms - window_ms_) q.pop_front();
  if (static_cast<int64_t>(q.size()) >= limit) return false;
  q.push_back(now_ms);
  return true;
}

}  // namespace ablate::auth
