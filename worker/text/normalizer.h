// normalizer.h: the HF normalizers a byte-level BPE tokenizer.json may name:
// Unicode NFC / NFD / NFKC / NFKD (through utf8proc), alone or in a Sequence.
// Immutable after construction; thread-safe.
//
//   ASSIGN_OR_RETURN(Normalizer n, Normalizer::FromJson(j["normalizer"], "tokenizer.json"));
//   std::string out = n.Apply("e\u0301");   // "\u00e9" under NFC
#ifndef ABLATE_WORKER_TEXT_NORMALIZER_H_
#define ABLATE_WORKER_TEXT_NORMALIZER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace ablate::text {

class Normalizer {
 public:
  enum class Form { kNFC, kNFD, kNFKC, kNFKD };

  Normalizer() = default;  // identity
  explicit Normalizer(std::vector<Form> forms) : forms_(std::move(forms)) {}

  // `j` is tokenizer.json's "normalizer" value (null = identity). Any other
  // type is InvalidArgument naming `source` and the field.
  static absl::StatusOr<Normalizer> FromJson(const nlohmann::json& j, absl::string_view source);

  bool identity() const { return forms_.empty(); }

  // REQUIRES: `text` is valid UTF-8.
  std::string Apply(absl::string_view text) const;

 private:
  std::string ApplyAll(absl::string_view text) const;  // the whole text through utf8proc
  std::vector<Form> forms_;
};

}  // namespace ablate::text

#endif  // ABLATE_WORKER_TEXT_NORMALIZER_H_
