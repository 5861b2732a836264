// eval_reuse_test.cc: memory-bounded scoring and residual-stream reuse on the
// golden tiny models of every family (issue 11 §2, §3):
//   - the LM head applied to a few positions at a time equals Forward's whole
//     [B, T, V] logits within float rounding (sgemm's summation order depends
//     on the row count), chunked scoring/drift equal unchunked bit for bit on
//     the same logits and within float rounding through the model (see
//     Tolerance; chunks smaller than T);
//   - a forward started from a cached un-ablated layer state gives the same
//     bits as the plain forward, for every layer and component;
//   - the product evaluator with --reuse on and off returns identical metrics
//     for a full layer sweep (skip and zero of every component) of perplexity
//     with drift and multiple choice, and 1-row logits chunks within rounding.
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/eval_test_util.h"
#include "tests/testing/shared_data.h"
#include "worker/eval/forward_batches.h"
#include "worker/eval/lm_evaluator.h"
#include "worker/eval/residual_cache.h"
#include "worker/eval/token_scoring.h"
#include "worker/models/causal_lm.h"

namespace ablate::eval {
namespace {

using ::ablate::testing::JobFor;
using ::ablate::testing::MakeCheckpoint;
using ::ablate::testing::MakeTarget;
using ::ablate::testing::RecordingContext;
using ::ablate::testing::SharedPath;

const char kWiki[] = "data/wikitext-2/wiki.test.raw";

// Chunked vs whole logits differ by float32 rounding of the LM head, and a
// log-probability inherits the logits' absolute error (the logsumexp over the
// vocabulary adds its own): measured up to 1.3e-6 relative on a -1.37
// log-probability (CI machine) and 6e-8 absolute on a KL of two nearly equal
// distributions (here). 1e-5 relative with a 1e-6 floor leaves ~8x headroom
// over that and is still far below what a wrong row or position would give.
double Tolerance(double v) { return std::max(1e-5 * std::abs(v), 1e-6); }
const char kArc[] = "data/evals/llmfoundry_arc_easy.jsonl";

class ReuseTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    ABLATE_REQUIRE_SHARED("golden/" + GetParam());
    auto lm = models::LoadCausalLM(SharedPath("golden/" + GetParam()));
    ASSERT_TRUE(lm.ok()) << lm.status();
    lm_ = std::move(*lm);
    ids_ = at::randint(0, lm_->config().vocab_size, {2, 23}, at::TensorOptions().dtype(at::kLong));
  }

  // Every single-target plan of a full layer sweep: skip each layer, zero each component.
  std::vector<models::AblationPlan> SweepPlans() const {
    std::vector<models::AblationPlan> plans;
    for (int64_t l = 0; l < lm_->config().num_layers; ++l) {
      plans.push_back({{.layer = l, .component = v1::LAYER, .mode = v1::SKIP_LAYER}});
      for (v1::Component c : {v1::ATTENTION, v1::LINEAR_ATTENTION, v1::SSM, v1::MLP}) {
        if (lm_->config().HasComponent(l, c)) plans.push_back({{.layer = l, .component = c, .mode = v1::ZERO}});
      }
    }
    return plans;
  }

  std::unique_ptr<models::CausalLM> lm_;
  at::Tensor ids_;
  c10::InferenceMode inference_;
};

// The LM head on a few rows at a time equals Forward's whole-batch logits up
// to float rounding: OpenBLAS's sgemm sums a row's products in an order that
// depends on how many rows share the call, so the bits can differ (measured
// here: a few ulp). The same chunking always gives the same bits.
TEST_P(ReuseTest, ChunkedLmHeadEqualsForwardWithinRounding) {
  const at::Tensor full = lm_->Forward(ids_);          // [2, 23, V]
  const at::Tensor hidden = lm_->ForwardHidden(ids_);  // [2, 23, H]
  EXPECT_TRUE(at::equal(lm_->LmHead(hidden), full));   // the same call: the same bits
  const double scale = full.abs().max().item<double>();
  for (int64_t chunk : {1, 5, 23}) {
    for (int64_t b = 0; b < 2; ++b) {
      const WindowLogits w = WindowLogits::FromHidden(*lm_, hidden[b], chunk);
      for (int64_t t = 0; t < 23; t += chunk) {
        const int64_t n = std::min<int64_t>(chunk, 23 - t);
        const at::Tensor rows = w.Rows(t, n);
        EXPECT_TRUE(at::equal(rows, w.Rows(t, n)));  // deterministic
        const double diff = (rows - full[b].narrow(0, t, n)).abs().max().item<double>();
        EXPECT_LE(diff, 1e-6 * scale) << "chunk " << chunk << " row " << t;
      }
    }
  }
}

