// sha256.h: SHA-256 through OpenSSL's EVP interface (libssl-dev), for the
// fingerprints of tokenizer files and datasets. A Sha256 is a value owned by
// one thread at a time; the free functions are thread-safe.
//
//   std::string hex = Sha256Hex("abc");  // "ba7816bf..."
//   ASSIGN_OR_RETURN(FileFingerprint f, FingerprintFile("/data/wiki.test.raw"));
#ifndef ABLATE_WORKER_TEXT_SHA256_H_
#define ABLATE_WORKER_TEXT_SHA256_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "worker/text/dataset.h"

namespace ablate::text {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void Update(absl::string_view data);
  // Lowercase hex digest; the hasher must not be used afterwards.
  std::string FinalHex();

 private:
  void* ctx_;  // EVP_MD_CTX*
};

std::string Sha256Hex(absl::string_view data);

// Streams the file. NotFound if it cannot be opened; Internal on read error.
absl::StatusOr<FileFingerprint> FingerprintFile(const std::string& path);

// Fills combined_sha256 from files (see DatasetFingerprint).
void FinishFingerprint(DatasetFingerprint* fp);

}  // namespace ablate::text

#endif  // ABLATE_WORKER_TEXT_SHA256_H_
