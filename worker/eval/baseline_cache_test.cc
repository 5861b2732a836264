// baseline_cache_test.cc: byte-bounded LRU of baseline logits.
#include "worker/eval/baseline_cache.h"

#include "gtest/gtest.h"

namespace ablate::eval {
namespace {

BaselineCache::Rows RowsOf(int64_t floats) { return {at::zeros({floats}, at::kFloat)}; }

TEST(BaselineCache, FindsInsertedAndEvictsByBytes) {
  BaselineCache cache(100);  // 25 floats
  EXPECT_EQ(cache.Find("a"), nullptr);
  cache.Insert("a", RowsOf(10));
  cache.Insert("b", RowsOf(10));
  ASSERT_NE(cache.Find("a"), nullptr);  // a is now the most recent
  cache.Insert("c", RowsOf(10));        // 120 bytes > 100: evicts b
  EXPECT_EQ(cache.Find("b"), nullptr);
  EXPECT_NE(cache.Find("a"), nullptr);
  EXPECT_NE(cache.Find("c"), nullptr);
  EXPECT_EQ(cache.bytes(), 80);
}

TEST(BaselineCache, TooLargeEntriesAreNotKept) {
  BaselineCache cache(16);
  cache.Insert("big", RowsOf(5));
  EXPECT_EQ(cache.Find("big"), nullptr);
  EXPECT_EQ(cache.bytes(), 0);
  BaselineCache off(0);
  off.Insert("x", RowsOf(1));
  EXPECT_EQ(off.Find("x"), nullptr);
}

}  // namespace
}  // namespace ablate::eval
