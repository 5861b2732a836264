// queue_index.h: the in-memory index of queued jobs that makes a lease O(log n)
// with 10^5+ jobs queued: one ordered set over all queued jobs, and the same
// jobs grouped per model and per (model, evaluation) for affinity and batching.
//
// Order (QueueKey): higher priority first, then older sweep (smaller sweep id),
// then smaller job index (expansion order), then job id.
// Models and evaluations are small integer ids interned by the caller.
// Thread-safety: none (the scheduler guards it with its mutex).
//
//   QueueIndex q;
//   q.Add({.priority = 0, .sweep_id = 1, .index = 0, .job_id = 7}, /*model=*/0, /*eval=*/0);
//   const QueueKey* head = q.Best();
#ifndef ABLATE_COORDINATOR_QUEUE_INDEX_H_
#define ABLATE_COORDINATOR_QUEUE_INDEX_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <tuple>
#include <utility>
#include <vector>

namespace ablate::coordinator {

struct QueueKey {
  int32_t priority = 0;
  int64_t sweep_id = 0;
  int32_t index = 0;
  int64_t job_id = 0;
  int32_t model = 0;  // not part of the order
  int32_t eval = 0;   // not part of the order

  // True if *this should be leased before `o`.
  bool operator<(const QueueKey& o) const {
    return std::make_tuple(-static_cast<int64_t>(priority), sweep_id, index, job_id) <
           std::make_tuple(-static_cast<int64_t>(o.priority), o.sweep_id, o.index, o.job_id);
  }
};

class QueueIndex {
 public:
  void Add(const QueueKey& key);
  // False if the key was not queued.
  bool Remove(const QueueKey& key);

  bool empty() const { return all_.empty(); }
  size_t size() const { return all_.size(); }

  // The job to lease first overall, or nullptr.
  const QueueKey* Best() const;
  // The first queued job of `model`, or nullptr.
  const QueueKey* BestOfModel(int32_t model) const;
  // The first queued job of (model, eval), or nullptr.
  const QueueKey* BestOfModelEval(int32_t model, int32_t eval) const;
  // Up to `n` queued jobs of (model, eval) in order, then of `model` with any
  // evaluation, never repeating a job. Does not remove them.
  std::vector<QueueKey> TakeBatch(int32_t model, int32_t eval, size_t n) const;

 private:
  std::set<QueueKey> all_;
  std::map<int32_t, std::set<QueueKey>> by_model_;
  std::map<std::pair<int32_t, int32_t>, std::set<QueueKey>> by_model_eval_;
};

}  // namespace ablate::coordinator

#endif  // ABLATE_COORDINATOR_QUEUE_INDEX_H_
