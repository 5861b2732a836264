// grpc_status.h: the one translation point between absl::Status and
// grpc::Status, shared by the coordinator's gRPC service, the worker's client
// and the CLI's client. Both use the google.rpc.Code values, so codes map one
// to one; messages pass through unchanged (the callers decide what a message
// may say before it gets here).
//
// Thread-safe (pure functions).
//
//   reactor->Finish(rpc::ToGrpcStatus(core_status));                       // server
//   absl::Status s = rpc::FromGrpcStatus(stub->Heartbeat(&ctx, req, &resp), "Heartbeat");
#ifndef ABLATE_RPC_GRPC_STATUS_H_
#define ABLATE_RPC_GRPC_STATUS_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace ablate::rpc {

// Same code and message; OK for OK.
grpc::Status ToGrpcStatus(const absl::Status& status);

// Same code and message; OK for OK.
absl::Status FromGrpcStatus(const grpc::Status& status);

// Same code; the message is prefixed with `call` ("LeaseJobs: failed to connect ...").
absl::Status FromGrpcStatus(const grpc::Status& status, absl::string_view call);

}  // namespace ablate::rpc

#endif  // ABLATE_RPC_GRPC_STATUS_H_
