// sweep_format_test.cc: result tables/CSV/JSON, progress line, name parsing.
#include "cli/sweep_format.h"

#include <cmath>
#include <limits>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/status_matchers.h"

namespace ablate::cli {
namespace {

using ::ablate::testing::IsOkAndHolds;
using ::ablate::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

v1::ResultRow Row(const std::string& cond, double value, double ratio, uint64_t seed = 0) {
  v1::ResultRow r;
  r.set_result_id(1);
  r.set_job_id(2);
  r.set_sweep_id(3);
  r.set_model("qwen2.5");
  r.set_kind(v1::LAYER_SWEEP);
  r.set_condition(cond);
  r.set_component(v1::ATTENTION);
  r.set_layer(4);
  r.set_evaluation("wiki");
  r.set_metric("perplexity");
  r.set_value(value);
  r.set_baseline_value(std::isnan(ratio) ? ratio : value / ratio);
  r.set_ratio_to_baseline(ratio);
  r.set_seed(seed);
  return r;
}

TEST(SweepFormatTest, TableHasOneLinePerRowAndHidesConstantColumns) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  std::string t =
      FormatResults({Row("baseline", 10, 1), Row("layer_sweep/attention/L4", 25.5, nan)}, ResultFormat::kTable);
  EXPECT_THAT(t, HasSubstr("condition"));
  EXPECT_THAT(t, HasSubstr("ratio"));
  EXPECT_THAT(t, HasSubstr("layer_sweep/attention/L4"));
  EXPECT_THAT(t, HasSubstr("25.5"));
  EXPECT_THAT(t, Not(HasSubstr("model")));  // one model: no column
  EXPECT_THAT(t, Not(HasSubstr("seed")));
  EXPECT_EQ(std::count(t.begin(), t.end(), '\n'), 3);
  EXPECT_THAT(FormatResults({Row("a", 1, 1, 0), Row("a", 1, 1, 1)}, ResultFormat::kTable), HasSubstr("seed"));
  EXPECT_EQ(FormatResults({}, ResultFormat::kTable), "(no results)\n");
}

TEST(SweepFormatTest, RowsComeInExpansionOrder) {
  v1::ResultRow late = Row("layer_sweep/attention/L4", 2, 2);
  late.set_job_id(9);
  v1::ResultRow early = Row("baseline", 1, 1);
  early.set_job_id(1);
  const std::string t = FormatResults({late, early}, ResultFormat::kTable);
  EXPECT_LT(t.find("baseline"), t.find("layer_sweep"));
}

TEST(SweepFormatTest, CsvQuotesAndKeepsFullPrecision) {
  std::string csv = FormatResults({Row("group/a,b", 1.0 / 3.0, 2.0)}, ResultFormat::kCsv);
  EXPECT_THAT(csv, HasSubstr("\"group/a,b\""));
  EXPECT_THAT(csv, HasSubstr("0.33333333333333331"));
  EXPECT_THAT(csv, HasSubstr(",layer_sweep,"));
  EXPECT_THAT(csv, HasSubstr(",attention,4,"));
}

TEST(SweepFormatTest, JsonIsParseableWithNullForUnknownRatio) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  auto j = nlohmann::json::parse(FormatResults({Row("x", 5, nan)}, ResultFormat::kJson));
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["condition"], "x");
  EXPECT_EQ(j[0]["kind"], "layer_sweep");
  EXPECT_TRUE(j[0]["ratio_to_baseline"].is_null());
  EXPECT_EQ(j[0]["value"], 5.0);
}

TEST(SweepFormatTest, ProgressLineShowsCountsRateAndEta) {
  v1::SweepCounts c;
  c.set_total(500);
  c.set_succeeded(250);
  c.set_leased(3);
  c.set_failed(1);
  std::string line = ProgressLine(c, 12.5, 10);
  EXPECT_THAT(line, HasSubstr("[#####.....]"));
  EXPECT_THAT(line, HasSubstr("250/500 done"));
  EXPECT_THAT(line, HasSubstr("running 3"));
  EXPECT_THAT(line, HasSubstr("failed 1"));
  EXPECT_THAT(line, HasSubstr("12.5 jobs/s"));
  EXPECT_THAT(line, HasSubstr("ETA 20s"));
  // The coordinator's estimate (running jobs' progress included) wins when known.
  EXPECT_THAT(ProgressLine(c, 12.5, 10, 95000), HasSubstr("ETA 1m35s"));
  EXPECT_THAT(ProgressLine(c, 0, 10, -1), HasSubstr("ETA -"));
}

TEST(SweepFormatTest, WorkersShowJobProgressAndTokenRate) {
  v1::WorkerStatus w;
  w.set_worker_id("w1");
  w.set_alive(true);
  w.set_active_leases(1);
  w.set_tokens_per_second(1234.4);
  v1::JobProgress* j = w.add_jobs();
  j->set_job_id(12);
  j->set_fraction(0.4);
  const std::string text = FormatWorkers({w}, 0);
  EXPECT_THAT(text, HasSubstr("tokens/s"));
  EXPECT_THAT(text, HasSubstr("12:40%"));
  EXPECT_THAT(text, HasSubstr("1234"));
}

TEST(SweepFormatTest, ParsesNamesWithClearErrors) {
  EXPECT_THAT(ParseKind("layer_sweep"), IsOkAndHolds(v1::LAYER_SWEEP));
  EXPECT_THAT(ParseComponent("mamba"), IsOkAndHolds(v1::SSM));
  EXPECT_THAT(ParseComponent("linear_attention"), IsOkAndHolds(v1::LINEAR_ATTENTION));
  // Every alias the spec and config.json accept (common/vocabulary.h).
  EXPECT_THAT(ParseComponent("gdn"), IsOkAndHolds(v1::LINEAR_ATTENTION));
  EXPECT_THAT(ParseComponent("ffn"), IsOkAndHolds(v1::MLP));
  EXPECT_THAT(ParseKind("Layer_Sweep"), IsOkAndHolds(v1::LAYER_SWEEP));
  EXPECT_EQ(KindName(v1::RANDOM), "random");
  EXPECT_EQ(ComponentName(v1::COMPONENT_UNSPECIFIED), "");
  EXPECT_THAT(ParseKind("bogus"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--kind")));
  EXPECT_THAT(ParseComponent("conv"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("--component: unknown component 'conv' (expected attention, linear_attention")));
  EXPECT_THAT(ParseResultFormat("xml"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--format")));
  EXPECT_EQ(HumanDuration(245), "4m05s");
  EXPECT_EQ(HumanDuration(7800), "2h10m");
}

}  // namespace
}  // namespace ablate::cli
