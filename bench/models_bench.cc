// models_bench.cc: forward throughput of each family at a realistic width
// (hidden 1024, 8 layers, random weights made here, sequence 512, batch 1 and 4),
// and chunked vs step-by-step scans at sequence 2048 (Gated DeltaNet chunked vs
// recurrent; Mamba-2 chunked SSD vs sequential). Prints a table and ratios
// measured in the same process; no timed assertions.
//
//   models_bench           # full run
//   models_bench --quick   # shorter sequences, one repetition (smoke test)
//   models_bench --scans   # only the long-sequence scan comparison
//   models_bench --config spec/testdata/qwen2.5-0.5b/config.json [--reps 3]
//   models_bench --checkpoint /ckpt/qwen2.5-0.5b [--reps 3]
//   models_bench --config ... --reps 3 --no-policies   # default malloc and threads
//   models_bench --config ... --reps 5 --cases fp32:512   # only these cases (profiling)
//   models_bench --config ... --reps 1 --cases bf16:512 --profile   # + self time per operator
//       # one full-size model (random weights for --config): tokens/s next to a
//       # GEMM roofline measured in the same run, fp32 512/2048 and bf16 512
//       # (bench/roofline.h)
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "bench/bench_util.h"
#include "bench/roofline.h"
#include "common/allocation_policy.h"
#include "common/model_config.h"
#include "worker/models/blocks/gated_delta_net.h"
#include "worker/models/blocks/mamba2.h"
#include "worker/models/causal_lm.h"

