// backoff.h: exponential backoff with jitter for reconnecting to the
// coordinator. Each Next() returns the wait before the next attempt:
// initial * multiplier^n, capped at max, then randomised by +/- jitter so a
// fleet of workers does not reconnect in lock-step after a coordinator restart.
//
// Not thread-safe (one per retry loop). Deterministic for a given seed.
//
//   Backoff backoff({.initial_ms = 200, .max_ms = 10000}, /*seed=*/42);
//   while (!Connect()) Sleep(backoff.Next());
//   backoff.Reset();
#ifndef ABLATE_WORKER_RUNTIME_BACKOFF_H_
#define ABLATE_WORKER_RUNTIME_BACKOFF_H_

#include <cstdint>
#include <random>

#include "absl/time/time.h"

namespace ablate::worker {

struct BackoffOptions {
  int32_t initial_ms = 200;  // first wait
  int32_t max_ms = 10000;    // cap on the un-jittered wait
  double multiplier = 2.0;   // growth per failed attempt (>= 1)
  double jitter = 0.2;       // each wait is scaled by a uniform factor in [1-jitter, 1+jitter]
};

class Backoff {
 public:
  Backoff(const BackoffOptions& options, uint64_t seed);

  // The wait before the next attempt; grows until Reset().
  absl::Duration Next();
  // After a success: the next failure waits `initial_ms` again.
  void Reset();
  // Failed attempts since the last Reset().
  int32_t failures() const { return failures_; }

 private:
  const BackoffOptions options_;
  std::mt19937_64 rng_;
  double current_ms_;
  int32_t failures_ = 0;
};

}  // namespace ablate::worker

#endif  // ABLATE_WORKER_RUNTIME_BACKOFF_H_
