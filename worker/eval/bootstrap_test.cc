// bootstrap_test.cc: SplitMix64 reference values and paired bootstrap intervals.
#include "worker/eval/bootstrap.h"

#include "gtest/gtest.h"

namespace ablate::eval {
namespace {

TEST(SplitMix64, ReferenceSequence) {
  // Reference outputs of splitmix64.c (Vigna) from seed 1234567.
  SplitMix64 rng(1234567);
  EXPECT_EQ(rng.Next(), 6457827717110365317ULL);
  EXPECT_EQ(rng.Next(), 3203168211198807973ULL);
  EXPECT_EQ(rng.Next(), 9817491932198370423ULL);
}

TEST(SplitMix64, BelowStaysInRange) {
  SplitMix64 rng(1);
  int counts[3] = {0, 0, 0};
  for (int i = 0; i < 3000; ++i) ++counts[rng.Below(3)];
  for (int c : counts) EXPECT_GT(c, 900);
}

TEST(Percentile, LinearInterpolationLikeNumpy) {
  const std::vector<double> v = {1, 2, 3, 4};
  EXPECT_DOUBLE_EQ(Percentile(v, 0), 1.0);
  EXPECT_DOUBLE_EQ(Percentile(v, 50), 2.5);
  EXPECT_DOUBLE_EQ(Percentile(v, 2.5), 1.075);
  EXPECT_DOUBLE_EQ(Percentile(v, 100), 4.0);
}

TEST(PairedBootstrap, IdenticalRunsGiveZeroInterval) {
  const std::vector<double> a = {1, 0, 1, 1, 0, 1};
  auto r = PairedBootstrap(a, a, {.resamples = 200, .seed = 3});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->diff, 0.0);
  EXPECT_EQ(r->low, 0.0);
  EXPECT_EQ(r->high, 0.0);
}

TEST(PairedBootstrap, SeededAndContainsTheDifference) {
  std::vector<double> ablated, baseline;
  for (int i = 0; i < 200; ++i) {
    baseline.push_back(i % 4 != 0);  // 0.75
    ablated.push_back(i % 2 == 0);   // 0.5
  }
  auto r1 = PairedBootstrap(ablated, baseline, {.seed = 11});
  auto r2 = PairedBootstrap(ablated, baseline, {.seed = 11});
  ASSERT_TRUE(r1.ok() && r2.ok());
  EXPECT_DOUBLE_EQ(r1->diff, -0.25);
  EXPECT_EQ(r1->low, r2->low);
  EXPECT_EQ(r1->high, r2->high);
  EXPECT_LT(r1->low, -0.25);
  EXPECT_GT(r1->high, -0.25);
  EXPECT_LT(r1->high, 0.0);
  EXPECT_EQ(r1->resamples, 1000);
}

TEST(PairedBootstrap, RejectsMismatchedSamples) {
  EXPECT_FALSE(PairedBootstrap({1, 0}, {1}).ok());
  EXPECT_FALSE(PairedBootstrap({}, {}).ok());
}

}  // namespace
}  // namespace ablate::eval
