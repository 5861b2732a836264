// eval_evaluator_test.cc: the product evaluator end to end on the golden tiny
// models (vocab 512) with a byte-level tokenizer: perplexity protocols, drift,
// batch-size invariance, errors, cancellation, diagnostics, generation and
// multiple choice on a few real items.
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/eval_test_util.h"
#include "tests/testing/shared_data.h"
#include "worker/eval/lm_evaluator.h"
#include "worker/models/causal_lm.h"
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

const char kWiki[] = "data/wikitext-2/wiki.test.raw";

v1::EvaluationSpec Perplexity(v1::PerplexityProtocol protocol, int max_length, int num_tokens, bool drift,
                              int batch = 1) {
  v1::EvaluationSpec e;
  e.set_name("ppl");
  auto* p = e.mutable_perplexity();
  p->set_dataset(SharedPath(kWiki));
  p->set_protocol(protocol);
  p->set_max_length(max_length);
  p->set_num_tokens(num_tokens);
  p->set_drift(drift);
  p->set_batch_size(batch);
  return e;
}

class EvaluatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ABLATE_REQUIRE_SHARED("golden/qwen2-tiny-tied");
    ABLATE_REQUIRE_SHARED(kWiki);
    dir_ = MakeCheckpoint("qwen2-tiny-tied");
    auto ev = CreateLmEvaluator({.device = "cpu"});
    ASSERT_TRUE(ev.ok()) << ev.status();
    evaluator_ = std::move(*ev);
  }

  v1::JobResult MustRun(const v1::Job& job) {
    RecordingContext ctx;
    auto r = evaluator_->Evaluate(job, ctx);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : v1::JobResult();
  }

  double Value(const v1::JobResult& r, const std::string& name) {
    const v1::Metric* m = FindMetric(r, name);
    EXPECT_NE(m, nullptr) << "missing metric " << name;
    return m ? m->value() : std::nan("");
  }

  std::string dir_;
  std::unique_ptr<worker::Evaluator> evaluator_;
};

TEST_F(EvaluatorTest, RollingPerplexityMatchesDirectComputation) {
  const v1::JobResult r = MustRun(JobFor(dir_, Perplexity(v1::ROLLING, 64, 200, /*drift=*/true)));
  const double ppl = Value(r, "perplexity");
  EXPECT_GT(ppl, 1.0);
  EXPECT_TRUE(std::isfinite(ppl));
  EXPECT_EQ(r.tokens_evaluated(), 200);
  EXPECT_NE(FindMetric(r, "word_perplexity"), nullptr);
  EXPECT_NE(FindMetric(r, "bits_per_byte"), nullptr);
  EXPECT_EQ(Value(r, "kl_mean"), 0.0);  // an un-ablated job is its own baseline
  EXPECT_EQ(Value(r, "top1_agreement"), 1.0);
  EXPECT_EQ(r.checkpoint_fingerprint().size(), 64u);
  EXPECT_EQ(r.dataset_fingerprint().size(), 64u);
  EXPECT_FALSE(r.code_version().empty());
  EXPECT_EQ(r.device(), "cpu");

  // Direct: the byte tokenizer maps byte b to id b, eos (256) is the prefix.
  // Windows of 64: [eos, t0..t62] predicts t0..t63, then [t63..t126] predicts
  // t64..t127, [t127..t190] -> t128..t191, and [t135..t198] scores t192..t199.
  std::string text;
  {
    std::ifstream in(SharedPath(kWiki), std::ios::binary);
    text.assign(200, '\0');
    in.read(text.data(), 200);
  }
  auto lm = models::LoadCausalLM(dir_);
  ASSERT_TRUE(lm.ok()) << lm.status();
  c10::InferenceMode guard;
  std::vector<int64_t> t(text.size());
  for (size_t i = 0; i < text.size(); ++i) t[i] = static_cast<unsigned char>(text[i]);
  double sum = 0.0;
  auto score = [&](std::vector<int64_t> input, int64_t begin, int64_t first_target, int64_t count) {
    at::Tensor ids = at::tensor(input, at::kLong).unsqueeze(0);
    at::Tensor logp = at::log_softmax((*lm)->Forward(ids)[0], -1);
    for (int64_t k = 0; k < count; ++k) sum += logp[begin + k][t[first_target + k]].item<double>();
  };
  std::vector<int64_t> w0 = {256};
  w0.insert(w0.end(), t.begin(), t.begin() + 63);
  score(w0, 0, 0, 64);
  score(std::vector<int64_t>(t.begin() + 63, t.begin() + 127), 0, 64, 64);
  score(std::vector<int64_t>(t.begin() + 127, t.begin() + 191), 0, 128, 64);
  score(std::vector<int64_t>(t.begin() + 135, t.begin() + 199), 56, 192, 8);
  EXPECT_NEAR(Value(r, "nll_mean"), -sum / 200.0, 1e-5);
  EXPECT_NEAR(Value(r, "bits_per_byte"), -sum / 200.0 / std::log(2.0), 1e-5);
}

