// baseline_cache.cc: see baseline_cache.h.
#include "worker/eval/baseline_cache.h"

namespace ablate::eval {

int64_t BaselineCache::BytesOf(const Rows& rows) {
  int64_t n = 0;
  for (const at::Tensor& t : rows) n += t.defined() ? t.numel() * static_cast<int64_t>(t.element_size()) : 0;
  return n;
}

std::shared_ptr<const BaselineCache::Rows> BaselineCache::Find(const std::string& key) {
  absl::MutexLock lock(&mu_);
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->key == key) {
      entries_.splice(entries_.begin(), entries_, it);
      return entries_.front().rows;
    }
  }
  return nullptr;
}

void BaselineCache::Insert(const std::string& key, Rows rows) {
  const int64_t bytes = BytesOf(rows);
  if (bytes > max_bytes_) return;
  absl::MutexLock lock(&mu_);
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->key == key) {
      total_ -= it->bytes;
      entries_.erase(it);
      break;
    }
  }
  entries_.push_front(Entry{key, std::make_shared<const Rows>(std::move(rows)), bytes});
  total_ += bytes;
  while (total_ > max_bytes_ && !entries_.empty()) {
    total_ -= entries_.back().bytes;
    entries_.pop_back();
  }
}

int64_t BaselineCache::bytes() const {
  absl::MutexLock lock(&mu_);
  return total_;
}

}  // namespace ablate::eval
