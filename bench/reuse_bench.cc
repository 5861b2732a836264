// reuse_bench.cc: a full layer sweep (the baseline plus SKIP_LAYER of each of
// the 24 layers: L + 1 jobs) on a 24-layer model of each family (random
// weights made here), each job the evaluator's perplexity path (rolling
// windows -> ForwardWindows -> log-softmax scoring), timed with residual-stream
// reuse off and on. Reports the sweep's time over (L + 1) x one baseline job
// measured in the same run (best of 3; issue 11 target: <= 0.55 with reuse),
// and the with/without ratio of the two sweeps, whose jobs alternate (less
// sensitive to load), in wall and in process CPU time; and checks that every
// job's score is the same bits with and without reuse.
// Jobs run baseline first, then layers in order (the coordinator's order).
//
//   reuse_bench                   # hidden 256, 2 windows of 256 tokens
//   reuse_bench --quick           # 1 window of 128 (smoke test)
//   reuse_bench --family qwen3_5  # one family (qwen2, qwen3_5, falcon_h1)
//   reuse_bench --cache-mib 1     # a budget below the sweep's states (default 1024:
//                                 # every layer of both windows fits, 12 MiB)
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>

#include "common/model_config.h"
#include "worker/eval/forward_batches.h"
#include "worker/eval/residual_cache.h"
#include "worker/eval/token_scoring.h"
#include "worker/eval/windows.h"
#include "worker/models/causal_lm.h"

namespace {

using ablate::ModelConfig;
using Clock = std::chrono::steady_clock;
constexpr int kLayers = 24;

nlohmann::json BaseConfig(const std::string& model_type) {
  return {{"model_type", model_type},     {"vocab_size", 8192},
          {"hidden_size", 256},           {"intermediate_size", 704},
          {"num_hidden_layers", kLayers}, {"num_attention_heads", 4},
          {"num_key_value_heads", 2},     {"head_dim", 64},
          {"rms_norm_eps", 1e-6},         {"tie_word_embeddings", true}};
}

ModelConfig Config(const nlohmann::json& j) {
  auto c = ablate::ParseModelConfig(j, "bench config");
  if (!c.ok()) {
    std::fprintf(stderr, "%s\n", std::string(c.status().message()).c_str());
    std::exit(1);
  }
  return *c;
}

struct Times {
  double wall = 0.0;
  double cpu = 0.0;  // process CPU time (all threads): steadier than wall time on a loaded machine
  Times& operator+=(const Times& o) {
    wall += o.wall;
    cpu += o.cpu;
    return *this;
  }
};

double CpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

template <typename F>
Times Timed(F fn) {
  const auto w0 = Clock::now();
  const double c0 = CpuSeconds();
  fn();
  return {std::chrono::duration<double>(Clock::now() - w0).count(), CpuSeconds() - c0};
}

// One job: the perplexity path over every window; returns the summed log-likelihood.
double Job(const ablate::models::CausalLM& lm, const std::vector<ablate::eval::ScoringWindow>& windows,
           const ablate::models::AblationPlan& plan, ablate::eval::ResidualCache* cache) {
  ablate::eval::BatchOptions bo;
  bo.plan = &plan;
  bo.residuals = cache;
  bo.residual_key = "bench";
  double sum = 0.0;
  auto st = ablate::eval::ForwardWindows(
      lm, windows, bo, [&](size_t i, const ablate::eval::WindowLogits& logits, const ablate::eval::WindowLogits&) {
        sum += ablate::eval::ScoreTargets(logits, windows[i].score_begin, windows[i].targets).Sum();
        return absl::OkStatus();
      });
  if (!st.ok()) std::exit(1);
  return sum;
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false;
  std::string only_family;
  double cache_mib = 1024;  // the product's default --reuse-cache-mib
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) quick = true;
    if (std::strcmp(argv[i], "--family") == 0 && i + 1 < argc) only_family = argv[++i];
    if (std::strcmp(argv[i], "--cache-mib") == 0 && i + 1 < argc) cache_mib = std::atof(argv[++i]);
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  const int64_t window = quick ? 128 : 256, n_windows = quick ? 1 : 2;
  c10::InferenceMode guard;
  std::printf(
      "cpu, threads %d, %d layers, hidden 256, vocab 8192, %ld window(s) of %ld tokens, %d jobs "
      "per sweep, reuse cache %.2f MiB\n\n",
      at::get_num_threads(), kLayers, static_cast<long>(n_windows), static_cast<long>(window), kLayers + 1, cache_mib);