// DOCUMENTS (lm-eval's wikitext task) on a two-article file: the documents,
// their detokenized text and the word/byte counts are written out by hand
// here (lm-eval's rules applied on paper), each document is scored with its
// own rolling windows, and the three lm-eval figures follow from the sums.
TEST_F(EvaluatorTest, DocumentsProtocolMatchesHandComputation) {
  const std::filesystem::path file = std::filesystem::path(dir_) / "two_articles.raw";
  std::ofstream(file, std::ios::binary) << " \n = Ab = \n \n The ( red ) cat , it 's here . \n = = Sub = = \n"
                                           " Done ; ok \n = Cd = \n 3 @-@ 4 \" q \" \n";
  v1::EvaluationSpec e = Perplexity(v1::DOCUMENTS, 16, 0, /*drift=*/false, /*batch=*/3);
  e.mutable_perplexity()->set_dataset(file.string());
  const v1::JobResult r = MustRun(JobFor(dir_, e));

  // Pages: " = Ab = \n \n The ... \n Done ; ok " and " = Cd = \n 3 @-@ 4 \" q \" \n".
  // Words (re.split(r"\s+", page), before detokenization): 23 and 11; bytes 69 and 25.
  const std::vector<std::string> scored = {" = Ab =\n\nThe (red) cat, it's here.\n== Sub ==\nDone; ok ",
                                           " = Cd =\n3-4 \"q\"\n"};
  const int64_t words = 23 + 11, bytes = 69 + 25;
  auto lm = models::LoadCausalLM(dir_);
  ASSERT_TRUE(lm.ok()) << lm.status();
  c10::InferenceMode guard;
  constexpr int64_t kL = 16;
  double sum = 0.0;
  int64_t tokens = 0;
  for (const std::string& doc : scored) {
    std::vector<int64_t> t(doc.size());
    for (size_t i = 0; i < doc.size(); ++i) t[i] = static_cast<unsigned char>(doc[i]);
    const auto n = static_cast<int64_t>(t.size());
    tokens += n;
    auto score = [&](std::vector<int64_t> input, int64_t begin, int64_t first_target, int64_t count) {
      at::Tensor logp = at::log_softmax((*lm)->Forward(at::tensor(input, at::kLong).unsqueeze(0))[0], -1);
      for (int64_t k = 0; k < count; ++k) sum += logp[begin + k][t[first_target + k]].item<double>();
    };
    // [eos, t0..t14] predicts t0..t15; then each next 16 (or fewer) tokens
    // from the 16 tokens before the window's last target.
    std::vector<int64_t> first = {256};
    first.insert(first.end(), t.begin(), t.begin() + std::min(kL, n) - 1);
    score(first, 0, 0, std::min(kL, n));
    for (int64_t s = kL; s < n; s += kL) {
      const int64_t end = std::min(s + kL, n);
      score(std::vector<int64_t>(t.begin() + end - kL - 1, t.begin() + end - 1), kL - (end - s), s, end - s);
    }
  }
  EXPECT_EQ(r.tokens_evaluated(), tokens);
  EXPECT_NEAR(Value(r, "nll_mean"), -sum / tokens, 1e-5);
  EXPECT_NEAR(std::log(Value(r, "perplexity")), -sum / tokens, 1e-5);
  EXPECT_NEAR(std::log(Value(r, "word_perplexity")), -sum / words, 1e-5);
  EXPECT_NEAR(std::log(Value(r, "byte_perplexity")), -sum / bytes, 1e-5);
  EXPECT_NEAR(Value(r, "bits_per_byte"), -sum / bytes / std::log(2.0), 1e-5);
  const auto detail = nlohmann::json::parse(FindMetric(r, "perplexity")->detail_json());
  EXPECT_EQ(detail["protocol"], "documents");
  EXPECT_EQ(detail["documents"], 2);
  EXPECT_EQ(detail["windows"], 4 + 1);  // 54 and 16 scored bytes in windows of 16
}

