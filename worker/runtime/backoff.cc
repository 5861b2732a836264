// backoff.cc: see backoff.h.
#include "worker/runtime/backoff.h"

#include <algorithm>

namespace ablate::worker {

Backoff::Backoff(const BackoffOptions& options, uint64_t seed)
    : options_(options), rng_(seed), current_ms_(std::max(1, options.initial_ms)) {}

absl::Duration Backoff::Next() {
  const double base = std::min<double>(current_ms_, std::max(options_.initial_ms, options_.max_ms));
  const double jitter = std::clamp(options_.jitter, 0.0, 1.0);
  std::uniform_real_distribution<double> factor(1.0 - jitter, 1.0 + jitter);
  const double wait_ms = base * factor(rng_);
  current_ms_ = std::min<double>(current_ms_ * std::max(1.0, options_.multiplier),
                                 std::max(options_.initial_ms, options_.max_ms));
  ++failures_;
  return absl::Milliseconds(std::max(1.0, wait_ms));
}

void Backoff::Reset() {
  current_ms_ = std::max(1, options_.initial_ms);
  failures_ = 0;
}

}  // namespace ablate::worker
