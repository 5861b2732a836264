// token.h: secrets: fresh random tokens and ids from OpenSSL's CSPRNG
// (RAND_bytes), SHA-256 hex digests, and constant-time comparison.
//
// Thread-safety: all functions are thread-safe.
//
//   ASSIGN_OR_RETURN(std::string token, auth::NewToken());   // 64 hex chars
//   std::string digest = auth::Sha256Hex(token);              // for the auth file
#ifndef ABLATE_AUTH_TOKEN_H_
#define ABLATE_AUTH_TOKEN_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ablate::auth {

// `bytes` random bytes from RAND_bytes, as lowercase hex (2 * bytes chars).
// Internal if the generator fails (it never falls back to a weaker source).
absl::StatusOr<std::string> RandomHex(size_t bytes);
// A bearer token: 32 random bytes (256 bits) as 64 hex characters.
absl::StatusOr<std::string> NewToken();
// Lowercase hex SHA-256 of `data` (64 chars).
std::string Sha256Hex(absl::string_view data);
// Raw 32-byte SHA-256 of `data`.
std::string Sha256(absl::string_view data);
// Compares two strings in time that depends only on their lengths.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b);

}  // namespace ablate::auth

#endif  // ABLATE_AUTH_TOKEN_H_
