// eval_tasks_test.cc: multiple choice, generation and incremental decoding on
// the golden tiny models with real items from shared/data/evals (limit 5).
#include <c10/core/InferenceMode.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/eval_test_util.h"
#include "tests/testing/shared_data.h"
#include "worker/eval/generation.h"
#include "worker/eval/lm_evaluator.h"
#include "worker/models/causal_lm.h"

namespace ablate::eval {
namespace {

using ::ablate::testing::FindMetric;
using ::ablate::testing::JobFor;
using ::ablate::testing::MakeCheckpoint;
using ::ablate::testing::MakeTarget;
using ::ablate::testing::RecordingContext;
using ::ablate::testing::SharedPath;
using ::testing::HasSubstr;

v1::EvaluationSpec Choice(v1::MultipleChoiceTask task, const std::string& rel, int limit, int batch = 1,
                          bool bootstrap = false) {
  v1::EvaluationSpec e;
  e.set_name("mc");
  auto* m = e.mutable_multiple_choice();
  m->set_task(task);
  m->set_path(SharedPath(rel));
  m->set_limit(limit);
  m->set_batch_size(batch);
  m->set_bootstrap(bootstrap);
  return e;
}

class TasksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ABLATE_REQUIRE_SHARED("golden/qwen2-tiny-tied");
    ABLATE_REQUIRE_SHARED("data/evals");
    dir_ = MakeCheckpoint("qwen2-tiny-tied");
    auto ev = CreateLmEvaluator({.device = "cpu"});
    ASSERT_TRUE(ev.ok()) << ev.status();
    evaluator_ = std::move(*ev);
  }

  absl::StatusOr<v1::JobResult> Run(const v1::Job& job) {
    RecordingContext ctx;
    return evaluator_->Evaluate(job, ctx);
  }

  std::string dir_;
  std::unique_ptr<worker::Evaluator> evaluator_;
};

void ExpectProbability(const v1::JobResult& r, const std::string& name) {
  const v1::Metric* m = FindMetric(r, name);
  ASSERT_NE(m, nullptr) << "missing " << name;
  EXPECT_GE(m->value(), 0.0) << name;
  EXPECT_LE(m->value(), 1.0) << name;
}

TEST_F(TasksTest, ArcEasyAllAccuracies) {
  auto r = Run(JobFor(dir_, Choice(v1::ARC_EASY, "data/evals/llmfoundry_arc_easy.jsonl", 5)));
  ASSERT_TRUE(r.ok()) << r.status();
  for (const char* m : {"acc", "acc_norm", "acc_norm_byte", "acc_token_norm"}) ExpectProbability(*r, m);
  const auto d = nlohmann::json::parse(FindMetric(*r, "acc")->detail_json());
  EXPECT_EQ(d["items"], 5);
  EXPECT_GE(d["requests"].get<int>(), 15);
  EXPECT_EQ(r->dataset_fingerprint().size(), 64u);
  EXPECT_GT(r->tokens_evaluated(), 0);
}

TEST_F(TasksTest, SameNumbersAtBatchOneAndEight) {
  auto b1 = Run(JobFor(dir_, Choice(v1::PIQA, "data/evals/llmfoundry_piqa.jsonl", 5, 1, true),
                       {MakeTarget(0, v1::MLP, v1::ZERO)}));
  auto b8 = Run(JobFor(dir_, Choice(v1::PIQA, "data/evals/llmfoundry_piqa.jsonl", 5, 8, true),
                       {MakeTarget(0, v1::MLP, v1::ZERO)}));
  ASSERT_TRUE(b1.ok() && b8.ok());
  ASSERT_EQ(b1->metrics_size(), b8->metrics_size());
  for (int i = 0; i < b1->metrics_size(); ++i) {
    EXPECT_EQ(b1->metrics(i).name(), b8->metrics(i).name());
    EXPECT_NEAR(b1->metrics(i).value(), b8->metrics(i).value(), 1e-9) << b1->metrics(i).name();
  }
  EXPECT_EQ(b1->tokens_evaluated(), b8->tokens_evaluated());
}

