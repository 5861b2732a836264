// baseline_cache.h: un-ablated logits kept in memory so that the drift of
// every ablation job on the same (model, tokenizer, dataset, windows) costs
// one forward pass instead of two. Entries are the scored rows of each
// window ([K, V] float32, CPU), keyed by a string that names everything the
// rows depend on. Bounded by bytes (LRU); an entry larger than the bound is
// simply not kept. The first job to compute the baseline (usually the
// baseline job itself, which runs first in a sweep) fills it.
// Thread-safety: all methods are thread-safe; entries are immutable.
//
//   BaselineCache cache(512 << 20);
//   if (auto rows = cache.Find(key)) { ... (*rows)[i] ... }
//   else cache.Insert(key, std::move(rows));
#ifndef ABLATE_WORKER_EVAL_BASELINE_CACHE_H_
#define ABLATE_WORKER_EVAL_BASELINE_CACHE_H_

#include <ATen/ATen.h>

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace ablate::eval {

class BaselineCache {
 public:
  using Rows = std::vector<at::Tensor>;

  explicit BaselineCache(int64_t max_bytes) : max_bytes_(max_bytes) {}
  BaselineCache(const BaselineCache&) = delete;
  BaselineCache& operator=(const BaselineCache&) = delete;

  // nullptr when absent.
  std::shared_ptr<const Rows> Find(const std::string& key);
  // Keeps `rows` unless they alone exceed max_bytes; evicts least recently used entries.
  void Insert(const std::string& key, Rows rows);

  int64_t max_bytes() const { return max_bytes_; }
  int64_t bytes() const;
  static int64_t BytesOf(const Rows& rows);

 private:
  struct Entry {
    std::string key;
    std::shared_ptr<const Rows> rows;
    int64_t bytes = 0;
  };
  const int64_t max_bytes_;
  mutable std::mutex mu_;
  std::list<Entry> entries_;  // front: most recent; guarded by mu_
  int64_t total_ = 0;         // guarded by mu_
};

}  // namespace ablate::eval

#endif  // ABLATE_WORKER_EVAL_BASELINE_CACHE_H_
