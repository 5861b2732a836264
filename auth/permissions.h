// permissions.h: what each role may do. The one table of the rules, used by
// the coordinator core for every request (so every front end gets the same
// answer): admin everything; submitter submit/read/cancel; viewer read;
// worker only the WorkerService.
//
// Thread-safety: pure functions.
//
//   RETURN_IF_ERROR(auth::Authorize(caller, auth::Action::kCancel));
#ifndef ABLATE_AUTH_PERMISSIONS_H_
#define ABLATE_AUTH_PERMISSIONS_H_

#include "absl/status/status.h"
#include "auth/caller.h"

namespace ablate::auth {

enum class Action {
  kRead,    // GetSweep, ListSweeps, ListJobs, QueryResults, WatchSweep, ListWorkers
  kSubmit,  // SubmitSweep (dry runs too)
  kCancel,  // CancelSweep
  kWork,    // the WorkerService: register, lease, heartbeat, complete, fail
  kAdmin,   // audit log and other operator-only calls
};

// OK, or PermissionDenied naming the role and the action.
absl::Status Authorize(const Caller& caller, Action action);

}  // namespace ablate::auth

#endif  // ABLATE_AUTH_PERMISSIONS_H_