TEST_F(TasksTest, BootstrapAgainstBaseline) {
  auto base = Run(JobFor(dir_, Choice(v1::ARC_EASY, "data/evals/llmfoundry_arc_easy.jsonl", 5, 4, true)));
  ASSERT_TRUE(base.ok()) << base.status();
  const v1::Metric* d = FindMetric(*base, "acc_diff");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->value(), 0.0);  // the baseline against itself
  auto abl = Run(JobFor(dir_, Choice(v1::ARC_EASY, "data/evals/llmfoundry_arc_easy.jsonl", 5, 4, true),
                        {MakeTarget(1, v1::LAYER, v1::SKIP_LAYER)}));
  ASSERT_TRUE(abl.ok()) << abl.status();
  const v1::Metric* a = FindMetric(*abl, "acc_diff");
  ASSERT_NE(a, nullptr);
  const auto j = nlohmann::json::parse(a->detail_json());
  EXPECT_LE(j["ci_low"].get<double>(), j["ci_high"].get<double>());
  EXPECT_EQ(j["resamples"], 1000);
  EXPECT_NEAR(a->value(), j["ablated"].get<double>() - j["baseline"].get<double>(), 1e-12);
  EXPECT_NEAR(j["baseline"].get<double>(), FindMetric(*base, "acc")->value(), 1e-12);
}

TEST_F(TasksTest, EveryTaskLayoutEvaluates) {
  struct Case {
    v1::MultipleChoiceTask task;
    std::string path, fewshot;
    int shots;
  };
  const std::vector<Case> cases = {
      {v1::HELLASWAG, "data/evals/hellaswag", "", 0},
      {v1::TRUTHFULQA_MC1, "data/evals/truthfulqa/mc_task.json", "", 0},
      {v1::ARC_CHALLENGE, "data/evals/arc_challenge/ARC-Challenge-Test.jsonl",
       "data/evals/arc_challenge/ARC-Challenge-Train.jsonl", 2},
      {v1::PIQA, "data/evals/piqa_official", "", 0},
  };
  for (const Case& c : cases) {
    v1::EvaluationSpec e = Choice(c.task, c.path, 3, 4);
    if (c.shots > 0) {
      e.mutable_multiple_choice()->set_fewshot_path(SharedPath(c.fewshot));
      e.mutable_multiple_choice()->set_num_fewshot(c.shots);
    }
    auto r = Run(JobFor(dir_, e));
    ASSERT_TRUE(r.ok()) << c.path << ": " << r.status();
    ExpectProbability(*r, "acc");
    ExpectProbability(*r, "acc_norm");
    EXPECT_EQ(nlohmann::json::parse(FindMetric(*r, "acc")->detail_json())["items"], 3) << c.path;
  }
}

TEST_F(TasksTest, WinograndePartialScoringReportsAccOnly) {
  auto r = Run(JobFor(dir_, Choice(v1::WINOGRANDE, "data/evals/llmfoundry_winogrande.jsonl", 5)));
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectProbability(*r, "acc");
  EXPECT_EQ(FindMetric(*r, "acc_norm"), nullptr);
}

TEST_F(TasksTest, LambadaAccuracyAndPerplexity) {
  auto r = Run(JobFor(dir_, Choice(v1::LAMBADA, "data/evals/llmfoundry_lambada_openai.jsonl", 5)));
  ASSERT_TRUE(r.ok()) << r.status();
  ExpectProbability(*r, "acc");
  EXPECT_GT(FindMetric(*r, "perplexity")->value(), 1.0);
}

TEST_F(TasksTest, MmluReportsSubjects) {
  v1::EvaluationSpec e = Choice(v1::MMLU, "data/evals/mmlu/test/abstract_algebra_test.csv", 5);
  e.mutable_multiple_choice()->set_fewshot_path(SharedPath("data/evals/mmlu/dev"));
  e.mutable_multiple_choice()->set_num_fewshot(1);
  auto r = Run(JobFor(dir_, e));
  ASSERT_TRUE(r.ok()) << r.status();
  const auto d = nlohmann::json::parse(FindMetric(*r, "acc")->detail_json());
  EXPECT_EQ(d["groups"]["abstract_algebra"]["n"], 5);
  // " A".." D" after one context differ only in the last token: one forward per item.
  EXPECT_EQ(d["requests"], 20);
  EXPECT_EQ(d["forwarded_sequences"], 5);
}

TEST_F(TasksTest, MalformedDatasetFailsWithFileAndLine) {
  const std::filesystem::path bad = std::filesystem::temp_directory_path() / "ablate_eval_bad_arc.jsonl";
  {
    std::ifstream good(SharedPath("data/evals/llmfoundry_arc_easy.jsonl"));
    std::string line;
    std::getline(good, line);
    std::ofstream out(bad);
    out << line << "\n{\"query\": \"Question: broken\", \"choices\": [\n";
  }
  v1::EvaluationSpec e = Choice(v1::ARC_EASY, "", 5);
  e.mutable_multiple_choice()->set_path(bad.string());
  auto r = Run(JobFor(dir_, e));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr(bad.string() + ":2"));
}