TEST_F(EvaluatorTest, AblatedJobDriftsFromBaseline) {
  const v1::JobResult base = MustRun(JobFor(dir_, Perplexity(v1::FIRST_N, 0, 128, true)));
  const v1::JobResult abl =
      MustRun(JobFor(dir_, Perplexity(v1::FIRST_N, 0, 128, true), {MakeTarget(1, v1::ATTENTION, v1::ZERO)}));
  EXPECT_GT(Value(abl, "kl_mean"), 1e-4);
  EXPECT_LE(Value(abl, "top1_agreement"), 1.0);
  EXPECT_NE(Value(abl, "perplexity"), Value(base, "perplexity"));
  EXPECT_EQ(evaluator_->LoadedModels().size(), 1u);  // one resident model served both jobs
  // The ablated job took its baseline from the baseline job's cached logits;
  // an evaluator without the cache runs the un-ablated forward itself.
  const auto detail = nlohmann::json::parse(FindMetric(abl, "perplexity")->detail_json());
  EXPECT_TRUE(detail["baseline_from_cache"].get<bool>());
  auto uncached = CreateLmEvaluator({.device = "cpu", .max_baseline_cache_bytes = 0});
  ASSERT_TRUE(uncached.ok());
  RecordingContext ctx;
  auto fresh = (*uncached)->Evaluate(
      JobFor(dir_, Perplexity(v1::FIRST_N, 0, 128, true), {MakeTarget(1, v1::ATTENTION, v1::ZERO)}), ctx);
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_FALSE(nlohmann::json::parse(FindMetric(*fresh, "perplexity")->detail_json())["baseline_from_cache"]);
  EXPECT_NEAR(Value(*fresh, "kl_mean"), Value(abl, "kl_mean"), 1e-6);
  EXPECT_EQ(Value(*fresh, "top1_agreement"), Value(abl, "top1_agreement"));
}

TEST_F(EvaluatorTest, Bfloat16CheckpointIsASeparateCacheEntry) {
  const v1::JobResult f32 = MustRun(JobFor(dir_, Perplexity(v1::FIRST_N, 0, 96, false)));
  v1::Job job = JobFor(dir_, Perplexity(v1::FIRST_N, 0, 96, false));
  job.mutable_spec()->mutable_model()->set_dtype(v1::BFLOAT16);
  const v1::JobResult bf16 = MustRun(job);
  EXPECT_NEAR(Value(bf16, "nll_mean"), Value(f32, "nll_mean"), 0.05 * Value(f32, "nll_mean"));
  EXPECT_EQ(evaluator_->LoadedModels().size(), 2u);  // (path, float32) and (path, bfloat16)
}

