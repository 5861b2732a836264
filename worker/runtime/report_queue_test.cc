// report_queue_test.cc: order, Drain, back-pressure, drain on destruction,
// completions batched between tasks.
#include "worker/runtime/report_queue.h"

#include <atomic>
#include <string>
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

TEST(ReportQueueTest, CompletionsQueuedTogetherAreSentTogetherBetweenTasksInOrder) {
  std::vector<std::vector<int64_t>> batches;  // written by the queue's thread only
  std::vector<std::string> order;
  absl::Notification release;
  {
    ReportQueue q(
        [&](std::vector<ReportQueue::Completion> batch) {
          std::vector<int64_t> ids;
          for (const auto& c : batch) ids.push_back(c.lease.job().job_id());
          batches.push_back(ids);
          order.push_back("batch");
        },
        /*max_batch=*/3);
    q.Push([&] {
      release.WaitForNotification();  // hold the queue while the rest is pushed
      order.push_back("task");
    });
    auto completion = [](int64_t id) {
      ReportQueue::Completion c;
      c.lease.mutable_job()->set_job_id(id);
      return c;
    };
    for (int64_t id = 1; id <= 4; ++id) q.PushCompletion(completion(id));
    q.Push([&] { order.push_back("task"); });
    q.PushCompletion(completion(5));
    EXPECT_EQ(q.pending(), 7);
    release.Notify();
    q.Drain();
    EXPECT_EQ(q.pending(), 0);
  }
  EXPECT_THAT(order, ::testing::ElementsAre("task", "batch", "batch", "task", "batch"));
  EXPECT_THAT(batches, ::testing::ElementsAre(::testing::ElementsAre(1, 2, 3), ::testing::ElementsAre(4),
                                              ::testing::ElementsAre(5)));
}

}  // namespace
}  // namespace ablate::worker
