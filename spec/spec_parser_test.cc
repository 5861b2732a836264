#include "spec/spec_parser.h"

#include <filesystem>
#include <fstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace ablate::spec {
namespace {

using ::ablate::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr absl::string_view kModels = R"(
models:
  - {name: qwen35, path: /models/Qwen3.5-0.8B, dtype: bfloat16}
  - {name: falcon, path: /models/Falcon-H1-0.5B, default_mode: zero, tokenizer: /tok/falcon.json}
)";
constexpr absl::string_view kEvals = R"(
evaluations:
  - {name: wiki, perplexity: {dataset: /data/wiki.test.raw, protocol: first_n, num_tokens: 2048, clamp: 20}}
)";

// A minimal valid spec with `ablations` spliced in.
std::string Spec(absl::string_view ablations) {
  return absl::StrCat("name: t\n", kModels, kEvals, "ablations:\n", ablations);
}

absl::StatusOr<v1::SweepSpec> Parse(const std::string& text) { return ParseSweepSpec(text, "spec.yaml"); }

TEST(SpecParserTest, ParsesEverySection) {
  auto s = Parse(R"(
name: reference
seeds: [0, 1]
execution: {max_attempts: 4, lease_ttl_seconds: 30, priority: 2, device: cuda, max_jobs: 5000}
mode_defaults:
  - {family: qwen3_5, mode: skip_layer}
models:
  - {name: qwen35, path: /models/Qwen3.5-0.8B, dtype: bf16}
evaluations:
  - {name: wiki-rolling, perplexity: {dataset: /d/wiki.test.raw, protocol: rolling, max_length: 1024, drift: true}}
  - {name: wiki-sliding, perplexity: {dataset: /d/wiki.test.raw, protocol: sliding, max_length: 1024, stride: 256}}
  - {name: mmlu, multiple_choice: {task: mmlu, path: /d/mmlu/test, fewshot_path: /d/mmlu/dev, num_fewshot: 5, bootstrap: true}}
  - {name: arc, multiple_choice: {task: arc_challenge, path: /d/arc.jsonl, limit: 100, seed: 3, fewshot_sampler: per_item}}
  - {name: gsm8k, generation: {task: gsm8k, path: /d/gsm8k/test.jsonl, num_fewshot: 8, max_new_tokens: 256, stop: ["Question:"]}}
  - {name: diag, diagnostics: {dataset: /d/wiki.test.raw, num_tokens: 256}}
ablations:
  - baseline
  - {group: [attention, linear_attention], mode: zero, skip_missing: true}
  - {layer_sweep: mamba, models: [qwen35], skip_missing: true}
  - {positional: {component: attention, ranges: [{name: head, start: 0, end: 2}], absolute: true}}
  - {progressive: {component: linear_attention, counts: [1, 2], orders: [first, random], trials: 3, seed: 9}}
  - {random: {match: attention, pool: component_pairs, pool_components: [linear_attention], trials: 5, seed: 11}}
  - {name: pair, explicit: [{layer: 3, component: attention, mode: scale, scale: 0.5}]}
)");
  ASSERT_OK(s.status());
  EXPECT_EQ(s->name(), "reference");
  EXPECT_THAT(s->seeds(), ElementsAre(0, 1));
  EXPECT_EQ(s->execution().max_jobs(), 5000);
  EXPECT_EQ(s->mode_defaults(0).mode(), v1::SKIP_LAYER);
  EXPECT_EQ(s->models(0).dtype(), v1::BFLOAT16);
  ASSERT_EQ(s->evaluations_size(), 6);
  EXPECT_EQ(s->evaluations(1).perplexity().protocol(), v1::SLIDING);
  EXPECT_EQ(s->evaluations(2).multiple_choice().task(), v1::MMLU);
  EXPECT_TRUE(s->evaluations(2).multiple_choice().bootstrap());
  EXPECT_EQ(s->evaluations(3).multiple_choice().fewshot_sampler(), v1::PER_ITEM);
  EXPECT_EQ(s->evaluations(4).generation().stop(0), "Question:");
  EXPECT_EQ(s->evaluations(5).diagnostics().num_tokens(), 256);
  // Defaults: lm-eval's few-shot sampler unless the spec names another.
  v1::SweepSpec with_defaults = *s;
  ApplyDefaults(&with_defaults);
  EXPECT_EQ(with_defaults.evaluations(2).multiple_choice().fewshot_sampler(), v1::LM_EVAL);
  EXPECT_EQ(with_defaults.evaluations(3).multiple_choice().fewshot_sampler(), v1::PER_ITEM);
  EXPECT_EQ(with_defaults.evaluations(4).generation().fewshot_sampler(), v1::LM_EVAL);
  ASSERT_EQ(s->ablations_size(), 7);
  EXPECT_TRUE(s->ablations(0).has_baseline());
  EXPECT_EQ(s->ablations(1).mode(), v1::ZERO);
  EXPECT_EQ(s->ablations(2).layer_sweep().component(), v1::SSM);  // "mamba" alias
  EXPECT_TRUE(s->ablations(3).positional().absolute());
  EXPECT_EQ(s->ablations(4).progressive().orders(1), v1::RANDOM_ORDER);
  EXPECT_EQ(s->ablations(5).random().pool(), v1::COMPONENT_PAIRS);
  EXPECT_EQ(s->ablations(6).explicit_().targets(0).mode(), v1::SCALE);
}

