// bpe_model.h: the byte-level BPE model: a vocabulary of byte-level strings
// ("Ġworld"), ranked merges, and the merge loop of HF tokenizers' BPE
// (lowest rank first, leftmost first among equal ranks), plus a bounded
// per-instance word cache.
//
// Thread-safety: Encode is const and thread-safe; the cache is guarded by an
// absl::Mutex (readers share it).
//
//   ASSIGN_OR_RETURN(std::unique_ptr<BpeModel> m, BpeModel::Create(vocab, merges, {}));
//   std::vector<int32_t> ids;  m->EncodeWord("hello", &ids);   // raw bytes in
#ifndef ABLATE_WORKER_TEXT_BPE_MODEL_H_
#define ABLATE_WORKER_TEXT_BPE_MODEL_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace ablate::text {

struct BpeModelOptions {
  // HF ignore_merges: a word that is itself in the vocabulary is one token.
  // Default: false.
  bool ignore_merges = false;
  // Cache size in words (0 disables). Default: 65536.
  size_t cache_entries = 65536;
};

class BpeModel {
 public:
  using Vocab = absl::flat_hash_map<std::string, int32_t>;
  using Merges = std::vector<std::pair<std::string, std::string>>;

  // InvalidArgument (prefixed with `source`) if a byte's character is missing
  // from the vocabulary, a merge names an unknown token, or a merge's result
  // is not in the vocabulary.
  static absl::StatusOr<std::unique_ptr<BpeModel>> Create(Vocab vocab, const Merges& merges,
                                                          const BpeModelOptions& options, absl::string_view source);

  // Appends the ids of one pre-tokenized word (raw bytes) to *ids.
  void EncodeWord(absl::string_view word, std::vector<int32_t>* ids) const;

  const Vocab& vocab() const { return vocab_; }
  // The byte-level token string of `id`, or nullptr.
  const std::string* IdToToken(int32_t id) const;
  int32_t max_id() const { return static_cast<int32_t>(id_to_token_.size()) - 1; }
  size_t num_merges() const { return merges_.size(); }

  size_t cache_size() const;
  void ClearCache() const;

 private:
  BpeModel() = default;
  void Merge(absl::string_view word, std::vector<int32_t>* ids) const;

  // Constant after construction.
  Vocab vocab_;
  std::vector<std::string> id_to_token_;  // "" for holes
  std::vector<bool> id_present_;
  std::array<int32_t, 256> byte_ids_{};
  // (left id << 32 | right id) -> (rank, merged id)
  absl::flat_hash_map<uint64_t, std::pair<int32_t, int32_t>> merges_;
  BpeModelOptions options_;

  mutable absl::Mutex mu_;
  mutable absl::flat_hash_map<std::string, std::vector<int32_t>> cache_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ablate::text

#endif  // ABLATE_WORKER_TEXT_BPE_MODEL_H_