namespace {

constexpr ablate::bench::Shape kShape = {.hidden = 1024, .intermediate = 2816, .heads = 16};

using ablate::bench::BestSeconds;
using ablate::bench::ParseOrExit;

}  // namespace

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // rows appear as they are measured
  if (argc > 2 && (std::strcmp(argv[1], "--config") == 0 || std::strcmp(argv[1], "--checkpoint") == 0)) {
    ablate::bench::RooflineOptions o;
    (std::strcmp(argv[1], "--config") == 0 ? o.config_path : o.checkpoint_dir) = argv[2];
    if (argc > 4 && std::strcmp(argv[3], "--reps") == 0) o.reps = std::max(1, std::atoi(argv[4]));
    o.thread_policy = std::strcmp(argv[argc - 1], "--no-policies") != 0;
    for (int i = 3; i < argc; ++i) o.profile = o.profile || std::strcmp(argv[i], "--profile") == 0;
    for (int i = 3; i + 1 < argc; ++i) {
      if (std::strcmp(argv[i], "--cases") != 0) continue;
      // e.g. "fp32:512,bf16:512" (to profile one case)
      o.cases.clear();
      for (const std::string& c : std::vector<std::string>(absl::StrSplit(argv[i + 1], ','))) {
        const std::vector<std::string> parts = absl::StrSplit(c, ':');
        int64_t tokens = 0;
        if (parts.size() != 2 || (parts[0] != "fp32" && parts[0] != "bf16") || !absl::SimpleAtoi(parts[1], &tokens) ||
            tokens <= 0) {
          std::fprintf(stderr, "--cases: expected DTYPE:TOKENS[,...] with DTYPE fp32 or bf16, got '%s'\n", c.c_str());
          return 2;
        }
        o.cases.emplace_back(parts[0] == "fp32" ? torch::kFloat32 : torch::kBFloat16, tokens);
      }
    }
    if (o.thread_policy) ablate::ApplyAllocationPolicy();
    std::printf("allocation and thread policies: %s\n", o.thread_policy ? "on" : "off");
    return ablate::bench::RunRoofline(o);
  }
  const bool quick = argc > 1 && std::strcmp(argv[1], "--quick") == 0;
  const bool scans_only = argc > 1 && std::strcmp(argv[1], "--scans") == 0;
  const int reps = quick ? 1 : 2;
  const int64_t seq = quick ? 64 : 512, long_seq = quick ? 256 : 2048;
  c10::InferenceMode guard;
  std::printf("threads: %d\n\n", at::get_num_threads());

  nlohmann::json qwen2 = ablate::bench::BaseConfigJson("qwen2", kShape);
  nlohmann::json qwen35 = ablate::bench::BaseConfigJson("qwen3_5_text", kShape);
  qwen35["layer_types"] = ablate::bench::Qwen35LayerTypes();
  qwen35["head_dim"] = 128;
  qwen35["num_attention_heads"] = 8;
  qwen35["num_key_value_heads"] = 2;
  qwen35["linear_num_key_heads"] = 8;
  qwen35["linear_num_value_heads"] = 16;
  qwen35["linear_key_head_dim"] = 64;
  qwen35["linear_value_head_dim"] = 64;
  nlohmann::json falcon = ablate::bench::BaseConfigJson("falcon_h1", kShape);
  falcon.update({{"mamba_d_ssm", 1024},
                 {"mamba_n_heads", 16},
                 {"mamba_d_head", 64},
                 {"mamba_n_groups", 1},
                 {"mamba_d_state", 128},
                 {"mamba_d_conv", 4},
                 {"mamba_chunk_size", 256},
                 {"mamba_rms_norm", true},
                 {"mamba_norm_before_gate", false},
                 {"tie_word_embeddings", false}});

  std::printf("%-10s %6s %6s %12s %14s\n", "family", "batch", "seq", "seconds", "tokens/s");
  const std::vector<std::pair<const char*, nlohmann::json>> families = {
      {"qwen2", qwen2}, {"qwen3_5", qwen35}, {"falcon_h1", falcon}};
  for (const auto& [name, j] : families) {
    if (scans_only) break;
    auto lm = ablate::models::CreateCausalLM(ParseOrExit(j), {}, 1);
    if (!lm.ok()) {
      std::fprintf(stderr, "%s: %s\n", name, std::string(lm.status().message()).c_str());
      return 1;
    }
    for (int64_t batch : {1, 4}) {
      torch::Tensor ids = torch::randint(0, 32768, {batch, seq});
      const double s = BestSeconds([&] { (*lm)->Forward(ids); }, reps);
      std::printf("%-10s %6ld %6ld %12.3f %14.1f\n", name, static_cast<long>(batch), static_cast<long>(seq), s,
                  batch * seq / s);
    }
  }

  // Scans at long sequence length, one layer's worth of heads.
  std::printf("\nscan at sequence %ld (batch 1)\n", static_cast<long>(long_seq));
  {
    const int64_t hk = 8, hv = 16, d = 64;
    torch::Tensor q = torch::randn({1, long_seq, hk, d}), k = torch::randn({1, long_seq, hk, d});
    torch::Tensor v = torch::randn({1, long_seq, hv, d});
    torch::Tensor g = -at::softplus(torch::randn({1, long_seq, hv}));
    torch::Tensor beta = torch::sigmoid(torch::randn({1, long_seq, hv}));
    const double chunked = BestSeconds([&] { ablate::models::ChunkedGatedDeltaRule(q, k, v, g, beta, {}, 64); }, reps);
    const double recurrent = BestSeconds([&] { ablate::models::RecurrentGatedDeltaRule(q, k, v, g, beta, {}); }, reps);
    std::printf("gated deltanet  chunked %.3f s  recurrent %.3f s  ratio recurrent/chunked %.1fx\n", chunked, recurrent,
                recurrent / chunked);
    // The same rule with every head in one group (temporaries growing with H x T) against the default head groups.
    const double one_group = BestSeconds(
        [&] { ablate::models::ChunkedGatedDeltaRule(q, k, v, g, beta, {}, 64, std::numeric_limits<int64_t>::max()); },
        reps);
    std::printf("gated deltanet  chunked in head groups %.3f s  all heads at once %.3f s  ratio groups/all %.2fx\n",
                chunked, one_group, chunked / one_group);
  }
  {
    const int64_t h = 16, p = 64, n = 128;
    torch::Tensor x = torch::randn({1, long_seq, h, p});
    torch::Tensor dt = at::softplus(torch::randn({1, long_seq, h})) * 0.1;
    torch::Tensor A = -torch::exp(torch::randn({h}) * 0.5);
    torch::Tensor B = torch::randn({1, long_seq, 1, n}), C = torch::randn({1, long_seq, 1, n});
    const double sequential = BestSeconds([&] { ablate::models::SequentialSsdScan(x, dt, A, B, C, {}); }, reps);
    for (int64_t chunk : {256, 128, 64}) {
      const double chunked = BestSeconds([&] { ablate::models::ChunkedSsdScan(x, dt, A, B, C, {}, chunk); }, reps);
      std::printf("mamba-2 ssd     chunked(%3ld) %.3f s  sequential %.3f s  ratio sequential/chunked %.1fx\n",
                  static_cast<long>(chunk), chunked, sequential, sequential / chunked);
    }
  }
  return 0;
}
