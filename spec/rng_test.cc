#include "spec/rng.h"

#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ablate::spec {
namespace {

TEST(SplitMix64Test, MatchesReferenceSequence) {
  // Reference outputs of SplitMix64 (Vigna's splitmix64.c) from state 0.
  SplitMix64 rng(0);
  EXPECT_EQ(rng.Next(), 0xe220a8397b1dcdafULL);
  EXPECT_EQ(rng.Next(), 0x6e789e6aa1b965f4ULL);
  EXPECT_EQ(rng.Next(), 0x06c45d188009454fULL);
}

TEST(SplitMix64Test, UniformStaysInRangeAndCoversIt) {
  SplitMix64 rng(42);
  std::set<uint64_t> seen;
  for (int i = 0; i < 1000; ++i) {
    const uint64_t x = rng.Uniform(7);
    ASSERT_LT(x, 7u);
    seen.insert(x);
  }
  EXPECT_EQ(seen.size(), 7u);
  EXPECT_EQ(rng.Uniform(1), 0u);
}

TEST(Fnv1aTest, KnownValues) {
  EXPECT_EQ(Fnv1a64(""), 0xcbf29ce484222325ULL);
  EXPECT_EQ(Fnv1a64("a"), 0xaf63dc4c8601ec8cULL);
}

TEST(StreamSeedTest, DependsOnEveryInput) {
  const uint64_t base = StreamSeed(kStreamRandom, 0, "m", 0);
  EXPECT_NE(base, StreamSeed(kStreamProgressive, 0, "m", 0));
  EXPECT_NE(base, StreamSeed(kStreamRandom, 1, "m", 0));
  EXPECT_NE(base, StreamSeed(kStreamRandom, 0, "n", 0));
  EXPECT_NE(base, StreamSeed(kStreamRandom, 0, "m", 1));
  EXPECT_EQ(base, StreamSeed(kStreamRandom, 0, "m", 0));
}

TEST(ShuffleTest, IsAPermutationAndPartialAgreesWithFull) {
  std::vector<int> full(20), part(20);
  for (int i = 0; i < 20; ++i) full[i] = part[i] = i;
  SplitMix64 a(9), b(9);
  Shuffle(&full, &a);
  PartialShuffle(&part, 5, &b);
  EXPECT_EQ(std::set<int>(full.begin(), full.end()).size(), 20u);
  EXPECT_TRUE(std::equal(full.begin(), full.begin() + 5, part.begin()));
}

TEST(ShuffleTest, PinnedDraw) {
  // Computed by spec/testdata/rng_reference.py (an independent transcription); changing the
  // algorithm breaks reproducibility of every existing random sweep.
  std::vector<int> v = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  SplitMix64 rng(StreamSeed(kStreamRandom, 0, "qwen3.5-0.8b", 0));
  PartialShuffle(&v, 3, &rng);
  EXPECT_THAT(std::vector<int>(v.begin(), v.begin() + 3), ::testing::ElementsAre(2, 0, 3));
}

}  // namespace
}  // namespace ablate::spec
