// caller.cc: see caller.h.
#include "auth/caller.h"

#include "absl/strings/str_cat.h"

namespace ablate::auth {

absl::string_view RoleName(Role role) {
  switch (role) {
    case Role::kAdmin:
      return "admin";
    case Role::kSubmitter:
      return "submitter";
    case Role::kViewer:
      return "viewer";
    case Role::kWorker:
      return "worker";
  }
  return "unknown";
}

absl::StatusOr<Role> ParseRole(absl::string_view name) {
  for (Role r : {Role::kAdmin, Role::kSubmitter, Role::kViewer, Role::kWorker}) {
    if (name == RoleName(r)) return r;
  }
  return absl::InvalidArgumentError(absl::StrCat("role '", name, "': expected admin, submitter, viewer or worker"));
}

const Caller& Caller::Local() {
  static const Caller kLocal;  // a constant, not state
  return kLocal;
}

}  // namespace ablate::auth
