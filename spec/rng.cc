// rng.cc: stream seeding for the expander's portable random numbers (see rng.h).
#include "spec/rng.h"

namespace ablate::spec {

uint64_t Mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

uint64_t Fnv1a64(absl::string_view s) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

uint64_t StreamSeed(uint64_t tag, uint64_t seed, absl::string_view model, uint64_t trial) {
  uint64_t h = Mix64(tag);
  h = Mix64(h ^ seed);
  h = Mix64(h ^ Fnv1a64(model));
  return Mix64(h ^ trial);
}

}  // namespace ablate::spec
