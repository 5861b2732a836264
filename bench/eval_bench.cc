// eval_bench.cc: evaluation throughput in scored tokens/s for each family at
// a small realistic size (hidden 768, 8 layers, vocab 32768, random weights
// made here): the perplexity path (lm-eval rolling windows of 512 -> batched
// forward -> log-softmax scoring), with and without drift (a second,
// un-ablated forward + KL/top-1), at batch 1 and 4; and the cost of the
// metric alone (scoring + KL on precomputed logits) relative to the forward.
// Ratios are measured in the same process; no timed assertions.
//
//   eval_bench                  # full run on CPU
//   eval_bench --quick          # 2 windows of 128, no warm-up (smoke test)
//   eval_bench --device cuda    # on the GPU
//   eval_bench --family qwen2   # one family (qwen2, qwen3_5, falcon_h1)
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>

#include "bench/bench_util.h"
#include "common/model_config.h"
#include "worker/eval/forward_batches.h"
#include "worker/eval/token_scoring.h"
#include "worker/eval/windows.h"
#include "worker/models/causal_lm.h"

namespace {

constexpr ablate::bench::Shape kShape = {.hidden = 768, .intermediate = 2048, .heads = 12};

using ablate::bench::ParseOrExit;

bool g_warmup = true;  // set once in main (--quick skips the warm-up call)

double Time(const std::function<void()>& fn, int reps) { return ablate::bench::BestSeconds(fn, reps, g_warmup); }

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  std::string device = "cpu";
  std::string only_family;  // --family NAME: just that family
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) quick = true;
    if (std::strcmp(argv[i], "--device") == 0 && i + 1 < argc) device = argv[++i];
    if (std::strcmp(argv[i], "--family") == 0 && i + 1 < argc) only_family = argv[++i];
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // rows appear as they are measured
  const int reps = quick ? 1 : 2;
  g_warmup = !quick;
  const int64_t window = quick ? 128 : 512, n_windows = quick ? 2 : 8;
  c10::InferenceMode guard;
  std::printf("device %s, threads %d, %ld windows of %ld tokens (rolling), vocab 32768, hidden 768, 8 layers\n\n",
              device.c_str(), at::get_num_threads(), static_cast<long>(n_windows), static_cast<long>(window));

  nlohmann::json qwen2 = ablate::bench::BaseConfigJson("qwen2", kShape);
  nlohmann::json qwen35 = ablate::bench::BaseConfigJson("qwen3_5_text", kShape);
  qwen35["layer_types"] = ablate::bench::Qwen35LayerTypes();
  qwen35["head_dim"] = 64;
  qwen35.update({{"linear_num_key_heads", 6},
                 {"linear_num_value_heads", 12},
                 {"linear_key_head_dim", 64},
                 {"linear_value_head_dim", 64}});
  nlohmann::json falcon = ablate::bench::BaseConfigJson("falcon_h1", kShape);
  falcon.update({{"mamba_d_ssm", 768},
                 {"mamba_n_heads", 12},
                 {"mamba_d_head", 64},
                 {"mamba_n_groups", 1},
                 {"mamba_d_state", 64},
                 {"mamba_d_conv", 4},
                 {"mamba_chunk_size", 256},
                 {"mamba_rms_norm", true},
                 {"mamba_norm_before_gate", false},
                 {"tie_word_embeddings", false}});

  const at::Tensor corpus = at::randint(0, 32768, {n_windows * window}, at::kLong);
  std::vector<int64_t> tokens(corpus.data_ptr<int64_t>(), corpus.data_ptr<int64_t>() + corpus.numel());
  auto windows = ablate::eval::RollingWindows(tokens, 0, window);
  if (!windows.ok()) return 1;

  std::printf("%-10s %6s %6s %12s %14s\n", "family", "drift", "batch", "seconds", "tokens/s");
  for (const auto& [name, j] :
       {std::pair<const char*, nlohmann::json>{"qwen2", qwen2}, {"qwen3_5", qwen35}, {"falcon_h1", falcon}}) {
    if (!only_family.empty() && only_family != name) continue;
    ablate::models::LoadOptions lo;
    lo.device = torch::Device(device);
    auto lm = ablate::models::CreateCausalLM(ParseOrExit(j), lo, 1);
    if (!lm.ok()) {
      std::fprintf(stderr, "%s: %s\n", name, std::string(lm.status().message()).c_str());
      return 1;
    }
    const ablate::models::AblationPlan plan = {{.layer = 1, .component = ablate::v1::MLP, .mode = ablate::v1::ZERO}};
    {
      // The bare forward on the same windows: the floor for the rows below.
      const at::Tensor ids = at::tensor((*windows)[0].input, at::kLong).unsqueeze(0).to(lo.device);
      const double s = Time([&] { (*lm)->Forward(ids); }, reps);
      std::printf("%-10s %6s %6d %12.3f %14.1f   (bare forward, one window)\n", name, "-", 1, s,
                  static_cast<double>(ids.size(1)) / s);
    }
    for (bool drift : {false, true}) {
      for (int64_t batch : {1, 4}) {
        double sink = 0.0;
        const double s = Time(
            [&] {
              ablate::eval::DriftTally tally;
              ablate::eval::BatchOptions bo;
              bo.batch_size = batch;
              bo.plan = &plan;
              bo.with_baseline = drift;
              auto st = ablate::eval::ForwardWindows(
                  **lm, *windows, bo,
                  [&](size_t i, const ablate::eval::WindowLogits& logits, const ablate::eval::WindowLogits& base) {
                    const auto& w = (*windows)[i];
                    sink += ablate::eval::ScoreTargets(logits, w.score_begin, w.targets).Sum();
                    if (base.defined()) tally.Add(base, logits, w.score_begin, static_cast<int64_t>(w.targets.size()));
                    return absl::OkStatus();
                  });
              if (!st.ok()) std::exit(1);
            },
            reps);
        std::printf("%-10s %6s %6ld %12.3f %14.1f\n", name, drift ? "yes" : "no", static_cast<long>(batch), s,
                    static_cast<double>(tokens.size()) / s);
      }
    }
  }

  // The metric alone on one window's logits (vocab 32768).
  at::Tensor logits = at::randn({window, 32768}).to(torch::Device(device));
  at::Tensor other = at::randn({window, 32768}).to(torch::Device(device));
  const auto& w0 = (*windows)[0];
  const double score_s = Time([&] { ablate::eval::ScoreTargets(logits, w0.score_begin, w0.targets); }, reps + 2);
  const double kl_s = Time(
      [&] {
        ablate::eval::DriftTally t;
        t.Add(logits, other);
      },
      reps + 2);
  std::printf("\nmetric only, one window of %ld: scoring %.2f ms (%.0f tokens/s), drift KL+top1 %.2f ms\n",
              static_cast<long>(window), score_s * 1e3, window / score_s, kl_s * 1e3);
  return 0;
}
