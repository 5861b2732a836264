// bench_util.h: what the table-printing model benchmarks share (models_bench,
// eval_bench): best-of-N wall time, the family configs built from one shape,
// and config parsing that exits on error. Header-only; no state.
//
//   const double s = ablate::bench::BestSeconds([&] { lm->Forward(ids); }, 2);
//   nlohmann::json j = ablate::bench::BaseConfigJson("qwen2", {.hidden = 768, .intermediate = 2048, .heads = 12});
#ifndef ABLATE_BENCH_BENCH_UTIL_H_
#define ABLATE_BENCH_BENCH_UTIL_H_

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>

#include "common/model_config.h"
#include "nlohmann/json.hpp"

namespace ablate::bench {

// Best of `reps` wall times in seconds, after one untimed warm-up call unless
// `warmup` is false.
inline double BestSeconds(const std::function<void()>& fn, int reps, bool warmup = true) {
  if (warmup) fn();
  double best = 1e300;
  for (int i = 0; i < reps; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    fn();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

// The width of a benchmark model; everything else is fixed: vocab 32768,
// 8 layers, 4 KV heads of 64, RMSNorm eps 1e-6, tied embeddings.
struct Shape {
  int hidden = 768;
  int intermediate = 2048;
  int heads = 12;
};

// A config.json for `model_type` at `shape` (family-specific fields are the caller's).
inline nlohmann::json BaseConfigJson(const std::string& model_type, const Shape& shape) {
  return {{"model_type", model_type},    {"vocab_size", 32768},
          {"hidden_size", shape.hidden}, {"intermediate_size", shape.intermediate},
          {"num_hidden_layers", 8},      {"num_attention_heads", shape.heads},
          {"num_key_value_heads", 4},    {"head_dim", 64},
          {"rms_norm_eps", 1e-6},        {"tie_word_embeddings", true}};
}

// Qwen3.5's layout over 8 layers: three Gated DeltaNet layers, then full attention, twice.
inline nlohmann::json Qwen35LayerTypes() {
  return {"linear_attention", "linear_attention", "linear_attention", "full_attention",
          "linear_attention", "linear_attention", "linear_attention", "full_attention"};
}

// ParseModelConfig, or the message on stderr and exit(1).
inline ModelConfig ParseOrExit(const nlohmann::json& j) {
  auto c = ParseModelConfig(j, "bench config");
  if (!c.ok()) {
    std::fprintf(stderr, "%s\n", std::string(c.status().message()).c_str());
    std::exit(1);
  }
  return *c;
}

}  // namespace ablate::bench

#endif  // ABLATE_BENCH_BENCH_UTIL_H_
