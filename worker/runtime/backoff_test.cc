// backoff_test.cc: growth, cap, jitter bounds and reset of Backoff.
#include "worker/runtime/backoff.h"

#include "gtest/gtest.h"

namespace ablate::worker {
namespace {

TEST(BackoffTest, GrowsExponentiallyUpToTheCapWithoutJitter) {
  Backoff b({.initial_ms = 100, .max_ms = 1000, .multiplier = 2.0, .jitter = 0.0}, 1);
  EXPECT_EQ(b.Next(), absl::Milliseconds(100));
  EXPECT_EQ(b.Next(), absl::Milliseconds(200));
  EXPECT_EQ(b.Next(), absl::Milliseconds(400));
  EXPECT_EQ(b.Next(), absl::Milliseconds(800));
  EXPECT_EQ(b.Next(), absl::Milliseconds(1000));
  EXPECT_EQ(b.Next(), absl::Milliseconds(1000));
  EXPECT_EQ(b.failures(), 6);
}

TEST(BackoffTest, JitterStaysWithinBoundsAndVaries) {
  Backoff b({.initial_ms = 1000, .max_ms = 1000, .multiplier = 2.0, .jitter = 0.2}, 7);
  absl::Duration lo = absl::InfiniteDuration(), hi = absl::ZeroDuration();
  for (int i = 0; i < 200; ++i) {
    absl::Duration d = b.Next();
    lo = std::min(lo, d);
    hi = std::max(hi, d);
  }
  EXPECT_GE(lo, absl::Milliseconds(800));
  EXPECT_LE(hi, absl::Milliseconds(1200));
  EXPECT_GT(hi - lo, absl::Milliseconds(100));  // not lock-step
}

TEST(BackoffTest, ResetStartsOver) {
  Backoff b({.initial_ms = 50, .max_ms = 5000, .multiplier = 3.0, .jitter = 0.0}, 1);
  b.Next();
  b.Next();
  b.Reset();
  EXPECT_EQ(b.failures(), 0);
  EXPECT_EQ(b.Next(), absl::Milliseconds(50));
}

TEST(BackoffTest, SameSeedSameSequence) {
  Backoff a({}, 99), b({}, 99);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(a.Next(), b.Next());
}

}  // namespace
}  // namespace ablate::worker
