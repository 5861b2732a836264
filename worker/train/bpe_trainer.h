// bpe_trainer.h: trains a small byte-level BPE tokenizer and writes it as a
// Hugging Face tokenizer.json (Qwen2 layout: Split with Qwen2's regex, then
// ByteLevel; BPE model with "merges" as pairs; the special tokens as added
// tokens after the BPE vocabulary), which ablate_text's Tokenizer loads.
//
// Algorithm (classic BPE, deterministic): words = the pre-tokenizer's pieces
// of the text (the very PreTokenizer the loader builds from the written JSON),
// counted; the alphabet is the 256 bytes (ids 0..255 in byte order, written in
// GPT-2's byte-to-unicode form); then repeatedly the most frequent adjacent
// pair (ties: the lexicographically smallest (left, right) token strings)
// becomes a new token, until the vocabulary plus the special tokens reaches
// vocab_size or no pair occurs min_frequency times.
//
// Thread-safety: free functions, no shared state.
//
//   ASSIGN_OR_RETURN(BpeTrainResult r, TrainByteLevelBpe(text, {.vocab_size = 1024}));
//   RETURN_IF_ERROR(WriteStringToFile(dir + "/tokenizer.json", r.tokenizer_json.dump(2)));
#ifndef ABLATE_WORKER_TRAIN_BPE_TRAINER_H_
#define ABLATE_WORKER_TRAIN_BPE_TRAINER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace ablate::train {

struct BpeTrainOptions {
  // Total ids including the special tokens. >= 256 + special_tokens.size().
  int64_t vocab_size = 1024;
  // A pair must occur at least this often to be merged. Default 2.
  int64_t min_frequency = 2;
  // Added (special) tokens, given the ids after the BPE vocabulary, in order.
  // The first one is the eos token of tokenizer_config.json.
  std::vector<std::string> special_tokens = {"<|endoftext|>"};
};

struct BpeTrainResult {
  nlohmann::ordered_json tokenizer_json;         // the tokenizer.json document
  nlohmann::ordered_json tokenizer_config_json;  // tokenizer_config.json (eos/pad token)
  int64_t vocab_size = 0;                        // ids used (BPE vocabulary + special tokens)
  int64_t num_merges = 0;
  int64_t num_words = 0;  // distinct pre-tokenized words
};

// The pre_tokenizer section the trainer writes (and trains with).
nlohmann::ordered_json BpePreTokenizerJson();

// InvalidArgument if `text` is not valid UTF-8 or the options are out of range.
absl::StatusOr<BpeTrainResult> TrainByteLevelBpe(absl::string_view text, const BpeTrainOptions& options);

}  // namespace ablate::train

#endif  // ABLATE_WORKER_TRAIN_BPE_TRAINER_H_
