// rng.h: the sweep expander's portable random numbers. Every random draw in a
// sweep (random matched controls, random progressive orders) comes from here,
// so the same spec gives the same targets with any compiler, standard library
// or machine. The algorithms are written out (no std::*_distribution, whose
// output differs between standard libraries) and are part of the spec format:
// changing them changes existing sweeps, so don't.
//
//   Generator: SplitMix64 (Steele, Lea, Flood 2014), 64-bit state.
//   Stream seed: SplitMix64-style mixing of (tag, seed, FNV-1a-64(model), trial),
//     see StreamSeed().
//   Bounded draw: rejection sampling on the full 64-bit output (no modulo bias).
//   Sampling without replacement: Fisher-Yates shuffle, front to back.
//
// Thread-safety: a SplitMix64 is a value; don't share one between threads.
//
//   SplitMix64 rng(StreamSeed(kStreamRandom, /*seed=*/7, "qwen3.5", /*trial=*/2));
//   std::vector<int> pool = {0, 1, 2, 3};
//   Shuffle(&pool, &rng);
#ifndef ABLATE_SPEC_RNG_H_
#define ABLATE_SPEC_RNG_H_

#include <cstdint>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace ablate::spec {

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}

  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  // Uniform in [0, n). REQUIRES: n > 0. Rejects the lowest 2^64 mod n outputs.
  uint64_t Uniform(uint64_t n) {
    const uint64_t threshold = (0 - n) % n;  // 2^64 mod n
    for (;;) {
      const uint64_t x = Next();
      if (x >= threshold) return x % n;
    }
  }

 private:
  uint64_t state_;
};

// The final SplitMix64 mixing step, alone.
uint64_t Mix64(uint64_t x);

// FNV-1a 64-bit hash of `s` (offset basis 0xcbf29ce484222325, prime 0x100000001b3).
uint64_t Fnv1a64(absl::string_view s);

// Stream tags: which kind of draw a stream feeds, so a random control and a
// random progressive order with the same seed do not draw the same layers.
inline constexpr uint64_t kStreamRandom = 1;       // RandomAblation
inline constexpr uint64_t kStreamProgressive = 2;  // ProgressiveAblation, order random

// The seed of one stream:
//   h = Mix64(tag); h = Mix64(h ^ seed); h = Mix64(h ^ Fnv1a64(model)); h = Mix64(h ^ trial)
uint64_t StreamSeed(uint64_t tag, uint64_t seed, absl::string_view model, uint64_t trial);

// Fisher-Yates, front to back: for i in [0, n-1): swap(v[i], v[i + Uniform(n - i)]).
// The first k elements afterwards are a uniform k-sample without replacement.
template <typename T>
void Shuffle(std::vector<T>* v, SplitMix64* rng) {
  const uint64_t n = v->size();
  for (uint64_t i = 0; i + 1 < n; ++i) {
    const uint64_t j = i + rng->Uniform(n - i);
    if (j != i) std::swap((*v)[i], (*v)[j]);
  }
}

// Only the first k positions of Shuffle (same draws, same result for those k).
// REQUIRES: k <= v->size().
template <typename T>
void PartialShuffle(std::vector<T>* v, uint64_t k, SplitMix64* rng) {
  const uint64_t n = v->size();
  for (uint64_t i = 0; i < k && i + 1 < n; ++i) {
    const uint64_t j = i + rng->Uniform(n - i);
    if (j != i) std::swap((*v)[i], (*v)[j]);
  }
}

}  // namespace ablate::spec

#endif  // ABLATE_SPEC_RNG_H_
