// model_cache_test.cc: LRU order, count and byte bounds, and that loader
// errors are not cached. Entries carry no model (the cache never touches it).
#include "worker/eval/model_cache.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ablate::eval {
namespace {

using ::testing::ElementsAre;

TEST(ModelCache, LoadsOnceAndEvictsLeastRecentlyUsed) {
  int calls = 0;
  ModelCache cache({.max_models = 2}, [&](const std::string& path, v1::DType) -> absl::StatusOr<ModelCache::Entry> {
    ++calls;
    return ModelCache::Entry{nullptr, "fp:" + path, 10};
  });
  ASSERT_TRUE(cache.Get("a", v1::FLOAT32).ok());
  ASSERT_TRUE(cache.Get("b", v1::FLOAT32).ok());
  auto again = cache.Get("a", v1::FLOAT32);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->checkpoint_fingerprint, "fp:a");
  EXPECT_EQ(calls, 2);
  EXPECT_THAT(cache.Paths(), ElementsAre("a", "b"));
  ASSERT_TRUE(cache.Get("c", v1::FLOAT32).ok());  // evicts b, the least recently used
  EXPECT_THAT(cache.Paths(), ElementsAre("c", "a"));
  ASSERT_TRUE(cache.Get("a", v1::BFLOAT16).ok());  // another dtype is another entry
  EXPECT_EQ(calls, 4);
  EXPECT_EQ(cache.loads(), 4);
}

TEST(ModelCache, ByteBoundKeepsAtLeastTheNewestEntry) {
  ModelCache cache({.max_models = 5, .max_bytes = 25},
                   [](const std::string&, v1::DType) -> absl::StatusOr<ModelCache::Entry> {
                     return ModelCache::Entry{nullptr, "", 10};
                   });
  for (const char* p : {"a", "b", "c"}) ASSERT_TRUE(cache.Get(p, v1::FLOAT32).ok());
  EXPECT_THAT(cache.Paths(), ElementsAre("c", "b"));
  ModelCache tiny({.max_models = 5, .max_bytes = 1},
                  [](const std::string&, v1::DType) -> absl::StatusOr<ModelCache::Entry> {
                    return ModelCache::Entry{nullptr, "", 10};
                  });
  ASSERT_TRUE(tiny.Get("x", v1::FLOAT32).ok());
  EXPECT_THAT(tiny.Paths(), ElementsAre("x"));
}

TEST(ModelCache, ErrorsAreReturnedAndNotCached) {
  int calls = 0;
  ModelCache cache({}, [&](const std::string&, v1::DType) -> absl::StatusOr<ModelCache::Entry> {
    ++calls;
    return absl::NotFoundError("no such checkpoint");
  });
  EXPECT_EQ(cache.Get("a", v1::FLOAT32).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(cache.Get("a", v1::FLOAT32).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(calls, 2);
  EXPECT_TRUE(cache.Paths().empty());
}

}  // namespace
}  // namespace ablate::eval
