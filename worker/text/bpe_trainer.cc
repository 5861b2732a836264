// bpe_trainer.cc: see bpe_trainer.h. Pair counts are kept incrementally:
// merging a pair only revisits the words that contain it, and a max-heap
// with lazy invalidation picks the next pair.
#include "worker/text/bpe_trainer.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <queue>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"
#include "worker/text/byte_level.h"
#include "worker/text/normalizer.h"
#include "worker/text/regex.h"
#include "worker/text/utf8.h"

namespace ablate::text {
namespace {

uint64_t Key(int32_t a, int32_t b) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
}

struct Word {
  std::vector<int32_t> symbols;
  int64_t count = 0;
};

class Trainer {
 public:
  explicit Trainer(std::vector<Word> words) : words_(std::move(words)) {
    for (int b = 0; b < 256; ++b) {
      tokens_.push_back(ByteLevelEncode(std::string(1, static_cast<char>(b))));
      ids_.emplace(tokens_.back(), b);
    }
    for (size_t w = 0; w < words_.size(); ++w) AddPairs(w, +1);
    for (const auto& [key, count] : counts_) Push(key);
  }

  // Learns merges until there are `max_tokens` tokens (a merge whose result
  // is already a token adds a merge but no token, as Hugging Face's trainer).
  void Run(size_t max_tokens, int64_t min_frequency) {
    while (tokens_.size() < max_tokens && !heap_.empty()) {
      const Entry top = heap_.top();
      heap_.pop();
      auto it = counts_.find(top.key);
      if (it == counts_.end() || it->second != top.count) continue;  // stale
      if (top.count < min_frequency || top.count <= 0) break;
      Merge(top.key);
    }
  }

  std::vector<std::string> tokens_;
  std::vector<std::pair<std::string, std::string>> merges_;

 private:
  struct Entry {
    int64_t count;
    uint64_t key;
  };
  struct Less {
    const Trainer* t;
    // Max-heap on count; ties: the smaller (left, right) token strings first.
    bool operator()(const Entry& x, const Entry& y) const {
      if (x.count != y.count) return x.count < y.count;
      const std::string& xl = t->tokens_[x.key >> 32];
      const std::string& yl = t->tokens_[y.key >> 32];
      if (xl != yl) return xl > yl;
      return t->tokens_[x.key & 0xffffffffu] > t->tokens_[y.key & 0xffffffffu];
    }
  };

  void Push(uint64_t key) {
    auto it = counts_.find(key);
    if (it != counts_.end() && it->second > 0) heap_.push({it->second, key});
  }

  void AddPairs(size_t w, int sign) {
    const Word& word = words_[w];
    for (size_t i = 0; i + 1 < word.symbols.size(); ++i) {
      const uint64_t k = Key(word.symbols[i], word.symbols[i + 1]);
      counts_[k] += sign * word.count;
      if (sign > 0) where_[k].insert(w);
      touched_.insert(k);
    }
  }

  void Merge(uint64_t key) {
    const int32_t a = static_cast<int32_t>(key >> 32);
    const int32_t b = static_cast<int32_t>(key & 0xffffffffu);
    std::string merged_string = tokens_[a] + tokens_[b];
    auto [existing, is_new] = ids_.try_emplace(merged_string, static_cast<int32_t>(tokens_.size()));
    const int32_t merged = existing->second;
    if (is_new) tokens_.push_back(std::move(merged_string));
    merges_.emplace_back(tokens_[a], tokens_[b]);
    // Sorted so the update order (and so heap contents) is deterministic.
    std::vector<size_t> affected(where_[key].begin(), where_[key].end());
    std::sort(affected.begin(), affected.end());
    touched_.clear();
    for (size_t w : affected) {
      Word& word = words_[w];
      bool has = false;
      for (size_t i = 0; i + 1 < word.symbols.size() && !has; ++i) {
        has = word.symbols[i] == a && word.symbols[i + 1] == b;
      }
      if (!has) continue;
      AddPairs(w, -1);
      std::vector<int32_t> out;
      out.reserve(word.symbols.size());
      for (size_t i = 0; i < word.symbols.size();) {
        if (i + 1 < word.symbols.size() && word.symbols[i] == a && word.symbols[i + 1] == b) {
          out.push_back(merged);
          i += 2;
        } else {
          out.push_back(word.symbols[i++]);
        }
      }
      word.symbols = std::move(out);
      AddPairs(w, +1);
    }
    counts_.erase(key);
    where_.erase(key);
    std::vector<uint64_t> touched(touched_.begin(), touched_.end());
    std::sort(touched.begin(), touched.end());
    for (uint64_t k : touched) Push(k);
  }

