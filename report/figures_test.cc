// figures_test.cc: every figure kind is built, with one data mark per
// plotted result row, from a hand-made study.
#include "report/figures.h"

#include <map>
#include <regex>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/study_fixture.h"

namespace ablate::report {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

int CountMarks(const std::string& svg, const std::string& kind) {
  const std::string needle = "data-mark=\"" + kind + "\"";
  int n = 0;
  for (size_t at = svg.find(needle); at != std::string::npos; at = svg.find(needle, at + 1)) ++n;
  return n;
}

std::map<std::string, int> MarksByKind(const EvaluationFigures& e) {
  std::map<std::string, int> out;
  for (const Figure& f : e.figures) {
    for (const char* kind : {"heatmap", "group-bar", "random-point", "positional-bar", "resilience-point", "drift-kl",
                             "drift-top1", "accuracy-delta"}) {
      out[kind] += CountMarks(f.svg, kind);
    }
  }
  return out;
}

TEST(FiguresTest, OneMarkPerPlottedRow) {
  const std::vector<EvaluationFigures> figs = BuildFigures(testing::SmallStudy());
  ASSERT_EQ(figs.size(), 2u);
  std::vector<std::string> kinds;
  for (const Figure& f : figs[0].figures) kinds.push_back(f.kind);
  EXPECT_THAT(kinds, ::testing::ElementsAre("heatmap", "heatmap", "groups", "positional", "resilience", "drift"));
  const auto marks = MarksByKind(figs[0]);
  EXPECT_EQ(marks.at("heatmap"), 4 + 8);
  EXPECT_EQ(marks.at("group-bar"), 1 + 2);
  EXPECT_EQ(marks.at("random-point"), 3 + 3);
  EXPECT_EQ(marks.at("positional-bar"), 3 + 3);
  EXPECT_EQ(marks.at("resilience-point"), 5 + 5);
  EXPECT_EQ(marks.at("drift-kl"), 13 + 18);  // every non-baseline condition
  EXPECT_EQ(marks.at("drift-top1"), 13 + 18);
  int counted = 0;
  for (const Figure& f : figs[0].figures) counted += f.marks;
  EXPECT_EQ(counted, 12 + 3 + 6 + 6 + 10 + 62);

  std::vector<std::string> mc_kinds;
  for (const Figure& f : figs[1].figures) mc_kinds.push_back(f.kind);
  EXPECT_THAT(mc_kinds, ::testing::ElementsAre("groups", "accuracy"));
  EXPECT_EQ(MarksByKind(figs[1]).at("accuracy-delta"), 1);
}

TEST(FiguresTest, HeatmapHasAValueOnHoverAndInTheTable) {
  const std::vector<Figure> heat = HeatmapFigures(BuildStudyView(testing::SmallStudy())[0]);
  ASSERT_EQ(heat.size(), 2u);
  EXPECT_THAT(heat[1].svg, HasSubstr("<title>falcon-tiny layer_sweep/ssm/L3: perplexity 23, 2.3x baseline</title>"));
  EXPECT_THAT(heat[1].table_html, HasSubstr("<th scope=\"row\">ssm</th><td>3</td>"));
  EXPECT_THAT(heat[1].svg, HasSubstr("whole layer"));
  EXPECT_THAT(heat[1].svg, HasSubstr("log scale"));  // the legend says how colour maps
}

TEST(FiguresTest, AccuracyDeltasDrawTheBootstrapInterval) {
  const StudyData d = testing::SmallStudy();
  auto f = AccuracyFigure(BuildStudyView(d)[1], d);
  ASSERT_TRUE(f.has_value());
  EXPECT_THAT(f->svg, HasSubstr("-20.0 pp [-30.0 pp, -10.0 pp]"));
  EXPECT_THAT(f->table_html, HasSubstr("-30.0 pp"));
}

TEST(FiguresTest, GenerationDeltasHaveNoInterval) {
  testing::StudyBuilder b;
  const int64_t base = b.Job("m", "qwen2", Kind::kBaseline, "baseline", {}, "layer", -1, "gsm8k");
  b.Row(base, "exact_match", 0.5, 0.5);
  const int64_t g = b.Job("m", "qwen2", Kind::kGroup, "group/attention", {0, 1}, "attention", -1, "gsm8k");
  b.Row(g, "exact_match", 0.25, 0.5);
  const StudyData& d = b.data();
  auto f = AccuracyFigure(BuildStudyView(d)[0], d);
  ASSERT_TRUE(f.has_value());
  EXPECT_EQ(f->marks, 1);
  EXPECT_THAT(f->svg, HasSubstr("m  group/attention: -25.0 pp</title>"));
  EXPECT_THAT(f->caption, HasSubstr("No interval"));
}

TEST(FiguresTest, HostileNamesStayText) {
  const StudyData d = testing::SmallStudy("<script>alert(1)</script>", "\"><img src=x onerror=alert(2)>");
  for (const EvaluationFigures& e : BuildFigures(d)) {
    for (const Figure& f : e.figures) {
      EXPECT_THAT(f.svg, Not(HasSubstr("<script"))) << f.kind;
      EXPECT_THAT(f.svg, Not(HasSubstr("<img"))) << f.kind;
      EXPECT_THAT(f.table_html, Not(HasSubstr("<script"))) << f.kind;
      EXPECT_THAT(f.table_html, Not(HasSubstr("<img"))) << f.kind;
    }
  }
}

TEST(FiguresTest, NothingToDrawGivesNoFigure) {
  StudyData d;
  EXPECT_TRUE(BuildFigures(d).empty());
  testing::StudyBuilder b;
  b.Ppl(b.Job("m", "qwen2", Kind::kBaseline, "baseline", {}), 10);
  const auto figs = BuildFigures(b.data());
  ASSERT_EQ(figs.size(), 1u);
  EXPECT_TRUE(figs[0].figures.empty());
}

}  // namespace
}  // namespace ablate::report
