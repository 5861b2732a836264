// listen_policy_test.cc: loopback detection and the refusal to listen openly.
#include "auth/listen_policy.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace ablate::auth {
namespace {

using ::ablate::testing::StatusIs;

TEST(ListenPolicyTest, Loopback) {
  EXPECT_TRUE(IsLoopbackAddress("127.0.0.1:50051"));
  EXPECT_TRUE(IsLoopbackAddress("127.1.2.3:0"));
  EXPECT_TRUE(IsLoopbackAddress("localhost:80"));
  EXPECT_TRUE(IsLoopbackAddress("[::1]:50051"));
  EXPECT_FALSE(IsLoopbackAddress("0.0.0.0:50051"));
  EXPECT_FALSE(IsLoopbackAddress("[::]:50051"));
  EXPECT_FALSE(IsLoopbackAddress("10.0.0.5:50051"));
  EXPECT_FALSE(IsLoopbackAddress(":50051"));
}

TEST(ListenPolicyTest, RemoteNeedsAuthAndTlsOrTheInsecureFlag) {
  EXPECT_TRUE(CheckListenPolicy({.address = "127.0.0.1:1"}).ok());
  EXPECT_THAT(CheckListenPolicy({.address = "0.0.0.0:1"}),
              StatusIs(absl::StatusCode::kFailedPrecondition, ::testing::HasSubstr("--auth-file")));
  EXPECT_TRUE(CheckListenPolicy({.address = "0.0.0.0:1", .insecure_allow_remote = true}).ok());
  EXPECT_THAT(CheckListenPolicy({.address = "0.0.0.0:1", .auth = true}),
              StatusIs(absl::StatusCode::kFailedPrecondition, ::testing::HasSubstr("TLS")));
  EXPECT_THAT(CheckListenPolicy({.address = "0.0.0.0:1", .auth = true, .insecure_allow_remote = true}),
              StatusIs(absl::StatusCode::kFailedPrecondition, ::testing::_));
  EXPECT_TRUE(CheckListenPolicy({.address = "0.0.0.0:1", .auth = true, .tls = true}).ok());
}

}  // namespace
}  // namespace ablate::auth
