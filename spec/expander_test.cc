// expander_test.cc: grid expansion (every ablation kind, pinned random draws,
// validation errors, determinism).
#include "spec/expander.h"

#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "spec/conditions.h"
#include "spec/layout_sources.h"
#include "spec/spec_parser.h"
#include "tests/testing/status_matchers.h"

namespace ablate::spec {
namespace {

using ::ablate::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::string kTestdata = std::string(ABLATE_SOURCE_DIR) + "/spec/testdata";

// Three models on the spec/testdata layouts, one evaluation, then `rest`.
std::string Spec(absl::string_view rest) {
  return absl::StrCat(R"(
models:
  - {name: qwen35, path: TD/qwen3.5-0.8b}
  - {name: falcon, path: TD/falcon-h1-0.5b}
  - {name: qwen25, path: TD/qwen2.5-0.5b}
evaluations:
  - {name: wiki, perplexity: {dataset: /data/wiki.test.raw}}
)",
                      rest);
}

v1::SweepSpec ParseOrDie(const std::string& text) {
  auto s = ParseSweepSpec(absl::StrReplaceAll(text, {{"TD/", kTestdata + "/"}}), "test.yaml");
  EXPECT_OK(s.status());
  return s.ok() ? *s : v1::SweepSpec();
}

absl::StatusOr<Expansion> Expand(const std::string& text) {
  ConfigLayoutSource layouts;
  return ExpandSweep(ParseOrDie(text), layouts);
}

// Conditions of one model, in order (one evaluation, one seed: one job each).
std::vector<v1::Condition> ConditionsOf(const Expansion& e, const std::string& model) {
  std::vector<v1::Condition> out;
  for (const auto& j : e.jobs)
    if (j.model().name() == model) out.push_back(j.condition());
  return out;
}

std::vector<int> Layers(const v1::Condition& c) {
  std::vector<int> out;
  for (const auto& t : c.targets()) out.push_back(t.layer());
  return out;
}

std::vector<std::string> Labels(const std::vector<v1::Condition>& cs) {
  std::vector<std::string> out;
  for (const auto& c : cs) out.push_back(c.label());
  return out;
}

TEST(ThirdsTest, RemaindersGoToTheFirstParts) {
  EXPECT_THAT(Thirds(6), ElementsAre(std::pair(0, 2), std::pair(2, 4), std::pair(4, 6)));
  EXPECT_THAT(Thirds(7), ElementsAre(std::pair(0, 3), std::pair(3, 5), std::pair(5, 7)));
  EXPECT_THAT(Thirds(8), ElementsAre(std::pair(0, 3), std::pair(3, 6), std::pair(6, 8)));
}

TEST(ExpanderTest, BaselineHasNoTargets) {
  auto e = Expand(Spec("ablations: [baseline]\n"));
  ASSERT_OK(e.status());
  ASSERT_EQ(e->jobs.size(), 3u);
  const auto& j = e->jobs[0];
  EXPECT_EQ(j.condition().kind(), v1::BASELINE);
  EXPECT_EQ(j.condition().label(), "baseline");
  EXPECT_EQ(j.condition().ablation_name(), "baseline");
  EXPECT_EQ(j.condition().layer(), -1);
  EXPECT_EQ(j.condition().targets_size(), 0);
  EXPECT_EQ(j.model_family(), "qwen3_5");
  EXPECT_EQ(e->jobs[1].model_family(), "falcon_h1");
  EXPECT_EQ(e->jobs[2].model_family(), "qwen2");
}

TEST(ExpanderTest, GroupUsesFamilyDefaultModes) {
  auto e = Expand(Spec("ablations: [{group: [attention, linear_attention, ssm, mlp], skip_missing: true}]\n"));
  ASSERT_OK(e.status());
  const auto q35 = ConditionsOf(*e, "qwen35");
  EXPECT_THAT(Labels(q35), ElementsAre("group/attention", "group/linear_attention", "group/mlp"));
  EXPECT_THAT(Layers(q35[0]), ElementsAre(3, 7, 11, 15, 19, 23));
  EXPECT_EQ(q35[0].targets(0).mode(), v1::SKIP_LAYER);  // Qwen: skip the layer
  EXPECT_EQ(q35[0].targets(0).component(), v1::ATTENTION);
  EXPECT_EQ(q35[1].targets_size(), 18);
  EXPECT_EQ(q35[2].targets(0).mode(), v1::ZERO);  // skip_layer would also drop the mixer
  EXPECT_EQ(q35[0].count(), 6);
  const auto falcon = ConditionsOf(*e, "falcon");
  EXPECT_THAT(Labels(falcon), ElementsAre("group/attention", "group/ssm", "group/mlp"));
  EXPECT_EQ(falcon[0].targets_size(), 36);
  EXPECT_EQ(falcon[0].targets(0).mode(), v1::ZERO);  // Falcon-H1: zero the branch
  EXPECT_EQ(falcon[1].targets(35).component(), v1::SSM);
  const auto q25 = ConditionsOf(*e, "qwen25");
  EXPECT_THAT(Labels(q25), ElementsAre("group/attention", "group/mlp"));
  EXPECT_EQ(q25[0].targets_size(), 24);
}

TEST(ExpanderTest, MissingComponentIsAnErrorWithoutSkipMissing) {
  EXPECT_THAT(Expand(Spec("ablations: [baseline, {layer_sweep: linear_attention}]\n")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("ablations[1].layer_sweep.component: model 'falcon' has no linear_attention layers")));
  EXPECT_THAT(Expand(Spec("ablations: [{group: [attention, ssm]}]\n")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("ablations[0].group.components[1]: model 'qwen35' has no ssm layers")));
}

TEST(ExpanderTest, ModelsRestrictsTheAblation) {
  auto e = Expand(Spec("ablations: [{layer_sweep: linear_attention, models: [qwen35]}]\n"));
  ASSERT_OK(e.status());
  EXPECT_EQ(e->jobs.size(), 18u);
  ASSERT_EQ(e->counts.size(), 1u);
  EXPECT_EQ(e->counts[0].model(), "qwen35");
  EXPECT_EQ(e->counts[0].kind(), v1::LAYER_SWEEP);
  EXPECT_EQ(e->counts[0].conditions(), 18);
}

TEST(ExpanderTest, LayerSweep) {
  auto e =
      Expand(Spec("ablations: [{layer_sweep: ssm, skip_missing: true}, {layer_sweep: layer, models: [qwen25]}]\n"));
  ASSERT_OK(e.status());
  const auto falcon = ConditionsOf(*e, "falcon");
  ASSERT_EQ(falcon.size(), 36u);
  EXPECT_EQ(falcon[7].label(), "layer_sweep/ssm/L7");
  EXPECT_EQ(falcon[7].layer(), 7);
  ASSERT_EQ(falcon[7].targets_size(), 1);
  EXPECT_EQ(falcon[7].targets(0).layer(), 7);
  EXPECT_EQ(falcon[7].targets(0).component(), v1::SSM);
  EXPECT_EQ(falcon[7].targets(0).mode(), v1::ZERO);
  const auto q25 = ConditionsOf(*e, "qwen25");
  ASSERT_EQ(q25.size(), 24u);
  EXPECT_EQ(q25[23].label(), "layer_sweep/layer/L23");
  EXPECT_EQ(q25[23].targets(0).component(), v1::LAYER);
  EXPECT_EQ(q25[23].targets(0).mode(), v1::SKIP_LAYER);
  EXPECT_TRUE(ConditionsOf(*e, "qwen35").empty());
}

TEST(ExpanderTest, PositionalThirdsIndexAmongTheComponentsLayers) {
  auto e = Expand(Spec("ablations: [{positional: attention}]\n"));
  ASSERT_OK(e.status());
  const auto q35 = ConditionsOf(*e, "qwen35");
  EXPECT_THAT(Labels(q35),
              ElementsAre("positional/attention/early", "positional/attention/middle", "positional/attention/late"));
  EXPECT_THAT(Layers(q35[0]), ElementsAre(3, 7));
  EXPECT_THAT(Layers(q35[1]), ElementsAre(11, 15));
  EXPECT_THAT(Layers(q35[2]), ElementsAre(19, 23));
  EXPECT_EQ(q35[1].position(), "middle");
  const auto falcon = ConditionsOf(*e, "falcon");
  EXPECT_EQ(falcon[2].targets_size(), 12);
  EXPECT_EQ(falcon[2].targets(0).layer(), 24);
}

TEST(ExpanderTest, PositionalRanges) {
  auto e = Expand(Spec(R"(ablations:
  - {name: rel, positional: {component: attention, ranges: [{name: last2, start: 4, end: 6}]}, models: [qwen35]}
  - {name: abs, positional: {component: attention, ranges: [{name: top, start: 12, end: 24}], absolute: true}, models: [qwen35]}
)"));
  ASSERT_OK(e.status());
  const auto q35 = ConditionsOf(*e, "qwen35");
  EXPECT_THAT(Labels(q35), ElementsAre("rel/attention/last2", "abs/attention/top"));
  EXPECT_THAT(Layers(q35[0]), ElementsAre(19, 23));
  EXPECT_THAT(Layers(q35[1]), ElementsAre(15, 19, 23));
  EXPECT_THAT(
      Expand(Spec("ablations: [{positional: {component: attention, ranges: [{name: x, start: 0, end: 7}]}, "
                  "models: [qwen35]}]\n")),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("ablations[0].positional.ranges[0].end: 7 is past the 6 attention layers of model 'qwen35'")));
  EXPECT_THAT(
      Expand(Spec("ablations: [{positional: {component: attention, ranges: [{name: x, start: 0, end: 30}], "
                  "absolute: true}, models: [qwen35]}]\n")),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("ablations[0].positional.ranges[0].end: 30 is past the last layer of model 'qwen35'")));
  EXPECT_THAT(
      Expand(Spec("ablations: [{positional: {component: attention, ranges: [{name: x, start: 0, end: 3}], "
                  "absolute: true}, models: [qwen35]}]\n")),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("ablations[0].positional.ranges[0]: no attention layers of model 'qwen35' in [0, 3)")));
}

