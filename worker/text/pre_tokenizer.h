// pre_tokenizer.h: the HF pre-tokenizers of a byte-level BPE tokenizer.json:
// Split (Regex or String pattern; behaviours Removed, Isolated,
// MergedWithPrevious, MergedWithNext, Contiguous; invert) and ByteLevel
// (add_prefix_space; use_regex = the GPT-2 regex), alone or in a Sequence.
// ByteLevel must come last: it is where bytes become BPE symbols, and the
// byte mapping itself is done by the BPE model. Immutable; thread-safe.
//
//   ASSIGN_OR_RETURN(PreTokenizer p, PreTokenizer::FromJson(j["pre_tokenizer"], "tokenizer.json"));
//   std::vector<std::string> words;
//   RETURN_IF_ERROR(p.Split("Hello world", &words));   // "Hello", " world"
#ifndef ABLATE_WORKER_TEXT_PRE_TOKENIZER_H_
#define ABLATE_WORKER_TEXT_PRE_TOKENIZER_H_

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

  struct SplitStep {
    std::shared_ptr<const Regex> regex;  // null: `literal` is the pattern
    std::string literal;
    Behavior behavior = Behavior::kIsolated;
    bool invert = false;
  };

  // `j` is tokenizer.json's "pre_tokenizer". InvalidArgument naming the field
  // for unsupported types/options, or when no ByteLevel step ends it.
  static absl::StatusOr<PreTokenizer> FromJson(const nlohmann::json& j, absl::string_view source);

  // ByteLevel(add_prefix_space, use_regex) alone: what GPT-2 files imply.
  static absl::StatusOr<PreTokenizer> ByteLevelOnly(bool add_prefix_space, bool use_regex);

  // Appends the words of `text` (valid UTF-8) to *words; empty pieces are dropped.
  absl::Status Split(absl::string_view text, std::vector<std::string>* words) const;

  // The pieces of tokenizer.json's Split for ByteLevelOnly; for tests.
  const std::vector<SplitStep>& steps() const { return steps_; }
  bool add_prefix_space() const { return add_prefix_space_; }

 private:
  std::vector<SplitStep> steps_;  // ByteLevel's use_regex becomes a final Isolated step
  bool add_prefix_space_ = false;
  size_t prefix_step_ = 0;  // add_prefix_space applies before steps_[prefix_step_]
};

}  // namespace ablate::text

#endif  // ABLATE_WORKER_TEXT_PRE_TOKENIZER_H_