  std::vector<Word> words_;
  absl::flat_hash_map<std::string, int32_t> ids_;  // token string -> id
  absl::flat_hash_map<uint64_t, int64_t> counts_;
  absl::flat_hash_map<uint64_t, absl::flat_hash_set<size_t>> where_;
  absl::flat_hash_set<uint64_t> touched_;
  std::priority_queue<Entry, std::vector<Entry>, Less> heap_{Less{this}};
};

}  // namespace

absl::StatusOr<ByteLevelBpe> TrainByteLevelBpe(absl::string_view corpus, const BpeTrainerOptions& options) {
  const int64_t reserved = 256 + static_cast<int64_t>(options.special_tokens.size());
  if (options.vocab_size < reserved) {
    return absl::InvalidArgumentError(absl::StrCat("vocab_size ", options.vocab_size,
                                                   " is below the 256 byte tokens + ", options.special_tokens.size(),
                                                   " special tokens"));
  }
  if (options.split_regex.empty()) {
    return absl::InvalidArgumentError(
        "split_regex: empty; training needs a pre-tokenizer regex (kGpt2Pattern for GPT-2's)");
  }
  RETURN_IF_ERROR(ValidateUtf8(corpus, "training corpus"));
  ASSIGN_OR_RETURN(std::unique_ptr<Regex> re, Regex::Compile(options.split_regex, "split_regex"));
  const std::string text = options.nfc ? Normalizer({Normalizer::Form::kNFC}).Apply(corpus) : std::string(corpus);
  // Word counts; words sorted so ids of words do not depend on hashing.
  std::vector<Regex::Match> matches;
  RETURN_IF_ERROR(re->FindAll(text, &matches));
  absl::flat_hash_map<std::string, int64_t> counts;
  size_t prev = 0;
  auto add = [&](size_t b, size_t e) {
    if (e > b) ++counts[text.substr(b, e - b)];
  };
  for (const Regex::Match& m : matches) {
    add(prev, m.begin);
    add(m.begin, m.end);
    prev = m.end;
  }
  add(prev, text.size());
  std::vector<std::pair<std::string, int64_t>> sorted(counts.begin(), counts.end());
  std::sort(sorted.begin(), sorted.end());
  std::vector<Word> words;
  words.reserve(sorted.size());
  for (const auto& [w, c] : sorted) {
    Word word;
    word.count = c;
    for (char ch : w) word.symbols.push_back(static_cast<uint8_t>(ch));
    words.push_back(std::move(word));
  }
  const int64_t num_words = static_cast<int64_t>(words.size());
  Trainer trainer(std::move(words));
  trainer.Run(static_cast<size_t>(options.vocab_size - static_cast<int64_t>(options.special_tokens.size())),
              options.min_frequency);

  ByteLevelBpe bpe;
  bpe.vocab = std::move(trainer.tokens_);
  bpe.merges = std::move(trainer.merges_);
  bpe.special_tokens = options.special_tokens;
  bpe.split_regex = options.split_regex;
  bpe.nfc = options.nfc;
  bpe.num_words = num_words;
  if (!options.special_tokens.empty()) bpe.eos_token = options.special_tokens[0];
  return bpe;
}

