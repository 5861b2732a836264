// added_vocabulary.h: splitting added tokens ("<|endoftext|>", ...) out of
// text before BPE, as HF tokenizers' AddedVocabulary: leftmost-longest
// matching, then single_word / lstrip / rstrip on each match. Tokens with
// normalized=false are matched on the raw text, the others on normalized text
// (their content normalized the same way). Immutable; thread-safe.
//
//   AddedVocabulary v(tokens, normalizer);
//   std::vector<AddedVocabulary::Piece> pieces;
//   v.Split("a<|endoftext|>b", /*normalized_pass=*/false, &pieces);
//   // {"a", -1}, {"<|endoftext|>", 151643}, {"b", -1}
#ifndef ABLATE_WORKER_TEXT_ADDED_VOCABULARY_H_
#define ABLATE_WORKER_TEXT_ADDED_VOCABULARY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "worker/text/normalizer.h"
#include "worker/text/tokenizer.h"

namespace ablate::text {

class AddedVocabulary {
 public:
  struct Piece {
    absl::string_view text;  // a view into the split text
    int32_t id;              // -1: ordinary text
  };

  AddedVocabulary() = default;
  AddedVocabulary(std::vector<AddedToken> tokens, const Normalizer& normalizer);

  // Splits `text` (valid UTF-8) with the normalized=false tokens
  // (normalized_pass false) or the normalized=true ones (true). Pieces cover
  // `text`; empty text gives one empty ordinary piece.
  void Split(absl::string_view text, bool normalized_pass, std::vector<Piece>* pieces) const;

  bool empty() const { return tokens_.empty(); }
  const std::vector<AddedToken>& tokens() const { return tokens_; }

 private:
  struct Pattern {
    std::string text;  // content, normalized for the normalized set
    size_t token;      // index into tokens_
  };
  struct PatternSet {
    // first byte -> patterns starting with it, longest first
    absl::flat_hash_map<unsigned char, std::vector<Pattern>> by_first_byte;
    bool empty = true;
  };
  void FindLeftmostLongest(const PatternSet& set, absl::string_view text, size_t from, size_t* begin, size_t* end,
                           size_t* token) const;

  std::vector<AddedToken> tokens_;
  PatternSet raw_;
  PatternSet normalized_;
};

}  // namespace ablate::text

#endif  // ABLATE_WORKER_TEXT_ADDED_VOCABULARY_H_
