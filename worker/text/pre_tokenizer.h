// pre_tokenizer.h: the HF pre-tokenizers of a byte-level BPE tokenizer.json,
// alone or in a Sequence:
//   * Split: Regex (PCRE2, UTF + UCP + JIT, used verbatim) or String pattern;
//     behaviours Removed, Isolated, MergedWithPrevious, MergedWithNext,
//     Contiguous; invert.
//   * Punctuation (behaviour, default Isolated): each Unicode punctuation
//     character (general category P*, or ASCII punctuation) is a match.
//   * Digits (individual_digits): ASCII digits, one by one or in runs.
//   * ByteLevel (add_prefix_space; use_regex = the GPT-2 regex): required,
//     exactly once. Steps after it see the byte-mapped text ("Ġ" for a
//     space), exactly as in HF; Split() returns raw bytes either way.
// Immutable; thread-safe.
//
//   ASSIGN_OR_RETURN(PreTokenizer p, PreTokenizer::FromJson(j["pre_tokenizer"], "tokenizer.json"));
//   std::vector<std::string> words;
//   RETURN_IF_ERROR(p.Split("Hello world", &words));   // "Hello", " world"
#ifndef ABLATE_WORKER_TEXT_PRE_TOKENIZER_H_
#define ABLATE_WORKER_TEXT_PRE_TOKENIZER_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "worker/text/regex.h"

namespace ablate::text {

// The regex HF's ByteLevel pre-tokenizer uses when use_regex is true.
inline constexpr absl::string_view kGpt2Pattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

class PreTokenizer {
 public:
  enum class Behavior { kRemoved, kIsolated, kMergedWithPrevious, kMergedWithNext, kContiguous };
  enum class Kind { kRegex, kLiteral, kPunctuation, kDigits, kByteLevel };

  struct Step {
    Kind kind = Kind::kRegex;
    std::shared_ptr<const Regex> regex;  // kRegex, and kByteLevel with use_regex
    std::string literal;                 // kLiteral
    Behavior behavior = Behavior::kIsolated;
    bool invert = false;
    bool add_prefix_space = false;  // kByteLevel
  };

  // `j` is tokenizer.json's "pre_tokenizer". InvalidArgument naming the field
  // for unsupported types/options, or when there is not exactly one ByteLevel.
  static absl::StatusOr<PreTokenizer> FromJson(const nlohmann::json& j, absl::string_view source);

  // ByteLevel(add_prefix_space, use_regex) alone: what GPT-2 files imply.
  static absl::StatusOr<PreTokenizer> ByteLevelOnly(bool add_prefix_space, bool use_regex);

  // Appends the words of `text` (valid UTF-8), as raw bytes, to *words;
  // empty pieces are dropped.
  absl::Status Split(absl::string_view text, std::vector<std::string>* words) const;

  // Calls fn(word) for each word, in order (the view is valid during the
  // call only). Without add_prefix_space and steps after ByteLevel, no text
  // is copied.
  absl::Status ForEachWord(absl::string_view text, const std::function<void(absl::string_view)>& fn) const;

  const std::vector<Step>& steps() const { return steps_; }

 private:
  std::vector<Step> steps_;
  bool copy_free_ = true;  // no prefix space, ByteLevel last: pieces are views
};

}  // namespace ablate::text

#endif  // ABLATE_WORKER_TEXT_PRE_TOKENIZER_H_
