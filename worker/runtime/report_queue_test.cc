// report_queue_test.cc: order, Drain, back-pressure, drain on destruction.
#include "worker/runtime/report_queue.h"

#include <atomic>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ablate::worker {
namespace {

TEST(ReportQueueTest, RunsTasksInOrderAndDrains) {
  ReportQueue q;
  std::vector<int> order;  // written by the queue's thread only
  for (int i = 0; i < 100; ++i) q.Push([&order, i] { order.push_back(i); });
  q.Drain();
  EXPECT_EQ(q.pending(), 0);
  ASSERT_EQ(order.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(order[i], i);
}

TEST(ReportQueueTest, PendingCountsTheRunningTaskUntilItFinishes) {
  ReportQueue q;
  absl::Notification started, release;
  q.Push([&] {
    started.Notify();
    release.WaitForNotification();
  });
  q.Push([] {});
  started.WaitForNotification();
  EXPECT_EQ(q.pending(), 2);
  std::atomic<bool> below{false};
  std::thread waiter([&] {
    q.WaitUntilPendingBelow(2);
    below = true;
  });
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_FALSE(below.load());  // still 2 pending: the waiter must not pass
  release.Notify();
  waiter.join();
  EXPECT_TRUE(below.load());
  q.Drain();
  EXPECT_EQ(q.pending(), 0);
}

TEST(ReportQueueTest, DestructorSendsWhatIsQueued) {
  std::atomic<int> ran{0};
  {
    ReportQueue q;
    for (int i = 0; i < 20; ++i) {
      q.Push([&ran] {
        absl::SleepFor(absl::Milliseconds(1));
        ++ran;
      });
    }
  }
  EXPECT_EQ(ran.load(), 20);
}

}  // namespace
}  // namespace ablate::worker
