// eval_tasks_test.cc: multiple choice, generation and incremental decoding on
// the golden tiny models with real items from shared/data/evals (limit 5).
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/eval_test_util.h"
#include "tests/testing/shared_data.h"
#include "worker/eval/generation.h"
#include "worker/eval/lm_evaluator.h"
#include "worker/models/causal_lm.h"
#include "worker/models/safetensors.h"
#include "worker/models/safetensors_torch.h"
#include "worker/text/tokenizer.h"

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

// Multiple choice with exact expected accuracies: a byte-level BPE tokenizer
// spells chosen golden token ids as two-letter words ("Aa", "Ba", ...; " Ca"
// as one token for a continuation's first id), so a HellaSwag-layout file
// whose contexts are the golden s17 rows' first 6 tokens makes the evaluator
// score exactly tokens whose log-probabilities the HF logits in
// expected.safetensors give. The expected acc and acc_norm are computed here
// from those logits, as lm-eval defines them: LL = sum of log-softmax of the
// continuation tokens; acc = argmax LL, acc_norm = argmax LL / len(choice).
TEST_F(TasksTest, MultipleChoiceAccuracyMatchesGoldenLogits) {
  namespace fs = std::filesystem;
  auto expected = models::Checkpoint::OpenFile(SharedPath("golden/qwen2-tiny-tied/expected.safetensors"));
  ASSERT_TRUE(expected.ok()) << expected.status();
  const at::Tensor ids = models::ToTensor(*(*expected)->Find("s17.input_ids"));  // [2, 17]
  const at::Tensor logp =
      at::log_softmax(models::ToTensor(*(*expected)->Find("s17.logits.baseline")).to(at::kDouble), -1);
  constexpr int64_t kCtx = 6;
  // Per item (row r): the first continuation token is row[6] or an arbitrary
  // id (x1, x2); the second is row[7] or an arbitrary id (x3).
  const int64_t x[2][3] = {{100, 200, 300}, {101, 201, 301}};
  const int gold[2] = {0, 3};
  std::set<int64_t> context_role, first_role;  // spelled "Xy" / " Xy"
  for (int r = 0; r < 2; ++r) {
    for (int64_t t = 0; t < kCtx; ++t) context_role.insert(ids[r][t].item<int64_t>());
    context_role.insert(ids[r][kCtx + 1].item<int64_t>());
    context_role.insert(x[r][2]);
    first_role.insert({ids[r][kCtx].item<int64_t>(), x[r][0], x[r][1]});
  }
  for (int64_t id : first_role) ASSERT_EQ(context_role.count(id), 0u) << "fixture: id " << id << " in both roles";

  // The tokenizer: two-letter words for the golden ids, bytes and EOS on the rest.
  std::map<int64_t, std::string> word;
  nlohmann::json vocab = nlohmann::json::object(), merges = nlohmann::json::array(), late = nlohmann::json::array();
  std::set<int64_t> used(context_role);
  used.insert(first_role.begin(), first_role.end());
  int64_t next_free = 0;
  auto free_id = [&] {
    while (used.count(next_free) != 0) ++next_free;
    used.insert(next_free);
    return next_free;
  };
  int j = 0;
  for (int64_t id : used) {
    const std::string w = {static_cast<char>('A' + j % 26), static_cast<char>('a' + j / 26)};
    ++j;
    word[id] = w;
    merges.push_back(std::string(1, w[0]) + " " + w[1]);
  }
  for (int64_t id : first_role) {
    vocab[::ablate::testing::ByteLevelSymbol(' ') + word[id]] = id;
    late.push_back(::ablate::testing::ByteLevelSymbol(' ') + " " + word[id]);
  }
  for (int64_t id : context_role) vocab[word[id]] = id;
  for (int64_t id : first_role) vocab[word[id]] = free_id();  // the intermediate "Xy"
  for (const auto& m : late) merges.push_back(m);
  for (int b = 0; b < 256; ++b) vocab[::ablate::testing::ByteLevelSymbol(b)] = free_id();
  const int64_t eos = free_id();
  ASSERT_LT(eos, 512);
  const std::string dir = MakeCheckpoint("qwen2-tiny-tied", "_golden_spelling");
  {
    nlohmann::json tok = nlohmann::json::parse(std::ifstream(fs::path(dir) / "tokenizer.json"));
    tok["added_tokens"][0]["id"] = eos;
    tok["model"]["vocab"] = vocab;
    tok["model"]["merges"] = merges;
    std::ofstream(fs::path(dir) / "tokenizer.json") << tok.dump();
  }

  auto tok = text::Tokenizer::FromFile((fs::path(dir) / "tokenizer.json").string());
  ASSERT_TRUE(tok.ok()) << tok.status();

  // HellaSwag layout: context, gold, four endings (scored as " " + ending).
  std::string file;
  double acc = 0.0, acc_norm = 0.0;
  for (int r = 0; r < 2; ++r) {
    auto id = [&](int64_t t) { return ids[r][t].item<int64_t>(); };
    std::string context;
    for (int64_t t = 0; t < kCtx; ++t) context += word[id(t)];
    const std::vector<std::string> endings = {word[id(kCtx)] + word[id(kCtx + 1)], word[x[r][0]], word[x[r][1]],
                                              word[id(kCtx)] + word[x[r][2]]};
    const at::Tensor p5 = logp[r][kCtx - 1], p6 = logp[r][kCtx];
    const std::vector<double> ll = {p5[id(kCtx)].item<double>() + p6[id(kCtx + 1)].item<double>(),
                                    p5[x[r][0]].item<double>(), p5[x[r][1]].item<double>(),
                                    p5[id(kCtx)].item<double>() + p6[x[r][2]].item<double>()};
    std::vector<double> norm(4);
    for (int c = 0; c < 4; ++c) norm[c] = ll[c] / static_cast<double>(endings[c].size());
    auto argmax = [](const std::vector<double>& v) {
      const int best = static_cast<int>(std::max_element(v.begin(), v.end()) - v.begin());
      double second = -1e300;
      for (int c = 0; c < 4; ++c) {
        if (c != best) second = std::max(second, v[c]);
      }
      EXPECT_GT(v[best] - second, 1e-3) << "fixture: a near tie would make the check fragile";
      return best;
    };
    acc += argmax(ll) == gold[r] ? 0.5 : 0.0;
    acc_norm += argmax(norm) == gold[r] ? 0.5 : 0.0;
    // The tokenizer spells exactly the golden ids: context + gold continuation = row[0..8).
    auto spelled = (*tok)->Encode(context + " " + endings[0]);
    ASSERT_TRUE(spelled.ok()) << spelled.status();
    std::vector<int64_t> want;
    for (int64_t t = 0; t < kCtx + 2; ++t) want.push_back(id(t));
    EXPECT_EQ(std::vector<int64_t>(spelled->begin(), spelled->end()), want);
    file += context + "\n" + std::to_string(gold[r]) + "\n";
    for (const std::string& e : endings) file += e + "\n";
  }
  const fs::path data = fs::path(dir) / "hellaswag_golden.txt";
  std::ofstream(data) << file;
  v1::EvaluationSpec e = Choice(v1::HELLASWAG, "", 0);
  e.mutable_multiple_choice()->set_path(data.string());
  auto r = Run(JobFor(dir, e));
  ASSERT_TRUE(r.ok()) << r.status();
  // The fixture exercises both outcomes: under acc no item's gold wins, under
  // acc_norm (length-normalised) item 0's does.
  EXPECT_EQ(acc, 0.0);
  EXPECT_EQ(acc_norm, 0.5);
  EXPECT_EQ(FindMetric(*r, "acc")->value(), acc);
  EXPECT_EQ(FindMetric(*r, "acc_norm")->value(), acc_norm);
  const auto detail = nlohmann::json::parse(FindMetric(*r, "acc")->detail_json());
  EXPECT_EQ(detail["items"], 2) << detail.dump();
}

