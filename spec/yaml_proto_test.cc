#include "spec/yaml_proto.h"

#include "ablate/v1/spec.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace ablate::spec {
namespace {

using ::ablate::testing::StatusIs;
using ::testing::HasSubstr;

absl::Status Map(const std::string& yaml, google::protobuf::Message* msg, SourceLines* lines = nullptr,
                 const YamlProtoOptions& opts = {}) {
  return YamlToProto(YAML::Load(yaml), "t.yaml", opts, msg, lines);
}

TEST(YamlProtoTest, ScalarsOfEveryType) {
  v1::SweepSpec s;
  ASSERT_OK(Map(R"(
name: demo
seeds: [1, 2e3, 18446744073709551615]
execution: {max_attempts: 5, max_jobs: 1e6, device: cuda}
ablations:
  - {mode: SCALE, scale: 0.5, skip_missing: yes, random: {exclude_matched: on, seed: 7}}
)",
                &s));
  EXPECT_EQ(s.name(), "demo");
  ASSERT_EQ(s.seeds_size(), 3);
  EXPECT_EQ(s.seeds(1), 2000u);
  EXPECT_EQ(s.seeds(2), 18446744073709551615ULL);
  EXPECT_EQ(s.execution().max_jobs(), 1000000);
  EXPECT_EQ(s.execution().device(), "cuda");
  EXPECT_EQ(s.ablations(0).mode(), v1::SCALE);
  EXPECT_DOUBLE_EQ(s.ablations(0).scale(), 0.5);
  EXPECT_TRUE(s.ablations(0).skip_missing());
  EXPECT_TRUE(s.ablations(0).random().exclude_matched());
  EXPECT_EQ(s.ablations(0).random().seed(), 7u);
}

TEST(YamlProtoTest, EnumsAreCaseInsensitiveAndAliasable) {
  YamlProtoOptions o;
  o.enum_aliases["ablate.v1.ProgressiveOrder"] = {{"random", "RANDOM_ORDER"}};
  v1::ProgressiveAblation p;
  ASSERT_OK(Map("{orders: [first, Last, random]}", &p, nullptr, o));
  EXPECT_EQ(p.orders(2), v1::RANDOM_ORDER);
  v1::AblationSpec a;
  EXPECT_THAT(Map("{mode: mode_unspecified}", &a),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("unknown mode 'mode_unspecified' (expected one of: skip_layer, zero, scale)")));
}

TEST(YamlProtoTest, UnknownFieldNamesPathAndLine) {
  v1::SweepSpec s;
  EXPECT_THAT(Map("name: x\nablations:\n  - group:\n      componets: [attention]\n", &s),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("t.yaml:4: ablations[0].group.componets: unknown field 'componets'")));
}

TEST(YamlProtoTest, TypeErrors) {
  v1::SweepSpec s;
  EXPECT_THAT(Map("execution: {max_attempts: many}", &s),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("t.yaml:1: execution.max_attempts: expected an integer, got 'many'")));
  EXPECT_THAT(Map("execution: {max_attempts: 1.5}", &s),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("expected an integer")));
  EXPECT_THAT(Map("execution: {max_attempts: 3000000000}", &s),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("out of range")));
  EXPECT_THAT(Map("seeds: [-1]", &s),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("seeds[0]: expected a non-negative integer")));
  EXPECT_THAT(Map("name: [a, b]", &s),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("name: expected a string, got a list")));
  EXPECT_THAT(Map("execution: 3", &s),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("execution: expected a mapping")));
  EXPECT_THAT(Map("models: 3", &s), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("models")));
  EXPECT_THAT(Map("ablations: [{skip_missing: maybe}]", &s),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("expected true or false")));
}

TEST(YamlProtoTest, DuplicateKeysAndOneofConflicts) {
  v1::SweepSpec s;
  EXPECT_THAT(Map("name: a\nname: b\n", &s),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("t.yaml:2: name: given twice")));
  v1::AblationSpec a;
  EXPECT_THAT(
      Map("{baseline: {}, group: {}}", &a),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("'baseline' and 'group' are alternatives (kind)")));
}

