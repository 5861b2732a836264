// rpc_status.h: the worker's one translation point between grpc::Status and
// absl::Status (the codes are the same google.rpc.Code values), plus the retry
// rule for calls to the coordinator.
//
// Thread-safe (pure functions).
//
//   absl::Status s = FromGrpcStatus(stub->Heartbeat(&ctx, req, &resp), "Heartbeat");
//   if (IsRetryable(s)) ...
#ifndef ABLATE_WORKER_RUNTIME_RPC_STATUS_H_
#define ABLATE_WORKER_RUNTIME_RPC_STATUS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "grpcpp/support/status.h"

namespace ablate::worker {

// Same code; the message is prefixed with `call` ("LeaseJobs: failed to connect ...").
absl::Status FromGrpcStatus(const grpc::Status& status, absl::string_view call);

// True for outcomes where sending the same call again may succeed: the
// coordinator is away or overloaded (UNAVAILABLE, DEADLINE_EXCEEDED,
// RESOURCE_EXHAUSTED, ABORTED, UNKNOWN, INTERNAL, CANCELLED).
bool IsRetryable(const absl::Status& status);

}  // namespace ablate::worker

#endif  // ABLATE_WORKER_RUNTIME_RPC_STATUS_H_