TEST(SpecParserTest, JsonInputWorks) {
  auto s = Parse(R"({
    "name": "j",
    "models": [{"name": "q", "path": "/m/q"}],
    "evaluations": [{"name": "w", "perplexity": {"dataset": "/d/w.raw", "maxLength": 256}}],
    "ablations": [{"baseline": {}}, {"layer_sweep": {"component": "attention"}, "mode": "skip_layer"}],
    "seeds": [3]
  })");
  ASSERT_OK(s.status());
  EXPECT_EQ(s->evaluations(0).perplexity().max_length(), 256);
  EXPECT_EQ(s->ablations(1).layer_sweep().component(), v1::ATTENTION);
  EXPECT_EQ(s->seeds(0), 3u);
}

TEST(SpecParserTest, UnknownComponentNamesPathAndLine) {
  auto s = Parse(Spec("  - baseline\n  - group:\n      components: [attention, conv]\n"));
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument,
                          HasSubstr("spec.yaml:12: ablations[1].group.components[1]: unknown component 'conv'")));
}

TEST(SpecParserTest, SyntaxErrorHasLine) {
  EXPECT_THAT(
      Parse("name: x\nmodels: [a, b\n"),
      StatusIs(absl::StatusCode::kInvalidArgument, AllOf(HasSubstr("spec.yaml:"), HasSubstr("YAML syntax error"))));
  EXPECT_THAT(Parse("name: x\n  bad: indent\n"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("spec.yaml:2:")));
}

TEST(SpecParserTest, EmptyAndNonMappingSpecs) {
  EXPECT_THAT(Parse(""), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("spec.yaml: the spec is empty")));
  EXPECT_THAT(Parse("- a\n- b\n"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("expected a mapping")));
}

struct BadSpec {
  std::string name;
  std::string yaml;
  std::string message;  // must appear in the error
};

class SpecValidationTest : public ::testing::TestWithParam<BadSpec> {};

TEST_P(SpecValidationTest, RejectsNamingTheField) {
  EXPECT_THAT(Parse(GetParam().yaml), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(GetParam().message)));
}

std::string NoAblations() { return absl::StrCat("name: t\n", kModels, kEvals); }

