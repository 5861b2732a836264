// sweep_client_test.cc: SweepClient's deadlines and messages against a
// Coordinator service on real loopback gRPC that answers SubmitSweep slowly
// (a stand-in for a coordinator storing a 10^6-job sweep): a submit that
// outlives its deadline says so honestly (not "cannot reach"), is not retried
// blindly, and names the request_id whose retry returns the stored sweep.
#include "cli/sweep_client.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace ablate::cli {
namespace {

using ::ablate::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

// SubmitSweep takes `delay`, then answers sweep 7 for every request_id (as the
// coordinator's idempotent store would for the id it stored); GetSweep takes
// `delay` too.
class SlowCoordinator final : public v1::Coordinator::Service {
 public:
  explicit SlowCoordinator(absl::Duration delay) : delay_(delay) {}
  grpc::Status SubmitSweep(grpc::ServerContext*, const v1::SubmitSweepRequest* req,
                           v1::SubmitSweepResponse* resp) override {
    {
      absl::MutexLock lock(&mu_);
      request_ids_.push_back(req->request_id());
    }
    absl::SleepFor(delay_);
    resp->set_sweep_id(7);
    resp->set_job_count(3);
    return grpc::Status::OK;
  }
  grpc::Status GetSweep(grpc::ServerContext*, const v1::GetSweepRequest* req, v1::SweepInfo* resp) override {
    absl::SleepFor(delay_);
    resp->set_sweep_id(req->sweep_id());
    return grpc::Status::OK;
  }
  std::vector<std::string> request_ids() const {
    absl::MutexLock lock(&mu_);
    return request_ids_;
  }

 private:
  const absl::Duration delay_;
  mutable absl::Mutex mu_;
  std::vector<std::string> request_ids_ ABSL_GUARDED_BY(mu_);
};

class SweepClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder b;
    b.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    b.RegisterService(&service_);
    server_ = b.BuildAndStart();
    ASSERT_NE(server_, nullptr);
  }
  void TearDown() override { server_->Shutdown(std::chrono::system_clock::now()); }

  SlowCoordinator service_{absl::Milliseconds(600)};
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
};

TEST_F(SweepClientTest, SubmitPastItsDeadlineSaysTheSweepMayExistAndHowToRetry) {
  const std::string address = absl::StrCat("127.0.0.1:", port_);
  SweepClient client(address);
  v1::SubmitSweepRequest req;
  req.mutable_spec()->set_name("big");
  absl::StatusOr<v1::SubmitSweepResponse> r = client.Submit(req, absl::Milliseconds(200));
  ASSERT_THAT(r.status(), StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("SubmitSweep")));
  const std::string message(r.status().message());
  EXPECT_THAT(message,
              HasSubstr(absl::StrCat("the coordinator at ", address, " did not answer SubmitSweep within 0.2 s")));
  EXPECT_THAT(message, HasSubstr("may have been accepted"));
  EXPECT_THAT(message, Not(HasSubstr("cannot reach")));
  EXPECT_THAT(message, Not(HasSubstr("is it running")));
  // Sent once (no retry that would race the first), with a request_id the message names.
  std::vector<std::string> ids = service_.request_ids();
  ASSERT_EQ(ids.size(), 1u);
  ASSERT_FALSE(ids[0].empty());
  EXPECT_THAT(message, HasSubstr(absl::StrCat("--request-id ", ids[0])));

  // The retry the message suggests: same id, longer deadline.
  req.set_request_id(ids[0]);
  r = client.Submit(req, absl::Seconds(10));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->sweep_id(), 7);
  ids = service_.request_ids();
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids[1], ids[0]);
}

TEST_F(SweepClientTest, ASlowAnswerIsNotReportedAsAnUnreachableCoordinator) {
  const std::string address = absl::StrCat("127.0.0.1:", port_);
  SweepClient client(address, absl::Milliseconds(200));
  EXPECT_THAT(
      client.GetSweep(1).status(),
      StatusIs(absl::StatusCode::kDeadlineExceeded,
               HasSubstr(absl::StrCat("the coordinator at ", address, " did not answer GetSweep within 0.2 s"))));
  // Nothing listens here: unreachable, and the message says so.
  SweepClient nobody("127.0.0.1:1", absl::Seconds(5));
  EXPECT_THAT(nobody.GetSweep(1).status(), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("cannot reach")));
}

}  // namespace
}  // namespace ablate::cli
