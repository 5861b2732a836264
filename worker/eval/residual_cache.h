// residual_cache.h: residual-stream prefixes shared across the jobs of a sweep.
// An ablation that touches only layers >= L computes exactly the un-ablated
// model's hidden states entering layers 0..L, so a later job on the same model
// and the same (padded, batched) input may start its forward at its first
// ablated layer from a state an earlier job computed. Entries are keyed by a
// string naming the model (weights, dtype) and the exact input ids batch
// (ResidualKey); an entry holds, per layer index 0..num_layers, the hidden
// state entering that layer ([B, T, H], model dtype, on the model's device),
// or nothing. Stores merge into an entry. Bounded by bytes, least recently
// used entries evicted; an entry that alone would exceed the bound is not kept.
//
// Tensors are shared, never copied, and never modified (the forward is
// functional), so a hit gives the same bits the plain forward would compute.
//
// Thread-safety: all methods are thread-safe.
//
//   ResidualCache cache(1 << 30);
//   ResidualCache::Hit hit = cache.Deepest(key, first_ablated_layer);
//   ... lm.ForwardHidden(ids, {.plan = &plan, .start_layer = hit.layer, .start_hidden = hit.hidden,
//                              .residuals = &states}) ...
//   cache.Store(key, states);
#ifndef ABLATE_WORKER_EVAL_RESIDUAL_CACHE_H_
#define ABLATE_WORKER_EVAL_RESIDUAL_CACHE_H_

#include <ATen/ATen.h>

#include <cstdint>
#include <list>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace ablate::eval {

// model_key | shape | sha256 of the int64 ids (a CPU tensor).
std::string ResidualKey(const std::string& model_key, const at::Tensor& cpu_ids);

// Which layer states (index 0..num_layers) one evaluation keeps so that all
// its batches fit in `budget` bytes, given one layer's states over all of
// them (`per_layer_bytes`): every layer 1..num_layers when they fit, else the
// most that fit, spread evenly (a job whose first ablated layer is l starts at
// the deepest kept layer <= l, so even spacing saves the most over a layer
// sweep; keeping every layer of the first batches only would be cycled out by
// the LRU as each job walks all batches, and save nothing). `output_first`:
// the evaluation also runs an un-ablated pass per job (drift, bootstrap),
// which starts from layer num_layers, so the spread ends there. Index 0 (the
// embedding) is never kept. The choice depends on the evaluation only, so
// every job of it keeps the same layers.
std::vector<bool> LayersToKeep(int64_t num_layers, int64_t per_layer_bytes, int64_t budget, bool output_first);

class ResidualCache {
 public:
  explicit ResidualCache(int64_t max_bytes) : max_bytes_(max_bytes) {}
  ResidualCache(const ResidualCache&) = delete;
  ResidualCache& operator=(const ResidualCache&) = delete;

  struct Hit {
    int64_t layer = 0;  // start the forward here
    at::Tensor hidden;  // state entering `layer`; undefined when layer == 0 (nothing kept)
  };
  // The deepest kept state entering a layer in [1, layer] for `key`; {0, {}} if none.
  Hit Deepest(const std::string& key, int64_t layer);

  // Merges the defined entries of `states` (index = layer) into `key`'s entry.
  void Store(const std::string& key, const std::vector<at::Tensor>& states);

  int64_t max_bytes() const { return max_bytes_; }
  int64_t bytes() const;
  int64_t hits() const;    // Deepest calls that returned a state
  int64_t misses() const;  // Deepest calls that returned none

 private:
  struct Entry {
    std::string key;
    std::vector<at::Tensor> states;
    int64_t bytes = 0;
  };
  const int64_t max_bytes_;
  mutable absl::Mutex mu_;
  std::list<Entry> entries_ ABSL_GUARDED_BY(mu_);  // front: most recent
  int64_t total_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t hits_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t misses_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace ablate::eval

#endif  // ABLATE_WORKER_EVAL_RESIDUAL_CACHE_H_
