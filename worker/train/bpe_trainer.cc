// bpe_trainer.cc: byte-level BPE training with incremental pair counts.
#include "worker/train/bpe_trainer.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "worker/text/byte_level.h"
#include "worker/text/pre_tokenizer.h"
#include "worker/text/utf8.h"

namespace ablate::train {
namespace {

using json = nlohmann::ordered_json;

// Qwen2's pre-tokenizer regex (tokenizer.json of Qwen2 / Qwen2.5 / Qwen3).
constexpr absl::string_view kQwen2Pattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

json ByteLevelJson() {
  return json{{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", false}, {"use_regex", false}};
}

uint64_t PairKey(int32_t a, int32_t b) { return (static_cast<uint64_t>(a) << 32) | static_cast<uint32_t>(b); }

struct Word {
  std::vector<int32_t> symbols;
  int64_t count = 0;
};

void AddPairs(const Word& w, int64_t sign, absl::flat_hash_map<uint64_t, int64_t>* pairs) {
  for (size_t i = 0; i + 1 < w.symbols.size(); ++i) {
    int64_t& c = (*pairs)[PairKey(w.symbols[i], w.symbols[i + 1])];
    c += sign * w.count;
  }
}

}  // namespace

json BpePreTokenizerJson() {
  json split = {{"type", "Split"},
                {"pattern", {{"Regex", std::string(kQwen2Pattern)}}},
                {"behavior", "Isolated"},
                {"invert", false}};
  return json{{"type", "Sequence"}, {"pretokenizers", json::array({split, ByteLevelJson()})}};
}

absl::StatusOr<BpeTrainResult> TrainByteLevelBpe(absl::string_view text, const BpeTrainOptions& options) {
  const int64_t specials = static_cast<int64_t>(options.special_tokens.size());
  if (options.vocab_size < 256 + specials)
    return absl::InvalidArgumentError(
        absl::StrCat("bpe vocab_size must be >= ", 256 + specials, ", got ", options.vocab_size));
  if (options.min_frequency < 1)
    return absl::InvalidArgumentError(absl::StrCat("bpe min_frequency must be >= 1, got ", options.min_frequency));
  RETURN_IF_ERROR(text::ValidateUtf8(text, "bpe training text"));

  // The exact pre-tokenizer the loader will build from the JSON we write.
  ASSIGN_OR_RETURN(text::PreTokenizer pre,
                   text::PreTokenizer::FromJson(nlohmann::json::parse(BpePreTokenizerJson().dump()), "bpe trainer"));
  std::vector<std::string> pieces;
  RETURN_IF_ERROR(pre.Split(text, &pieces));
  std::map<std::string, int64_t> counts;  // sorted: deterministic word order
  for (std::string& p : pieces) ++counts[std::move(p)];
  pieces.clear();

  std::vector<std::string> token_strings;  // id -> byte-level string
  absl::flat_hash_map<std::string, int32_t> token_ids;
  for (int b = 0; b < 256; ++b) {
    std::string s;
    text::AppendUtf8(text::ByteToCodePoint(static_cast<uint8_t>(b)), &s);
    token_ids.emplace(s, b);
    token_strings.push_back(std::move(s));
  }
  std::vector<Word> words;
  words.reserve(counts.size());
  for (const auto& [w, c] : counts) {
    Word word;
    word.count = c;
    for (unsigned char ch : w) word.symbols.push_back(ch);
    words.push_back(std::move(word));
  }
  absl::flat_hash_map<uint64_t, int64_t> pairs;
  for (const Word& w : words) AddPairs(w, +1, &pairs);

  std::vector<std::pair<std::string, std::string>> merges;
  const int64_t target = options.vocab_size - specials;
  while (static_cast<int64_t>(token_strings.size()) < target) {
    uint64_t best = 0;
    int64_t best_count = 0;
    for (const auto& [key, c] : pairs) {
      if (c < options.min_frequency || c < best_count) continue;
      if (c > best_count) {
        best = key, best_count = c;
        continue;
      }
      auto l = [&](uint64_t k) { return token_strings[static_cast<int32_t>(k >> 32)]; };
      auto r = [&](uint64_t k) { return token_strings[static_cast<int32_t>(k & 0xffffffffu)]; };
      if (std::make_pair(l(key), r(key)) < std::make_pair(l(best), r(best))) best = key;
    }
    if (best_count == 0) break;
    const int32_t a = static_cast<int32_t>(best >> 32), b = static_cast<int32_t>(best & 0xffffffffu);
    std::string merged = token_strings[a] + token_strings[b];
    int32_t id;
    auto it = token_ids.find(merged);
    if (it != token_ids.end()) {
      id = it->second;
    } else {
      id = static_cast<int32_t>(token_strings.size());
      token_ids.emplace(merged, id);
      token_strings.push_back(merged);
    }
    merges.emplace_back(token_strings[a], token_strings[b]);
    for (Word& w : words) {
      bool has = false;
      for (size_t i = 0; i + 1 < w.symbols.size() && !has; ++i) has = w.symbols[i] == a && w.symbols[i + 1] == b;
      if (!has) continue;
      AddPairs(w, -1, &pairs);
      std::vector<int32_t> out;
      out.reserve(w.symbols.size());
      for (size_t i = 0; i < w.symbols.size(); ++i) {
        if (i + 1 < w.symbols.size() && w.symbols[i] == a && w.symbols[i + 1] == b) {
          out.push_back(id);
          ++i;
        } else {
          out.push_back(w.symbols[i]);
        }
      }
      w.symbols = std::move(out);
      AddPairs(w, +1, &pairs);
    }
    for (auto pit = pairs.begin(); pit != pairs.end();) {
      if (pit->second == 0) {
        pairs.erase(pit++);
      } else {
        ++pit;
      }
    }
  }

  BpeTrainResult r;
  r.num_merges = static_cast<int64_t>(merges.size());
  r.num_words = static_cast<int64_t>(words.size());
  json vocab = json::object();
  for (size_t i = 0; i < token_strings.size(); ++i) vocab[token_strings[i]] = static_cast<int64_t>(i);
  json merge_list = json::array();
  for (const auto& [l, rr] : merges) merge_list.push_back(json::array({l, rr}));
  json added = json::array();
  json added_decoder = json::object();
  int64_t next_id = static_cast<int64_t>(token_strings.size());
  for (const std::string& s : options.special_tokens) {
    json t = {{"id", next_id}, {"content", s},    {"single_word", false}, {"lstrip", false},
              {"rstrip", false}, {"normalized", false}, {"special", true}};
    added.push_back(t);
    t.erase("id");
    added_decoder[std::to_string(next_id)] = t;
    ++next_id;
  }
  r.vocab_size = next_id;
  r.tokenizer_json = json{{"version", "1.0"},
                          {"truncation", nullptr},
                          {"padding", nullptr},
                          {"added_tokens", added},
                          {"normalizer", nullptr},
                          {"pre_tokenizer", BpePreTokenizerJson()},
                          {"post_processor", ByteLevelJson()},
                          {"decoder", ByteLevelJson()},
                          {"model",
                           {{"type", "BPE"},
                            {"dropout", nullptr},
                            {"unk_token", nullptr},
                            {"continuing_subword_prefix", ""},
                            {"end_of_word_suffix", ""},
                            {"fuse_unk", false},
                            {"byte_fallback", false},
                            {"ignore_merges", false},
                            {"vocab", vocab},
                            {"merges", merge_list}}}};
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
