// sha256.cc: see sha256.h.
#include "worker/text/sha256.h"

#include <openssl/evp.h>

#include <cstdio>
#include <filesystem>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace ablate::text {

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), EVP_sha256(), nullptr); }

Sha256::~Sha256() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

void Sha256::Update(absl::string_view data) {
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data.data(), data.size());
}

std::string Sha256::FinalHex() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), digest, &len);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), len));
}

std::string Sha256Hex(absl::string_view data) {
  Sha256 h;
  h.Update(data);
  return h.FinalHex();
}

absl::StatusOr<FileFingerprint> FingerprintFile(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  Sha256 h;
  std::string buf(1 << 16, '\0');
  int64_t total = 0;
  for (;;) {
    const size_t n = std::fread(buf.data(), 1, buf.size(), f);
    if (n > 0) h.Update(absl::string_view(buf.data(), n));
    total += static_cast<int64_t>(n);
    if (n < buf.size()) break;
  }
  const bool err = std::ferror(f) != 0;
  std::fclose(f);
  if (err) return absl::InternalError(absl::StrCat(path, ": read error"));
  return FileFingerprint{path, h.FinalHex(), total};
}

void FinishFingerprint(DatasetFingerprint* fp) {
  Sha256 h;
  for (const FileFingerprint& f : fp->files) {
    h.Update(absl::StrCat(std::filesystem::path(f.path).filename().string(), "\t", f.sha256, "\n"));
  }
  fp->combined_sha256 = h.FinalHex();
}

}  // namespace ablate::text