  nlohmann::json qwen2 = BaseConfig("qwen2");
  nlohmann::json qwen35 = BaseConfig("qwen3_5_text");
  nlohmann::json types = nlohmann::json::array();
  for (int l = 0; l < kLayers; ++l) types.push_back(l % 4 == 3 ? "full_attention" : "linear_attention");
  qwen35["layer_types"] = types;
  qwen35.update({{"linear_num_key_heads", 2},
                 {"linear_num_value_heads", 4},
                 {"linear_key_head_dim", 64},
                 {"linear_value_head_dim", 64}});
  nlohmann::json falcon = BaseConfig("falcon_h1");
  falcon.update({{"mamba_d_ssm", 256},
                 {"mamba_n_heads", 4},
                 {"mamba_d_head", 64},
                 {"mamba_n_groups", 1},
                 {"mamba_d_state", 32},
                 {"mamba_d_conv", 4},
                 {"mamba_chunk_size", 128},
                 {"mamba_rms_norm", true},
                 {"mamba_norm_before_gate", false},
                 {"tie_word_embeddings", false}});

  const at::Tensor corpus = at::randint(0, 8192, {n_windows * window}, at::kLong);
  std::vector<int64_t> tokens(corpus.data_ptr<int64_t>(), corpus.data_ptr<int64_t>() + corpus.numel());
  auto windows = ablate::eval::RollingWindows(tokens, 0, window);
  if (!windows.ok()) return 1;

  std::printf("%-10s %-5s %11s %12s %11s %14s %13s %7s %5s\n", "family", "clock", "baseline s", "sweep off s",
              "sweep on s", "off/(L+1)base", "on/(L+1)base", "on/off", "same");
  for (const auto& [name, j] :
       {std::pair<const char*, nlohmann::json>{"qwen2", qwen2}, {"qwen3_5", qwen35}, {"falcon_h1", falcon}}) {
    if (!only_family.empty() && only_family != name) continue;
    auto lm = ablate::models::CreateCausalLM(Config(j), {}, 1);
    if (!lm.ok()) {
      std::fprintf(stderr, "%s: %s\n", name, std::string(lm.status().message()).c_str());
      return 1;
    }
    std::vector<ablate::models::AblationPlan> plans = {{}};
    for (int64_t l = 0; l < kLayers; ++l)
      plans.push_back({{.layer = l, .component = ablate::v1::LAYER, .mode = ablate::v1::SKIP_LAYER}});
    (void)Job(**lm, *windows, {}, nullptr);  // warm-up
    Times base{1e300, 1e300};                // best of 3: the machine is shared
    for (int r = 0; r < 3; ++r) {
      const Times t = Timed([&] { (void)Job(**lm, *windows, {}, nullptr); });
      base.wall = std::min(base.wall, t.wall);
      base.cpu = std::min(base.cpu, t.cpu);
    }
    // Jobs with and without reuse alternate, so load changes hit both sweeps alike.
    ablate::eval::ResidualCache cache(static_cast<int64_t>(cache_mib * 1024 * 1024));
    std::vector<double> off, on;
    Times off_t, on_t;
    for (const auto& p : plans) {
      off_t += Timed([&] { off.push_back(Job(**lm, *windows, p, nullptr)); });
      on_t += Timed([&] { on.push_back(Job(**lm, *windows, p, &cache)); });
    }
    const double n = static_cast<double>(plans.size());
    std::printf("%-10s %-5s %11.3f %12.3f %11.3f %14.3f %13.3f %7.3f %5s\n", name, "wall", base.wall, off_t.wall,
                on_t.wall, off_t.wall / (n * base.wall), on_t.wall / (n * base.wall), on_t.wall / off_t.wall,
                off == on ? "yes" : "NO");
    std::printf("%-10s %-5s %11.3f %12.3f %11.3f %14.3f %13.3f %7.3f %5s\n", name, "cpu", base.cpu, off_t.cpu, on_t.cpu,
                off_t.cpu / (n * base.cpu), on_t.cpu / (n * base.cpu), on_t.cpu / off_t.cpu, "");
  }
  return 0;
}