INSTANTIATE_TEST_SUITE_P(
    Spec, SpecValidationTest,
    ::testing::Values(
        BadSpec{"NoModels", absl::StrCat(kEvals, "ablations: [baseline]\n"), "models: at least one model is required"},
        BadSpec{"NoEvaluations", absl::StrCat(kModels, "ablations: [baseline]\n"),
                "evaluations: at least one evaluation is required"},
        BadSpec{"NoAblations", NoAblations(), "ablations: at least one ablation is required"},
        BadSpec{"ModelWithoutName", absl::StrCat("models: [{path: /m}]\n", kEvals, "ablations: [baseline]\n"),
                "spec.yaml:1: models[0].name: required"},
        BadSpec{"ModelWithoutPath", absl::StrCat("models: [{name: a}]\n", kEvals, "ablations: [baseline]\n"),
                "models[0].path: required"},
        BadSpec{"DuplicateModel",
                absl::StrCat("models: [{name: a, path: /a}, {name: a, path: /b}]\n", kEvals, "ablations: [baseline]\n"),
                "models[1].name: 'a' is already the name of models[0]"},
        BadSpec{
            "DuplicateEvaluation",
            absl::StrCat(kModels,
                         "evaluations: [{name: e, perplexity: {dataset: /x}}, {name: e, perplexity: {dataset: /y}}]\n"
                         "ablations: [baseline]\n"),
            "evaluations[1].name: 'e' is already the name of evaluations[0]"},
        BadSpec{"EvaluationWithoutKind", absl::StrCat(kModels, "evaluations: [{name: e}]\nablations: [baseline]\n"),
                "evaluations[0]: missing evaluation kind"},
        BadSpec{
            "PerplexityWithoutDataset",
            absl::StrCat(kModels, "evaluations: [{name: e, perplexity: {protocol: rolling}}]\nablations: [baseline]\n"),
            "evaluations[0].perplexity.dataset: required"},
        BadSpec{"StrideWithoutSliding",
                absl::StrCat(kModels,
                             "evaluations: [{name: e, perplexity: {dataset: /x, stride: 3}}]\nablations: [baseline]\n"),
                "evaluations[0].perplexity.stride: only applies to protocol sliding"},
        BadSpec{"NumTokensWithDocuments",
                absl::StrCat(kModels,
                             "evaluations: [{name: e, perplexity: {dataset: /x, protocol: documents, "
                             "num_tokens: 100}}]\nablations: [baseline]\n"),
                "evaluations[0].perplexity.num_tokens: does not apply to protocol documents"},
        BadSpec{"NegativeGenerationBatchSize",
                absl::StrCat(kModels,
                             "evaluations: [{name: e, generation: {task: gsm8k, path: /g, "
                             "batch_size: -1}}]\nablations: [baseline]\n"),
                "evaluations[0].generation.batch_size"},
        BadSpec{"MultipleChoiceWithoutTask",
                absl::StrCat(kModels, "evaluations: [{name: e, multiple_choice: {path: /x}}]\nablations: [baseline]\n"),
                "evaluations[0].multiple_choice.task: required"},
        BadSpec{"MultipleChoiceWithoutPath",
                absl::StrCat(kModels,
                             "evaluations: [{name: e, multiple_choice: {task: hellaswag}}]\nablations: [baseline]\n"),
                "evaluations[0].multiple_choice.path: required"},
        BadSpec{"GenerationWithoutTask",
                absl::StrCat(kModels, "evaluations: [{name: e, generation: {path: /x}}]\nablations: [baseline]\n"),
                "evaluations[0].generation.task: required"},
        BadSpec{"DiagnosticsWithoutDataset",
                absl::StrCat(kModels, "evaluations: [{name: e, diagnostics: {}}]\nablations: [baseline]\n"),
                "evaluations[0].diagnostics.dataset: required"},
        BadSpec{"AblationWithoutKind", Spec("  - {name: x}\n"), "ablations[0]: missing ablation kind"},
        BadSpec{"TwoKinds", Spec("  - {baseline: {}, layer_sweep: ssm}\n"), "are alternatives"},
        BadSpec{"UnknownModelRestriction", Spec("  - {baseline: {}, models: [qwen]}\n"),
                "ablations[0].models[0]: no model named 'qwen' (models: falcon, qwen35)"},
        BadSpec{"ScaleWithoutFactor", Spec("  - {layer_sweep: ssm, mode: scale}\n"),
                "ablations[0].scale: mode scale needs a non-zero scale"},
        BadSpec{"EmptyGroup", Spec("  - {group: []}\n"), "ablations[0].group.components: at least one component"},
        BadSpec{"RepeatedGroupComponent", Spec("  - {group: [ssm, mamba]}\n"),
                "ablations[0].group.components[1]: 'ssm' is listed twice"},
        BadSpec{"LayerSweepWithoutComponent", Spec("  - {layer_sweep: {}}\n"),
                "ablations[0].layer_sweep.component: required"},
        BadSpec{"BadRange", Spec("  - {positional: {component: ssm, ranges: [{name: a, start: 4, end: 2}]}}\n"),
                "ablations[0].positional.ranges[0].end: must be greater than start"},
        BadSpec{"AbsoluteWithoutRanges", Spec("  - {positional: {component: ssm, absolute: true}}\n"),
                "ablations[0].positional.absolute: needs explicit ranges"},
        BadSpec{"ProgressiveWithoutCounts", Spec("  - {progressive: {component: ssm}}\n"),
                "ablations[0].progressive.counts: at least one count"},
        BadSpec{"ProgressiveZeroCount", Spec("  - {progressive: {component: ssm, counts: [2, 0]}}\n"),
                "ablations[0].progressive.counts[1]: must be at least 1"},
        BadSpec{"RandomWithoutSize", Spec("  - {random: {trials: 3}}\n"),
                "ablations[0].random: give match (a component whose layer count is matched) or count"},
        BadSpec{"ExcludeWithoutMatch", Spec("  - {random: {count: 3, exclude_matched: true}}\n"),
                "ablations[0].random.exclude_matched: needs match"},
        BadSpec{"PoolComponentsWithLayers", Spec("  - {random: {match: ssm, pool_components: [attention]}}\n"),
                "ablations[0].random.pool_components: only applies to pool: component_pairs"},
        BadSpec{"NegativeTrials", Spec("  - {random: {match: ssm, trials: -2}}\n"),
                "ablations[0].random.trials: must not be negative"},
        BadSpec{"EmptyExplicit", Spec("  - {explicit: []}\n"), "ablations[0].explicit.targets: at least one target"},
        BadSpec{"ExplicitWithoutComponent", Spec("  - {explicit: [{layer: 2}]}\n"),
                "ablations[0].explicit.targets[0].component: required"},
        BadSpec{"ExplicitNegativeLayer", Spec("  - {explicit: [{layer: -1, component: ssm}]}\n"),
                "ablations[0].explicit.targets[0].layer: must not be negative"},
        BadSpec{"DuplicateSeed", absl::StrCat(Spec("  - baseline\n"), "seeds: [1, 2, 1]\n"),
                "seeds[2]: seed 1 is listed twice"},
        BadSpec{"UnknownFamily", absl::StrCat(Spec("  - baseline\n"), "mode_defaults: {llama: zero}\n"),
                "mode_defaults[0].family: unknown family 'llama'"},
        BadSpec{"NegativeMaxJobs", absl::StrCat(Spec("  - baseline\n"), "execution: {max_jobs: -1}\n"),
                "execution.max_jobs: must not be negative"},
        BadSpec{"LeaseTtlOverAWeek", absl::StrCat(Spec("  - baseline\n"), "execution: {lease_ttl_seconds: 3000000}\n"),
                "execution.lease_ttl_seconds: at most 604800 (7 days), got 3000000"},
        BadSpec{"UnknownTopLevelKey", absl::StrCat(Spec("  - baseline\n"), "sedes: [1]\n"),
                "sedes: unknown field 'sedes'"},
        BadSpec{"SlidingStrideTooLarge",
                absl::StrCat(kModels,
                             "evaluations: [{name: e, perplexity: {dataset: /x, protocol: sliding, "
                             "max_length: 8, stride: 9}}]\nablations: [baseline]\n"),
                "evaluations[0].perplexity.stride: must not exceed max_length (8)"},
        BadSpec{"NameWithSlash", Spec("  - {name: a/b, baseline: {}}\n"), "ablations[0].name: must not contain '/'"},
        BadSpec{"DuplicateRangeName",
                Spec("  - {positional: {component: ssm, ranges: [{name: a, start: 0, end: 2}, {name: a, start: 2, end: "
                     "4}]}}\n"),
                "ablations[0].positional.ranges[1].name: 'a' is used by another range"},
        BadSpec{"RepeatedCount", Spec("  - {progressive: {component: ssm, counts: [2, 2]}}\n"),
                "ablations[0].progressive.counts[1]: 2 is listed twice"},
        BadSpec{"RepeatedOrder", Spec("  - {progressive: {component: ssm, counts: [2], orders: [first, first]}}\n"),
                "ablations[0].progressive.orders[1]: listed twice"},
        BadSpec{"TrialsWithoutRandomOrder", Spec("  - {progressive: {component: ssm, counts: [2], trials: 3}}\n"),
                "ablations[0].progressive.trials: only applies to order random"},
        BadSpec{"PoolComponentLayer",
                Spec("  - {random: {match: ssm, pool: component_pairs, pool_components: [layer]}}\n"),
                "ablations[0].random.pool_components[0]: 'layer' is not a component"},
        BadSpec{"DuplicateExplicitTarget",
                Spec("  - {explicit: [{layer: 2, component: ssm}, {layer: 2, component: mamba}]}\n"),
                "ablations[0].explicit.targets[1]: layer 2 ssm is listed twice"},
        BadSpec{"ExplicitScaleWithoutFactor", Spec("  - {explicit: [{layer: 2, component: ssm, mode: scale}]}\n"),
                "ablations[0].explicit.targets[0].scale: mode scale needs a non-zero scale"},
        BadSpec{"ModeDefaultWithoutMode", absl::StrCat(Spec("  - baseline\n"), "mode_defaults: [{family: qwen2}]\n"),
                "mode_defaults[0].mode: required"},
        BadSpec{"RepeatedModeDefault",
                absl::StrCat(Spec("  - baseline\n"),
                             "mode_defaults: [{family: qwen2, mode: zero}, {family: qwen2, mode: zero}]\n"),
                "mode_defaults[1].family: 'qwen2' is listed twice"},
        BadSpec{"WrongTypeForList", Spec("  - {group: {components: {a: b}}}\n"),
                "ablations[0].group.components: expected a list or a single value, got a mapping"},
        BadSpec{"UnknownMode", Spec("  - {layer_sweep: ssm, mode: delete}\n"),
                "ablations[0].mode: unknown mode 'delete'"}),
    [](const ::testing::TestParamInfo<BadSpec>& info) { return info.param.name; });

