// residual_cache.cc: see residual_cache.h.
#include "worker/eval/residual_cache.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "worker/text/sha256.h"

namespace ablate::eval {
namespace {

int64_t BytesOf(const at::Tensor& t) { return t.defined() ? t.numel() * static_cast<int64_t>(t.element_size()) : 0; }

}  // namespace

std::string ResidualKey(const std::string& model_key, const at::Tensor& cpu_ids) {
  TORCH_CHECK(cpu_ids.device().is_cpu() && cpu_ids.scalar_type() == at::kLong, "ResidualKey: CPU int64 ids");
  const at::Tensor c = cpu_ids.contiguous();
  const absl::string_view bytes(static_cast<const char*>(c.data_ptr()),
                                static_cast<size_t>(c.numel()) * sizeof(int64_t));
  return absl::StrCat(model_key, "|", absl::StrJoin(c.sizes(), "x"), "|", text::Sha256Hex(bytes));
}

std::vector<bool> LayersToKeep(int64_t num_layers, int64_t per_layer_bytes, int64_t budget, bool output_first) {
  std::vector<bool> keep(static_cast<size_t>(std::max<int64_t>(0, num_layers) + 1), false);
  if (num_layers <= 0) return keep;
  const int64_t fit = per_layer_bytes <= 0 ? num_layers : std::min(num_layers, budget / per_layer_bytes);
  if (fit >= num_layers) {
    for (int64_t i = 1; i <= num_layers; ++i) keep[static_cast<size_t>(i)] = true;
    return keep;
  }
  // i * L / n for i = 1..n (ends at L), or i * L / (n + 1) (interior only),
  // rounded to the nearest layer; distinct since the step is >= 1.
  const int64_t parts = output_first ? fit : fit + 1;
  for (int64_t i = 1; i <= fit; ++i) {
    const int64_t layer = std::clamp<int64_t>((2 * i * num_layers + parts) / (2 * parts), 1, num_layers);
    keep[static_cast<size_t>(layer)] = true;
  }
  return keep;
}

ResidualCache::Hit ResidualCache::Deepest(const std::string& key, int64_t layer) {
  absl::MutexLock lock(&mu_);
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->key != key) continue;
    entries_.splice(entries_.begin(), entries_, it);
    const std::vector<at::Tensor>& s = entries_.front().states;
    for (int64_t i = std::min<int64_t>(layer, static_cast<int64_t>(s.size()) - 1); i >= 1; --i) {
      if (s[i].defined()) {
        ++hits_;
        return Hit{i, s[i]};
      }
    }
    break;
  }
  ++misses_;
  return Hit{};
}

void ResidualCache::Store(const std::string& key, const std::vector<at::Tensor>& states) {
  if (max_bytes_ <= 0) return;
  absl::MutexLock lock(&mu_);
  auto it = entries_.begin();
  while (it != entries_.end() && it->key != key) ++it;
  if (it == entries_.end()) {
    entries_.push_front(Entry{key, {}, 0});
    it = entries_.begin();
  } else {
    entries_.splice(entries_.begin(), entries_, it);
    it = entries_.begin();
  }
  Entry& e = *it;
  if (e.states.size() < states.size()) e.states.resize(states.size());
  // Layer 0's input is the embedding, cheaper to recompute than to keep.
  for (size_t i = 1; i < states.size(); ++i) {
    if (!states[i].defined() || e.states[i].defined()) continue;
    const int64_t b = BytesOf(states[i]);
    if (e.bytes + b > max_bytes_) break;  // keep the shallower prefix only
    e.states[i] = states[i];
    e.bytes += b;
    total_ += b;
  }
  if (e.bytes == 0) {
    entries_.erase(it);
    return;
  }
  while (total_ > max_bytes_ && entries_.size() > 1) {
    total_ -= entries_.back().bytes;
    entries_.pop_back();
  }
}

int64_t ResidualCache::bytes() const {
  absl::MutexLock lock(&mu_);
  return total_;
}

int64_t ResidualCache::hits() const {
  absl::MutexLock lock(&mu_);
  return hits_;
}

int64_t ResidualCache::misses() const {
  absl::MutexLock lock(&mu_);
  return misses_;
}

}  // namespace ablate::eval
