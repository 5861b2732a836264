// train_e2e_test.cc: `ablate train`'s library end to end on a tiny generated
// fortune corpus: for each family a few steps of a tiny model, then the
// written checkpoint is reloaded through LoadCausalLM + the tokenizer library
// and must reproduce the trainer's final held-out loss bit for bit. The
// qwen2 run also has to lower the held-out loss clearly. ~10-20 s on 1 core.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/model_config.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "worker/models/causal_lm.h"
#include "worker/text/tokenizer.h"
#include "worker/train/corpus.h"
#include "worker/train/trainer.h"

namespace ablate::train {
namespace {

namespace fs = std::filesystem;

class TrainE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("ablate_train_e2e_" + std::to_string(::getpid()));
    fs::create_directories(root_ / "corpus");
    // Two small "databases" of templated sentences: learnable structure.
    const char* animals[] = {"cat", "dog", "owl", "fox", "bee", "cow"};
    const char* places[] = {"mat", "log", "hill", "barn", "tree"};
    for (int f = 0; f < 2; ++f) {
      std::ofstream out(root_ / "corpus" / (f == 0 ? "alpha" : "beta"));
      for (int i = 0; i < 120; ++i) {
        out << "The " << animals[(i + f) % 6] << " sat on the " << places[i % 5] << ".\n";
        out << "A " << animals[(i * 7) % 6] << " is not a " << places[(i * 3) % 5] << "!\n%\n";
      }
      std::ofstream(root_ / "corpus" / (f == 0 ? "alpha.dat" : "beta.dat"));
    }
  }
  void TearDown() override { fs::remove_all(root_); }

  TrainOptions Options(const nlohmann::json& model, const std::string& name, int64_t steps) {
    TrainOptions o;
    o.model = model;
    o.corpus_dir = (root_ / "corpus").string();
    o.heldout_every = 10;
    o.bpe_vocab_size = 300;
    o.steps = steps;
    o.batch_size = 8;
    o.seq_len = 32;
    o.lr = 1e-2;
    o.warmup_steps = 4;
    o.eval_every = 10;
    o.eval_max_tokens = 512;
    o.seed = 7;
    o.threads = 1;
    o.progress_tty = false;
    o.render_png = false;
    o.out_dir = (root_ / name).string();
    return o;
  }

  // Reloads the checkpoint and recomputes the final held-out loss from files only.
  void ExpectBitExactReload(const TrainOptions& o, const TrainReport& r) {
    auto lm = models::LoadCausalLM(o.out_dir);
    ASSERT_OK(lm);
    auto tok = text::Tokenizer::FromFile(o.out_dir + "/tokenizer.json");
    ASSERT_OK(tok);
    EXPECT_EQ((*tok)->eos_id().value_or(-1), (*lm)->config().eos_token_id);
    auto corpus = ReadFortuneCorpus(o.corpus_dir, {.heldout_every = o.heldout_every});
    ASSERT_OK(corpus);
    auto ids32 = (*tok)->Encode(corpus->heldout_text);
    ASSERT_OK(ids32);
    std::vector<int64_t> ids(ids32->begin(), ids32->end());
    HeldOutLoss again = EvaluateHeldOut(**lm, ids, o.seq_len, static_cast<int64_t>(ids.size()), o.eval_batch_size);
    EXPECT_EQ(again.tokens, r.heldout_tokens);
    EXPECT_EQ(again.loss, r.final_eval_loss) << "reloaded checkpoint differs from the trained model";
    for (const char* f : {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
                          "loss_curve.csv", "MODEL_CARD.md", "train_report.json"})
      EXPECT_TRUE(fs::exists(fs::path(o.out_dir) / f)) << f;
  }

  fs::path root_;
};

