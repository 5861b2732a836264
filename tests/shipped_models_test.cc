// shipped_models_test.cc: the three reference models under examples/models/
// say what they are. From their files alone (and the Debian fortune corpus they
// were trained on) each one reloads and reproduces its card: the held-out
// cross-entropy of train_report.json (printed to 4 decimals in MODEL_CARD.md),
// the number of held-out tokens, the parameter count; and `ablate model
// describe` prints the same family, parameter count and layers.
//
// The loss check is skipped (not failed) when /usr/share/games/fortunes is
// absent or is another version than the card's (its held-out text's sha256
// differs): the numbers are only comparable on the same text.
#include <ATen/Parallel.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "common/lenient_json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"
#include "worker/models/causal_lm.h"
#include "worker/text/tokenizer.h"
#include "worker/train/corpus.h"
#include "worker/train/trainer.h"

namespace ablate::train {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class ShippedModelTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::string Dir() const { return absl::StrCat(ABLATE_SOURCE_DIR, "/examples/models/", GetParam()); }
  nlohmann::json Report() const { return nlohmann::json::parse(ReadFile(Dir() + "/train_report.json")); }
};

TEST_P(ShippedModelTest, ReloadsAndReproducesTheCardsHeldOutLoss) {
  const nlohmann::json report = Report();
  const nlohmann::json& options = report.at("options");
  const std::string corpus_dir = options.at("corpus_dir").get<std::string>();
  if (!fs::exists(corpus_dir)) GTEST_SKIP() << corpus_dir << " is not installed (scripts/setup.sh)";
  auto corpus = ReadFortuneCorpus(corpus_dir, {.heldout_every = options.at("heldout_every").get<int64_t>()});
  ASSERT_OK(corpus.status());
  if (corpus->heldout_sha256 != report.at("corpus").at("heldout_sha256").get<std::string>())
    GTEST_SKIP() << "the installed fortunes are not " << report.at("corpus").at("provenance");

  at::set_num_threads(static_cast<int>(options.at("threads").get<int64_t>()));
  auto lm = models::LoadCausalLM(Dir());
  ASSERT_OK(lm.status());
  EXPECT_EQ((*lm)->parameter_count(), report.at("parameters").get<int64_t>());
  EXPECT_EQ((*lm)->config().model_type, report.at("model_type").get<std::string>());

  auto tok = text::Tokenizer::FromFile(Dir() + "/tokenizer.json");
  ASSERT_OK(tok.status());
  auto ids32 = (*tok)->Encode(corpus->heldout_text);
  ASSERT_OK(ids32.status());
  const std::vector<int64_t> ids(ids32->begin(), ids32->end());
  EXPECT_EQ(static_cast<int64_t>(ids.size()), report.at("corpus").at("heldout_tokens").get<int64_t>());

  const HeldOutLoss loss =
      EvaluateHeldOut(**lm, ids, options.at("seq_len").get<int64_t>(),
                      options.at("final_eval_max_tokens").get<int64_t>(), options.at("eval_batch_size").get<int64_t>());
  EXPECT_EQ(loss.tokens, report.at("heldout_tokens_scored").get<int64_t>());
  // The same LibTorch build and thread count reproduce it bit for bit; another
  // CPU's float32 kernels may round differently in the last places.
  EXPECT_NEAR(loss.loss, report.at("final_eval_loss").get<double>(), 1e-6);
  const std::string card = ReadFile(Dir() + "/MODEL_CARD.md");
  EXPECT_THAT(card, HasSubstr(absl::StrFormat("| **this model** | **%.4f** |", loss.loss)));
  EXPECT_THAT(card, HasSubstr(absl::StrFormat("| parameters | %d |", (*lm)->parameter_count())));
}

// `ablate model describe` on the shipped directory: exit 0, the family from the
// vocabulary, the card's parameter count, one row per layer, every tensor found.
TEST_P(ShippedModelTest, ModelDescribeMatchesTheCard) {
  const nlohmann::json report = Report();
  // config.json may hold Infinity (Falcon-H1's time_step_limit), as HF writes it.
  auto config_or = ParseLenientJson(ReadFile(Dir() + "/config.json"), "config.json");
  ASSERT_OK(config_or.status());
  const nlohmann::json& config = *config_or;
  const std::string log = absl::StrCat(::testing::TempDir(), "/describe-", GetParam(), ".log");
  fs::remove(log);
  auto p =
      testing::Subprocess::Start({absl::StrCat(ABLATE_BINARY_DIR, "/cli/ablate"), "model", "describe", Dir()}, log);
  ASSERT_OK(p.status());
  const std::optional<int> code = (*p)->Wait(absl::Seconds(60));
  const std::string out = (*p)->Log();
  ASSERT_EQ(code, 0) << out;
  const std::string model_type = config.at("model_type").get<std::string>();
  const std::string family = model_type == "qwen3_5_text" ? "qwen3_5" : model_type;
  EXPECT_THAT(out, HasSubstr(absl::StrCat("family      ", family, " (model_type ", model_type, ")")));
  EXPECT_THAT(out, HasSubstr(absl::StrCat("parameters  ", report.at("parameters").get<int64_t>(), " ")));
  EXPECT_THAT(out, HasSubstr(" tensors\n"));
  const int64_t layers = config.at("num_hidden_layers").get<int64_t>();
  EXPECT_THAT(out, HasSubstr(absl::StrCat("\n", layers - 1, " ")));
  EXPECT_THAT(out, ::testing::Not(HasSubstr(absl::StrCat("\n", layers, " "))));
}

TEST(ModelDescribeTest, MissingDirectoryIsOneLineAndExitOne) {
  const std::string log = absl::StrCat(::testing::TempDir(), "/describe-missing.log");
  fs::remove(log);
  auto p = testing::Subprocess::Start(
      {absl::StrCat(ABLATE_BINARY_DIR, "/cli/ablate"), "model", "describe", "/nonexistent/model"}, log);
  ASSERT_OK(p.status());
  const std::optional<int> code = (*p)->Wait(absl::Seconds(60));
  const std::string out = (*p)->Log();
  EXPECT_EQ(code, 1) << out;  // NotFound: not bad input (docs/cli.md)
  EXPECT_THAT(out, HasSubstr("ablate: "));
  EXPECT_THAT(out, HasSubstr("/nonexistent/model"));
}

INSTANTIATE_TEST_SUITE_P(Models, ShippedModelTest,
                         ::testing::Values("qwen2-fortunes", "qwen3_5-fortunes", "falcon_h1-fortunes"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string n = info.param;
                           for (char& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

}  // namespace
}  // namespace ablate::train
