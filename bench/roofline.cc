// roofline.cc: see roofline.h.
#include "bench/roofline.h"

#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>
#include <torch/csrc/autograd/profiler_legacy.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/lenient_json.h"
#include "common/model_config.h"
#include "worker/models/causal_lm.h"
#include "worker/models/thread_policy.h"

namespace ablate::bench {
namespace {

double Seconds(const std::function<void()>& fn) {
  const auto t0 = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

absl::StatusOr<ModelConfig> ConfigOf(const RooflineOptions& o) {
  if (!o.checkpoint_dir.empty()) return LoadModelConfig(o.checkpoint_dir);
  absl::StatusOr<nlohmann::json> j = ReadLenientJsonFile(o.config_path);
  if (!j.ok()) return j.status();
  return ParseModelConfig(*j, o.config_path);
}

// 2 x (weight-matmul parameters) + causal attention, per token at length t.
double ForwardFlopsPerToken(const models::CausalLM& lm, int64_t t) {
  const ModelConfig& c = lm.config();
  double weights = 0;
  bool has_lm_head = false;
  for (const auto& [name, p] : lm.NamedParameters()) {
    if (p.dim() != 2) continue;
    if (name.size() >= 19 && name.compare(name.size() - 19, 19, "embed_tokens.weight") == 0) continue;
    if (name == "lm_head.weight") has_lm_head = true;
    weights += static_cast<double>(p.numel());
  }
  if (!has_lm_head) weights += static_cast<double>(c.vocab_size) * static_cast<double>(c.hidden_size);
  const double attn_layers = static_cast<double>(c.LayersWith(v1::ATTENTION).size());
  const double attention = attn_layers * 4.0 * c.num_heads * c.head_dim * (static_cast<double>(t) + 1) / 2;
  return 2 * weights + attention;
}

// FLOP/s of one [t x hidden] x [hidden x intermediate] matmul (best of 3).
double GemmFlops(const ModelConfig& c, torch::ScalarType dtype, int64_t t) {
  torch::Tensor a = torch::randn({t, c.hidden_size}).to(dtype);
  torch::Tensor b = torch::randn({c.hidden_size, c.intermediate_size}).to(dtype);
  torch::Tensor out = at::matmul(a, b);  // warm-up, and the output buffer
  double best = 1e300;
  for (int i = 0; i < 3; ++i) best = std::min(best, Seconds([&] { at::matmul_out(out, a, b); }));
  return 2.0 * t * c.hidden_size * c.intermediate_size / best;
}

// The product's forward: hidden states, then the LM head over chunks of rows
// holding at most 64 MiB of float32 logits (LmEvaluatorOptions' default).
void Forward(const models::CausalLM& lm, const torch::Tensor& ids) {
  torch::Tensor h = lm.ForwardHidden(ids);
  torch::Tensor normed = lm.FinalNorm(h);
  const int64_t rows = std::max<int64_t>(1, (int64_t{64} << 20) / (4 * lm.config().vocab_size));
  for (int64_t t0 = 0; t0 < ids.size(1); t0 += rows) {
    const int64_t n = std::min(rows, ids.size(1) - t0);
    torch::Tensor logits = lm.LmHead(normed.narrow(1, t0, n));
    (void)logits;
  }
}

// One forward under LibTorch's (legacy) operator profiler: self time per
// operator name on this thread, the top 15 printed with their share.
void PrintProfile(const models::CausalLM& lm, const torch::Tensor& ids) {
  namespace prof = torch::autograd::profiler;
  prof::enableProfilerLegacy(torch::profiler::impl::ProfilerConfig(torch::profiler::impl::ProfilerState::CPU));
  const double wall = Seconds([&] { Forward(lm, ids); });
  const prof::thread_event_lists lists = prof::disableProfilerLegacy();
  struct Total {
    double self_us = 0;
    int64_t calls = 0;
  };
  std::map<std::string, Total> totals;
  for (const std::vector<prof::LegacyEvent>& events : lists) {
    struct Open {
      const prof::LegacyEvent* push;
      double children_us;
    };
    std::vector<Open> stack;
    for (const prof::LegacyEvent& e : events) {
      if (e.kind() == prof::EventKind::PushRange) {
        stack.push_back({&e, 0});
      } else if (e.kind() == prof::EventKind::PopRange && !stack.empty()) {
        const Open open = stack.back();
        stack.pop_back();
        const double inclusive = open.push->cpuElapsedUs(e);
        Total& t = totals[open.push->name()];
        t.self_us += inclusive - open.children_us;
        t.calls += 1;
        if (!stack.empty()) stack.back().children_us += inclusive;
      }
    }
  }
  std::vector<std::pair<std::string, Total>> rows(totals.begin(), totals.end());
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.second.self_us > b.second.self_us; });
  std::printf("profile of one forward (%.2f s with the profiler), self time per operator:\n", wall);
  for (size_t i = 0; i < rows.size() && i < 15; ++i) {
    std::printf("  %-40s %7.1f ms %5.1f%% %7lld calls\n", rows[i].first.c_str(), rows[i].second.self_us / 1000,
                100 * rows[i].second.self_us / 1e6 / wall, static_cast<long long>(rows[i].second.calls));
  }
}

}  // namespace

