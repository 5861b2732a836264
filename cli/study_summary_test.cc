// study_summary_test.cc: the study view: one line per condition, random
// trials folded, target descriptions, and the resilience ratio.
#include "cli/study_summary.h"

#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ablate::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class Sweep {
 public:
  // A job with `layers` skipped (mode skip_layer) or zeroed (component given).
  int64_t AddJob(const std::string& model, const std::string& family, v1::AblationKind kind, const std::string& label,
                 const std::vector<int>& layers, v1::AblationMode mode = v1::SKIP_LAYER,
                 v1::Component component = v1::LAYER) {
    v1::Job j;
    j.set_job_id(static_cast<int64_t>(jobs_.size()) + 1);
    j.mutable_spec()->mutable_model()->set_name(model);
    j.mutable_spec()->set_model_family(family);
    auto* c = j.mutable_spec()->mutable_condition();
    c->set_kind(kind);
    c->set_label(label);
    for (int l : layers) {
      auto* t = c->add_targets();
      t->set_layer(l);
      t->set_mode(mode);
      t->set_component(component);
    }
    jobs_.push_back(j);
    return j.job_id();
  }

  void AddRow(int64_t job, const std::string& metric, double value, double baseline,
              const std::string& evaluation = "ppl") {
    const v1::Job& j = jobs_[job - 1];
    v1::ResultRow r;
    r.set_result_id(static_cast<int64_t>(rows_.size()) + 1);
    r.set_job_id(job);
    r.set_model(j.spec().model().name());
    r.set_kind(j.spec().condition().kind());
    r.set_condition(j.spec().condition().label());
    r.set_evaluation(evaluation);
    r.set_metric(metric);
    r.set_value(value);
    r.set_baseline_value(baseline);
    r.set_ratio_to_baseline(std::isnan(baseline) ? baseline : value / baseline);
    rows_.push_back(r);
  }

  // Perplexity (baseline 10) plus drift rows.
  void Ppl(int64_t job, double value) {
    AddRow(job, "perplexity", value, 10);
    AddRow(job, "kl_mean", value / 100, NAN);
    AddRow(job, "top1_agreement", 0.5, 1);
  }

  const std::vector<v1::Job>& jobs() const { return jobs_; }
  const std::vector<v1::ResultRow>& rows() const { return rows_; }

 private:
  std::vector<v1::Job> jobs_;
  std::vector<v1::ResultRow> rows_;
};

std::string LineWith(const std::string& text, const std::string& needle) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (absl::StrContains(line, needle)) return std::string(line);
  }
  return "";
}

TEST(StudySummaryTest, OneLinePerConditionWithRatioDriftAndTargets) {
  Sweep s;
  s.Ppl(s.AddJob("tf", "qwen2", v1::BASELINE, "baseline", {}), 10);
  s.Ppl(s.AddJob("tf", "qwen2", v1::GROUP, "group/attention", {0, 1, 2, 3}), 150);
  s.Ppl(s.AddJob("tf", "qwen2", v1::LAYER_SWEEP, "layer_sweep/layer/L2", {2}), 12);
  s.Ppl(s.AddJob("tf", "qwen2", v1::GROUP, "group/mlp", {0, 1}, v1::ZERO, v1::MLP), 30);
  const std::string out = FormatStudySummary(s.jobs(), s.rows());
  EXPECT_THAT(out, HasSubstr("== ppl: perplexity"));
  EXPECT_THAT(out, HasSubstr("tf (qwen2: transformer): baseline perplexity 10"));
  const std::string group = LineWith(out, "group/attention");
  EXPECT_THAT(group, HasSubstr("4 layers skipped"));
  EXPECT_THAT(group, HasSubstr("150"));
  EXPECT_THAT(group, HasSubstr("15x"));
  EXPECT_THAT(group, HasSubstr("1.5"));  // KL
  EXPECT_THAT(LineWith(out, "layer_sweep/layer/L2"), HasSubstr("layer 2 skipped"));
  EXPECT_THAT(LineWith(out, "group/mlp"), HasSubstr("2 x mlp zeroed"));
  // kl_mean / top1_agreement are columns, not lines of their own.
  EXPECT_THAT(out, Not(HasSubstr("kl_mean")));
}

TEST(StudySummaryTest, RandomTrialsFoldIntoOneLineWithMeanAndRange) {
  Sweep s;
  s.Ppl(s.AddJob("tf", "qwen2", v1::BASELINE, "baseline", {}), 10);
  s.Ppl(s.AddJob("tf", "qwen2", v1::RANDOM, "random/n=2/t0", {0, 3}), 20);
  s.Ppl(s.AddJob("tf", "qwen2", v1::RANDOM, "random/n=2/t1", {1, 2}), 40);
  const std::string out = FormatStudySummary(s.jobs(), s.rows());
  const std::string line = LineWith(out, "random/n=2");
  EXPECT_THAT(line, HasSubstr("(2 runs)"));
  EXPECT_THAT(line, HasSubstr("30"));        // mean perplexity
  EXPECT_THAT(line, HasSubstr("3x [2-4]"));  // mean ratio [min-max]
  EXPECT_THAT(out, Not(HasSubstr("/t0")));
}

