// fewshot.cc: see fewshot.h.
#include "worker/text/fewshot.h"

#include "absl/container/flat_hash_set.h"

namespace ablate::text {

uint64_t Mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t SplitMix64::Next() { return Mix64(state_ += 0x9e3779b97f4a7c15ULL); }

uint64_t SplitMix64::Uniform(uint64_t n) {
  const uint64_t threshold = (0 - n) % n;  // 2^64 mod n
  for (;;) {
    const uint64_t x = Next();
    if (x >= threshold) return x % n;
  }
}

uint64_t ShotSeed(uint64_t seed, uint64_t index) { return Mix64(Mix64(seed) ^ index); }

std::vector<size_t> DrawShots(size_t n, size_t k, std::optional<size_t> exclude, SplitMix64* rng) {
  std::vector<size_t> out;
  absl::flat_hash_set<size_t> taken;
  if (exclude.has_value() && *exclude < n) taken.insert(*exclude);
  while (out.size() < k) {
    const size_t i = static_cast<size_t>(rng->Uniform(n));
    if (taken.insert(i).second) out.push_back(i);
  }
  return out;
}

std::string McDoc::ShotText() const {
  if (partial_scoring()) return contexts[gold] + " " + targets[0];
  return query + " " + targets[gold];
}

bool SameContent(const McDoc& a, const McDoc& b) {
  return a.query == b.query && a.contexts == b.contexts && a.targets == b.targets && a.gold == b.gold &&
         a.group == b.group;
}

std::vector<size_t> LmEvalShots(const std::vector<McDoc>& pool, size_t k, bool same_split, const McDoc& doc,
                                PythonRandom* rnd) {
  std::vector<size_t> out;
  for (size_t i : rnd->Sample(pool.size(), same_split ? k + 1 : k)) {
    if (out.size() < k && !SameContent(pool[i], doc)) out.push_back(i);
  }
  return out;
}

std::string FewShotPrefix(const std::string& description, const std::vector<const McDoc*>& shots) {
  std::string out = description;
  for (const McDoc* shot : shots) {
    out += shot->ShotText();
    out += "\n\n";
  }
  return out;
}

}  // namespace ablate::text
