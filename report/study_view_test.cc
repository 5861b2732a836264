// study_view_test.cc: the grouping shared by the terminal summary and the
// report: folded random trials, matched components, resilience curves.
#include "report/study_view.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/study_fixture.h"

namespace ablate::report {
namespace {

TEST(StudyViewTest, LabelsFoldTrialsAndNameTheMatchedComponent) {
  EXPECT_EQ(LineLabel(Kind::kRandom, "random/match=attention/t12"), "random/match=attention");
  EXPECT_EQ(LineLabel(Kind::kRandom, "random/tx"), "random/tx");
  EXPECT_EQ(LineLabel(Kind::kGroup, "group/t1"), "group/t1");
  EXPECT_EQ(MatchedComponent("random-pairs/match=ssm/t0"), "ssm");
  EXPECT_EQ(MatchedComponent("random/n=2/t0"), "");
}

TEST(StudyViewTest, GroupsByEvaluationModelAndCondition) {
  const StudyData d = testing::SmallStudy();
  const std::vector<EvaluationView> v = BuildStudyView(d);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].name, "ppl");
  EXPECT_EQ(v[0].metric, "perplexity");
  EXPECT_EQ(v[1].metric, "acc");
  ASSERT_EQ(v[0].models.size(), 2u);
  const ModelView& a = v[0].models[0];
  EXPECT_EQ(a.family, "qwen2");
  EXPECT_DOUBLE_EQ(a.baseline, 10);
  // baseline, group, 4 layers, 3 thirds, 1 matched random line (3 trials), 1 k=1 line (2 trials)
  ASSERT_EQ(a.lines.size(), 11u);
  const ConditionLine& random = a.lines[a.line_index.at("random/match=attention")];
  EXPECT_EQ(random.jobs.size(), 3u);
  EXPECT_EQ(random.headline.size(), 3u);
  EXPECT_EQ(random.kl_rows.size(), 3u);
  EXPECT_EQ(DescribeTargets(random.job->condition), "2 layers skipped");
}

TEST(StudyViewTest, ResilienceComparesTheSameK) {
  const StudyData d = testing::SmallStudy();
  const std::vector<EvaluationView> v = BuildStudyView(d);
  bool any_random = false;
  const std::vector<ResilienceCurve> curves = ResilienceCurves(v[0], &any_random);
  EXPECT_TRUE(any_random);
  ASSERT_EQ(curves.size(), 2u);
  EXPECT_EQ(curves[0].ratios.at(1).size(), 2u);
  EXPECT_EQ(curves[0].ratios.at(2).size(), 3u);
  const std::map<int, double> r = ResilienceRatios(curves[0], curves[1]);
  ASSERT_EQ(r.size(), 2u);
  EXPECT_DOUBLE_EQ(r.at(1), 1.0);  // the fixture gives both models the same numbers
}

}  // namespace
}  // namespace ablate::report