// Chunked scoring and drift equal the whole-tensor functions on the same
// logits bit for bit (per-position values, one float64 sum), and through the
// model's chunked LM head within Tolerance.
TEST_P(ReuseTest, ChunkedScoringAndDriftEqualUnchunked) {
  const models::AblationPlan plan = {{.layer = 1, .component = v1::MLP, .mode = v1::ZERO}};
  const at::Tensor base = lm_->Forward(ids_)[0], abl = lm_->Forward(ids_, {.plan = &plan})[0];
  std::vector<int64_t> targets;
  for (int64_t t = 4; t < 23; ++t) targets.push_back(ids_[0][t].item<int64_t>() % lm_->config().vocab_size);
  const TokenScores whole = ScoreTargets(abl, 3, targets);
  DriftTally whole_drift;
  whole_drift.Add(base.narrow(0, 3, 19), abl.narrow(0, 3, 19));
  {
    // Materialized logits in chunks of 4 positions: the same bits.
    const WindowLogits wb = WindowLogits::FromLogits(base, 0, 4), wa = WindowLogits::FromLogits(abl, 0, 4);
    const TokenScores chunked = ScoreTargets(wa, 3, targets);
    EXPECT_EQ(chunked.logprobs, whole.logprobs);
    EXPECT_EQ(chunked.greedy, whole.greedy);
    DriftTally chunked_drift;
    chunked_drift.Add(wb, wa, 3, 19);
    EXPECT_EQ(chunked_drift.kl_mean(), whole_drift.kl_mean());
    EXPECT_EQ(chunked_drift.top1_agreement(), whole_drift.top1_agreement());
  }
  // The LM head applied 4 positions at a time: within Tolerance.
  const at::Tensor hb = lm_->ForwardHidden(ids_)[0], ha = lm_->ForwardHidden(ids_, {.plan = &plan})[0];
  const WindowLogits wb = WindowLogits::FromHidden(*lm_, hb, 4), wa = WindowLogits::FromHidden(*lm_, ha, 4);
  const TokenScores chunked = ScoreTargets(wa, 3, targets);
  ASSERT_EQ(chunked.logprobs.size(), whole.logprobs.size());
  for (size_t i = 0; i < whole.logprobs.size(); ++i)
    EXPECT_NEAR(chunked.logprobs[i], whole.logprobs[i], Tolerance(whole.logprobs[i])) << i;
  EXPECT_NEAR(chunked.Sum(), whole.Sum(), Tolerance(whole.Sum()));
  EXPECT_EQ(chunked.greedy, whole.greedy);
  DriftTally chunked_drift;
  chunked_drift.Add(wb, wa, 3, 19);
  EXPECT_NEAR(chunked_drift.kl_mean(), whole_drift.kl_mean(), Tolerance(whole_drift.kl_mean()));
  EXPECT_EQ(chunked_drift.top1_agreement(), whole_drift.top1_agreement());
  EXPECT_GT(chunked_drift.kl_mean(), 0.0);
}

TEST_P(ReuseTest, ForwardFromACachedLayerStateIsBitIdentical) {
  std::vector<at::Tensor> states;
  const at::Tensor base = lm_->ForwardHidden(ids_, {.residuals = &states});
  const int64_t n = lm_->config().num_layers;
  ASSERT_EQ(static_cast<int64_t>(states.size()), n + 1);
  for (int64_t i = 0; i <= n; ++i) ASSERT_TRUE(states[i].defined()) << i;
  // The baseline restarted from its own final state is the baseline.
  EXPECT_TRUE(at::equal(lm_->ForwardHidden(ids_, {.start_layer = n, .start_hidden = states[n]}), base));
  for (const models::AblationPlan& plan : SweepPlans()) {
    const int64_t first = plan[0].layer;
    std::vector<at::Tensor> mine;
    const at::Tensor plain = lm_->ForwardHidden(ids_, {.plan = &plan, .residuals = &mine});
    // An ablated forward only reports the states before its ablation.
    for (int64_t i = 0; i <= n; ++i) EXPECT_EQ(mine[i].defined(), i <= first) << i;
    for (int64_t start = 1; start <= first; ++start) {
      const at::Tensor reused =
          lm_->ForwardHidden(ids_, {.plan = &plan, .start_layer = start, .start_hidden = states[start]});
      EXPECT_TRUE(at::equal(reused, plain))
          << "layer " << first << " component " << plan[0].component << " started at " << start;
    }
  }
}

