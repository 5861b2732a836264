// grpc_status_test.cc: every canonical code survives both directions.
#include "rpc/grpc_status.h"

#include "gtest/gtest.h"

namespace ablate::rpc {
namespace {

TEST(GrpcStatusTest, EveryCodeRoundTrips) {
  for (int c = 0; c <= 16; ++c) {
    const auto code = static_cast<absl::StatusCode>(c);
    const absl::Status s(code, c == 0 ? "" : "why");
    const grpc::Status g = ToGrpcStatus(s);
    EXPECT_EQ(static_cast<int>(g.error_code()), c);
    EXPECT_EQ(g.error_message(), c == 0 ? "" : "why");
    EXPECT_EQ(FromGrpcStatus(g), s);
  }
}

TEST(GrpcStatusTest, CallPrefix) {
  const absl::Status s = FromGrpcStatus(grpc::Status(grpc::StatusCode::UNAVAILABLE, "refused"), "LeaseJobs");
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ(s.message(), "LeaseJobs: refused");
  EXPECT_TRUE(FromGrpcStatus(grpc::Status::OK, "LeaseJobs").ok());
}

}  // namespace
}  // namespace ablate::rpc
