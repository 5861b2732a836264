// bpe_trainer.cc: `ablate train`'s tokenizer files around the one BPE trainer
// (worker/text/bpe_trainer.h).
#include "worker/train/bpe_trainer.h"

#include <cstdint>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "worker/text/bpe_trainer.h"

namespace ablate::train {
namespace {

using json = nlohmann::ordered_json;

json ByteLevelJson() {
  return json{{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", false}, {"use_regex", false}};
}

}  // namespace

json BpePreTokenizerJson() {
  json split = {{"type", "Split"},
                {"pattern", {{"Regex", std::string(text::kQwen2SplitPattern)}}},
                {"behavior", "Isolated"},
                {"invert", false}};
  return json{{"type", "Sequence"}, {"pretokenizers", json::array({split, ByteLevelJson()})}};
}

absl::StatusOr<BpeTrainResult> TrainByteLevelBpe(absl::string_view corpus, const BpeTrainOptions& options) {
  const int64_t specials = static_cast<int64_t>(options.special_tokens.size());
  if (options.vocab_size < 256 + specials || options.vocab_size > std::numeric_limits<int32_t>::max())
    return absl::InvalidArgumentError(
        absl::StrCat("bpe vocab_size must be >= ", 256 + specials, " and fit 32 bits, got ", options.vocab_size));
  if (options.min_frequency < 1)
    return absl::InvalidArgumentError(absl::StrCat("bpe min_frequency must be >= 1, got ", options.min_frequency));

  // The one trainer (worker/text), with Qwen2's pre-tokenizer regex and no normalizer.
  text::BpeTrainerOptions o;
  o.vocab_size = static_cast<int32_t>(options.vocab_size);
  o.special_tokens = options.special_tokens;
  o.min_frequency = options.min_frequency;
  o.split_regex = std::string(text::kQwen2SplitPattern);
  o.nfc = false;
  ASSIGN_OR_RETURN(text::ByteLevelBpe bpe, text::TrainByteLevelBpe(corpus, o));
  ASSIGN_OR_RETURN(std::string tokenizer_text, text::ByteLevelBpeTokenizerJson(bpe));

  BpeTrainResult r;
  r.num_merges = static_cast<int64_t>(bpe.merges.size());
  r.num_words = bpe.num_words;
  r.tokenizer_json = json::parse(tokenizer_text);
  json added_decoder = json::object();
  int64_t next_id = static_cast<int64_t>(bpe.vocab.size());
  for (const std::string& s : options.special_tokens) {
    added_decoder[std::to_string(next_id)] = {{"content", s},    {"single_word", false}, {"lstrip", false},
                                              {"rstrip", false}, {"normalized", false},  {"special", true}};
    ++next_id;
  }
  r.vocab_size = next_id;
  json eos = options.special_tokens.empty() ? json(nullptr) : json(options.special_tokens.front());
  r.tokenizer_config_json = json{{"add_prefix_space", false},
                                 {"added_tokens_decoder", added_decoder},
                                 {"bos_token", nullptr},
                                 {"clean_up_tokenization_spaces", false},
                                 {"eos_token", eos},
                                 {"model_max_length", 131072},
                                 {"pad_token", eos},
                                 {"split_special_tokens", false},
                                 {"tokenizer_class", "Qwen2Tokenizer"},
                                 {"unk_token", nullptr}};
  return r;
}

}  // namespace ablate::train
