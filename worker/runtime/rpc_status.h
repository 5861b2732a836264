// rpc_status.h: the worker's retry rule for calls to the coordinator. The
// grpc::Status -> absl::Status translation itself is rpc/grpc_status.h (shared
// with the coordinator and the CLI), re-exported here for the runtime.
//
// Thread-safe (pure functions).
//
//   absl::Status s = FromGrpcStatus(stub->Heartbeat(&ctx, req, &resp), "Heartbeat");
//   if (IsRetryable(s)) ...
#ifndef ABLATE_WORKER_RUNTIME_RPC_STATUS_H_
#define ABLATE_WORKER_RUNTIME_RPC_STATUS_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "rpc/grpc_status.h"

namespace ablate::worker {

using ::ablate::rpc::FromGrpcStatus;

// True for outcomes where sending the same call again may succeed: the
// coordinator is away or overloaded (UNAVAILABLE, DEADLINE_EXCEEDED,
// RESOURCE_EXHAUSTED, ABORTED, UNKNOWN, INTERNAL, CANCELLED).
bool IsRetryable(const absl::Status& status);

}  // namespace ablate::worker

#endif  // ABLATE_WORKER_RUNTIME_RPC_STATUS_H_