TEST(ExpanderTest, ProgressiveFirstLastRandom) {
  auto e = Expand(Spec(R"(ablations:
  - {progressive: {component: attention, counts: [1, 3], orders: [first, last, random], trials: 2, seed: 4}, models: [qwen35]}
)"));
  ASSERT_OK(e.status());
  const auto q35 = ConditionsOf(*e, "qwen35");
  EXPECT_THAT(Labels(q35), ElementsAre("progressive/first/attention/n=1", "progressive/first/attention/n=3",
                                       "progressive/last/attention/n=1", "progressive/last/attention/n=3",
                                       "progressive/random/attention/n=1/t0", "progressive/random/attention/n=1/t1",
                                       "progressive/random/attention/n=3/t0", "progressive/random/attention/n=3/t1"));
  EXPECT_THAT(Layers(q35[1]), ElementsAre(3, 7, 11));
  EXPECT_THAT(Layers(q35[3]), ElementsAre(15, 19, 23));
  EXPECT_EQ(q35[3].count(), 3);
  // Pinned (spec/testdata/rng_reference.py); random prefixes are nested.
  EXPECT_THAT(Layers(q35[4]), ElementsAre(7));
  EXPECT_THAT(Layers(q35[5]), ElementsAre(19));
  EXPECT_THAT(Layers(q35[6]), ElementsAre(7, 19, 23));
  EXPECT_THAT(Layers(q35[7]), ElementsAre(3, 15, 19));
  EXPECT_EQ(q35[7].trial(), 1);
  EXPECT_THAT(
      Expand(Spec("ablations: [{progressive: {component: attention, counts: [7]}, models: [qwen35]}]\n")),
      StatusIs(
          absl::StatusCode::kInvalidArgument,
          HasSubstr("ablations[0].progressive.counts[0]: 7 is more than the 6 attention layers of model 'qwen35'")));
}

TEST(ExpanderTest, RandomMatchedControlsArePinned) {
  auto e = Expand(Spec(R"(ablations:
  - {random: {match: attention, exclude_matched: true, trials: 3}, models: [qwen35]}
  - {name: all, random: {match: attention, trials: 1, seed: 5}, models: [qwen35]}
  - {name: pairs, random: {match: attention, pool: component_pairs, trials: 2}, models: [falcon]}
)"));
  ASSERT_OK(e.status());
  const auto q35 = ConditionsOf(*e, "qwen35");
  EXPECT_THAT(Labels(q35), ElementsAre("random/match=attention/t0", "random/match=attention/t1",
                                       "random/match=attention/t2", "all/match=attention/t0"));
  // Pinned draws (spec/testdata/rng_reference.py): 6 of the 18 linear-attention layers.
  EXPECT_THAT(Layers(q35[0]), ElementsAre(0, 2, 6, 8, 10, 12));
  EXPECT_THAT(Layers(q35[1]), ElementsAre(1, 4, 9, 10, 14, 17));
  EXPECT_THAT(Layers(q35[2]), ElementsAre(0, 13, 17, 18, 20, 21));
  EXPECT_THAT(Layers(q35[3]), ElementsAre(2, 6, 8, 11, 13, 20));
  EXPECT_EQ(q35[0].targets(0).component(), v1::LAYER);
  EXPECT_EQ(q35[0].targets(0).mode(), v1::SKIP_LAYER);
  EXPECT_EQ(q35[2].trial(), 2);
  EXPECT_EQ(q35[2].count(), 6);
  EXPECT_EQ(q35[2].component(), v1::ATTENTION);
  const auto falcon = ConditionsOf(*e, "falcon");
  ASSERT_EQ(falcon.size(), 2u);
  ASSERT_EQ(falcon[0].targets_size(), 36);
  int attention = 0;
  for (const auto& t : falcon[0].targets()) {
    attention += t.component() == v1::ATTENTION;
    EXPECT_EQ(t.mode(), v1::ZERO);
  }
  EXPECT_EQ(attention, 18);
  EXPECT_EQ(falcon[0].targets(0).layer(), 0);
  EXPECT_EQ(falcon[0].targets(1).component(), v1::SSM);
}

TEST(ExpanderTest, RandomTrialsDrawDistinctSetsWhileThePoolAllows) {
  // 2 of Qwen3.5's 6 attention pairs: C(6, 2) = 15 sets, 15 trials. Plain
  // per-trial streams repeat (t3 = t2, t7 = t6, ...); redraws make every set
  // appear once. Pinned: draw_trials() in spec/testdata/rng_reference.py.
  auto e = Expand(Spec(R"(ablations:
  - {random: {count: 2, pool: component_pairs, pool_components: [attention], trials: 15}, models: [qwen35]}
  - {name: more, random: {count: 2, pool: component_pairs, pool_components: [attention], trials: 16}, models: [qwen35]}
)"));
  ASSERT_OK(e.status());
  const auto q35 = ConditionsOf(*e, "qwen35");
  ASSERT_EQ(q35.size(), 31u);
  const std::vector<std::vector<int>> want = {{3, 23}, {7, 23},  {3, 11},  {3, 19},  {11, 23},
                                              {7, 19}, {15, 23}, {15, 19}, {7, 15},  {3, 15},
                                              {7, 11}, {19, 23}, {11, 19}, {11, 15}, {3, 7}};
  std::set<std::vector<int>> distinct;
  for (int t = 0; t < 15; ++t) {
    EXPECT_EQ(Layers(q35[t]), want[t]) << "t" << t;
    distinct.insert(Layers(q35[t]));
  }
  EXPECT_EQ(distinct.size(), 15u);
  // A 16th trial has no new set left: it repeats one instead of failing.
  EXPECT_EQ(Layers(q35[30]).size(), 2u);
}

TEST(ExpanderTest, RandomLayerPoolNeedsSkipLayer) {
  EXPECT_THAT(Expand(Spec("ablations: [{random: {match: attention}, mode: zero, models: [falcon]}]\n")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("ablations[0].mode: pool layers removes whole decoder layers (skip_layer); use pool: "
                                 "component_pairs")));
}

TEST(ExpanderTest, RandomPoolTooSmall) {
  EXPECT_THAT(Expand(Spec("ablations: [{random: {match: attention, exclude_matched: true}, models: [qwen25]}]\n")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("ablations[0].random.match: cannot draw 24 targets from the pool of 0 layers without "
                                 "attention of model 'qwen25'")));
  EXPECT_THAT(Expand(Spec("ablations: [{random: {count: 25}, models: [qwen25]}]\n")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("ablations[0].random.count: cannot draw 25")));
}

TEST(ExpanderTest, Explicit) {
  auto e = Expand(Spec(R"(ablations:
  - name: mix
    mode: zero
    models: [falcon]
    explicit: [{layer: 5, component: attention}, {layer: 2, component: ssm, mode: scale, scale: 0.5}]
)"));
  ASSERT_OK(e.status());
  const auto falcon = ConditionsOf(*e, "falcon");
  ASSERT_EQ(falcon.size(), 1u);
  EXPECT_EQ(falcon[0].label(), "mix");
  EXPECT_EQ(falcon[0].kind(), v1::EXPLICIT);
  EXPECT_THAT(Layers(falcon[0]), ElementsAre(2, 5));
  EXPECT_EQ(falcon[0].targets(0).mode(), v1::SCALE);
  EXPECT_DOUBLE_EQ(falcon[0].targets(0).scale(), 0.5);
  EXPECT_EQ(falcon[0].targets(1).mode(), v1::ZERO);
  EXPECT_EQ(falcon[0].component(), v1::COMPONENT_UNSPECIFIED);
  EXPECT_THAT(
      Expand(Spec("ablations: [{explicit: [{layer: 36, component: ssm}], models: [falcon]}]\n")),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("ablations[0].explicit.targets[0].layer: layer 36 is out of range for model 'falcon'")));
  EXPECT_THAT(
      Expand(Spec("ablations: [{explicit: [{layer: 2, component: attention}], models: [qwen35]}]\n")),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("ablations[0].explicit.targets[0].component: layer 2 of model 'qwen35' has no attention "
                         "(it has linear_attention, mlp)")));
}

TEST(ExpanderTest, ExplicitSkipLayerOnAParallelLayerIsAnError) {
  EXPECT_THAT(Expand(Spec("ablations: [{group: attention, mode: skip_layer, models: [falcon]}]\n")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("ablations[0].mode: skip_layer would remove all of layer 0 of model 'falcon' "
                                 "(ssm, attention, mlp), not only its attention; use mode zero")));
  EXPECT_THAT(Expand(Spec("ablations: [{group: mlp, mode: skip_layer, models: [qwen25]}]\n")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("ablations[0].mode: skip_layer would remove")));
  auto spec = Spec("ablations: [{group: ssm, models: [falcon]}]\n");
  absl::StrReplaceAll({{"path: TD/falcon-h1-0.5b}", "path: TD/falcon-h1-0.5b, default_mode: skip_layer}"}}, &spec);
  EXPECT_THAT(Expand(spec), StatusIs(absl::StatusCode::kInvalidArgument,
                                     HasSubstr("models[1].default_mode: skip_layer would remove")));
}

TEST(ExpanderTest, ModePrecedence) {
  auto e = Expand(Spec(R"(mode_defaults: {qwen3_5: zero, qwen2: scale}
ablations:
  - {name: fam, group: attention, skip_missing: true, scale: 0.25}
  - {name: own, group: attention, mode: skip_layer, models: [qwen35, qwen25]}
)"));
  ASSERT_OK(e.status());
  const auto q35 = ConditionsOf(*e, "qwen35");
  EXPECT_EQ(q35[0].targets(0).mode(), v1::ZERO);        // mode_defaults
  EXPECT_EQ(q35[1].targets(0).mode(), v1::SKIP_LAYER);  // ablation.mode wins
  const auto q25 = ConditionsOf(*e, "qwen25");
  EXPECT_EQ(q25[0].targets(0).mode(), v1::SCALE);
  EXPECT_DOUBLE_EQ(q25[0].targets(0).scale(), 0.25);
  EXPECT_EQ(ConditionsOf(*e, "falcon")[0].targets(0).mode(), v1::ZERO);  // built-in
  EXPECT_THAT(
      Expand(Spec("mode_defaults: {qwen2: scale}\nablations: [{group: attention, models: [qwen25]}]\n")),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("ablations[0].scale: mode scale (from mode_defaults[0].mode) needs a non-zero scale")));
  EXPECT_THAT(
      Expand(Spec("ablations: [{layer_sweep: layer, mode: zero, models: [qwen25]}]\n")),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("ablations[0].mode: component layer removes whole decoder layers and needs skip_layer")));
}

TEST(ExpanderTest, JobOrderAndContents) {
  auto e = Expand(R"(
seeds: [1, 2]
models:
  - {name: qwen25, path: TD/qwen2.5-0.5b}
evaluations:
  - {name: a, perplexity: {dataset: /d/a}}
  - {name: b, multiple_choice: {task: arc_challenge, path: /d/arc.jsonl}}
ablations: [baseline, {group: attention}]
)");
  ASSERT_OK(e.status());
  ASSERT_EQ(e->jobs.size(), 8u);
  std::vector<std::string> order;
  for (const auto& j : e->jobs)
    order.push_back(absl::StrCat(j.condition().label(), "|", j.evaluation().name(), "|", j.seed()));
  EXPECT_THAT(order, ElementsAre("baseline|a|1", "baseline|a|2", "baseline|b|1", "baseline|b|2", "group/attention|a|1",
                                 "group/attention|a|2", "group/attention|b|1", "group/attention|b|2"));
  for (size_t i = 0; i < e->jobs.size(); ++i) EXPECT_EQ(e->jobs[i].index(), static_cast<int>(i));
  const auto& j = e->jobs[0];
  EXPECT_EQ(j.model().tokenizer(), kTestdata + "/qwen2.5-0.5b/tokenizer.json");
  EXPECT_EQ(j.model().dtype(), v1::FLOAT32);
  EXPECT_EQ(j.evaluation().perplexity().max_length(), 512);
  EXPECT_EQ(j.evaluation().perplexity().protocol(), v1::ROLLING);
  ASSERT_EQ(e->counts.size(), 2u);
  EXPECT_EQ(e->counts[0].kind(), v1::BASELINE);
  EXPECT_EQ(e->counts[0].jobs(), 4);
  EXPECT_EQ(e->counts[1].kind(), v1::GROUP);
  EXPECT_EQ(e->counts[1].conditions(), 1);
}

TEST(ExpanderTest, DeterministicAndCountSweepAgrees) {
  const std::string text = Spec(R"(seeds: [0, 1]
ablations:
  - baseline
  - {random: {match: attention, trials: 4, seed: 3}}
  - {progressive: {component: attention, counts: [2, 4], orders: [random], trials: 3}}
  - {layer_sweep: mlp}
)");
  auto a = Expand(text);
  auto b = Expand(text);
  ASSERT_OK(a.status());
  ASSERT_OK(b.status());
  ASSERT_EQ(a->jobs.size(), b->jobs.size());
  for (size_t i = 0; i < a->jobs.size(); ++i)
    ASSERT_EQ(a->jobs[i].SerializeAsString(), b->jobs[i].SerializeAsString()) << i;
  ConfigLayoutSource layouts;
  auto counts = CountSweep(ParseOrDie(text), layouts);
  ASSERT_OK(counts.status());
  ASSERT_EQ(counts->size(), a->counts.size());
  int64_t total = 0;
  for (size_t i = 0; i < counts->size(); ++i) {
    EXPECT_EQ((*counts)[i].DebugString(), a->counts[i].DebugString());
    total += (*counts)[i].jobs();
  }
  EXPECT_EQ(total, static_cast<int64_t>(a->jobs.size()));
}

TEST(ExpanderTest, GridLimits) {
  ASSERT_OK(Expand(Spec("execution: {max_jobs: 84}\nablations: [{layer_sweep: mlp}]\n")).status());
  EXPECT_THAT(Expand(Spec("execution: {max_jobs: 80}\nablations: [{layer_sweep: mlp}]\n")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("execution.max_jobs: the grid has 84 jobs, more than the limit of 80")));
  // Huge trial counts are rejected before anything is drawn: by the trial
  // limit, and with that raised, by the grid count.
  EXPECT_THAT(Expand(Spec("ablations: [{random: {count: 2, trials: 2000000000}}]\n")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("random.trials: 2000000000 is more than the limit of 100000")));
  ExpandOptions raised;
  raised.limits.max_random_trials = 2000000000;
  ConfigLayoutSource layouts;
  EXPECT_THAT(ExpandSweep(ParseOrDie(Spec("ablations: [{random: {count: 2, trials: 2000000000}}]\n")), layouts, raised),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("the grid has 6000000000 jobs")));
  EXPECT_THAT(Expand(Spec("ablations: [{layer_sweep: ssm, skip_missing: true, models: [qwen35]}]\n")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("ablations: the grid is empty")));
}

