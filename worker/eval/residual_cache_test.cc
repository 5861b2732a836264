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

// The layers kept (indices with true), for a 24-layer model.
std::vector<int64_t> Kept(int64_t layers, int64_t per_layer, int64_t budget, bool output_first) {
  const std::vector<bool> keep = LayersToKeep(layers, per_layer, budget, output_first);
  EXPECT_EQ(keep.size(), static_cast<size_t>(layers + 1));
  std::vector<int64_t> out;
  for (size_t i = 0; i < keep.size(); ++i) {
    if (keep[i]) out.push_back(static_cast<int64_t>(i));
  }
  return out;
}

TEST(LayersToKeep, EveryLayerWhenTheyFitElseTheMostThatFitSpreadEvenly) {
  using V = std::vector<int64_t>;
  V all(24);
  for (int64_t i = 0; i < 24; ++i) all[static_cast<size_t>(i)] = i + 1;
  EXPECT_EQ(Kept(24, 10, 240, true), all);
  EXPECT_EQ(Kept(24, 10, 10000, false), all);
  EXPECT_EQ(Kept(24, 0, 0, false), all);  // nothing to store: no bound to respect
  // One layer's states fit: the output for drift (the un-ablated pass skips
  // everything), the middle for a plain layer sweep.
  EXPECT_EQ(Kept(24, 10, 19, true), V({24}));
  EXPECT_EQ(Kept(24, 10, 19, false), V({12}));
  EXPECT_EQ(Kept(24, 10, 20, true), V({12, 24}));
  EXPECT_EQ(Kept(24, 10, 20, false), V({8, 16}));
  EXPECT_EQ(Kept(24, 10, 39, false), V({6, 12, 18}));
  EXPECT_EQ(Kept(24, 10, 50, true), V({5, 10, 14, 19, 24}));  // i * 24 / 5 rounded
  EXPECT_EQ(Kept(24, 10, 9, true), V());
  V interior(all.begin(), all.end() - 1);
  EXPECT_EQ(Kept(24, 10, 230, false), interior);  // 23 fit: every layer but the output
  EXPECT_EQ(Kept(0, 10, 100, true), V());
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
