// authenticator.cc: see authenticator.h.
#include "auth/authenticator.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "auth/token.h"
#include "common/status_macros.h"

namespace ablate::auth {

Authenticator::Authenticator(bool enabled, std::string path, AuthConfig config)
    : enabled_(enabled), path_(std::move(path)), config_(std::make_shared<const AuthConfig>(std::move(config))) {}

std::unique_ptr<Authenticator> Authenticator::Disabled() {
  return std::unique_ptr<Authenticator>(new Authenticator(false, "", AuthConfig{}));
}

absl::StatusOr<std::unique_ptr<Authenticator>> Authenticator::FromFile(const std::string& path) {
  ASSIGN_OR_RETURN(AuthConfig config, LoadAuthConfig(path));
  return std::unique_ptr<Authenticator>(new Authenticator(true, path, std::move(config)));
}

std::unique_ptr<Authenticator> Authenticator::FromConfig(AuthConfig config) {
  return std::unique_ptr<Authenticator>(new Authenticator(true, "", std::move(config)));
}

std::shared_ptr<const AuthConfig> Authenticator::config() const {
  absl::MutexLock lock(&mu_);
  return config_;
}

absl::Status Authenticator::Reload() {
  if (path_.empty()) return absl::FailedPreconditionError("no auth file to reload");
  ASSIGN_OR_RETURN(AuthConfig config, LoadAuthConfig(path_));
  auto fresh = std::make_shared<const AuthConfig>(std::move(config));
  absl::MutexLock lock(&mu_);
  config_ = std::move(fresh);
  return absl::OkStatus();
}

absl::StatusOr<Caller> Authenticator::Authenticate(absl::string_view authorization,
                                                   absl::string_view peer_certificate) const {
  if (!enabled_) {
    if (peer_certificate.empty()) return Caller::Local();
    Caller c = Caller::Local();
    c.subject = absl::StrCat("cert:", peer_certificate);
    return c;
  }
  absl::string_view value = absl::StripAsciiWhitespace(authorization);
  if (value.empty()) {
    return absl::UnauthenticatedError(
        "no token: send gRPC metadata 'authorization: Bearer <token>' (ABLATE_TOKEN or "
        "--token-file)");
  }
  if (!absl::ConsumePrefix(&value, "Bearer ") && !absl::ConsumePrefix(&value, "bearer ")) {
    return absl::UnauthenticatedError("the authorization metadata must be 'Bearer <token>'");
  }
  const std::string digest = Sha256(absl::StripAsciiWhitespace(value));
  const std::shared_ptr<const AuthConfig> config = this->config();
  // Every entry is compared (no early exit), each in constant time.
  const TokenEntry* match = nullptr;
  for (const TokenEntry& e : config->tokens) {
    if (ConstantTimeEquals(e.sha256, digest)) match = &e;
  }
  if (match == nullptr) return absl::UnauthenticatedError("unknown token");
  Caller c;
  c.tenant = match->tenant;
  c.role = match->role;
  c.subject = absl::StrCat("token:", match->name);
  if (!peer_certificate.empty()) absl::StrAppend(&c.subject, "/cert:", peer_certificate);
  return c;
}

}  // namespace ablate::auth