TEST_F(TrainE2eTest, Qwen2LossDecreasesAndReloadIsBitExact) {
  TrainOptions o = Options({{"model_type", "qwen2"},
                            {"hidden_size", 32},
                            {"intermediate_size", 64},
                            {"num_hidden_layers", 2},
                            {"num_attention_heads", 2},
                            {"num_key_value_heads", 1},
                            {"tie_word_embeddings", true}},
                           "qwen2", 40);
  std::ostringstream log;
  auto r = Train(o, log);
  ASSERT_OK(r) << log.str();
  EXPECT_LT(r->final_eval_loss, r->initial_eval_loss - 1.0) << log.str();
  EXPECT_LT(r->final_eval_loss, r->unigram_eval_loss) << log.str();
  EXPECT_LT(*r->curve.back().train_loss, *r->curve[1].train_loss);
  EXPECT_EQ(r->curve.size(), 41u);
  ExpectBitExactReload(o, *r);

  // Same seed, same options: the same numbers.
  o.out_dir += "-again";
  std::ostringstream log2;
  auto r2 = Train(o, log2);
  ASSERT_OK(r2);
  EXPECT_EQ(r2->final_eval_loss, r->final_eval_loss);
}

TEST_F(TrainE2eTest, Qwen35HybridReloadIsBitExact) {
  TrainOptions o = Options({{"model_type", "qwen3_5_text"},
                            {"hidden_size", 32},
                            {"intermediate_size", 64},
                            {"num_hidden_layers", 4},
                            {"num_attention_heads", 2},
                            {"num_key_value_heads", 1},
                            {"head_dim", 16},
                            {"linear_num_key_heads", 1},
                            {"linear_num_value_heads", 2},
                            {"linear_key_head_dim", 16},
                            {"linear_value_head_dim", 16},
                            {"rope_parameters", {{"mrope_section", {1, 1, 0}}}},
                            {"tie_word_embeddings", true}},
                           "qwen35", 6);
  std::ostringstream log;
  auto r = Train(o, log);
  ASSERT_OK(r) << log.str();
  EXPECT_LT(r->final_eval_loss, r->initial_eval_loss);
  ExpectBitExactReload(o, *r);
}

TEST_F(TrainE2eTest, FalconH1ReloadIsBitExact) {
  TrainOptions o = Options({{"model_type", "falcon_h1"},
                            {"hidden_size", 32},
                            {"intermediate_size", 64},
                            {"num_hidden_layers", 2},
                            {"num_attention_heads", 2},
                            {"num_key_value_heads", 1},
                            {"mamba_d_ssm", 32},
                            {"mamba_n_heads", 2},
                            {"mamba_d_head", 16},
                            {"mamba_d_state", 8},
                            {"mamba_chunk_size", 16},
                            {"mamba_rms_norm", true},
                            {"embedding_multiplier", 2.0},
                            {"lm_head_multiplier", 0.5},
                            {"key_multiplier", 0.7},
                            {"ssm_out_multiplier", 0.6},
                            {"ssm_multipliers", {0.5, 0.6, 0.7, 0.8, 0.9}},
                            {"mlp_multipliers", {0.9, 0.8}}},
                           "falcon", 6);
  std::ostringstream log;
  auto r = Train(o, log);
  ASSERT_OK(r) << log.str();
  EXPECT_LT(r->final_eval_loss, r->initial_eval_loss);
  ExpectBitExactReload(o, *r);
  // config.json keeps Infinity in time_step_limit, as HF writes it.
  std::ifstream f(o.out_dir + "/config.json");
  std::stringstream text;
  text << f.rdbuf();
  EXPECT_NE(text.str().find("Infinity"), std::string::npos);
  EXPECT_OK(LoadModelConfig(o.out_dir).status());
}

TEST_F(TrainE2eTest, BadOptionsNameTheField) {
  TrainOptions o = Options({{"model_type", "qwen2"}, {"hidden_sise", 32}}, "bad", 1);
  std::ostringstream log;
  auto r = Train(o, log);
  EXPECT_THAT(r, ::ablate::testing::StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("hidden_sise")));
  o = Options({{"model_type", "qwen2"}}, "bad", 0);
  EXPECT_THAT(Train(o, log),
              ::ablate::testing::StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("steps")));
}

}  // namespace
}  // namespace ablate::train