// num_threads (ablate run / ablate-worker --threads) reaches the thread policy
// per job: fp32 runs LibTorch on one thread (OpenBLAS gets them), bf16 on all.
TEST_F(EvaluatorTest, ThreadsOptionReachesThePolicyPerDtype) {
  LmEvaluatorOptions options;
  options.device = "cpu";
  options.num_threads = 2;
  auto ev = CreateLmEvaluator(options);
  ASSERT_TRUE(ev.ok()) << ev.status();
  RecordingContext ctx;
  v1::Job job = JobFor(dir_, Perplexity(v1::FIRST_N, 0, 32, false));
  job.mutable_spec()->mutable_model()->set_dtype(v1::BFLOAT16);
  ASSERT_TRUE((*ev)->Evaluate(job, ctx).ok());
  EXPECT_EQ(at::get_num_threads(), 2);
  job.mutable_spec()->mutable_model()->set_dtype(v1::FLOAT32);
  ASSERT_TRUE((*ev)->Evaluate(job, ctx).ok());
  EXPECT_EQ(at::get_num_threads(), 1);
  options.num_threads = -1;
  EXPECT_EQ(CreateLmEvaluator(options).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(EvaluatorTest, FirstNClamp) {
  v1::EvaluationSpec e = Perplexity(v1::FIRST_N, 0, 64, false);
  e.mutable_perplexity()->set_clamp(0.5);
  const v1::JobResult r = MustRun(JobFor(dir_, e));
  EXPECT_GT(Value(r, "nll_mean"), 0.5);  // a random model is far above 0.5 nats
  EXPECT_NEAR(Value(r, "perplexity"), std::exp(0.5), 1e-12);
  EXPECT_EQ(r.tokens_evaluated(), 63);
}

TEST_F(EvaluatorTest, SameNumbersAtBatchOneAndEight) {
  for (bool drift : {false, true}) {
    const v1::JobResult b1 =
        MustRun(JobFor(dir_, Perplexity(v1::SLIDING, 48, 300, drift, 1), {MakeTarget(2, v1::MLP, v1::ZERO)}));
    const v1::JobResult b8 =
        MustRun(JobFor(dir_, Perplexity(v1::SLIDING, 48, 300, drift, 8), {MakeTarget(2, v1::MLP, v1::ZERO)}));
    EXPECT_NEAR(Value(b1, "nll_mean"), Value(b8, "nll_mean"), 1e-6);
    if (drift) {
      EXPECT_NEAR(Value(b1, "kl_mean"), Value(b8, "kl_mean"), 1e-6);
      EXPECT_EQ(Value(b1, "top1_agreement"), Value(b8, "top1_agreement"));
    }
  }
}

TEST_F(EvaluatorTest, UnknownLayerIsAClearError) {
  RecordingContext ctx;
  auto r = evaluator_->Evaluate(
      JobFor(dir_, Perplexity(v1::ROLLING, 64, 64, false), {MakeTarget(99, v1::ATTENTION, v1::ZERO)}), ctx);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("layer 99"));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("out of range"));
}

TEST_F(EvaluatorTest, MissingDatasetAndBadDeviceAreErrors) {
  v1::EvaluationSpec e = Perplexity(v1::ROLLING, 64, 64, false);
  e.mutable_perplexity()->set_dataset("/nonexistent/wiki.raw");
  RecordingContext ctx;
  auto r = evaluator_->Evaluate(JobFor(dir_, e), ctx);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("/nonexistent/wiki.raw"));
  EXPECT_EQ(CreateLmEvaluator({.device = "tpu:0"}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(EvaluatorTest, CancelledJobReturnsCancelled) {
  RecordingContext ctx;
  ctx.Cancel();
  auto r = evaluator_->Evaluate(JobFor(dir_, Perplexity(v1::ROLLING, 32, 256, false)), ctx);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kCancelled);
}

TEST_F(EvaluatorTest, ProgressIsReported) {
  RecordingContext ctx;
  auto r = evaluator_->Evaluate(JobFor(dir_, Perplexity(v1::ROLLING, 32, 256, false)), ctx);
  ASSERT_TRUE(r.ok()) << r.status();
  const auto f = ctx.fractions();
  ASSERT_GE(f.size(), 3u);
  EXPECT_EQ(f.back(), 1.0);
  for (size_t i = 1; i < f.size(); ++i) EXPECT_GE(f[i], f[i - 1]);
}

// A token id beyond the model's vocabulary makes LibTorch throw inside the
// forward pass; the evaluator turns it into a failed attempt with the message.
TEST_F(EvaluatorTest, LibTorchExceptionBecomesFailedAttempt) {
  namespace fs = std::filesystem;
  const fs::path dir = MakeCheckpoint("qwen2-tiny-tied", "_bigid");
  auto tok = nlohmann::json::parse(std::ifstream(dir / "tokenizer.json"));
  tok["added_tokens"].push_back({{"id", 600},
                                 {"content", "<|big|>"},
                                 {"single_word", false},
                                 {"lstrip", false},
                                 {"rstrip", false},
                                 {"normalized", false},
                                 {"special", true}});
  std::ofstream(dir / "tokenizer.json") << tok.dump();
  const fs::path corpus = dir / "corpus.txt";
  std::ofstream(corpus) << "hello <|big|> world, and some more text to score";
  v1::EvaluationSpec e = Perplexity(v1::ROLLING, 16, 0, false);
  e.mutable_perplexity()->set_dataset(corpus.string());
  RecordingContext ctx;
  auto r = evaluator_->Evaluate(JobFor(dir.string(), e), ctx);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInternal) << r.status();
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("libtorch error"));
}

