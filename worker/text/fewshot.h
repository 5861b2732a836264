// fewshot.h: deterministic few-shot selection and lm-eval-harness style
// prompt assembly.
//
// Shot selection (part of the data format: changing it changes prompts):
//   * First k (MMLU, as lm-eval and the original MMLU code): the first k
//     documents of the pool, in file order.
//   * LM_EVAL (the default for every other task; v1::FewshotSampler):
//     lm-evaluation-harness's default sampler. One Python `random.Random`
//     (PythonRandom) per evaluation, seeded with `seed` (0 means lm-eval's
//     fewshot seed 1234); for each document in file order it draws
//     rnd.sample(pool, k), or k + 1 when the pool is the evaluated file, drops
//     every drawn document equal to the evaluated one and keeps the first k.
//     An item's shots depend on the documents before it, so they match
//     lm-eval's for the same files; `limit` cuts documents from the end and
//     never changes an earlier item's shots.
//   * PER_ITEM: for the item with index i in the eval file (before `limit`),
//     a SplitMix64 generator seeded with Mix64(Mix64(seed) ^ i) draws indices
//     with Uniform(n) (rejection sampling on the 64-bit output, no modulo
//     bias); an index already drawn, or the item itself when the pool is the
//     eval file, is drawn again. Shots appear in draw order.
//
// Prompt (lm-eval: fewshot_delimiter "\n\n", target_delimiter " "):
//   description + shot_1 + "\n\n" + ... + shot_k + "\n\n" + query
// where shot = query + " " + gold target (partial scoring: the gold context +
// " " + the continuation).
//
// Stateless functions and a value-type RNG; thread-safe.
//
//   SplitMix64 rng(ShotSeed(seed, i));
//   std::vector<size_t> shots = DrawShots(pool_size, k, exclude, &rng);
#ifndef ABLATE_WORKER_TEXT_FEWSHOT_H_
#define ABLATE_WORKER_TEXT_FEWSHOT_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "worker/text/python_random.h"

namespace ablate::text {

// lm-eval's fewshot seed, used when a spec's seed is 0.
inline constexpr uint64_t kLmEvalFewshotSeed = 1234;

// SplitMix64 (Steele, Lea, Flood 2014). Written out so shots are the same
// with any compiler and standard library.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next();
  // Uniform in [0, n). REQUIRES: n > 0.
  uint64_t Uniform(uint64_t n);

 private:
  uint64_t state_;
};

// SplitMix64's output mixing function alone.
uint64_t Mix64(uint64_t x);

// The generator seed of eval item `index`: Mix64(Mix64(seed) ^ index).
uint64_t ShotSeed(uint64_t seed, uint64_t index);

// k distinct indices in [0, n) without `exclude`, in draw order.
// REQUIRES: k <= n - (exclude within range ? 1 : 0).
std::vector<size_t> DrawShots(size_t n, size_t k, std::optional<size_t> exclude, SplitMix64* rng);

// A multiple-choice document before prompting: lm-eval's doc_to_text,
// doc_to_choice and gold.
struct McDoc {
  std::string id;
  std::string group;                  // MMLU subject
  std::string query;                  // doc_to_text (ordinary items)
  std::vector<std::string> contexts;  // partial scoring: one per choice
  std::vector<std::string> targets;   // choice texts without the " " delimiter;
                                      // partial scoring: the one shared continuation
  int32_t gold = 0;
  bool partial_scoring() const { return !contexts.empty(); }
  size_t num_choices() const { return partial_scoring() ? contexts.size() : targets.size(); }
  // query + " " + gold target (or the partial-scoring equivalent).
  std::string ShotText() const;
};

// Two documents with the same content (lm-eval compares documents, not
// positions): query, contexts, targets, gold and group.
bool SameContent(const McDoc& a, const McDoc& b);

// lm-eval's shots for the next document: `rnd` is the evaluation's one
// generator, called once per document in order (not for k == 0). Returns
// indices into `pool` (fewer than k only if drawn documents equal `doc`).
// REQUIRES: k (+1 when same_split) <= pool.size().
std::vector<size_t> LmEvalShots(const std::vector<McDoc>& pool, size_t k, bool same_split, const McDoc& doc,
                                PythonRandom* rnd);

// description + shots joined and followed by "\n\n" (just description when
// there are no shots).
std::string FewShotPrefix(const std::string& description, const std::vector<const McDoc*>& shots);

}  // namespace ablate::text

#endif  // ABLATE_WORKER_TEXT_FEWSHOT_H_
