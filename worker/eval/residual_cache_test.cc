// residual_cache_test.cc: ResidualCache keys, deepest-state lookup, merging
// stores, and the byte bound (LRU eviction, oversized entries kept partially).
#include "worker/eval/residual_cache.h"

#include "gtest/gtest.h"

namespace ablate::eval {
namespace {

// States entering layers [from, to] of a 4-layer model (index 4: the output), 64 bytes each.
std::vector<at::Tensor> States(int64_t from, int64_t to, float value = 1.0f) {
  std::vector<at::Tensor> s(5);
  for (int64_t i = from; i <= to; ++i) s[i] = at::full({1, 4, 4}, value + static_cast<float>(i));
  return s;
}

TEST(ResidualKey, NamesModelShapeAndIds) {
  const at::Tensor a = at::arange(6, at::kLong).reshape({2, 3});
  EXPECT_EQ(ResidualKey("m", a), ResidualKey("m", a.clone()));
  EXPECT_NE(ResidualKey("m", a), ResidualKey("n", a));
  EXPECT_NE(ResidualKey("m", a), ResidualKey("m", a.reshape({3, 2})));
  EXPECT_NE(ResidualKey("m", a), ResidualKey("m", a + 1));
}

TEST(ResidualCache, DeepestStateAtOrBeforeTheLayer) {
  ResidualCache cache(1 << 20);
  EXPECT_EQ(cache.Deepest("k", 3).layer, 0);
  cache.Store("k", States(0, 2));  // layer 0 (the embedding) is never kept
  EXPECT_EQ(cache.bytes(), 2 * 64);
  ResidualCache::Hit h = cache.Deepest("k", 3);
  EXPECT_EQ(h.layer, 2);
  EXPECT_EQ(h.hidden[0][0][0].item<float>(), 3.0f);
  EXPECT_EQ(cache.Deepest("k", 1).layer, 1);
  EXPECT_EQ(cache.Deepest("k", 0).layer, 0);
  EXPECT_EQ(cache.Deepest("other", 4).layer, 0);
  // A deeper store merges; existing states are kept, not replaced.
  cache.Store("k", States(2, 4, 10.0f));
  EXPECT_EQ(cache.Deepest("k", 4).layer, 4);
  EXPECT_EQ(cache.Deepest("k", 2).hidden[0][0][0].item<float>(), 3.0f);
  EXPECT_EQ(cache.bytes(), 4 * 64);
  EXPECT_EQ(cache.hits(), 4);
  EXPECT_EQ(cache.misses(), 3);
}

TEST(ResidualCache, LeastRecentlyUsedEntriesAreEvicted) {
  ResidualCache cache(4 * 64);
  cache.Store("a", States(1, 2));
  cache.Store("b", States(1, 2));
  EXPECT_EQ(cache.Deepest("a", 4).layer, 2);  // a is now the most recent
  cache.Store("c", States(1, 2));
  EXPECT_EQ(cache.Deepest("b", 4).layer, 0);
  EXPECT_EQ(cache.Deepest("a", 4).layer, 2);
  EXPECT_EQ(cache.Deepest("c", 4).layer, 2);
  EXPECT_LE(cache.bytes(), 4 * 64);
}

TEST(ResidualCache, AnOversizedEntryKeepsItsShallowestStates) {
  ResidualCache cache(2 * 64);
  cache.Store("k", States(1, 4));
  EXPECT_EQ(cache.Deepest("k", 4).layer, 2);
  EXPECT_EQ(cache.bytes(), 2 * 64);
  ResidualCache off(0);
  off.Store("k", States(1, 4));
  EXPECT_EQ(off.Deepest("k", 4).layer, 0);
  EXPECT_EQ(off.bytes(), 0);
}

}  // namespace
}  // namespace ablate::eval
