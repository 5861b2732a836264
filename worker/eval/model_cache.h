// model_cache.h: a bounded LRU of loaded models, keyed by (path, dtype).
//
// One resident model serves every job on it: ablation plans never modify
// weights, so entries are shared read-only (shared_ptr<const CausalLM>). A job
// holding an entry keeps it alive even after eviction. Bounds: at most
// `max_models` entries, and (when max_bytes > 0) at most max_bytes of
// parameters; the most recently used entry is always kept, even if it alone
// exceeds max_bytes. The loader runs under the cache lock, so two jobs never
// load the same model twice at once.
// Thread-safety: all methods are thread-safe.
//
//   ModelCache cache({.max_models = 2}, loader);
//   ASSIGN_OR_RETURN(ModelCache::Entry e, cache.Get("/ckpt/a", v1::FLOAT32));
#ifndef ABLATE_WORKER_EVAL_MODEL_CACHE_H_
#define ABLATE_WORKER_EVAL_MODEL_CACHE_H_

#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <string>
#include <vector>

#include "ablate/v1/spec.pb.h"
#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "worker/models/causal_lm.h"

namespace ablate::eval {

class ModelCache {
 public:
  struct Entry {
    std::shared_ptr<const models::CausalLM> lm;
    std::string checkpoint_fingerprint;
    int64_t bytes = 0;  // parameter bytes, for the byte bound
  };
  struct Options {
    int32_t max_models = 2;  // >= 1 (smaller values act as 1)
    int64_t max_bytes = 0;   // 0: no byte bound
  };
  using Loader = std::function<absl::StatusOr<Entry>(const std::string& path, v1::DType dtype)>;

  ModelCache(Options options, Loader loader);
  ModelCache(const ModelCache&) = delete;
  ModelCache& operator=(const ModelCache&) = delete;

  // The cached entry, or the loader's result (then cached). Loader errors are
  // returned and nothing is cached.
  absl::StatusOr<Entry> Get(const std::string& path, v1::DType dtype);

  // Paths resident now, most recently used first.
  std::vector<std::string> Paths() const;
  int64_t loads() const;  // loader calls that succeeded

 private:
  struct Slot {
    std::string path;
    v1::DType dtype;
    Entry entry;
  };
  void EvictLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  const Loader loader_;
  mutable absl::Mutex mu_;
  std::list<Slot> slots_ ABSL_GUARDED_BY(mu_);  // front: most recently used
  int64_t loads_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace ablate::eval

#endif  // ABLATE_WORKER_EVAL_MODEL_CACHE_H_