v1::EvaluationSpec Gsm8k(int max_new, const std::vector<std::string>& stops) {
  v1::EvaluationSpec e;
  auto* g = e.mutable_generation();
  g->set_task("gsm8k");
  g->set_path(SharedPath("data/evals/gsm8k/test.jsonl"));
  g->set_limit(3);
  g->set_max_new_tokens(max_new);
  for (const auto& s : stops) g->add_stop(s);
  return e;
}

TEST_F(TasksTest, GenerationStopsAtStopSequences) {
  // First without a stop sequence that can match: the cap (10) ends decoding.
  auto capped = Run(JobFor(dir_, Gsm8k(10, {"\x01\x02\x03"})));
  ASSERT_TRUE(capped.ok()) << capped.status();
  ExpectProbability(*capped, "exact_match");
  const auto dc = nlohmann::json::parse(FindMetric(*capped, "exact_match")->detail_json());
  EXPECT_EQ(dc["items"], 3);
  EXPECT_LE(dc["generated_tokens"].get<int>(), 30);
  const std::string g = dc["samples"][0]["generation"];
  ASSERT_GE(g.size(), 3u) << dc.dump();
  // Then with the first three characters the model produced as a stop
  // sequence: decoding of item 1 ends there and the text is cut before it.
  auto stopped = Run(JobFor(dir_, Gsm8k(10, {g.substr(0, 3)})));
  ASSERT_TRUE(stopped.ok()) << stopped.status();
  const auto ds = nlohmann::json::parse(FindMetric(*stopped, "exact_match")->detail_json());
  EXPECT_GE(ds["stopped_by_sequence"].get<int>(), 1) << ds.dump();
  EXPECT_EQ(ds["samples"][0]["generation"], "");
  EXPECT_LT(ds["generated_tokens"].get<int>(), dc["generated_tokens"].get<int>());
}

class IncrementalTest : public ::testing::TestWithParam<std::string> {};

// Step-by-step logits through NewState/Step equal the full forward's rows,
// and greedy decoding through the incremental state equals greedy decoding by
// re-running the full forward at every step (with an ablation plan).
TEST_P(IncrementalTest, IncrementalEqualsFullSequence) {
  ABLATE_REQUIRE_SHARED("golden/" + GetParam());
  auto lm = models::LoadCausalLM(SharedPath("golden/" + GetParam()));
  ASSERT_TRUE(lm.ok()) << lm.status();
  c10::InferenceMode guard;
  const double tol = GetParam().rfind("qwen3_5", 0) == 0 ? 5e-3 : 1e-4;
  const std::vector<int64_t> prompt = {5, 77, 301, 12, 9, 450, 33, 2, 118, 64, 7};
  const models::AblationPlan plan = {{.layer = 1, .component = v1::MLP, .mode = v1::ZERO}};
  for (const models::AblationPlan* p : {static_cast<const models::AblationPlan*>(nullptr), &plan}) {
    models::ForwardOptions fo;
    fo.plan = p;
    at::Tensor ids = at::tensor(prompt, at::kLong).unsqueeze(0);
    at::Tensor full = (*lm)->Forward(ids, fo);
    auto state = (*lm)->NewState(1);
    // A 4-token prefill, then one token at a time.
    at::Tensor first = (*lm)->Step(ids.narrow(1, 0, 4), state.get(), fo);
    std::vector<at::Tensor> rows = {first};
    for (int64_t t = 4; t < ids.size(1); ++t) rows.push_back((*lm)->Step(ids.narrow(1, t, 1), state.get(), fo));
    at::Tensor inc = at::cat(rows, 1);
    EXPECT_LT((inc - full).abs().max().item<double>(), tol) << GetParam();

    GreedyOptions go;
    go.max_new_tokens = 12;
    go.plan = p;
    const std::vector<int64_t> fast = GreedyGenerate(**lm, prompt, go);
    std::vector<int64_t> seq = prompt, slow;
    for (int i = 0; i < 12; ++i) {
      at::Tensor l = (*lm)->Forward(at::tensor(seq, at::kLong).unsqueeze(0), fo);
      const int64_t next = l[0][l.size(1) - 1].argmax().item<int64_t>();
      slow.push_back(next);
      seq.push_back(next);
    }
    EXPECT_EQ(fast, slow) << GetParam();
  }
}

INSTANTIATE_TEST_SUITE_P(Golden, IncrementalTest,
                         ::testing::Values("qwen2-tiny-tied", "qwen3_5-tiny-lllf", "falcon_h1-tiny-g1"));

}  // namespace
}  // namespace ablate::eval