TEST(ExpanderTest, DuplicateLabelsNeedDistinctNames) {
  EXPECT_THAT(Expand(Spec("ablations: [{group: attention}, {group: [mlp, attention]}]\n")),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("ablations[1].name: condition label 'group/attention' for model 'qwen35' is also "
                                 "produced by ablations[0]")));
  ASSERT_OK(Expand(Spec("ablations: [{group: attention}, {name: g2, group: [mlp, attention]}]\n")).status());
}

TEST(ExpanderTest, LayoutErrorsNameTheModel) {
  EXPECT_THAT(Expand(R"(
models: [{name: ghost, path: /nonexistent/ckpt}]
evaluations: [{name: a, perplexity: {dataset: /d}}]
ablations: [baseline]
)"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("models[0] ('ghost'): ")));
}

TEST(ExpanderTest, RejectsInvalidSpecsFromRpc) {
  v1::SweepSpec spec;  // not parsed: arrives over RPC
  ConfigLayoutSource layouts;
  EXPECT_THAT(ExpandSweep(spec, layouts),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("models: at least one model is required")));
}

TEST(LayoutSourcesTest, OverrideAndFixed) {
  OverrideLayoutSource o({{"q", kTestdata + "/qwen2.5-0.5b"}}, nullptr);
  v1::ModelSpec m;
  m.set_name("q");
  m.set_path("/nowhere");
  auto cfg = o.Get(m);
  ASSERT_OK(cfg.status());
  EXPECT_EQ(cfg->num_layers, 24);
  m.set_name("other");
  EXPECT_THAT(o.Get(m), StatusIs(absl::StatusCode::kNotFound, HasSubstr("no layout given for model 'other'")));
  FixedLayoutSource f({{"q", *cfg}});
  EXPECT_THAT(f.Get(m), StatusIs(absl::StatusCode::kNotFound, HasSubstr("'other'")));
  EXPECT_THAT(ParseLayoutOverride("a=b/c"),
              ::ablate::testing::IsOkAndHolds(std::pair<std::string, std::string>("a", "b/c")));
  EXPECT_THAT(ParseLayoutOverride("abc"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("MODEL=DIR")));
}

}  // namespace
}  // namespace ablate::spec

