// model_cache.cc: see model_cache.h.
#include "worker/eval/model_cache.h"

#include <algorithm>

namespace ablate::eval {

ModelCache::ModelCache(Options options, Loader loader) : options_(options), loader_(std::move(loader)) {}

absl::StatusOr<ModelCache::Entry> ModelCache::Get(const std::string& path, v1::DType dtype) {
  absl::MutexLock lock(&mu_);
  for (auto it = slots_.begin(); it != slots_.end(); ++it) {
    if (it->path == path && it->dtype == dtype) {
      slots_.splice(slots_.begin(), slots_, it);
      return slots_.front().entry;
    }
  }
  // Make room first so that the old model's memory can be released before the
  // new one is loaded (jobs still holding it keep it alive).
  while (!slots_.empty() && static_cast<int32_t>(slots_.size()) >= std::max(1, options_.max_models)) {
    slots_.pop_back();
  }
  absl::StatusOr<Entry> loaded = loader_(path, dtype);
  if (!loaded.ok()) return loaded.status();
  ++loads_;
  slots_.push_front(Slot{path, dtype, *loaded});
  EvictLocked();
  return *loaded;
}

void ModelCache::EvictLocked() {
  if (options_.max_bytes <= 0) return;
  int64_t total = 0;
  for (const Slot& s : slots_) total += s.entry.bytes;
  while (slots_.size() > 1 && total > options_.max_bytes) {
    total -= slots_.back().entry.bytes;
    slots_.pop_back();
  }
}

std::vector<std::string> ModelCache::Paths() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> out;
  for (const Slot& s : slots_) out.push_back(s.path);
  return out;
}

int64_t ModelCache::loads() const {
  absl::MutexLock lock(&mu_);
  return loads_;
}

}  // namespace ablate::eval
