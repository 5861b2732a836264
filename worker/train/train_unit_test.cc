// train_unit_test.cc: the trainer's torch-free pieces: fortune splitting and
// the held-out rule, the BPE trainer (its tokenizer.json loads in
// ablate_text and round-trips), the LR schedule, HF config writing
// (parsed back by common/model_config.h), YAML options.
#include <cmath>
#include <filesystem>
#include <fstream>

#include "common/model_config.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "worker/text/tokenizer.h"
#include "worker/train/bpe_trainer.h"
#include "worker/train/corpus.h"
#include "worker/train/hf_config.h"
#include "worker/train/lr_schedule.h"
#include "worker/train/progress.h"
#include "worker/train/train_config.h"

#define TRAIN_CONCAT_(a, b) a##b
#define TRAIN_CONCAT(a, b) TRAIN_CONCAT_(a, b)
#define ASSERT_OK_AND_ASSIGN(lhs, expr) ASSERT_OK_AND_ASSIGN_IMPL(TRAIN_CONCAT(_sor, __LINE__), lhs, expr)
#define ASSERT_OK_AND_ASSIGN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  ASSERT_OK(tmp);                                 \
  lhs = std::move(*tmp)

namespace ablate::train {
namespace {

namespace fs = std::filesystem;
using ::ablate::testing::StatusIs;
using ::testing::_;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(CorpusTest, SplitsAtPercentLinesAndCleans) {
  EXPECT_THAT(SplitFortunes("one  \nline\n%\n\n%\n\n  two\n\n%\nthree"), ElementsAre("one\nline", "  two", "three"));
  EXPECT_EQ(JoinEntries({"a", "b\nc"}), "a\n\nb\nc\n");
  EXPECT_EQ(JoinEntries({}), "");
  EXPECT_EQ(JoinEntryPrefix({"aaaa", "bbbb", "cccc"}, 11), "aaaa\n\nbbbb\n");
  EXPECT_EQ(JoinEntryPrefix({"aaaa", "bbbb"}, 2), "aaaa\n");
}

TEST(CorpusTest, ReadsDatabasesInNameOrderWithHeldOutRule) {
  fs::path dir = fs::temp_directory_path() / ("ablate_corpus_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  auto write = [&](const std::string& name, const std::string& text) { std::ofstream(dir / name) << text; };
  write("b", "e3\n%\ne4\n%\ne5\n");
  write("b.dat", "");
  write("a", "e0\n%\ne1\n%\ne2\n");
  write("a.dat", "");
  write("a.u8", "ignored");
  write("c", "not a database (no c.dat)");
  ASSERT_OK_AND_ASSIGN(FortuneCorpus c, ReadFortuneCorpus(dir.string(), {.heldout_every = 3}));
  EXPECT_THAT(c.files, ElementsAre("a", "b"));
  EXPECT_EQ(c.num_entries, 6);
  EXPECT_EQ(c.heldout_text, "e2\n\ne5\n");
  EXPECT_EQ(c.train_text, "e0\n\ne1\n\ne3\n\ne4\n");
  EXPECT_EQ(c.all_sha256.size(), 64u);
  write("bad", "\xff\xfe");
  write("bad.dat", "");
  EXPECT_THAT(ReadFortuneCorpus(dir.string(), {}), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bad")));
  EXPECT_THAT(ReadFortuneCorpus((dir / "nope").string(), {}), StatusIs(absl::StatusCode::kNotFound, _));
  fs::remove_all(dir);
}

TEST(BpeTrainerTest, WritesATokenizerThatLoadsAndRoundTrips) {
  std::string text;
  for (int i = 0; i < 50; ++i) text += "the cat sat on the mat. The dog sat on the log!\n\n";
  ASSERT_OK_AND_ASSIGN(BpeTrainResult r, TrainByteLevelBpe(text, {.vocab_size = 300}));
  // This tiny text runs out of pairs seen twice before 300 ids: training stops there.
  EXPECT_LE(r.vocab_size, 300);
  EXPECT_GT(r.num_merges, 10);
  EXPECT_EQ(r.vocab_size, 256 + r.num_merges + 1);
  const int32_t eos = static_cast<int32_t>(r.vocab_size - 1);
  ASSERT_OK_AND_ASSIGN(auto tok, text::Tokenizer::FromHfJson(r.tokenizer_json.dump(), "trained"));
  EXPECT_EQ(tok->vocab_size(), r.vocab_size);
  EXPECT_EQ(tok->token_to_id("<|endoftext|>"), eos);
  ASSERT_OK_AND_ASSIGN(std::vector<int32_t> ids, tok->Encode(" the mat"));
  EXPECT_LE(ids.size(), 2u);  // frequent words became single tokens
  const std::string probe = "Unseen wörds ✓ and \t tabs\n<|endoftext|>";
  ASSERT_OK_AND_ASSIGN(ids, tok->Encode(probe));
  EXPECT_EQ(ids.back(), eos);
  ASSERT_OK_AND_ASSIGN(std::string back, tok->Decode(ids));
  EXPECT_EQ(back, probe);
  // Deterministic.
  ASSERT_OK_AND_ASSIGN(BpeTrainResult again, TrainByteLevelBpe(text, {.vocab_size = 300}));
  EXPECT_EQ(again.tokenizer_json.dump(), r.tokenizer_json.dump());
  EXPECT_THAT(TrainByteLevelBpe(text, {.vocab_size = 100}), StatusIs(absl::StatusCode::kInvalidArgument, _));
}

TEST(LrScheduleTest, WarmupThenCosineToFloor) {
  WarmupCosine s{.peak_lr = 1.0, .warmup_steps = 10, .total_steps = 110, .min_lr_ratio = 0.1};
  EXPECT_DOUBLE_EQ(s.At(0), 0.1);
  EXPECT_DOUBLE_EQ(s.At(9), 1.0);
  EXPECT_DOUBLE_EQ(s.At(10), 1.0);
  EXPECT_NEAR(s.At(10 + 99 / 2.0), 0.55, 0.01);
  EXPECT_DOUBLE_EQ(s.At(109), 0.1);
  EXPECT_DOUBLE_EQ(s.At(500), 0.1);
  for (int i = 11; i < 110; ++i) EXPECT_LE(s.At(i), s.At(i - 1));
}

TEST(HfConfigTest, EveryFamilyParsesBack) {
  for (const char* type : {"qwen2", "qwen3_5_text", "falcon_h1"}) {
    nlohmann::json v = {{"model_type", type},      {"vocab_size", 300},      {"hidden_size", 32},
                        {"intermediate_size", 64}, {"num_hidden_layers", 4}, {"num_attention_heads", 4},
                        {"num_key_value_heads", 2}};
    if (std::string(type) == "falcon_h1") v["mamba_n_heads"] = 2;
    ASSERT_OK_AND_ASSIGN(nlohmann::ordered_json cfg, MakeHfConfig(v, "test"));
    EXPECT_EQ(cfg.begin().key(), "architectures");
    if (std::string(type) == "falcon_h1") cfg["time_step_limit"] = {0.0, 1e300};  // dump() writes inf as null
    ASSERT_OK_AND_ASSIGN(ModelConfig mc, ParseModelConfig(nlohmann::json::parse(cfg.dump()), type));
    EXPECT_EQ(mc.num_layers, 4);
    EXPECT_EQ(mc.vocab_size, 300);
    if (std::string(type) == "qwen3_5_text") {
      EXPECT_EQ(mc.layer_kinds[3], LayerKind::kFullAttention);
      EXPECT_EQ(mc.layer_kinds[0], LayerKind::kLinearAttention);
    }
  }
  EXPECT_THAT(MakeHfConfig({{"model_type", "qwen2"}, {"hidden_sise", 3}}, "m"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("m.hidden_sise")));
  EXPECT_THAT(MakeHfConfig({{"model_type", "gpt2"}}, "m"), StatusIs(absl::StatusCode::kInvalidArgument, _));
  EXPECT_THAT(MakeHfConfig({{"model_type", "falcon_h1"}, {"hidden_size", 32}, {"mamba_n_heads", 5}}, "m"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("m.mamba_n_heads")));
  EXPECT_THAT(MakeHfConfig({{"model_type", "qwen2"}, {"hidden_size", "big"}}, "m"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("hidden_size")));
}

TEST(TrainConfigTest, YamlAppliesAndRejectsUnknownKeys) {
  ASSERT_OK_AND_ASSIGN(nlohmann::json j, YamlToJson("steps: 7\nlr: 1.0e-3\nmodel: {model_type: qwen2}\n", "t.yaml"));
  TrainOptions o;
  ASSERT_OK(ApplyTrainJson(j, "t.yaml", &o));
  EXPECT_EQ(o.steps, 7);
  EXPECT_DOUBLE_EQ(o.lr, 1e-3);
  EXPECT_EQ(o.model["model_type"], "qwen2");
  ASSERT_OK_AND_ASSIGN(j, YamlToJson("stepz: 7\n", "t.yaml"));
  EXPECT_THAT(ApplyTrainJson(j, "t.yaml", &o), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("stepz")));
  ASSERT_OK_AND_ASSIGN(j, YamlToJson("steps: many\n", "t.yaml"));
  EXPECT_THAT(ApplyTrainJson(j, "t.yaml", &o), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("steps")));
  EXPECT_THAT(YamlToJson("a: [1, 2\n", "t.yaml"), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("t.yaml:")));
}

TEST(ProgressTest, FormatsDurations) {
  EXPECT_EQ(FormatDuration(5), "5s");
  EXPECT_EQ(FormatDuration(125), "2m05s");
  EXPECT_EQ(FormatDuration(3725), "1h02m");
  EXPECT_EQ(FormatDuration(NAN), "?");
}

}  // namespace
}  // namespace ablate::train