namespace ablate::spec {
namespace {

TEST(FixedLayoutTest, ThirdsNeedThreeLayers) {
  // A 4-layer Qwen3.5 (linear, linear, linear, full): one attention layer.
  ModelConfig tiny;
  tiny.model_type = "qwen3_5_text";
  tiny.family = Family::kQwen35;
  tiny.num_layers = 4;
  tiny.layer_kinds = {LayerKind::kLinearAttention, LayerKind::kLinearAttention, LayerKind::kLinearAttention,
                      LayerKind::kFullAttention};
  FixedLayoutSource layouts({{"tiny", tiny}});
  auto spec = ParseSweepSpec(R"(
models: [{name: tiny, path: /m/tiny}]
evaluations: [{name: e, perplexity: {dataset: /d}}]
ablations: [{positional: linear_attention}, {positional: attention}]
)",
                             "t.yaml");
  ASSERT_OK(spec.status());
  EXPECT_THAT(ExpandSweep(*spec, layouts),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("ablations[1].positional.component: model 'tiny' has only 1 attention layers; "
                                 "thirds need at least 3")));
  spec->mutable_ablations()->RemoveLast();
  auto e = ExpandSweep(*spec, layouts);
  ASSERT_OK(e.status());
  ASSERT_EQ(e->jobs.size(), 3u);
  EXPECT_THAT(Layers(e->jobs[2].condition()), ElementsAre(2));
}

