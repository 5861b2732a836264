// tokenizer.h: byte-level BPE tokenizers as Hugging Face `tokenizers` runs them
// (GPT-2, Qwen2 / Qwen2.5 / Qwen3 / Qwen3.5), loaded from a tokenizer.json or
// from a GPT-2 style vocab.json (encoder.json) + merges.txt (vocab.bpe) pair.
//
// Encode(text) follows HF `Tokenizer.encode(text, add_special_tokens=False)`:
//   1. added tokens with normalized=false are split out of the raw text
//      (leftmost-longest; single_word / lstrip / rstrip honoured);
//   2. each remaining piece is normalized (NFC, NFKC, NFD, NFKD via utf8proc),
//      then added tokens with normalized=true are split out of it;
//   3. pre-tokenizers (Split with the file's regex compiled by PCRE2 with
//      UTF + UCP + JIT, Punctuation, Digits, ByteLevel) cut the pieces into words;
//   4. each word's bytes go through the byte-level BPE merges.
// The post-processor is never applied (no BOS/EOS is added), exactly like
// add_special_tokens=False. Decode follows HF `decode` with the ByteLevel
// decoder (invalid UTF-8 is replaced by U+FFFD, as String::from_utf8_lossy).
//
// Anything the loader does not implement (another model type, normalizer,
// pre-tokenizer or decoder type, byte_fallback=true, dropout, a word prefix or
// suffix, Split behaviours outside the five HF ones...) is an InvalidArgument
// error that names the field: nothing silently differs from HF.
//
// Thread-safety: a loaded Tokenizer is immutable except for its bounded BPE
// word cache, which is guarded by a mutex; Encode/Decode and every accessor
// may be called concurrently from any number of threads.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<Tokenizer> tok, Tokenizer::FromFile(path));
//   ASSIGN_OR_RETURN(std::vector<int32_t> ids, tok->Encode("Hello world"));  // {9707, 1879}
//   ASSIGN_OR_RETURN(std::string text, tok->Decode(ids));                    // "Hello world"
#ifndef ABLATE_WORKER_TEXT_TOKENIZER_H_
#define ABLATE_WORKER_TEXT_TOKENIZER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace ablate::text {

struct TokenizerOptions {
  // Words kept in the per-instance BPE cache (words of 256 bytes or more are
  // never cached; once full, new words are not inserted, as in HF). 0 disables
  // the cache. Default: 65536.
  size_t bpe_cache_entries = 65536;
  // tokenizer_config.json to read eos_token / bos_token / pad_token from.
  // Default (empty): tokenizer_config.json beside the tokenizer file, if any.
  std::string config_path;
};

struct DecodeOptions {
  // Drop tokens flagged special (HF skip_special_tokens). Default: false.
  bool skip_special_tokens = false;
  // Drop ids that name no token (HF does this silently; a model's embedding
  // is often larger than its tokenizer). Default: false, such ids are an
  // InvalidArgument error.
  bool skip_unknown_ids = false;
};

// One added token (a row of tokenizer.json "added_tokens").
struct AddedToken {
  int32_t id = 0;
  std::string content;
  bool single_word = false;  // only match when not inside a word
  bool lstrip = false;       // the match swallows whitespace on its left
  bool rstrip = false;       // the match swallows whitespace on its right
  bool normalized = true;    // matched on normalized text (else on raw text)
  bool special = true;       // dropped by DecodeOptions::skip_special_tokens
};

class Tokenizer {
 public:
  // Loads `path`: a tokenizer.json, or a GPT-2 vocabulary (vocab.json /
  // encoder.json) whose merges file (merges.txt / vocab.bpe) is beside it.
  // NotFound if a file is missing; InvalidArgument (naming the file and
  // field) for malformed or unsupported content.
  static absl::StatusOr<std::unique_ptr<Tokenizer>> FromFile(const std::string& path,
                                                             const TokenizerOptions& options = {});

  // Parses the text of a tokenizer.json. `source` names it in errors.
  static absl::StatusOr<std::unique_ptr<Tokenizer>> FromHfJson(absl::string_view json_text, absl::string_view source,
                                                               const TokenizerOptions& options = {});

  // GPT-2 files: vocab.json/encoder.json + merges.txt/vocab.bpe. Behaves as HF
  // GPT2TokenizerFast: ByteLevel pre-tokenizer with the GPT-2 regex, no
  // normalizer, and "<|endoftext|>" (when in the vocabulary) as a special
  // added token and the eos token.
  static absl::StatusOr<std::unique_ptr<Tokenizer>> FromVocabAndMerges(const std::string& vocab_path,
                                                                       const std::string& merges_path,
                                                                       const TokenizerOptions& options = {});

  ~Tokenizer();
  Tokenizer(const Tokenizer&) = delete;
  Tokenizer& operator=(const Tokenizer&) = delete;

  // Token ids of `text` (no special tokens added). InvalidArgument if `text`
  // is not valid UTF-8.
  absl::StatusOr<std::vector<int32_t>> Encode(absl::string_view text) const;

  // Text of `ids`. InvalidArgument for an id that names no token, unless
  // options.skip_unknown_ids.
  absl::StatusOr<std::string> Decode(absl::Span<const int32_t> ids, const DecodeOptions& options = {}) const;

  // The token's string as stored in the vocabulary (byte-level form, e.g.
  // "Ġworld"), or an added token's content. nullopt when unknown.
  std::optional<int32_t> token_to_id(absl::string_view token) const;
  std::optional<std::string> id_to_token(int32_t id) const;

  // One more than the largest id of any token (vocabulary or added):
  // 151669 for Qwen3's tokenizer.json, 50257 for GPT-2.
  int32_t vocab_size() const;

  // Special ids from tokenizer_config.json (eos_token, bos_token, pad_token),
  // or GPT-2's "<|endoftext|>" for FromVocabAndMerges; nullopt when unset.
  std::optional<int32_t> eos_id() const;
  std::optional<int32_t> bos_id() const;
  std::optional<int32_t> pad_id() const;

  // True for added tokens flagged special.
  bool is_special(int32_t id) const;
  const std::vector<AddedToken>& added_tokens() const;

  // sha256 (lowercase hex) of the file(s) the tokenizer was read from, in
  // load order; for FromHfJson, of the JSON text. Stored with results.
  const std::string& fingerprint() const;

  // Words currently held by the BPE cache (for tests and benchmarks).
  size_t bpe_cache_size() const;
  void ClearBpeCache() const;

  struct Impl;

 private:
  explicit Tokenizer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ablate::text

#endif  // ABLATE_WORKER_TEXT_TOKENIZER_H_
