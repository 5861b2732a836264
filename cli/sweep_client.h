// sweep_client.h: the CLI's client for the Coordinator service: one method per
// RPC, each with a deadline, gRPC status translated to absl::Status with a
// message that names the coordinator address ("cannot reach the coordinator at
// 127.0.0.1:50051 ..."). Paging (ListJobs, QueryResults) is done here.
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

namespace ablate::cli {

class SweepClient {
 public:
  explicit SweepClient(const std::string& address, absl::Duration timeout = absl::Seconds(30));

  const std::string& address() const { return address_; }

  // The request is MakeSubmitRequest's (cli/submit_request.h).
  absl::StatusOr<v1::SubmitSweepResponse> Submit(const v1::SubmitSweepRequest& request);
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
  std::unique_ptr<grpc::ClientContext> Ctx() const;
  absl::Status Translate(const grpc::Status& s, const char* call) const;

  const std::string address_;
  const absl::Duration timeout_;
  std::unique_ptr<v1::Coordinator::Stub> stub_;
};

}  // namespace ablate::cli

#endif  // ABLATE_CLI_SWEEP_CLIENT_H_