absl::StatusOr<std::string> ByteLevelBpeTokenizerJson(const ByteLevelBpe& bpe) {
  using nlohmann::ordered_json;
  ordered_json vocab = ordered_json::object();
  absl::flat_hash_set<std::string> seen;
  for (size_t id = 0; id < bpe.vocab.size(); ++id) {
    if (!seen.insert(bpe.vocab[id]).second) {
      return absl::InvalidArgumentError(absl::StrCat("vocab[", id, "]: \"", bpe.vocab[id], "\" appears twice"));
    }
    vocab[bpe.vocab[id]] = id;
  }
  for (int b = 0; b < 256; ++b) {
    const std::string t = ByteLevelEncode(std::string(1, static_cast<char>(b)));
    if (!seen.contains(t)) {
      return absl::InvalidArgumentError(absl::StrCat("vocab: the byte token \"", t, "\" (byte ", b, ") is missing"));
    }
  }
  ordered_json merges = ordered_json::array();
  for (size_t i = 0; i < bpe.merges.size(); ++i) {
    const auto& [a, b] = bpe.merges[i];
    if (!seen.contains(a) || !seen.contains(b) || !seen.contains(a + b)) {
      return absl::InvalidArgumentError(
          absl::StrCat("merges[", i, "]: \"", a, "\" \"", b, "\" or their concatenation is not in vocab"));
    }
    merges.push_back({a, b});
  }
  ordered_json added = ordered_json::array();
  for (size_t i = 0; i < bpe.special_tokens.size(); ++i) {
    if (bpe.special_tokens[i].empty() || seen.contains(bpe.special_tokens[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat("special_tokens[", i, "]: empty or already a token: \"", bpe.special_tokens[i], "\""));
    }
    added.push_back({{"id", bpe.vocab.size() + i},
                     {"content", bpe.special_tokens[i]},
                     {"single_word", false},
                     {"lstrip", false},
                     {"rstrip", false},
                     {"normalized", false},
                     {"special", true}});
  }
  ordered_json byte_level = {{"type", "ByteLevel"},
                             {"add_prefix_space", false},
                             {"trim_offsets", false},
                             {"use_regex", bpe.split_regex.empty()}};
  ordered_json pre = byte_level;
  if (!bpe.split_regex.empty()) {
    ASSIGN_OR_RETURN(std::unique_ptr<Regex> re, Regex::Compile(bpe.split_regex, "split_regex"));
    pre = {
        {"type", "Sequence"},
        {"pretokenizers",
         {{{"type", "Split"}, {"pattern", {{"Regex", bpe.split_regex}}}, {"behavior", "Isolated"}, {"invert", false}},
          byte_level}}};
  }
  ordered_json j = {{"version", "1.0"},
                    {"truncation", nullptr},
                    {"padding", nullptr},
                    {"added_tokens", added},
                    {"normalizer", bpe.nfc ? ordered_json({{"type", "NFC"}}) : ordered_json(nullptr)},
                    {"pre_tokenizer", pre},
                    {"post_processor", byte_level},
                    {"decoder", byte_level},
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
                      {"merges", merges}}}};
  return j.dump(1);
}

absl::Status WriteByteLevelBpeTokenizerJson(const std::string& path, const ByteLevelBpe& bpe) {
  ASSIGN_OR_RETURN(std::string text, ByteLevelBpeTokenizerJson(bpe));
  auto write = [](const std::string& p, const std::string& content) -> absl::Status {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << content;
    out.close();
    if (!out) return absl::InternalError(absl::StrCat(p, ": write failed"));
    return absl::OkStatus();
  };
  RETURN_IF_ERROR(write(path, text));
  if (!bpe.eos_token.empty()) {
    nlohmann::ordered_json cfg = {{"tokenizer_class", "PreTrainedTokenizerFast"},
                                  {"eos_token", bpe.eos_token},
                                  {"bos_token", nullptr},
                                  {"pad_token", nullptr},
                                  {"add_bos_token", false}};
    const std::string cfg_path = (std::filesystem::path(path).parent_path() / "tokenizer_config.json").string();
    RETURN_IF_ERROR(write(cfg_path, cfg.dump(1)));
  }
  return absl::OkStatus();
}

}  // namespace ablate::text
