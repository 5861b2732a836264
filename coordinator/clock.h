// clock.h: the time source of the coordinator core, injectable so lease-expiry
// tests advance time by hand instead of sleeping.
//
// Thread-safety: implementations must be safe to call from any thread.
//
//   SystemClock clock;
//   int64_t now = clock.NowMs();  // Unix milliseconds
#ifndef ABLATE_COORDINATOR_CLOCK_H_
#define ABLATE_COORDINATOR_CLOCK_H_

#include <cstdint>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace ablate::coordinator {

class Clock {
 public:
  virtual ~Clock() = default;
  // Unix time in milliseconds.
  virtual int64_t NowMs() const = 0;
};

class SystemClock : public Clock {
 public:
  int64_t NowMs() const override { return absl::ToUnixMillis(absl::Now()); }
};

}  // namespace ablate::coordinator

#endif  // ABLATE_COORDINATOR_CLOCK_H_
