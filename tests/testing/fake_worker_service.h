// fake_worker_service.h: TEST ONLY. An in-memory WorkerService served over real
// gRPC on loopback, for unit-testing the worker runtime without the real
// coordinator. Tests enqueue jobs, then inspect what the worker reported; they
// can cancel jobs, mark leases lost, make the service "forget" workers (as a
// restarted coordinator would) and stop/restart it on the same port.
//
// Fencing mirrors the product contract: CompleteJob/FailJob for a lease that is
// not current answers accepted=false; a second CompleteJob of the same attempt
// answers duplicate=true. Unknown worker ids get NOT_FOUND. CompleteJobs
// answers each completion as CompleteJob would (or is UNIMPLEMENTED).
//
// Thread-safe.
//
//   FakeWorkerService fake;
//   auto server = fake.Serve("127.0.0.1:0");
//   fake.Enqueue(MakeJob(1));
//   fake.WaitFor([&] { return fake.completed().size() == 1; }, absl::Seconds(5));
#ifndef ABLATE_TESTS_TESTING_FAKE_WORKER_SERVICE_H_
#define ABLATE_TESTS_TESTING_FAKE_WORKER_SERVICE_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "ablate/v1/worker.grpc.pb.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/server.h"

namespace ablate::testing {

class FakeWorkerService final : public v1::WorkerService::Service {
 public:
  struct Completion {
    v1::CompleteJobRequest request;
    bool accepted = false;
    bool duplicate = false;
  };

  int32_t heartbeat_interval_ms = 50;  // told to workers at registration
  int32_t max_long_poll_ms = 200;      // cap on LeaseJobs waits
  absl::Duration complete_delay;       // each CompleteJob answers this late (a slow coordinator)
  bool complete_jobs = true;           // false: CompleteJobs is UNIMPLEMENTED (an older coordinator)

  // Starts a gRPC server on `address` ("127.0.0.1:0" picks a port); *port gets it.
  std::unique_ptr<grpc::Server> Serve(const std::string& address, int* port);

  void Enqueue(const v1::Job& job);
  void CancelJob(int64_t job_id);  // reported in the next heartbeat answer
  void LoseLease(int64_t job_id);  // reported in the next heartbeat answer, lease invalidated
  void ForgetWorkers();            // as a restarted coordinator: known ids become NOT_FOUND
  void set_shutting_down(bool v);

  std::vector<Completion> completed() const;
  std::vector<v1::FailJobRequest> failed() const;
  std::vector<v1::HeartbeatRequest> heartbeats() const;
  std::vector<v1::RegisterWorkerRequest> registrations() const;
  int64_t leased_count() const;
  std::vector<int> batch_sizes() const;  // completions per CompleteJobs call answered
  int queued() const;

  // Polls `done` every 10 ms until it holds or `timeout` passes.
  static bool WaitFor(const std::function<bool()>& done, absl::Duration timeout);

  grpc::Status RegisterWorker(grpc::ServerContext*, const v1::RegisterWorkerRequest*,
                              v1::RegisterWorkerResponse*) override;
  grpc::Status LeaseJobs(grpc::ServerContext*, const v1::LeaseJobsRequest*, v1::LeaseJobsResponse*) override;
  grpc::Status Heartbeat(grpc::ServerContext*, const v1::HeartbeatRequest*, v1::HeartbeatResponse*) override;
  grpc::Status CompleteJob(grpc::ServerContext*, const v1::CompleteJobRequest*, v1::CompleteJobResponse*) override;
  grpc::Status CompleteJobs(grpc::ServerContext*, const v1::CompleteJobsRequest*, v1::CompleteJobsResponse*) override;
  grpc::Status FailJob(grpc::ServerContext*, const v1::FailJobRequest*, v1::FailJobResponse*) override;

 private:
  // One completion, fenced as CompleteJob fences it.
  void CompleteLocked(const v1::CompleteJobRequest& req, v1::CompleteJobResponse* resp)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool KnownWorker(const std::string& id) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  int next_worker_ ABSL_GUARDED_BY(mu_) = 0;
  std::set<std::string> workers_ ABSL_GUARDED_BY(mu_);
  std::deque<v1::Job> queue_ ABSL_GUARDED_BY(mu_);
  std::map<int64_t, v1::Lease> live_ ABSL_GUARDED_BY(mu_);  // job id -> current lease
  std::map<int64_t, int32_t> attempts_ ABSL_GUARDED_BY(mu_);
  std::set<int64_t> cancelled_ ABSL_GUARDED_BY(mu_);
  std::set<int64_t> lost_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> completed_leases_ ABSL_GUARDED_BY(mu_);
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  int64_t leased_count_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<Completion> completed_ ABSL_GUARDED_BY(mu_);
  std::vector<int> batch_sizes_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::FailJobRequest> failed_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::HeartbeatRequest> heartbeats_ ABSL_GUARDED_BY(mu_);
  std::vector<v1::RegisterWorkerRequest> registrations_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ablate::testing

#endif  // ABLATE_TESTS_TESTING_FAKE_WORKER_SERVICE_H_
