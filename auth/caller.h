// caller.h: who is calling: the identity every front end (gRPC, HTTP) hands to
// the coordinator core after authenticating a request. The core scopes every
// query by `tenant` and checks `role` (permissions.h); `subject` names the
// principal (a token or a client certificate) and owns the worker ids it
// registers. No transport types.
//
// Without an auth file every caller is Caller::Local(): an admin of the
// default tenant, so the unauthenticated loopback mode behaves as before.
//
// Thread-safety: a plain value type.
//
//   if (!caller.CanSee(sweep.tenant)) return absl::NotFoundError(...);
#ifndef ABLATE_AUTH_CALLER_H_
#define ABLATE_AUTH_CALLER_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ablate::auth {

// The tenant of sweeps submitted without authentication (and of rows that
// existed before tenants did).
inline constexpr char kDefaultTenant[] = "default";

enum class Role {
  kAdmin,      // everything, every tenant
  kSubmitter,  // own tenant: submit, read, cancel, watch
  kViewer,     // own tenant: read only
  kWorker,     // only the WorkerService
};

// "admin", "submitter", "viewer", "worker".
absl::string_view RoleName(Role role);
// InvalidArgument for anything but the four names above.
absl::StatusOr<Role> ParseRole(absl::string_view name);

struct Caller {
  std::string tenant = kDefaultTenant;
  Role role = Role::kAdmin;
  std::string subject = "local";  // "token:<name>", "cert:<CN>", "local"

  bool admin() const { return role == Role::kAdmin; }
  // True if the caller may see data of `owner_tenant`.
  bool CanSee(absl::string_view owner_tenant) const { return admin() || owner_tenant == tenant; }

  // The caller of the unauthenticated mode: admin of the default tenant.
  static const Caller& Local();
};

}  // namespace ablate::auth

#endif  // ABLATE_AUTH_CALLER_H_
