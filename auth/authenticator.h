// authenticator.h: turns a request's credentials into a Caller. The one
// authorization hook every front end (gRPC metadata processor, HTTP server)
// calls; it takes strings, not transport types:
//   - authorization: the value of the "authorization" header / metadata
//     ("Bearer <token>"; empty when absent),
//   - peer_certificate: the verified client certificate's common name ("" none).
//
// Disabled (no auth file): every caller is Caller::Local() (admin of the
// default tenant); with a client certificate its subject is "cert:<CN>".
// Enabled: the token's SHA-256 is compared in constant time with every entry
// of the auth file; no or unknown token -> Unauthenticated. The subject is
// "token:<name>", plus "/cert:<CN>" with a client certificate, so workers
// sharing a token but holding their own certificates are still told apart.
//
// Reload() re-reads the file and swaps the whole config atomically; a bad
// file keeps the old one (the error is returned for the log).
// Thread-safety: all methods are thread-safe.
//
//   ASSIGN_OR_RETURN(auto authn, Authenticator::FromFile("/etc/ablate/auth.yaml"));
//   ASSIGN_OR_RETURN(Caller c, authn->Authenticate("Bearer 3f9a...", ""));
#ifndef ABLATE_AUTH_AUTHENTICATOR_H_
#define ABLATE_AUTH_AUTHENTICATOR_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "auth/auth_config.h"
#include "auth/caller.h"

namespace ablate::auth {

class Authenticator {
 public:
  // Authentication off: everyone is Caller::Local().
  static std::unique_ptr<Authenticator> Disabled();
  // Authentication on, from an auth file (see auth_config.h).
  static absl::StatusOr<std::unique_ptr<Authenticator>> FromFile(const std::string& path);
  // Authentication on, from a parsed config (tests, embedders).
  static std::unique_ptr<Authenticator> FromConfig(AuthConfig config);

  Authenticator(const Authenticator&) = delete;
  Authenticator& operator=(const Authenticator&) = delete;

  bool enabled() const { return enabled_; }
  // OK with the caller, or Unauthenticated (no token / unknown token).
  absl::StatusOr<Caller> Authenticate(absl::string_view authorization, absl::string_view peer_certificate) const;
  // Re-reads the file given to FromFile. On error the old config stays.
  // FailedPrecondition when not built from a file.
  absl::Status Reload();
  // The current config (an immutable snapshot).
  std::shared_ptr<const AuthConfig> config() const;

 private:
  Authenticator(bool enabled, std::string path, AuthConfig config);

  const bool enabled_;
  const std::string path_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const AuthConfig> config_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ablate::auth

#endif  // ABLATE_AUTH_AUTHENTICATOR_H_