TEST(StreamSweepTest, StreamsTheSameJobsAndStopsOnSinkError) {
  const std::string text = Spec("seeds: [0, 5]\nablations: [baseline, {random: {match: attention, trials: 3}}]\n");
  auto e = Expand(text);
  ASSERT_OK(e.status());
  ConfigLayoutSource layouts;
  std::vector<std::string> streamed;
  auto counts = StreamSweep(ParseOrDie(text), layouts, [&](const v1::JobSpec& j) {
    streamed.push_back(j.SerializeAsString());
    return absl::OkStatus();
  });
  ASSERT_OK(counts.status());
  ASSERT_EQ(streamed.size(), e->jobs.size());
  for (size_t i = 0; i < streamed.size(); ++i) EXPECT_EQ(streamed[i], e->jobs[i].SerializeAsString()) << i;
  ASSERT_EQ(counts->size(), e->counts.size());
  int seen = 0;
  auto stopped = StreamSweep(ParseOrDie(text), layouts, [&](const v1::JobSpec&) {
    return ++seen == 3 ? absl::ResourceExhaustedError("disk full") : absl::OkStatus();
  });
  EXPECT_THAT(stopped, StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("disk full")));
  EXPECT_EQ(seen, 3);
}

// ---- request limits and bounded cost (docs/limits.md) ----