// Five windows of 9..21 tokens: batches of 2 give widths 21, 15 and 9.
std::vector<ScoringWindow> FiveWindows(int64_t vocab) {
  std::vector<ScoringWindow> windows;
  for (int i = 0; i < 5; ++i) {
    ScoringWindow w;
    for (int t = 0; t < 9 + 3 * i; ++t) w.input.push_back((7 * i + 3 * t) % vocab);
    w.score_begin = 2;
    w.targets.assign(w.input.begin() + 3, w.input.end());
    w.targets.push_back(1);
    windows.push_back(w);
  }
  return windows;
}

// Scores and drift of `windows` under `plan` (batches of 2, with the
// un-ablated pass when the plan ablates), through `cache` when not null.
std::vector<double> ScoreWindows(const models::CausalLM& lm, const std::vector<ScoringWindow>& windows,
                                 const models::AblationPlan& plan, ResidualCache* cache, const std::string& key,
                                 BatchStats* st) {
  std::vector<double> out;
  BatchOptions bo;
  bo.batch_size = 2;
  bo.plan = &plan;
  bo.with_baseline = !plan.empty();
  bo.logits_chunk_bytes = 3 * lm.config().vocab_size * 4;  // 3 rows, fewer than any window
  if (cache != nullptr) {
    bo.residuals = cache;
    bo.residual_key = key;
    bo.reuse_output_state = true;  // as a drift evaluation
  }
  DriftTally drift;
  absl::Status s = ForwardWindows(
      lm, windows, bo,
      [&](size_t i, const WindowLogits& logits, const WindowLogits& base) {
        out.push_back(ScoreTargets(logits, windows[i].score_begin, windows[i].targets).Sum());
        drift.Add(base.defined() ? base : logits, logits, windows[i].score_begin,
                  static_cast<int64_t>(windows[i].targets.size()));
        return absl::OkStatus();
      },
      st);
  EXPECT_TRUE(s.ok()) << s;
  out.push_back(drift.kl_mean());
  return out;
}

// A budget below every layer's states of all batches: the evaluation keeps
// the layers LayersToKeep picks (evenly spread, ending at the output), every
// later job starts each batch there, the cache stays within the budget and
// the scores are the same bits.
TEST_P(ReuseTest, ForwardWindowsOverBudgetKeepsSpreadLayersOfEveryBatch) {
  const std::vector<ScoringWindow> windows = FiveWindows(lm_->config().vocab_size);
  const int64_t n = lm_->config().num_layers;
  ASSERT_GE(n, 2) << "needs a model with at least 2 layers";
  const int64_t per_layer = (2 * 21 + 2 * 15 + 9) * lm_->config().hidden_size * 4;  // float32 states
  const int64_t kept = n / 2;
  ResidualCache cache(kept * per_layer + per_layer / 2);
  const std::vector<bool> keep = LayersToKeep(n, per_layer, cache.max_bytes(), /*output_first=*/true);
  ASSERT_EQ(std::count(keep.begin(), keep.end(), true), kept);
  ASSERT_TRUE(keep[static_cast<size_t>(n)]);
  auto start = [&](int64_t first) {  // the deepest kept layer <= first
    for (int64_t i = first; i >= 1; --i) {
      if (keep[static_cast<size_t>(i)]) return i;
    }
    return int64_t{0};
  };
  BatchStats first;
  EXPECT_EQ(ScoreWindows(*lm_, windows, {}, &cache, GetParam(), &first),
            ScoreWindows(*lm_, windows, {}, nullptr, "", nullptr));
  EXPECT_EQ(first.layers_skipped, 0);
  EXPECT_EQ(cache.bytes(), kept * per_layer);
  for (const models::AblationPlan& plan : SweepPlans()) {
    BatchStats st;
    EXPECT_EQ(ScoreWindows(*lm_, windows, plan, &cache, GetParam(), &st),
              ScoreWindows(*lm_, windows, plan, nullptr, "", nullptr))
        << "layer " << plan[0].layer;
    EXPECT_EQ(st.layers_skipped, 3 * (start(plan[0].layer) + n)) << "layer " << plan[0].layer;
    EXPECT_LE(cache.bytes(), cache.max_bytes());
  }
}

