// bpe_trainer_test.cc: training a byte-level BPE, writing its tokenizer.json
// and loading it back with Tokenizer::FromFile.
#include "worker/text/bpe_trainer.h"

#include <algorithm>
#include <filesystem>

#include "common/lenient_json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/shared_data.h"
#include "tests/testing/status_matchers.h"
#include "worker/text/tokenizer.h"

namespace ablate::text {
namespace {

using ::ablate::testing::IsOkAndHolds;
using ::ablate::testing::SharedPath;
using ::ablate::testing::StatusIs;
using ::testing::HasSubstr;

std::string TempDir(const std::string& name) {
  const auto dir = std::filesystem::path(::testing::TempDir()) / name;
  std::filesystem::create_directories(dir);
  return dir.string();
}

TEST(BpeTrainer, LearnsFrequentPairsDeterministically) {
  const std::string corpus = "low low low lower lowest newer newer wider\n";
  BpeTrainerOptions opt;
  opt.vocab_size = 256 + 6 + 1;
  auto a = TrainByteLevelBpe(corpus, opt);
  auto b = TrainByteLevelBpe(corpus, opt);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->merges, b->merges);
  ASSERT_EQ(a->merges.size(), 6u);
  // "Ġl"+"o" style pairs: " low" occurs 5 times as " lo..." (4 with a space).
  EXPECT_EQ(a->merges[0], (std::pair<std::string, std::string>{"l", "o"}));
  EXPECT_EQ(a->vocab.size(), 256u + 6u);
  EXPECT_EQ(a->eos_token, "<|endoftext|>");
}

TEST(BpeTrainer, WritesATokenizerThatLoadsAndRoundTrips) {
  ABLATE_REQUIRE_SHARED("data/corpora/tinyshakespeare/input.txt");
  auto text = ReadFileToString(SharedPath("data/corpora/tinyshakespeare/input.txt"));
  ASSERT_TRUE(text.ok());
  const std::string corpus = text->substr(0, 200000);
  BpeTrainerOptions opt;
  opt.vocab_size = 1024;
  opt.special_tokens = {"<|endoftext|>", "<|pad|>"};
  auto bpe = TrainByteLevelBpe(corpus, opt);
  ASSERT_TRUE(bpe.ok()) << bpe.status();
  EXPECT_EQ(bpe->vocab.size() + bpe->special_tokens.size(), 1024u);
  const std::string dir = TempDir("trained");
  ASSERT_OK(WriteByteLevelBpeTokenizerJson(dir + "/tokenizer.json", *bpe));
  auto tok = Tokenizer::FromFile(dir + "/tokenizer.json");
  ASSERT_TRUE(tok.ok()) << tok.status();
  EXPECT_EQ((*tok)->vocab_size(), 1024);
  EXPECT_EQ((*tok)->eos_id(), 1022);
  EXPECT_EQ((*tok)->token_to_id("<|pad|>"), 1023);
  auto ids = (*tok)->Encode(corpus);
  ASSERT_TRUE(ids.ok());
  EXPECT_LT(ids->size(), corpus.size() / 2);  // real compression
  for (int32_t id : *ids) ASSERT_LT(id, 1022);
  EXPECT_THAT((*tok)->Decode(*ids), IsOkAndHolds(corpus));
  // Unseen text (and specials) still round-trip.
  const std::string other = "Zwölf Boxkämpfer jagen Viktor <|endoftext|> 12345\r\n";
  auto other_ids = (*tok)->Encode(other);
  ASSERT_TRUE(other_ids.ok());
  EXPECT_EQ(std::count(other_ids->begin(), other_ids->end(), 1022), 1);
  EXPECT_THAT((*tok)->Decode(*other_ids), IsOkAndHolds(other));
  // Training words come out as the merged tokens.
  EXPECT_THAT((*tok)->Encode(" the"), IsOkAndHolds(std::vector<int32_t>{*(*tok)->token_to_id("Ġthe")}));
}

TEST(BpeTrainer, GptStyleRegexAndNfc) {
  BpeTrainerOptions opt;
  opt.vocab_size = 300;
  opt.split_regex = "";  // not allowed for training
  EXPECT_THAT(TrainByteLevelBpe("abc", opt), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("split_regex")));
  opt.split_regex = std::string(kQwen2SplitPattern);
  opt.nfc = true;
  auto bpe = TrainByteLevelBpe("cafe\xCC\x81 cafe\xCC\x81 caf\xC3\xA9", opt);
  ASSERT_TRUE(bpe.ok()) << bpe.status();
  bpe->split_regex = "";  // ByteLevel(use_regex) instead of Split
  auto json = ByteLevelBpeTokenizerJson(*bpe);
  ASSERT_TRUE(json.ok());
  auto tok = Tokenizer::FromHfJson(*json, "trained");
  ASSERT_TRUE(tok.ok()) << tok.status();
  EXPECT_EQ(*(*tok)->Encode("cafe\xCC\x81"), *(*tok)->Encode("caf\xC3\xA9"));
}

TEST(BpeTrainer, Errors) {
  BpeTrainerOptions opt;
  opt.vocab_size = 200;
  EXPECT_THAT(TrainByteLevelBpe("abc", opt), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("vocab_size 200")));
  opt.vocab_size = 300;
  opt.split_regex = "(";
  EXPECT_THAT(TrainByteLevelBpe("abc", opt), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("split_regex")));
  opt.split_regex = std::string(kQwen2SplitPattern);
  EXPECT_THAT(TrainByteLevelBpe("bad \xff", opt),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("invalid UTF-8")));
  ByteLevelBpe bpe;
  bpe.vocab = {"a", "b"};
  EXPECT_THAT(ByteLevelBpeTokenizerJson(bpe), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("byte token")));
}

}  // namespace
}  // namespace ablate::text