TEST(ExpanderLimitsTest, HugeTrialCountIsRefusedBeforeAnyTrialIsBuilt) {
  const std::string text =
      Spec("execution: {max_jobs: 2000000000}\nablations: [{random: {count: 2, trials: 3000000}}]\n");
  ConfigLayoutSource layouts;
  EXPECT_THAT(CountSweep(ParseOrDie(text), layouts),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("ablations[0].random.trials: 3000000 is more than the limit of 100000")));
  // With the trial limit raised, the grid count (from the spec's structure,
  // not from built trials) meets the job limit: 3 models x 3e6 trials.
  ExpandOptions o;
  o.limits.max_random_trials = 10000000;
  EXPECT_THAT(ExpandSweep(ParseOrDie(text), layouts, o),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("jobs in the grid: 9000000 is more than the limit of 1000000 "
                                 "(coordinator flag --max-jobs-per-sweep)")));
  // CountSweep counts without building: a grid far over the memory a build
  // would need is counted at once when the job limit allows it.
  o.limits.max_jobs_per_sweep = 2000000000;
  o.limits.max_targets_per_sweep = 1LL << 40;
  auto counts = CountSweep(ParseOrDie(text), layouts, o);
  ASSERT_OK(counts.status());
  int64_t jobs = 0;
  for (const auto& c : *counts) jobs += c.jobs();
  EXPECT_EQ(jobs, 9000000);
}

