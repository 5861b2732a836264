// status_convert.h: the one place absl::Status and grpc::Status are converted
// (both use the google.rpc.Code values, so codes map one to one).
//
//   reactor->Finish(ToGrpcStatus(core_status));
#ifndef ABLATE_COORDINATOR_STATUS_CONVERT_H_
#define ABLATE_COORDINATOR_STATUS_CONVERT_H_

#include <grpcpp/support/status.h>

#include "absl/status/status.h"

namespace ablate::coordinator {

grpc::Status ToGrpcStatus(const absl::Status& status);
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace ablate::coordinator

#endif  // ABLATE_COORDINATOR_STATUS_CONVERT_H_