TEST(SpecParserTest, ValidationErrorsCarryTheLine) {
  auto s = Parse(Spec("  - baseline\n  - {progressive: {component: ssm, counts: [2, 0]}}\n"));
  EXPECT_THAT(s, StatusIs(absl::StatusCode::kInvalidArgument,
                          HasSubstr("spec.yaml:11: ablations[1].progressive.counts[1]: must be at least 1")));
}

TEST(SpecParserTest, ApplyDefaultsFillsEverything) {
  auto s = Parse(absl::StrCat(
      "models: [{name: q, path: /m/q}]\n"
      "evaluations:\n"
      "  - {name: a, perplexity: {dataset: /d}}\n"
      "  - {name: b, perplexity: {dataset: /d, protocol: sliding, max_length: 100}}\n"
      "  - {name: c, perplexity: {dataset: /d, protocol: first_n}}\n"
      "  - {name: d, generation: {task: gsm8k, path: /g}}\n"
      "  - {name: e, diagnostics: {dataset: /d}}\n"
      "  - {name: f, perplexity: {dataset: /d, protocol: documents}}\n"
      "  - {name: g, generation: {task: gsm8k, path: /g, bootstrap: true, batch_size: 4}}\n"
      "ablations: [{group: attention}, {progressive: {component: ssm, counts: [1]}}, {random: {match: ssm}}]\n"));
  ASSERT_OK(s.status());
  ApplyDefaults(&*s);
  EXPECT_THAT(s->seeds(), ElementsAre(0));
  EXPECT_EQ(s->execution().max_attempts(), 3);
  EXPECT_EQ(s->execution().lease_ttl_seconds(), 120);
  EXPECT_EQ(s->execution().max_jobs(), 1000000);
  EXPECT_EQ(s->models(0).dtype(), v1::FLOAT32);
  EXPECT_EQ(s->models(0).tokenizer(), "/m/q/tokenizer.json");
  EXPECT_EQ(s->evaluations(0).perplexity().protocol(), v1::ROLLING);
  EXPECT_EQ(s->evaluations(0).perplexity().max_length(), 512);
  EXPECT_EQ(s->evaluations(0).perplexity().batch_size(), 1);
  EXPECT_EQ(s->evaluations(1).perplexity().stride(), 50);
  EXPECT_EQ(s->evaluations(2).perplexity().num_tokens(), 512);
  EXPECT_EQ(s->evaluations(3).generation().max_new_tokens(), 256);
  EXPECT_EQ(s->evaluations(3).generation().batch_size(), 1);
  EXPECT_FALSE(s->evaluations(3).generation().bootstrap());
  EXPECT_EQ(s->evaluations(4).diagnostics().num_tokens(), 512);
  EXPECT_EQ(s->evaluations(5).perplexity().protocol(), v1::DOCUMENTS);
  EXPECT_EQ(s->evaluations(5).perplexity().max_length(), 512);
  EXPECT_EQ(s->evaluations(5).perplexity().num_tokens(), 0);
  EXPECT_TRUE(s->evaluations(6).generation().bootstrap());
  EXPECT_EQ(s->evaluations(6).generation().batch_size(), 4);
  EXPECT_EQ(s->ablations(0).name(), "group");
  EXPECT_THAT(s->ablations(1).progressive().orders(), ElementsAre(v1::FIRST, v1::LAST));
  EXPECT_EQ(s->ablations(1).progressive().trials(), 1);
  EXPECT_EQ(s->ablations(2).random().pool(), v1::LAYERS);
  EXPECT_EQ(s->ablations(2).random().trials(), 1);
  // Idempotent.
  v1::SweepSpec again = *s;
  ApplyDefaults(&again);
  EXPECT_EQ(again.DebugString(), s->DebugString());
}

