// adapt_policy_test.cc: the adapt() rules: clamp to [min, max], scale up at
// once, scale down only after consecutive low ticks, pending tasks first, and
// never a worker that holds a lease or has not registered.
#include "launch/adapt_policy.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ablate::launch {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(AdaptPolicyTest, ScalesUpToTheQueueBoundedByMax) {
  AdaptPolicy p({0, 4, 3});
  AdaptDecision d = p.Decide(10, {{"1_0", "RUNNING"}}, {});
  EXPECT_EQ(d.target, 4);
  EXPECT_EQ(d.submit, 3);
  d = p.Decide(2, {}, {});
  EXPECT_EQ(d.submit, 2);
  AdaptPolicy with_min({2, 4, 3});
  EXPECT_EQ(with_min.Decide(0, {}, {}).submit, 2);
}

TEST(AdaptPolicyTest, ScalesDownAfterConsecutiveLowTicksPendingFirstThenIdle) {
  AdaptPolicy p({0, 8, 3});
  const std::vector<SlurmTask> tasks = {{"7_0", "RUNNING"}, {"7_1", "RUNNING"}, {"7_2", "RUNNING"}, {"7_3", "PENDING"}};
  const std::vector<WorkerSeen> workers = {
      {"slurm-7_0-ab12-1", 1, true},  // busy
      {"slurm-7_1-ab12-2", 0, true},  // idle
                                      // 7_2 has not registered yet (loading)
  };
  // One job left: target 1, current 4.
  EXPECT_THAT(p.Decide(1, tasks, workers).cancel, IsEmpty());
  EXPECT_THAT(p.Decide(1, tasks, workers).cancel, IsEmpty());
  AdaptDecision d = p.Decide(1, tasks, workers);
  EXPECT_THAT(d.cancel, ElementsAre("7_3", "7_1"));  // never 7_0 (busy) or 7_2 (unregistered)
  // A tick at or above the current count resets the count.
  EXPECT_THAT(p.Decide(1, tasks, workers).cancel, IsEmpty());
  p.Decide(9, tasks, workers);
  EXPECT_THAT(p.Decide(1, tasks, workers).cancel, IsEmpty());
}

TEST(AdaptPolicyTest, NameMatchIsExactUpToTheSuffix) {
  AdaptPolicy p({0, 8, 1});
  // slurm-7_10 must not be taken for task 7_1.
  AdaptDecision d = p.Decide(0, {{"7_1", "RUNNING"}}, {{"slurm-7_10-x-1", 0, true}});
  EXPECT_THAT(d.cancel, IsEmpty());
  d = p.Decide(0, {{"7_1", "RUNNING"}}, {{"slurm-7_1", 0, true}});
  EXPECT_THAT(d.cancel, ElementsAre("7_1"));
}

}  // namespace
}  // namespace ablate::launch
