// sweep_client.h: the CLI's client for the Coordinator service: one method per
// RPC, each with a deadline, gRPC status translated to absl::Status with a
// message that names the coordinator address ("cannot reach the coordinator at
// 127.0.0.1:50051 ..." when it is unreachable; "the coordinator at ... did not
// answer SubmitSweep within 600 s ..." when it took longer than the deadline,
// which says nothing about whether it acted). Paging (ListJobs, QueryResults)
// is done here. Submit has its own, longer deadline: storing a 10^6-job sweep
// takes tens of seconds.
//
// Thread-safe (gRPC stubs are).
//
//   SweepClient client("127.0.0.1:50051");
//   ASSIGN_OR_RETURN(v1::SweepInfo info, client.GetSweep(3));
#ifndef ABLATE_CLI_SWEEP_CLIENT_H_
#define ABLATE_CLI_SWEEP_CLIENT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ablate/v1/coordinator.grpc.pb.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "auth/grpc_security.h"

namespace ablate::cli {

class SweepClient {
 public:
  // Plain text, no token (the local, unauthenticated coordinator).
  explicit SweepClient(const std::string& address, absl::Duration timeout = absl::Seconds(30));
  // TLS / mTLS and the token as `security` says (auth/grpc_security.h).
  SweepClient(const std::string& address, const auth::ClientSecurity& security,
              absl::Duration timeout = absl::Seconds(30));
  // Reads the TLS files and the token, then connects (lazily, like gRPC).
  static absl::StatusOr<std::unique_ptr<SweepClient>> Connect(const std::string& address,
                                                              const auth::ClientSecurityOptions& options);

  const std::string& address() const { return address_; }

  static constexpr absl::Duration kDefaultSubmitTimeout = absl::Minutes(10);

  // The request is MakeSubmitRequest's (cli/submit_request.h); without a
  // request_id a random one is set (the coordinator answers a repeat of an id
  // with the sweep it stored for it). Retried (same id) while the coordinator
  // is unreachable; not after `timeout`: DeadlineExceeded then says the sweep
  // may have been stored and names the request_id to retry with.
  absl::StatusOr<v1::SubmitSweepResponse> Submit(const v1::SubmitSweepRequest& request,
                                                 absl::Duration timeout = kDefaultSubmitTimeout);
  absl::StatusOr<v1::SweepInfo> GetSweep(int64_t sweep_id);
  absl::StatusOr<std::vector<v1::SweepInfo>> ListSweeps(bool include_finished);
  absl::StatusOr<int64_t> Cancel(int64_t sweep_id);
  // Every job (all pages) in `state` (UNSPECIFIED: all).
  absl::StatusOr<std::vector<v1::Job>> ListJobs(int64_t sweep_id, v1::JobState state);
  // Every result row (all pages) matching `filter` (its page fields are ignored).
  absl::StatusOr<std::vector<v1::ResultRow>> QueryResults(const v1::QueryResultsRequest& filter);
  absl::StatusOr<std::vector<v1::WorkerStatus>> ListWorkers();
  // Streams sweep events until the sweep ends, the stream breaks, or
  // `on_event` returns false.
  absl::Status Watch(int64_t sweep_id, const std::function<bool(const v1::SweepEvent&)>& on_event);

 private:
  std::unique_ptr<grpc::ClientContext> Ctx() const { return Ctx(timeout_); }
  std::unique_ptr<grpc::ClientContext> Ctx(absl::Duration timeout) const;
  // `timeout`: the call's deadline, named in the DeadlineExceeded message.
  absl::Status Translate(const grpc::Status& s, const char* call) const { return Translate(s, call, timeout_); }
  absl::Status Translate(const grpc::Status& s, const char* call, absl::Duration timeout) const;

  const std::string address_;
  const absl::Duration timeout_;
  std::unique_ptr<v1::Coordinator::Stub> stub_;
};

}  // namespace ablate::cli

#endif  // ABLATE_CLI_SWEEP_CLIENT_H_
