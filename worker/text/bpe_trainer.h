// bpe_trainer.h: creating byte-level BPE tokenizers: a small deterministic
// trainer (merges learned greedily by pair frequency over pre-tokenized
// words) and a writer of tokenizer.json files that Tokenizer::FromFile (and
// Hugging Face tokenizers) load.
//
// Training: the corpus is cut into words by `split_regex` (Isolated), each
// word becomes its bytes (ids 0..255 in byte order), and the most frequent
// adjacent pair is merged until the vocabulary is full or no pair occurs
// `min_frequency` times (a merge whose result is already a token adds the
// merge but no new id, as Hugging Face's BpeTrainer does). This is the one
// BPE trainer: `ablate train` (worker/train/bpe_trainer.h) writes its output
// in the reference models' file layout. Ties go to the pair whose byte-level token strings
// are smaller (left first, then right, bytewise), so the result depends only
// on the corpus and the options. Special tokens take the ids after the
// learned vocabulary.
//
// Stateless; thread-safe.
//
//   BpeTrainerOptions opt;
//   opt.vocab_size = 1024;
//   ASSIGN_OR_RETURN(ByteLevelBpe bpe, TrainByteLevelBpe(corpus, opt));
//   RETURN_IF_ERROR(WriteByteLevelBpeTokenizerJson(dir + "/tokenizer.json", bpe));
#ifndef ABLATE_WORKER_TEXT_BPE_TRAINER_H_
#define ABLATE_WORKER_TEXT_BPE_TRAINER_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ablate::text {

// The Qwen2 / Qwen3 pre-tokenizer regex (digits one at a time).
inline constexpr absl::string_view kQwen2SplitPattern =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// Everything a byte-level BPE tokenizer.json holds.
struct ByteLevelBpe {
  // Byte-level token strings ("Ġthe"); the index is the id. Must hold all
  // 256 single-byte tokens.
  std::vector<std::string> vocab;
  // Merges in rank order, as byte-level strings.
  std::vector<std::pair<std::string, std::string>> merges;
  // Added special tokens (normalized=false, special=true), ids following vocab.
  std::vector<std::string> special_tokens;
  // Split pre-tokenizer regex; empty: ByteLevel with use_regex (GPT-2 regex).
  std::string split_regex = std::string(kQwen2SplitPattern);
  bool nfc = false;       // NFC normalizer
  std::string eos_token;  // written to tokenizer_config.json when set
  // Distinct pre-tokenized words of the training corpus (statistics only; not
  // written; 0 when the tokenizer was not trained here).
  int64_t num_words = 0;
};

struct BpeTrainerOptions {
  // Final vocabulary size: 256 byte tokens + merges + special tokens.
  // Default: 512. Must leave room for the byte tokens and special tokens.
  int32_t vocab_size = 512;
  // Added after the learned vocabulary. Default: {"<|endoftext|>"} (also the eos).
  std::vector<std::string> special_tokens = {"<|endoftext|>"};
  // A pair occurring fewer times (summed over words) is never merged. Default: 2.
  int64_t min_frequency = 2;
  // Pre-tokenizer regex (PCRE2, UTF + UCP). Default: Qwen2's.
  std::string split_regex = std::string(kQwen2SplitPattern);
  // Apply NFC before splitting (and write an NFC normalizer). Default: false.
  bool nfc = false;
};

// InvalidArgument for a vocab_size that cannot hold the byte tokens and the
// special tokens, an invalid regex, or a corpus that is not valid UTF-8.
absl::StatusOr<ByteLevelBpe> TrainByteLevelBpe(absl::string_view corpus, const BpeTrainerOptions& options = {});

// The tokenizer.json text of `bpe` (merges in the [["a","b"]] form).
// InvalidArgument if a byte token is missing, a token repeats, or a merge's
// parts or result are not in vocab.
absl::StatusOr<std::string> ByteLevelBpeTokenizerJson(const ByteLevelBpe& bpe);

// Writes ByteLevelBpeTokenizerJson(bpe) to `path`, and, when bpe.eos_token is
// set, a tokenizer_config.json beside it naming it. Internal on write failure.
absl::Status WriteByteLevelBpeTokenizerJson(const std::string& path, const ByteLevelBpe& bpe);

}  // namespace ablate::text

#endif  // ABLATE_WORKER_TEXT_BPE_TRAINER_H_