int RunRoofline(const RooflineOptions& o) {
  c10::InferenceMode guard;
  absl::StatusOr<ModelConfig> config = ConfigOf(o);
  if (!config.ok()) {
    std::fprintf(stderr, "%s\n", std::string(config.status().message()).c_str());
    return 1;
  }
  std::printf("model %s (%s), intra-op threads %d\n", config->model_type.c_str(),
              o.checkpoint_dir.empty() ? "random weights" : "checkpoint", at::get_num_threads());
  std::printf("%-5s %5s %4s %9s %10s %12s %12s %8s\n", "dtype", "seq", "rep", "seconds", "tokens/s", "GEMM GFLOP/s",
              "fwd GFLOP/tok", "fraction");
  torch::ScalarType loaded = at::ScalarType::Undefined;
  std::unique_ptr<models::CausalLM> lm;
  for (const auto& [dtype, t] : o.cases) {
    if (dtype != loaded) {
      lm.reset();
      models::LoadOptions lo{.dtype = dtype};
      auto made = o.checkpoint_dir.empty() ? models::CreateCausalLM(*config, lo, 1)
                                           : models::LoadCausalLM(o.checkpoint_dir, lo);
      if (!made.ok()) {
        std::fprintf(stderr, "%s\n", std::string(made.status().message()).c_str());
        return 1;
      }
      lm = std::move(*made);
      loaded = dtype;
      if (o.thread_policy) {
        const models::ThreadPolicy p = models::ChooseThreadPolicy(0, dtype);
        models::ApplyThreadPolicy(p);
        std::printf("thread policy: intra-op %d, OpenBLAS %d\n", p.intra_op_threads, p.blas_threads);
      }
      Forward(*lm, torch::randint(0, config->vocab_size, {1, 128}));  // warm-up
    }
    const double flops_per_token = ForwardFlopsPerToken(*lm, t);
    double lo_fraction = 1e300, hi_fraction = 0;
    for (int rep = 0; rep < o.reps; ++rep) {
      const double gemm = GemmFlops(*config, dtype, t);
      torch::Tensor ids = torch::randint(0, config->vocab_size, {1, t});
      const double s = Seconds([&] { Forward(*lm, ids); });
      const double fraction = (t / s) * flops_per_token / gemm;
      lo_fraction = std::min(lo_fraction, fraction);
      hi_fraction = std::max(hi_fraction, fraction);
      std::printf("%-5s %5ld %4d %9.2f %10.1f %12.1f %12.3f %8.3f\n", dtype == torch::kFloat32 ? "fp32" : "bf16",
                  static_cast<long>(t), rep + 1, s, t / s, gemm / 1e9, flops_per_token / 1e9, fraction);
    }
    std::printf("%-5s %5ld  fraction of the GEMM roofline %.2f-%.2f\n", dtype == torch::kFloat32 ? "fp32" : "bf16",
                static_cast<long>(t), lo_fraction, hi_fraction);
    if (o.profile) PrintProfile(*lm, torch::randint(0, config->vocab_size, {1, t}));
  }
  return 0;
}

}  // namespace ablate::bench