TEST(ExpanderLimitsTest, TargetsPerSweepAreBounded) {
  const std::string text = Spec("ablations: [{random: {pool: component_pairs, count: 20, trials: 1000}}]\n");
  ExpandOptions o;
  o.limits.max_targets_per_sweep = 50000;  // 3 x 1000 x 20 = 60000 targets
  ConfigLayoutSource layouts;
  EXPECT_THAT(CountSweep(ParseOrDie(text), layouts, o),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("targets over all jobs: 60000 is more than the limit of 50000")));
}

TEST(ExpanderLimitsTest, SpecShapeLimitsNameTheField) {
  ExpandOptions o;
  o.limits.max_models = 2;
  ConfigLayoutSource layouts;
  EXPECT_THAT(ExpandSweep(ParseOrDie(Spec("ablations: [baseline]\n")), layouts, o),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("models: 3 is more than the limit of 2 (coordinator flag --max-models)")));
  v1::SweepSpec long_name = ParseOrDie(Spec("ablations: [baseline]\n"));
  long_name.set_name(std::string(300, 'x'));
  EXPECT_THAT(ExpandSweep(long_name, layouts),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("name bytes: 300 is more than the limit of 256")));
  v1::SweepSpec big = ParseOrDie(Spec("ablations: [baseline]\n"));
  big.mutable_models(0)->set_path(std::string(2 << 20, '/'));
  EXPECT_THAT(ExpandSweep(big, layouts), StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("--max-spec-bytes")));
}