v1::EvaluationSpec Gsm8k(int max_new, const std::vector<std::string>& stops, int limit = 3) {
  v1::EvaluationSpec e;
  auto* g = e.mutable_generation();
  g->set_task("gsm8k");
  g->set_path(SharedPath("data/evals/gsm8k/test.jsonl"));
  g->set_limit(limit);
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

// Batched decoding (batch 4 over 5 items: one batch of 4, one of 1) gives
// the same generations and the same metrics as batch 1, ablated or not.
TEST_F(TasksTest, GenerationBatchFourEqualsBatchOne) {
  for (const std::vector<v1::Target>& targets :
       {std::vector<v1::Target>{}, std::vector<v1::Target>{MakeTarget(1, v1::MLP, v1::ZERO)}}) {
    v1::EvaluationSpec one = Gsm8k(12, {"\x01\x02\x03"}, 5);
    v1::EvaluationSpec four = one;
    four.mutable_generation()->set_batch_size(4);
    auto r1 = Run(JobFor(dir_, one, targets));
    auto r4 = Run(JobFor(dir_, four, targets));
    ASSERT_TRUE(r1.ok()) << r1.status();
    ASSERT_TRUE(r4.ok()) << r4.status();
    EXPECT_EQ(FindMetric(*r1, "exact_match")->value(), FindMetric(*r4, "exact_match")->value());
    EXPECT_EQ(FindMetric(*r1, "exact_match")->detail_json(), FindMetric(*r4, "exact_match")->detail_json());
    EXPECT_EQ(r1->tokens_evaluated(), r4->tokens_evaluated());
  }
}

// bootstrap: exact_match_diff = ablated - baseline exact match over the same
// items, with the interval in detail_json; an un-ablated job is its own
// baseline (difference and interval exactly 0).
TEST_F(TasksTest, GenerationBootstrapAgainstBaseline) {
  v1::EvaluationSpec e = Gsm8k(8, {"\x01\x02\x03"}, 4);
  e.mutable_generation()->set_bootstrap(true);
  auto base = Run(JobFor(dir_, e));
  ASSERT_TRUE(base.ok()) << base.status();
  const v1::Metric* d0 = FindMetric(*base, "exact_match_diff");
  ASSERT_NE(d0, nullptr);
  EXPECT_EQ(d0->value(), 0.0);
  const auto j0 = nlohmann::json::parse(d0->detail_json());
  EXPECT_EQ(j0["ci_low"], 0.0);
  EXPECT_EQ(j0["ci_high"], 0.0);
  EXPECT_EQ(j0["resamples"], 1000);

  auto abl = Run(JobFor(dir_, e, {MakeTarget(0, v1::LAYER, v1::SKIP_LAYER)}));
  ASSERT_TRUE(abl.ok()) << abl.status();
  const v1::Metric* d1 = FindMetric(*abl, "exact_match_diff");
  ASSERT_NE(d1, nullptr);
  const auto j1 = nlohmann::json::parse(d1->detail_json());
  EXPECT_EQ(j1["ablated"].get<double>(), FindMetric(*abl, "exact_match")->value());
  EXPECT_EQ(j1["baseline"].get<double>(), FindMetric(*base, "exact_match")->value());
  EXPECT_DOUBLE_EQ(d1->value(), j1["ablated"].get<double>() - j1["baseline"].get<double>());
  EXPECT_LE(j1["ci_low"].get<double>(), j1["ci_high"].get<double>());
  // Without the flag there is no difference metric.
  e.mutable_generation()->set_bootstrap(false);
  auto plain = Run(JobFor(dir_, e));
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(FindMetric(*plain, "exact_match_diff"), nullptr);
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

    // Batched greedy decoding over prompts of different lengths (no pad
    // tokens reach any row's state) equals decoding each prompt alone.
    const std::vector<std::vector<int64_t>> prompts = {
        prompt, {9, 200, 31}, {400, 3, 3, 3, 71, 18, 250, 6, 11, 90, 45, 17, 301, 2}, {77}};
    const std::vector<std::vector<int64_t>> batched = GreedyGenerateBatch(**lm, prompts, go);
    ASSERT_EQ(batched.size(), prompts.size());
    for (size_t r = 0; r < prompts.size(); ++r) {
      EXPECT_EQ(batched[r], GreedyGenerate(**lm, prompts[r], go)) << GetParam() << " row " << r;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Golden, IncrementalTest,
                         ::testing::Values("qwen2-tiny-tied", "qwen3_5-tiny-lllf", "falcon_h1-tiny-g1"));

}  // namespace
}  // namespace ablate::eval