TEST(YamlProtoTest, Shorthands) {
  YamlProtoOptions o;
  o.primary_shorthand = {"ablate.v1.GroupAblation", "ablate.v1.LayerSweepAblation"};
  v1::SweepSpec s;
  ASSERT_OK(Map(R"(
seeds: 4
ablations: [baseline, {baseline: }, {group: ATTENTION}, {group: [SSM, MLP]}, {layer_sweep: SSM}]
mode_defaults: {falcon_h1: zero, qwen2: {mode: scale}}
models:
  small: {path: /m/small}
)",
                &s, nullptr, o));
  ASSERT_EQ(s.seeds_size(), 1);
  EXPECT_EQ(s.seeds(0), 4u);
  ASSERT_EQ(s.ablations_size(), 5);
  EXPECT_TRUE(s.ablations(0).has_baseline());
  EXPECT_TRUE(s.ablations(1).has_baseline());
  EXPECT_EQ(s.ablations(2).group().components(0), v1::ATTENTION);
  EXPECT_EQ(s.ablations(3).group().components_size(), 2);
  EXPECT_EQ(s.ablations(4).layer_sweep().component(), v1::SSM);
  ASSERT_EQ(s.mode_defaults_size(), 2);
  EXPECT_EQ(s.mode_defaults(0).family(), "falcon_h1");
  EXPECT_EQ(s.mode_defaults(0).mode(), v1::ZERO);
  EXPECT_EQ(s.mode_defaults(1).mode(), v1::SCALE);
  EXPECT_EQ(s.models(0).name(), "small");
  EXPECT_EQ(s.models(0).path(), "/m/small");
}

TEST(YamlProtoTest, KeyedFormRejectsKeyGivenTwice) {
  v1::SweepSpec s;
  EXPECT_THAT(Map("models: {a: {name: b, path: /x}}", &s),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("models[0].name: already given as the key 'a'")));
}

TEST(YamlProtoTest, MergeKeys) {
  v1::SweepSpec s;
  ASSERT_OK(Map(R"(
evaluations:
  - &wiki {name: wiki, perplexity: {dataset: /d/wiki.raw, max_length: 1024}}
  - {<<: *wiki, name: wiki2}
  - <<: [{name: x}, {name: y, generation: {task: gsm8k, path: /g}}]
)",
                &s));
  ASSERT_EQ(s.evaluations_size(), 3);
  EXPECT_EQ(s.evaluations(1).name(), "wiki2");
  EXPECT_EQ(s.evaluations(1).perplexity().max_length(), 1024);
  EXPECT_EQ(s.evaluations(2).name(), "x");
  EXPECT_EQ(s.evaluations(2).generation().task(), "gsm8k");
  EXPECT_THAT(Map("execution: {<<: 3}", &s),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("execution.<<: a merge key needs a mapping")));
}

TEST(YamlProtoTest, CamelCaseKeysAndLines) {
  v1::SweepSpec s;
  SourceLines lines;
  ASSERT_OK(Map("name: x\nexecution:\n  maxJobs: 10\n  lease_ttl_seconds: 5\n", &s, &lines));
  EXPECT_EQ(s.execution().max_jobs(), 10);
  EXPECT_EQ(lines.LineOf("execution.lease_ttl_seconds"), 4);
  EXPECT_EQ(lines.LineOf("execution.lease_ttl_seconds.nothing[3]"), 4);
  EXPECT_EQ(lines.LineOf("execution"), 2);
  EXPECT_EQ(lines.LineOf("nowhere"), 0);
}

TEST(YamlProtoTest, NullLeavesScalarsUnsetAndSetsMessages) {
  v1::SweepSpec s;
  ASSERT_OK(Map("name: ~\nexecution:\n", &s));
  EXPECT_EQ(s.name(), "");
  EXPECT_TRUE(s.has_execution());
}

TEST(YamlProtoTest, DoublesAcceptYamlInfinity) {
  v1::AblationSpec a;
  ASSERT_OK(Map("{scale: .inf}", &a));
  EXPECT_TRUE(std::isinf(a.scale()));
  EXPECT_THAT(Map("{scale: lots}", &a),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("scale: expected a number, got 'lots'")));
}

}  // namespace
}  // namespace ablate::spec