TEST_P(ReuseTest, ForwardWindowsReusesAcrossCallsWithTheSameScores) {
  const std::vector<ScoringWindow> windows = FiveWindows(lm_->config().vocab_size);
  ResidualCache cache(int64_t{1} << 30);
  auto run = [&](const models::AblationPlan& plan, bool reuse, BatchStats* st) {
    return ScoreWindows(*lm_, windows, plan, reuse ? &cache : nullptr, GetParam(), st);
  };
  BatchStats first;
  EXPECT_EQ(run({}, true, &first), run({}, false, nullptr));
  EXPECT_EQ(first.layers_skipped, 0);  // the cache was empty
  const int64_t n = lm_->config().num_layers;
  for (const models::AblationPlan& plan : SweepPlans()) {
    BatchStats st;
    EXPECT_EQ(run(plan, true, &st), run(plan, false, nullptr)) << "layer " << plan[0].layer;
    // 3 batches: the ablated pass starts at its layer, the baseline pass after the last layer.
    EXPECT_EQ(st.layers_skipped, 3 * (plan[0].layer + n));
  }
  EXPECT_GT(cache.hits(), 0);
}

// The product evaluator over a full layer sweep: reuse on vs off gives the
// same bits for every metric; 1-position logits chunks vs the default (64 MiB,
// whole windows here) agree within Tolerance.
TEST_P(ReuseTest, EvaluatorMetricsAreIdenticalWithAndWithoutReuse) {
  ABLATE_REQUIRE_SHARED(kWiki);
  ABLATE_REQUIRE_SHARED(kArc);
  const std::string dir = MakeCheckpoint(GetParam());
  auto on = CreateLmEvaluator({.device = "cpu", .reuse = true});
  auto off = CreateLmEvaluator({.device = "cpu", .reuse = false});
  auto tiny_chunks = CreateLmEvaluator({.device = "cpu", .reuse = false, .logits_chunk_bytes = 1});
  ASSERT_TRUE(on.ok() && off.ok() && tiny_chunks.ok());
  std::vector<v1::EvaluationSpec> evals(2);
  evals[0].set_name("ppl");
  auto* p = evals[0].mutable_perplexity();
  p->set_dataset(SharedPath(kWiki));
  p->set_protocol(v1::ROLLING);
  p->set_max_length(40);
  p->set_num_tokens(150);
  p->set_drift(true);
  p->set_batch_size(2);
  evals[1].set_name("mc");
  auto* m = evals[1].mutable_multiple_choice();
  m->set_task(v1::ARC_EASY);
  m->set_path(SharedPath(kArc));
  m->set_limit(4);
  m->set_batch_size(4);
  m->set_bootstrap(true);
  std::vector<std::vector<v1::Target>> conditions = {{}};
  for (int l = 0; l < lm_->config().num_layers; ++l) {
    conditions.push_back({MakeTarget(l, v1::LAYER, v1::SKIP_LAYER)});
    for (v1::Component c : {v1::ATTENTION, v1::LINEAR_ATTENTION, v1::SSM, v1::MLP}) {
      if (lm_->config().HasComponent(l, c)) conditions.push_back({MakeTarget(l, c, v1::ZERO)});
    }
  }
  int compared = 0;
  for (const v1::EvaluationSpec& e : evals) {
    for (const auto& targets : conditions) {
      RecordingContext ctx;
      auto a = (*on)->Evaluate(JobFor(dir, e, targets), ctx);
      auto b = (*off)->Evaluate(JobFor(dir, e, targets), ctx);
      auto c = (*tiny_chunks)->Evaluate(JobFor(dir, e, targets), ctx);
      ASSERT_TRUE(a.ok()) << a.status();
      ASSERT_TRUE(b.ok()) << b.status();
      ASSERT_TRUE(c.ok()) << c.status();
      ASSERT_EQ(a->metrics_size(), b->metrics_size());
      ASSERT_EQ(c->metrics_size(), b->metrics_size());
      for (int i = 0; i < a->metrics_size(); ++i) {
        const std::string what = absl::StrCat(e.name(), " ", b->metrics(i).name(), " targets ", targets.size());
        EXPECT_EQ(a->metrics(i).name(), b->metrics(i).name());
        EXPECT_EQ(a->metrics(i).value(), b->metrics(i).value()) << what;  // bit-identical
        EXPECT_EQ(a->metrics(i).detail_json(), b->metrics(i).detail_json()) << what;
        const double v = b->metrics(i).value();
        EXPECT_NEAR(c->metrics(i).value(), v, Tolerance(v)) << what << " (1-row chunks)";
        ++compared;
      }
      EXPECT_EQ(a->tokens_evaluated(), b->tokens_evaluated());
    }
  }
  EXPECT_GT(compared, 40);
}

INSTANTIATE_TEST_SUITE_P(Golden, ReuseTest,
                         ::testing::Values("qwen2-tiny-tied", "qwen3_5-tiny-lllf", "falcon_h1-tiny-g1"),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

}  // namespace
}  // namespace ablate::eval
