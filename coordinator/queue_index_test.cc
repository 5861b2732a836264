// queue_index_test.cc: ordering, per-model lookup and batching of QueueIndex.
#include "coordinator/queue_index.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ablate::coordinator {
namespace {

QueueKey K(int32_t prio, int64_t sweep, int32_t index, int64_t job, int32_t model, int32_t eval) {
  return QueueKey{prio, sweep, index, job, model, eval};
}

std::vector<int64_t> Ids(const std::vector<QueueKey>& keys) {
  std::vector<int64_t> out;
  for (const auto& k : keys) out.push_back(k.job_id);
  return out;
}

TEST(QueueIndexTest, OrdersByPriorityThenSweepThenIndex) {
  QueueIndex q;
  q.Add(K(0, 2, 0, 20, 0, 0));
  q.Add(K(0, 1, 5, 15, 0, 0));
  q.Add(K(0, 1, 1, 11, 0, 0));
  q.Add(K(5, 3, 9, 39, 0, 0));
  ASSERT_NE(q.Best(), nullptr);
  EXPECT_EQ(q.Best()->job_id, 39);  // highest priority
  EXPECT_TRUE(q.Remove(K(5, 3, 9, 39, 0, 0)));
  EXPECT_EQ(q.Best()->job_id, 11);  // oldest sweep, smallest index
  EXPECT_FALSE(q.Remove(K(5, 3, 9, 39, 0, 0)));
  EXPECT_EQ(q.size(), 3u);
}

TEST(QueueIndexTest, BestOfModelAndBatchPrefersSameEvaluation) {
  QueueIndex q;
  q.Add(K(0, 1, 0, 1, /*model=*/0, /*eval=*/0));
  q.Add(K(0, 1, 1, 2, 1, 0));
  q.Add(K(0, 1, 2, 3, 1, 1));
  q.Add(K(0, 1, 3, 4, 1, 0));
  q.Add(K(0, 1, 4, 5, 1, 1));
  EXPECT_EQ(q.BestOfModel(1)->job_id, 2);
  EXPECT_EQ(q.BestOfModel(7), nullptr);
  EXPECT_THAT(Ids(q.TakeBatch(1, 1, 3)), ::testing::ElementsAre(3, 5, 2));
  EXPECT_THAT(Ids(q.TakeBatch(1, 0, 10)), ::testing::ElementsAre(2, 4, 3, 5));
  EXPECT_THAT(Ids(q.TakeBatch(0, 0, 10)), ::testing::ElementsAre(1));
  EXPECT_TRUE(q.Remove(K(0, 1, 1, 2, 1, 0)));
  EXPECT_EQ(q.BestOfModel(1)->job_id, 3);
  EXPECT_EQ(q.BestOfModelEval(1, 0)->job_id, 4);
  EXPECT_EQ(q.BestOfModelEval(1, 1)->job_id, 3);
  EXPECT_EQ(q.BestOfModelEval(0, 1), nullptr);
}

}  // namespace
}  // namespace ablate::coordinator