TEST(StudySummaryTest, ResilienceComparesTransformerAndHybridAtTheSameCount) {
  Sweep s;
  s.Ppl(s.AddJob("tf", "qwen2", v1::BASELINE, "baseline", {}), 10);
  s.Ppl(s.AddJob("tf", "qwen2", v1::RANDOM, "random/n=2/t0", {0, 1}), 80);
  s.Ppl(s.AddJob("tf", "qwen2", v1::RANDOM, "random/n=2/t1", {2, 3}), 120);     // mean ratio 10
  s.Ppl(s.AddJob("tf", "qwen2", v1::RANDOM, "random/n=3/t0", {0, 1, 2}), 400);  // ratio 40
  s.Ppl(s.AddJob("hy", "qwen3_5", v1::BASELINE, "baseline", {}), 10);
  s.Ppl(s.AddJob("hy", "qwen3_5", v1::RANDOM, "random/n=2/t0", {0, 1}), 20);     // ratio 2
  s.Ppl(s.AddJob("hy", "qwen3_5", v1::RANDOM, "random/n=3/t0", {0, 1, 2}), 50);  // ratio 5
  // Zeroed branches are not whole-layer removals: not in the resilience table.
  s.Ppl(s.AddJob("hy", "qwen3_5", v1::RANDOM, "pairs/t0", {0, 1, 2, 3, 4}, v1::ZERO, v1::ATTENTION), 99);
  const std::string out = FormatStudySummary(s.jobs(), s.rows());
  EXPECT_THAT(out, HasSubstr("random-removal resilience (ppl)"));
  EXPECT_THAT(LineWith(out, "resilience of hy vs tf"), HasSubstr("5x (k=2), 8x (k=3)"));
  EXPECT_THAT(LineWith(out, "resilience of hy vs tf"), HasSubstr("geometric mean 6.325x"));
  EXPECT_THAT(out, Not(HasSubstr("k=5")));
}

TEST(StudySummaryTest, NoResilienceWithoutAMatchingCount) {
  Sweep s;
  s.Ppl(s.AddJob("tf", "qwen2", v1::RANDOM, "random/n=2/t0", {0, 1}), 20);
  s.Ppl(s.AddJob("hy", "falcon_h1", v1::RANDOM, "random/n=4/t0", {0, 1, 2, 3}), 20);
  const std::string out = FormatStudySummary(s.jobs(), s.rows());
  EXPECT_THAT(out, HasSubstr("it needs the same k on a transformer"));
  EXPECT_THAT(out, Not(HasSubstr("resilience of")));
}

TEST(StudySummaryTest, AccuracyShowsChangeAndDiagnosticsAreOnlyNamed) {
  Sweep s;
  const int64_t base = s.AddJob("m", "qwen2", v1::BASELINE, "baseline", {});
  const int64_t abl = s.AddJob("m", "qwen2", v1::GROUP, "group/attention", {0});
  s.AddRow(base, "acc", 0.5, 0.5, "mmlu");
  s.AddRow(base, "acc_norm", 0.6, 0.6, "mmlu");
  s.AddRow(abl, "acc", 0.25, 0.5, "mmlu");
  s.AddRow(abl, "acc_norm", 0.3, 0.6, "mmlu");
  s.AddRow(abl, "diag/cosine", 0.9, 0.95, "diagnostics");
  const std::string out = FormatStudySummary(s.jobs(), s.rows());
  EXPECT_THAT(out, HasSubstr("== mmlu: acc_norm"));  // acc_norm is preferred over acc
  EXPECT_THAT(LineWith(out, "group/attention"), HasSubstr("-0.3"));
  EXPECT_THAT(out, HasSubstr("(not summarized: diagnostics;"));
  EXPECT_THAT(out, Not(HasSubstr("resilience")));
}

TEST(StudySummaryTest, EmptyAndJoblessInputsDoNotCrash) {
  EXPECT_EQ(FormatStudySummary({}, {}), "(no results)\n");
  Sweep s;
  s.Ppl(s.AddJob("m", "qwen2", v1::GROUP, "group/attention", {0}), 20);
  const std::string out = FormatStudySummary({}, s.rows());
  EXPECT_THAT(LineWith(out, "group/attention"), HasSubstr("?"));
}

}  // namespace
}  // namespace ablate::cli
