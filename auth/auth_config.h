// auth_config.h: the coordinator's auth file (`--auth-file`), parsed and
// validated. YAML:
//
//   tokens:
//     - {sha256: <64 hex chars: SHA-256 of the token>, tenant: team-a, role: submitter, name:
//     alice}
//   quotas:                     # optional; 0 or absent = unlimited
//     team-a: {queued_jobs: 10000, leased_jobs: 8, sweeps: 20, submits_per_minute: 30,
//              result_bytes: 1000000000, weight: 2}
//     "*": {...}                # tenants without an entry of their own
//
// Only token digests are stored, never tokens. Unknown keys are errors (a
// typo must not silently disable a quota).
// Thread-safety: plain values.
//
//   ASSIGN_OR_RETURN(AuthConfig config, LoadAuthConfig("/etc/ablate/auth.yaml"));
#ifndef ABLATE_AUTH_AUTH_CONFIG_H_
#define ABLATE_AUTH_AUTH_CONFIG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "auth/caller.h"

namespace ablate::auth {

// Per-tenant limits. 0 means unlimited.
struct TenantQuota {
  int64_t queued_jobs = 0;         // jobs waiting in the queue (a submit that would pass it is refused)
  int64_t leased_jobs = 0;         // jobs running at once (more wait; nothing is refused)
  int64_t sweeps = 0;              // unfinished sweeps
  int64_t submits_per_minute = 0;  // SubmitSweep calls (dry runs too) in any 60 s
  int64_t result_bytes = 0;        // stored result bytes; at or over it, submits are refused
  double weight = 1;               // fair-share weight (> 0): workers split in this ratio
};

struct TokenEntry {
  std::string sha256;  // raw 32-byte digest
  std::string tenant;
  Role role = Role::kViewer;
  std::string name;  // for logs and the audit table; default: first 12 hex digits of the digest
};

struct AuthConfig {
  std::vector<TokenEntry> tokens;
  absl::flat_hash_map<std::string, TenantQuota> quotas;  // "*": the default
  // The quota of `tenant`: its own entry, else "*", else unlimited.
  TenantQuota QuotaOf(absl::string_view tenant) const;
};

// InvalidArgument naming the entry for a bad file.
absl::StatusOr<AuthConfig> ParseAuthConfig(absl::string_view yaml_text);
// NotFound if unreadable; otherwise as ParseAuthConfig, with the path in errors.
absl::StatusOr<AuthConfig> LoadAuthConfig(const std::string& path);
// A tenant name: 1-64 of [A-Za-z0-9._-].
bool ValidTenantName(absl::string_view name);

}  // namespace ablate::auth

#endif  // ABLATE_AUTH_AUTH_CONFIG_H_
