// permissions.cc: see permissions.h.
#include "auth/permissions.h"

#include "absl/strings/str_cat.h"

namespace ablate::auth {
namespace {

absl::string_view ActionName(Action a) {
  switch (a) {
    case Action::kRead:
      return "read sweeps";
    case Action::kSubmit:
      return "submit sweeps";
    case Action::kCancel:
      return "cancel sweeps";
    case Action::kWork:
      return "call the worker service";
    case Action::kAdmin:
      return "call admin methods";
  }
  return "do this";
}

bool Allowed(Role role, Action a) {
  switch (role) {
    case Role::kAdmin:
      return true;
    case Role::kSubmitter:
      return a == Action::kRead || a == Action::kSubmit || a == Action::kCancel;
    case Role::kViewer:
      return a == Action::kRead;
    case Role::kWorker:
      return a == Action::kWork;
  }
  return false;
}

}  // namespace

absl::Status Authorize(const Caller& caller, Action action) {
  if (Allowed(caller.role, action)) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat("role '", RoleName(caller.role), "' may not ", ActionName(action)));
}

}  // namespace ablate::auth