struct FamilyCase {
  std::string golden;
  v1::Component component;  // a component layer 0 has
};

class FamilyPerplexityTest : public ::testing::TestWithParam<FamilyCase> {};

// Every family: rolling perplexity with drift, baseline vs one ablated branch.
TEST_P(FamilyPerplexityTest, BaselineHasNoDriftAndAblationDrifts) {
  ABLATE_REQUIRE_SHARED("golden/" + GetParam().golden);
  ABLATE_REQUIRE_SHARED(kWiki);
  const std::string dir = MakeCheckpoint(GetParam().golden);
  auto ev = CreateLmEvaluator({.device = "cpu"});
  ASSERT_TRUE(ev.ok());
  RecordingContext ctx;
  auto base = (*ev)->Evaluate(JobFor(dir, Perplexity(v1::ROLLING, 48, 150, true, 4)), ctx);
  ASSERT_TRUE(base.ok()) << base.status();
  auto abl = (*ev)->Evaluate(
      JobFor(dir, Perplexity(v1::ROLLING, 48, 150, true, 4), {MakeTarget(0, GetParam().component, v1::ZERO)}), ctx);
  ASSERT_TRUE(abl.ok()) << abl.status();
  EXPECT_EQ(FindMetric(*base, "kl_mean")->value(), 0.0);
  EXPECT_EQ(FindMetric(*base, "top1_agreement")->value(), 1.0);
  EXPECT_GT(FindMetric(*abl, "kl_mean")->value(), 1e-5);
  EXPECT_NE(FindMetric(*abl, "perplexity")->value(), FindMetric(*base, "perplexity")->value());
  EXPECT_EQ(base->tokens_evaluated(), 150);
}

INSTANTIATE_TEST_SUITE_P(Golden, FamilyPerplexityTest,
                         ::testing::Values(FamilyCase{"qwen2-tiny-tied", v1::ATTENTION},
                                           FamilyCase{"qwen3_5-tiny-lllf", v1::LINEAR_ATTENTION},
                                           FamilyCase{"falcon_h1-tiny-g1", v1::SSM}),
                         [](const auto& info) {
                           std::string n = info.param.golden;
                           for (char& c : n)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

class DiagnosticsTest : public ::testing::TestWithParam<std::string> {};

TEST_P(DiagnosticsTest, PerLayerMetricsAndFinalLensIsExact) {
  ABLATE_REQUIRE_SHARED("golden/" + GetParam());
  ABLATE_REQUIRE_SHARED(kWiki);
  const std::string dir = MakeCheckpoint(GetParam());
  auto ev = CreateLmEvaluator({.device = "cpu"});
  ASSERT_TRUE(ev.ok());
  v1::EvaluationSpec e;
  e.mutable_diagnostics()->set_dataset(SharedPath(kWiki));
  e.mutable_diagnostics()->set_num_tokens(40);
  RecordingContext ctx;
  auto r = (*ev)->Evaluate(JobFor(dir, e), ctx);
  ASSERT_TRUE(r.ok()) << r.status();
  const v1::Metric* layers = FindMetric(*r, "diag/layers");
  ASSERT_NE(layers, nullptr);
  EXPECT_EQ(layers->value(), 4.0);
  const auto j = nlohmann::json::parse(layers->detail_json());
  ASSERT_EQ(j["layers"].size(), 4u);
  // The logit lens of the last layer (with the final norm) is the model's output.
  EXPECT_NEAR(j["layers"][3]["lens_kl"].get<double>(), 0.0, 1e-5);
  EXPECT_GT(j["layers"][0]["lens_kl"].get<double>(), 1e-4);
  EXPECT_GT(j["layers"][0]["norm_ratio"].get<double>(), 0.0);
  EXPECT_FALSE(j["layers"][0]["branch_ratio"].empty());
  EXPECT_NE(FindMetric(*r, "diag/branch_ratio/mlp"), nullptr);
  EXPECT_EQ(r->tokens_evaluated(), 40);
}

INSTANTIATE_TEST_SUITE_P(Golden, DiagnosticsTest,
                         ::testing::Values("qwen2-tiny-tied", "qwen3_5-tiny-lllf", "falcon_h1-tiny-g1"));

}  // namespace
}  // namespace ablate::eval