TEST(SpecParserTest, LoadResolvesRelativePathsAgainstTheSpecDirectory) {
  const std::filesystem::path dir = std::filesystem::path(ABLATE_BINARY_DIR) / "spec_parser_test" / "sub";
  std::filesystem::create_directories(dir);
  const std::filesystem::path file = dir / "s.yaml";
  std::ofstream(file) << R"(
models: [{name: q, path: ../ckpt/q, tokenizer: tok.json}, {name: r, path: /abs/r}]
evaluations:
  - {name: p, perplexity: {dataset: data/wiki.raw}}
  - {name: m, multiple_choice: {task: mmlu, path: mmlu/test, fewshot_path: ./mmlu/dev}}
  - {name: g, generation: {task: gsm8k, path: g.jsonl, fewshot_path: gtrain.jsonl}}
  - {name: d, diagnostics: {dataset: d.raw}}
ablations: [baseline]
)";
  auto s = LoadSweepSpec(file.string());
  ASSERT_OK(s.status());
  const std::string base = std::filesystem::absolute(dir).lexically_normal().string();
  const std::string parent = std::filesystem::absolute(dir.parent_path()).lexically_normal().string();
  EXPECT_EQ(s->models(0).path(), parent + "/ckpt/q");
  EXPECT_EQ(s->models(0).tokenizer(), base + "/tok.json");
  EXPECT_EQ(s->models(1).path(), "/abs/r");
  EXPECT_EQ(s->evaluations(0).perplexity().dataset(), base + "/data/wiki.raw");
  EXPECT_EQ(s->evaluations(1).multiple_choice().path(), base + "/mmlu/test");
  EXPECT_EQ(s->evaluations(1).multiple_choice().fewshot_path(), base + "/mmlu/dev");
  EXPECT_EQ(s->evaluations(2).generation().path(), base + "/g.jsonl");
  EXPECT_EQ(s->evaluations(2).generation().fewshot_path(), base + "/gtrain.jsonl");
  EXPECT_EQ(s->evaluations(3).diagnostics().dataset(), base + "/d.raw");
}

