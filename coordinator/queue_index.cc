// queue_index.cc: see queue_index.h.
#include "coordinator/queue_index.h"

namespace ablate::coordinator {

void QueueIndex::Add(const QueueKey& key) {
  all_.insert(key);
  by_model_[key.model].insert(key);
  by_model_eval_[{key.model, key.eval}].insert(key);
}

bool QueueIndex::Remove(const QueueKey& key) {
  if (all_.erase(key) == 0) return false;
  auto m = by_model_.find(key.model);
  if (m != by_model_.end()) {
    m->second.erase(key);
    if (m->second.empty()) by_model_.erase(m);
  }
  auto me = by_model_eval_.find({key.model, key.eval});
  if (me != by_model_eval_.end()) {
    me->second.erase(key);
    if (me->second.empty()) by_model_eval_.erase(me);
  }
  return true;
}

const QueueKey* QueueIndex::Best() const { return all_.empty() ? nullptr : &*all_.begin(); }

const QueueKey* QueueIndex::BestOfModel(int32_t model) const {
  auto it = by_model_.find(model);
  if (it == by_model_.end() || it->second.empty()) return nullptr;
  return &*it->second.begin();
}

const QueueKey* QueueIndex::BestOfModelEval(int32_t model, int32_t eval) const {
  auto it = by_model_eval_.find({model, eval});
  if (it == by_model_eval_.end() || it->second.empty()) return nullptr;
  return &*it->second.begin();
}

std::vector<QueueKey> QueueIndex::TakeBatch(int32_t model, int32_t eval, size_t n) const {
  std::vector<QueueKey> out;
  if (n == 0) return out;
  auto me = by_model_eval_.find({model, eval});
  if (me != by_model_eval_.end()) {
    for (const QueueKey& k : me->second) {
      out.push_back(k);
      if (out.size() == n) return out;
    }
  }
  auto m = by_model_.find(model);
  if (m != by_model_.end()) {
    for (const QueueKey& k : m->second) {
      if (k.eval == eval) continue;  // already taken above
      out.push_back(k);
      if (out.size() == n) return out;
    }
  }
  return out;
}

}  // namespace ablate::coordinator
