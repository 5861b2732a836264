// residual_cache.cc: see residual_cache.h.
#include "worker/eval/residual_cache.h"

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

ResidualCache::Hit ResidualCache::Deepest(const std::string& key, int64_t layer) {
  std::lock_guard<std::mutex> lock(mu_);
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
  std::lock_guard<std::mutex> lock(mu_);
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
  std::lock_guard<std::mutex> lock(mu_);
  return total_;
}

int64_t ResidualCache::hits() const {
  std::lock_guard<std::mutex> lock(mu_);
  return hits_;
}

int64_t ResidualCache::misses() const {
  std::lock_guard<std::mutex> lock(mu_);
  return misses_;
}

}  // namespace ablate::eval
