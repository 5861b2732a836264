// python_random.h: CPython's `random.Random` as far as lm-evaluation-harness
// uses it to pick few-shot examples: the MT19937 generator seeded the way
// `random.Random(int)` seeds it (init_by_array over the seed's 32-bit words),
// `getrandbits`, `_randbelow` (rejection on getrandbits(n.bit_length())) and
// `sample(range(n), k)` with both of CPython's strategies (a pool for small
// populations, a set of drawn indices for large ones). Written out from the
// algorithms' definitions so shots match lm-eval's on any compiler; checked
// against the Python interpreter (python_random_test.cc, and the committed
// reference worker/text/testdata/lm_eval_fewshot_reference.py).
//
// A value type; not thread-safe (one generator per dataset load).
//
//   PythonRandom rnd(1234);                   // random.Random(1234)
//   std::vector<size_t> picks = rnd.Sample(100, 5);   // rnd.sample(range(100), 5)
#ifndef ABLATE_WORKER_TEXT_PYTHON_RANDOM_H_
#define ABLATE_WORKER_TEXT_PYTHON_RANDOM_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace ablate::text {

class PythonRandom {
 public:
  explicit PythonRandom(uint64_t seed);

  uint32_t NextUint32();           // genrand_uint32
  uint64_t GetRandBits(int k);     // random.getrandbits(k), 0 < k <= 64
  uint64_t RandBelow(uint64_t n);  // random._randbelow(n), n > 0
  // random.sample(range(n), k): k distinct indices in selection order.
  // REQUIRES: k <= n.
  std::vector<size_t> Sample(size_t n, size_t k);

 private:
  static constexpr int kN = 624;
  void Twist();
  std::array<uint32_t, kN> mt_{};
  int index_ = kN;
};

}  // namespace ablate::text

#endif  // ABLATE_WORKER_TEXT_PYTHON_RANDOM_H_
