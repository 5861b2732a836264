// token_scoring_test.cc: log-probabilities, greedy flags, KL and top-1
// agreement on hand-built logits.
#include "worker/eval/token_scoring.h"

#include <cmath>

#include "gtest/gtest.h"

namespace ablate::eval {
namespace {

TEST(ScoreTargets, LogSoftmaxAtScoredPositions) {
  // T=3, V=2. Row 1: logits (0, ln 3) -> p = (1/4, 3/4). Row 2: (2, 2) -> (1/2, 1/2).
  at::Tensor logits = at::tensor({9.0f, 9.0f, 0.0f, std::log(3.0f), 2.0f, 2.0f}).reshape({3, 2});
  TokenScores s = ScoreTargets(logits, 1, {0, 1});
  ASSERT_EQ(s.logprobs.size(), 2u);
  EXPECT_NEAR(s.logprobs[0], std::log(0.25), 1e-6);
  EXPECT_NEAR(s.logprobs[1], std::log(0.5), 1e-6);
  EXPECT_FALSE(s.greedy[0]);
  EXPECT_FALSE(s.greedy[1]);  // argmax of a tie is index 0
  EXPECT_NEAR(s.Sum(), std::log(0.125), 1e-6);
  TokenScores g = ScoreTargets(logits, 1, {1});
  EXPECT_TRUE(g.AllGreedy());
}

TEST(ScoreTargets, RejectsOutOfRangePositions) {
  at::Tensor logits = at::zeros({2, 4});
  EXPECT_THROW(ScoreTargets(logits, 1, {0, 1}), c10::Error);
}

TEST(KlDivergence, ZeroForIdenticalAndKnownValue) {
  at::Tensor p = at::tensor({0.0f, 0.0f, 1.0f, 2.0f}).reshape({2, 2});
  EXPECT_EQ(KlDivergence(p, p).sum().item<float>(), 0.0f);
  // p = (1/2, 1/2), q = (1/4, 3/4): KL = 1/2 ln(2) + 1/2 ln(2/3).
  at::Tensor a = at::tensor({0.0f, 0.0f}).reshape({1, 2});
  at::Tensor b = at::tensor({0.0f, std::log(3.0f)}).reshape({1, 2});
  EXPECT_NEAR(KlDivergence(a, b).item<float>(), 0.5 * std::log(2.0) + 0.5 * std::log(2.0 / 3.0), 1e-6);
}

TEST(DriftTally, MeansOverPositions) {
  DriftTally d;
  at::Tensor base = at::tensor({0.0f, 0.0f, 5.0f, 0.0f}).reshape({2, 2});
  d.Add(base, base);
  EXPECT_EQ(d.kl_mean(), 0.0);
  EXPECT_EQ(d.top1_agreement(), 1.0);
  at::Tensor flipped = at::tensor({0.0f, std::log(3.0f)}).reshape({1, 2});
  d.Add(base.narrow(0, 1, 1), flipped);  // argmax 0 vs 1
  EXPECT_EQ(d.positions(), 3);
  EXPECT_NEAR(d.top1_agreement(), 2.0 / 3.0, 1e-12);
  EXPECT_GT(d.kl_mean(), 0.0);
}

}  // namespace
}  // namespace ablate::eval
