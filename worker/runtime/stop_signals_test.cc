// stop_signals_test.cc: SIGTERM turns into one on_stop call, whichever thread
// the kernel delivers it to, including a thread that existed before the
// StopSignals (as the threads OpenBLAS starts before main() do).
#include "worker/runtime/stop_signals.h"

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace ablate::worker {
namespace {

bool WaitUntil(const std::atomic<int>& value, int want) {
  const absl::Time deadline = absl::Now() + absl::Seconds(5);
  while (value.load() != want && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(5));
  return value.load() == want;
}

TEST(StopSignalsTest, SignalToAThreadStartedBeforehandCallsOnStopOnce) {
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  std::thread early([&] {  // started before StopSignals: its mask was never changed
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return release; });
  });
  std::atomic<int> stops{0};
  {
    StopSignals signals([&] { stops.fetch_add(1); });
    pthread_kill(early.native_handle(), SIGTERM);
    ASSERT_TRUE(WaitUntil(stops, 1));
    EXPECT_EQ(signals.received(), SIGTERM);
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
  }
  cv.notify_all();
  early.join();
}

TEST(StopSignalsTest, SigintFromTheMainThreadAndCleanDestruction) {
  std::atomic<int> stops{0};
  {
    StopSignals signals([&] { stops.fetch_add(1); });
    raise(SIGINT);
    ASSERT_TRUE(WaitUntil(stops, 1));
    EXPECT_EQ(signals.received(), SIGINT);
  }
  // A second StopSignals works after the first is gone.
  StopSignals again([&] { stops.fetch_add(1); });
  raise(SIGTERM);
  EXPECT_TRUE(WaitUntil(stops, 2));
}

}  // namespace
}  // namespace ablate::worker