// What one job may ask of a worker is bounded before any job exists: a
// sequence length, a batch and a few-shot count over the limits are refused,
// naming the field and the flag; the defaults admit the reference study's
// sizes, and a raised limit admits more.
TEST(ExpanderLimitsTest, EvaluationSizesAreBounded) {
  ConfigLayoutSource layouts;
  const std::string reference =
      "  - {name: first, perplexity: {dataset: /d, protocol: first_n, num_tokens: 2048, batch_size: 8}}\n"
      "  - {name: arc, multiple_choice: {task: arc_easy, path: /a, num_fewshot: 25, batch_size: 16}}\n"
      "  - {name: gsm, generation: {task: gsm8k, path: /g, num_fewshot: 8, max_new_tokens: 256, batch_size: 8}}\n"
      "ablations: [baseline]\n";
  EXPECT_OK(CountSweep(ParseOrDie(Spec(reference)), layouts).status());

  struct Case {
    std::string evaluation, field, flag;
  };
  const std::vector<Case> cases = {
      {"{name: x, perplexity: {dataset: /d, protocol: first_n, num_tokens: 70000}}",
       "evaluations[1].perplexity.num_tokens: 70000", "--max-eval-tokens"},
      {"{name: x, perplexity: {dataset: /d, max_length: 100000}}", "evaluations[1].perplexity.max_length: 100000",
       "--max-eval-tokens"},
      {"{name: x, perplexity: {dataset: /d, batch_size: 65}}", "evaluations[1].perplexity.batch_size: 65",
       "--max-eval-batch"},
      {"{name: x, multiple_choice: {task: arc_easy, path: /a, batch_size: 1000000}}",
       "evaluations[1].multiple_choice.batch_size: 1000000", "--max-eval-batch"},
      {"{name: x, multiple_choice: {task: arc_easy, path: /a, num_fewshot: 65}}",
       "evaluations[1].multiple_choice.num_fewshot: 65", "--max-fewshot"},
      {"{name: x, generation: {task: gsm8k, path: /g, max_new_tokens: 2000000000}}",
       "evaluations[1].generation.max_new_tokens: 2000000000", "--max-eval-tokens"},
      {"{name: x, generation: {task: gsm8k, path: /g, batch_size: 100}}", "evaluations[1].generation.batch_size: 100",
       "--max-eval-batch"},
      {"{name: x, generation: {task: gsm8k, path: /g, num_fewshot: 1000}}",
       "evaluations[1].generation.num_fewshot: 1000", "--max-fewshot"},
      {"{name: x, diagnostics: {dataset: /d, num_tokens: 65537}}", "evaluations[1].diagnostics.num_tokens: 65537",
       "--max-eval-tokens"},
  };
  for (const Case& c : cases) {
    const v1::SweepSpec spec = ParseOrDie(Spec("  - " + c.evaluation + "\nablations: [baseline]\n"));
    EXPECT_THAT(CountSweep(spec, layouts),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         AllOf(HasSubstr(c.field + " is more than the limit of"), HasSubstr(c.flag))))
        << c.evaluation;
  }
  ExpandOptions raised;
  raised.limits.max_eval_tokens = 100000;
  EXPECT_OK(CountSweep(ParseOrDie(Spec("  - {name: x, perplexity: {dataset: /d, max_length: 100000}}\n"
                                       "ablations: [baseline]\n")),
                       layouts, raised)
                .status());
}

TEST(ExpanderLimitsTest, LayerLimitAppliesToEveryLayoutSource) {
  ModelConfig huge;
  huge.num_layers = 5000;  // as a layout arriving from anywhere but config.json
  FixedLayoutSource layouts({{"qwen35", huge}, {"falcon", huge}, {"qwen25", huge}});
  EXPECT_THAT(CountSweep(ParseOrDie(Spec("ablations: [baseline]\n")), layouts),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("--max-layers-per-model")));
}

TEST(ExpanderLimitsTest, ExpansionIsCancellableAndHasADeadline) {
  const std::string text = Spec("ablations: [{random: {count: 2, trials: 5000}}]\n");
  ConfigLayoutSource layouts;
  ExpandOptions cancelled;
  int polls = 0;
  cancelled.cancelled = [&polls] { return ++polls > 3; };
  EXPECT_THAT(ExpandSweep(ParseOrDie(text), layouts, cancelled), StatusIs(absl::StatusCode::kCancelled, ::testing::_));
  ExpandOptions late;
  late.deadline = absl::Now() - absl::Seconds(1);
  EXPECT_THAT(ExpandSweep(ParseOrDie(text), layouts, late),
              StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("--expansion-timeout-ms")));
  EXPECT_OK(ExpandSweep(ParseOrDie(text), layouts).status());
}

}  // namespace
}  // namespace ablate::spec