TEST(SpecParserTest, OptionalEvaluationsWithoutTheirDataAreLeftOutWithANote) {
  const std::filesystem::path dir = std::filesystem::path(ABLATE_BINARY_DIR) / "spec_parser_test" / "optional";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "here.txt") << "text\n";
  const std::filesystem::path file = dir / "s.yaml";
  std::ofstream(file) << R"(
models: [{name: q, path: /abs/q}]
evaluations:
  - {name: present, optional: true, perplexity: {dataset: here.txt}}
  - {name: absent, optional: true, perplexity: {dataset: not-here.txt}}
  - {name: required, perplexity: {dataset: also-not-here.txt}}
  - {name: mc, optional: true, multiple_choice: {task: mmlu, path: here.txt, fewshot_path: no-dev}}
ablations: [baseline]
)";
  std::vector<std::string> notes;
  auto s = LoadSweepSpec(file.string(), &notes);
  ASSERT_OK(s.status());
  ASSERT_EQ(s->evaluations_size(), 2);
  EXPECT_EQ(s->evaluations(0).name(), "present");
  EXPECT_EQ(s->evaluations(1).name(), "required");  // not optional: kept, fails where it runs
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_THAT(notes[0], HasSubstr("'absent' left out"));
  EXPECT_THAT(notes[0], HasSubstr("not-here.txt"));
  EXPECT_THAT(notes[1], HasSubstr("'mc' left out"));
  EXPECT_THAT(notes[1], HasSubstr("no-dev"));
  // Without a notes sink the result is the same.
  auto quiet = LoadSweepSpec(file.string());
  ASSERT_OK(quiet.status());
  EXPECT_EQ(quiet->evaluations_size(), 2);
}

TEST(SpecParserTest, LoadErrorsNameTheFile) {
  EXPECT_THAT(LoadSweepSpec("/nonexistent/spec.yaml"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("/nonexistent/spec.yaml")));
  const std::filesystem::path dir = std::filesystem::path(ABLATE_BINARY_DIR) / "spec_parser_test";
  std::filesystem::create_directories(dir);
  const std::string file = (dir / "bad.yaml").string();
  std::ofstream(file) << "models: [{name: q}]\n";
  EXPECT_THAT(LoadSweepSpec(file), StatusIs(absl::StatusCode::kInvalidArgument,
                                            HasSubstr(absl::StrCat(file, ":1: models[0].path: required"))));
}

}  // namespace
}  // namespace ablate::spec
