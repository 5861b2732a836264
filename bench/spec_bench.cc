// spec_bench.cc: how fast a sweep spec expands into jobs.
//
// The grid: one 36-layer Falcon-H1-shaped model (parallel ssm + attention in
// every layer), layer sweeps of ssm / attention / whole layers (108 conditions),
// 1992 matched random controls over (component, layer) pairs and progressive
// first/last/random removal (432), i.e. 2532 conditions, x 8 evaluations x 50
// seeds = 1,012,800 jobs. Reported: jobs/s (items_per_second).
#include <benchmark/benchmark.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "spec/expander.h"
#include "spec/layout_sources.h"
#include "spec/spec_parser.h"

namespace ablate::spec {
namespace {

ModelConfig Falcon36() {
  ModelConfig c;
  c.model_type = "falcon_h1";
  c.family = Family::kFalconH1;
  c.num_layers = 36;
  c.hidden_size = 1024;
  c.layer_kinds.assign(36, LayerKind::kParallelHybrid);
  return c;
}

v1::SweepSpec MillionJobSpec() {
  std::string evals;
  for (int i = 0; i < 8; ++i)
    absl::StrAppend(&evals, "  - {name: e", i,
                    ", perplexity: {dataset: /data/wiki.test.raw, max_length: ", 256 * (i + 1), "}}\n");
  std::string seeds;
  for (int s = 0; s < 50; ++s) absl::StrAppend(&seeds, s == 0 ? "" : ", ", s);
  std::string counts;
  for (int n = 1; n <= 36; ++n) absl::StrAppend(&counts, n == 1 ? "" : ", ", n);
  const std::string text = absl::StrCat(R"(
name: bench
models: [{name: falcon36, path: /models/falcon36}]
evaluations:
)",
                                        evals, R"(
ablations:
  - {layer_sweep: ssm}
  - {layer_sweep: attention}
  - {layer_sweep: layer}
  - {random: {match: attention, pool: component_pairs, trials: 1992, seed: 1}}
  - {progressive: {component: ssm, counts: [)",
                                        counts, R"(], orders: [first, last, random], trials: 10}}
seeds: [)",
                                        seeds, "]\nexecution: {max_jobs: 2000000}\n");
  auto spec = ParseSweepSpec(text, "bench.yaml");
  if (!spec.ok()) {
    fprintf(stderr, "%s\n", std::string(spec.status().message()).c_str());
    abort();
  }
  return *spec;
}

// The default request limits stop at 10^6 jobs and 2 x 10^7 targets; this
// grid is a little over both.
ExpandOptions BenchOptions() {
  ExpandOptions o;
  o.limits.max_jobs_per_sweep = 2000000;
  o.limits.max_targets_per_sweep = 100000000;
  return o;
}

void BM_ExpandSweep(benchmark::State& state) {
  const v1::SweepSpec spec = MillionJobSpec();
  FixedLayoutSource layouts({{"falcon36", Falcon36()}});
  int64_t jobs = 0;
  for (auto _ : state) {
    auto e = ExpandSweep(spec, layouts, BenchOptions());
    if (!e.ok()) {
      state.SkipWithError(std::string(e.status().message()).c_str());
      break;
    }
    jobs = static_cast<int64_t>(e->jobs.size());
    benchmark::DoNotOptimize(e->jobs.data());
  }
  state.counters["jobs"] = static_cast<double>(jobs);
  state.SetItemsProcessed(state.iterations() * jobs);
}
BENCHMARK(BM_ExpandSweep)->Unit(benchmark::kMillisecond)->Iterations(3);

// The same grid streamed (one reused JobSpec): what a coordinator inserting rows pays.
void BM_StreamSweep(benchmark::State& state) {
  const v1::SweepSpec spec = MillionJobSpec();
  FixedLayoutSource layouts({{"falcon36", Falcon36()}});
  int64_t jobs = 0;
  for (auto _ : state) {
    jobs = 0;
    auto counts = StreamSweep(
        spec, layouts,
        [&jobs](const v1::JobSpec& j) {
          benchmark::DoNotOptimize(j.index());
          ++jobs;
          return absl::OkStatus();
        },
        BenchOptions());
    if (!counts.ok()) state.SkipWithError(std::string(counts.status().message()).c_str());
  }
  state.counters["jobs"] = static_cast<double>(jobs);
  state.SetItemsProcessed(state.iterations() * jobs);
}
BENCHMARK(BM_StreamSweep)->Unit(benchmark::kMillisecond);

void BM_CountSweep(benchmark::State& state) {
  const v1::SweepSpec spec = MillionJobSpec();
  FixedLayoutSource layouts({{"falcon36", Falcon36()}});
  int64_t jobs = 0;
  for (auto _ : state) {
    auto counts = CountSweep(spec, layouts, BenchOptions());
    if (!counts.ok()) {
      state.SkipWithError(std::string(counts.status().message()).c_str());
      break;
    }
    jobs = 0;
    for (const auto& c : *counts) jobs += c.jobs();
  }
  state.counters["jobs"] = static_cast<double>(jobs);
  state.SetItemsProcessed(state.iterations() * jobs);
}
BENCHMARK(BM_CountSweep)->Unit(benchmark::kMillisecond);

// Rejecting an over-large grid (10^10 jobs) must not materialise anything.
void BM_RejectHugeGrid(benchmark::State& state) {
  v1::SweepSpec spec = MillionJobSpec();
  spec.mutable_ablations(3)->mutable_random()->set_trials(25000000);
  FixedLayoutSource layouts({{"falcon36", Falcon36()}});
  for (auto _ : state) {
    auto e = ExpandSweep(spec, layouts, BenchOptions());
    if (e.ok()) state.SkipWithError("expected max_jobs rejection");
  }
}
BENCHMARK(BM_RejectHugeGrid)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace ablate::spec
