// The reference study's grid (examples/reference-study.yaml) on the layouts of the
// three real checkpoints (spec/testdata/*/config.json).
#include <cmath>
#include <filesystem>
#include <map>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "spec/expander.h"
#include "spec/layout_sources.h"
#include "spec/spec_parser.h"
#include "tests/testing/status_matchers.h"

namespace ablate::spec {
namespace {

const std::string kSource = ABLATE_SOURCE_DIR;

TEST(ReferenceStudyTest, FixtureLayoutsMatchTheCheckpoints) {
  auto q35 = LoadModelConfig(kSource + "/spec/testdata/qwen3.5-0.8b");
  ASSERT_OK(q35.status());
  EXPECT_EQ(q35->family, Family::kQwen35);
  EXPECT_EQ(q35->num_layers, 24);
  EXPECT_EQ(q35->hidden_size, 1024);
  EXPECT_THAT(q35->LayersWith(v1::ATTENTION), ::testing::ElementsAre(3, 7, 11, 15, 19, 23));
  auto falcon = LoadModelConfig(kSource + "/spec/testdata/falcon-h1-0.5b");
  ASSERT_OK(falcon.status());
  EXPECT_EQ(falcon->family, Family::kFalconH1);
  EXPECT_EQ(falcon->num_layers, 36);
  EXPECT_TRUE(std::isinf(falcon->falcon.time_step_limit[1]));
  EXPECT_EQ(falcon->LayersWith(v1::SSM).size(), 36u);
  auto q25 = LoadModelConfig(kSource + "/spec/testdata/qwen2.5-0.5b");
  ASSERT_OK(q25.status());
  EXPECT_EQ(q25->family, Family::kTransformer);
  EXPECT_EQ(q25->hidden_size, 896);
  EXPECT_EQ(q25->num_heads, 14);
  EXPECT_EQ(q25->num_kv_heads, 2);
}

class ReferenceStudyExpansion : public ::testing::Test {
 protected:
  void SetUp() override {
    auto spec = LoadSweepSpec(kSource + "/examples/reference-study.yaml");
    ASSERT_OK(spec.status());
    spec_ = *spec;
  }
  OverrideLayoutSource Layouts() {
    return OverrideLayoutSource({{"qwen3.5-0.8b", kSource + "/spec/testdata/qwen3.5-0.8b"},
                                 {"falcon-h1-0.5b", kSource + "/spec/testdata/falcon-h1-0.5b"},
                                 {"qwen2.5-0.5b", kSource + "/spec/testdata/qwen2.5-0.5b"}},
                                nullptr);
  }
  v1::SweepSpec spec_;
};

TEST_F(ReferenceStudyExpansion, CountsPerModelAndKind) {
  OverrideLayoutSource layouts = Layouts();
  auto e = ExpandSweep(spec_, layouts);
  ASSERT_OK(e.status());
  std::map<std::string, std::map<v1::AblationKind, int64_t>> conditions;
  int64_t jobs = 0;
  for (const auto& c : e->counts) {
    conditions[c.model()][c.kind()] = c.conditions();
    jobs += c.jobs();
  }
  EXPECT_EQ(jobs, static_cast<int64_t>(e->jobs.size()));
  // See the comments in examples/reference-study.yaml for how these add up.
  using M = std::map<v1::AblationKind, int64_t>;
  EXPECT_EQ(conditions["qwen3.5-0.8b"], (M{{v1::BASELINE, 1},
                                           {v1::GROUP, 3},
                                           {v1::LAYER_SWEEP, 48},
                                           {v1::POSITIONAL, 6},
                                           {v1::PROGRESSIVE, 45},
                                           {v1::RANDOM, 10}}));
  EXPECT_EQ(conditions["falcon-h1-0.5b"], (M{{v1::BASELINE, 1},
                                             {v1::GROUP, 3},
                                             {v1::LAYER_SWEEP, 108},
                                             {v1::POSITIONAL, 6},
                                             {v1::PROGRESSIVE, 55},
                                             {v1::RANDOM, 10}}));
  EXPECT_EQ(conditions["qwen2.5-0.5b"], (M{{v1::BASELINE, 1},
                                           {v1::GROUP, 2},
                                           {v1::LAYER_SWEEP, 48},
                                           {v1::POSITIONAL, 3},
                                           {v1::PROGRESSIVE, 25},
                                           {v1::RANDOM, 5}}));
  EXPECT_EQ(spec_.evaluations_size(), 7);
  EXPECT_EQ(e->jobs.size(), 2660u);
}

TEST_F(ReferenceStudyExpansion, ModesFollowTheStudy) {
  OverrideLayoutSource layouts = Layouts();
  auto e = ExpandSweep(spec_, layouts);
  ASSERT_OK(e.status());
  std::map<std::string, v1::AblationMode> mode_of;  // "<model> <label>" -> first target's mode
  for (const auto& j : e->jobs) {
    for (const auto& t : j.condition().targets()) {
      ASSERT_GE(t.layer(), 0);
      ASSERT_LT(t.layer(), j.model().name() == "falcon-h1-0.5b" ? 36 : 24);
    }
    if (j.condition().targets_size() > 0)
      mode_of[j.model().name() + " " + j.condition().label()] = j.condition().targets(0).mode();
  }
  EXPECT_EQ(mode_of["qwen3.5-0.8b group/attention"], v1::SKIP_LAYER);
  EXPECT_EQ(mode_of["qwen3.5-0.8b group/linear_attention"], v1::SKIP_LAYER);
  EXPECT_EQ(mode_of["qwen3.5-0.8b group/mlp"], v1::ZERO);
  EXPECT_EQ(mode_of["falcon-h1-0.5b group/attention"], v1::ZERO);
  EXPECT_EQ(mode_of["falcon-h1-0.5b layer_sweep/ssm/L35"], v1::ZERO);
  EXPECT_EQ(mode_of["qwen2.5-0.5b random/n=6/t4"], v1::SKIP_LAYER);
  EXPECT_EQ(mode_of["falcon-h1-0.5b random-pairs/match=ssm/t4"], v1::ZERO);
}

TEST_F(ReferenceStudyExpansion, ModelPathsAreTheRealCheckpoints) {
  EXPECT_EQ(spec_.models(0).path(), "/models/Qwen3.5-0.8B");
  // Without the checkpoints, the default source reports the missing config.json.
  ConfigLayoutSource layouts;
  if (!std::filesystem::exists("/models/Qwen3.5-0.8B/config.json")) {
    EXPECT_THAT(ExpandSweep(spec_, layouts),
                ::ablate::testing::StatusIs(absl::StatusCode::kNotFound, ::testing::HasSubstr("qwen3.5-0.8b")));
  }
}

}  // namespace
}  // namespace ablate::spec
