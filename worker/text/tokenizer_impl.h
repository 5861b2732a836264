// tokenizer_impl.h: the parts a Tokenizer is assembled from (internal to
// worker/text; built by tokenizer_loader.cc, run by tokenizer.cc).
#ifndef ABLATE_WORKER_TEXT_TOKENIZER_IMPL_H_
#define ABLATE_WORKER_TEXT_TOKENIZER_IMPL_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "worker/text/added_vocabulary.h"
#include "worker/text/bpe_model.h"
#include "worker/text/normalizer.h"
#include "worker/text/pre_tokenizer.h"
#include "worker/text/tokenizer.h"

namespace ablate::text {

struct Tokenizer::Impl {
  Normalizer normalizer;
  PreTokenizer pre_tokenizer;
  std::unique_ptr<BpeModel> bpe;
  AddedVocabulary added;
  absl::flat_hash_map<int32_t, size_t> added_by_id;            // id -> index in added.tokens()
  absl::flat_hash_map<std::string, int32_t> added_by_content;  // content -> id
  std::optional<int32_t> eos, bos, pad;
  int32_t vocab_size = 0;
  std::string fingerprint;
};

// Builds the lookup tables and vocab_size once bpe and added are set.
void FinishImpl(Tokenizer::Impl* impl);

}  // namespace ablate::text

#endif  // ABLATE_WORKER_TEXT_TOKENIZER_IMPL_H_
