// fake_worker_service.cc: see fake_worker_service.h. TEST ONLY.
#include "tests/testing/fake_worker_service.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"

namespace ablate::testing {

std::unique_ptr<grpc::Server> FakeWorkerService::Serve(const std::string& address, int* port) {
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials(), port);
  builder.RegisterService(this);
  return builder.BuildAndStart();
}

void FakeWorkerService::Enqueue(const v1::Job& job) {
  absl::MutexLock lock(&mu_);
  queue_.push_back(job);
}

void FakeWorkerService::CancelJob(int64_t job_id) {
  absl::MutexLock lock(&mu_);
  cancelled_.insert(job_id);  // cancel-pending: the live lease may still report
  queue_.erase(std::remove_if(queue_.begin(), queue_.end(), [&](const v1::Job& j) { return j.job_id() == job_id; }),
               queue_.end());
}

void FakeWorkerService::LoseLease(int64_t job_id) {
  absl::MutexLock lock(&mu_);
  lost_.insert(job_id);
  live_.erase(job_id);
}

void FakeWorkerService::ForgetWorkers() {
  absl::MutexLock lock(&mu_);
  workers_.clear();
}

void FakeWorkerService::set_shutting_down(bool v) {
  absl::MutexLock lock(&mu_);
  shutting_down_ = v;
}

std::vector<FakeWorkerService::Completion> FakeWorkerService::completed() const {
  absl::MutexLock lock(&mu_);
  return completed_;
}
std::vector<v1::FailJobRequest> FakeWorkerService::failed() const {
  absl::MutexLock lock(&mu_);
  return failed_;
}
std::vector<v1::HeartbeatRequest> FakeWorkerService::heartbeats() const {
  absl::MutexLock lock(&mu_);
  return heartbeats_;
}
std::vector<v1::RegisterWorkerRequest> FakeWorkerService::registrations() const {
  absl::MutexLock lock(&mu_);
  return registrations_;
}
std::vector<int> FakeWorkerService::batch_sizes() const {
  absl::MutexLock lock(&mu_);
  return batch_sizes_;
}

int64_t FakeWorkerService::leased_count() const {
  absl::MutexLock lock(&mu_);
  return leased_count_;
}
int FakeWorkerService::queued() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(queue_.size());
}

bool FakeWorkerService::WaitFor(const std::function<bool()>& done, absl::Duration timeout) {
  const absl::Time until = absl::Now() + timeout;
  while (absl::Now() < until) {
    if (done()) return true;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return done();
}

bool FakeWorkerService::KnownWorker(const std::string& id) const { return workers_.count(id) > 0; }

grpc::Status FakeWorkerService::RegisterWorker(grpc::ServerContext*, const v1::RegisterWorkerRequest* req,
                                               v1::RegisterWorkerResponse* resp) {
  absl::MutexLock lock(&mu_);
  registrations_.push_back(*req);
  const std::string id = absl::StrCat("w", ++next_worker_);
  workers_.insert(id);
  resp->set_worker_id(id);
  resp->set_heartbeat_interval_ms(heartbeat_interval_ms);
  return grpc::Status::OK;
}

grpc::Status FakeWorkerService::LeaseJobs(grpc::ServerContext* ctx, const v1::LeaseJobsRequest* req,
                                          v1::LeaseJobsResponse* resp) {
  const absl::Time until = absl::Now() + absl::Milliseconds(std::min(req->wait_ms(), max_long_poll_ms));
  absl::MutexLock lock(&mu_);
  if (!KnownWorker(req->worker_id())) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "unknown worker " + req->worker_id());
  }
  // Called only with mu_ held (by this thread and by AwaitWithDeadline).
  auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !queue_.empty() || shutting_down_; };
  while (!ready() && absl::Now() < until && !ctx->IsCancelled()) {
    mu_.AwaitWithDeadline(absl::Condition(&ready), std::min(until, absl::Now() + absl::Milliseconds(20)));
  }
  // As the coordinator: a poll its caller abandoned is given nothing.
  if (ctx->IsCancelled()) return grpc::Status(grpc::StatusCode::CANCELLED, "abandoned");
  resp->set_shutting_down(shutting_down_);
  while (!queue_.empty() && resp->leases_size() < std::max(1, req->max_jobs())) {
    v1::Job job = queue_.front();
    queue_.pop_front();
    v1::Lease* lease = resp->add_leases();
    const int32_t attempt = ++attempts_[job.job_id()];
    *lease->mutable_job() = job;
    lease->set_attempt(attempt);
    lease->set_lease_id(absl::StrCat("L", job.job_id(), "-", attempt));
    lease->set_expires_unix_ms(absl::ToUnixMillis(absl::Now() + absl::Seconds(30)));
    live_[job.job_id()] = *lease;
    ++leased_count_;
  }
  return grpc::Status::OK;
}

grpc::Status FakeWorkerService::Heartbeat(grpc::ServerContext*, const v1::HeartbeatRequest* req,
                                          v1::HeartbeatResponse* resp) {
  absl::MutexLock lock(&mu_);
  if (!KnownWorker(req->worker_id())) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "unknown worker " + req->worker_id());
  }
  heartbeats_.push_back(*req);
  for (const v1::LeaseProgress& p : req->leases()) {
    if (cancelled_.count(p.job_id())) {
      resp->add_cancelled_job_ids(p.job_id());
    } else if (lost_.count(p.job_id())) {
      resp->add_lost_job_ids(p.job_id());
    }
  }
  return grpc::Status::OK;
}

grpc::Status FakeWorkerService::CompleteJob(grpc::ServerContext*, const v1::CompleteJobRequest* req,
                                            v1::CompleteJobResponse* resp) {
  if (complete_delay > absl::ZeroDuration()) absl::SleepFor(complete_delay);
  absl::MutexLock lock(&mu_);
  if (!KnownWorker(req->worker_id())) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "unknown worker " + req->worker_id());
  }
  CompleteLocked(*req, resp);
  return grpc::Status::OK;
}

grpc::Status FakeWorkerService::CompleteJobs(grpc::ServerContext*, const v1::CompleteJobsRequest* req,
                                             v1::CompleteJobsResponse* resp) {
  if (!complete_jobs) return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, "CompleteJobs");
  if (complete_delay > absl::ZeroDuration()) absl::SleepFor(complete_delay);
  absl::MutexLock lock(&mu_);
  if (!KnownWorker(req->worker_id())) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "unknown worker " + req->worker_id());
  }
  batch_sizes_.push_back(req->completions_size());
  for (const v1::CompleteJobRequest& one : req->completions()) {
    v1::CompleteJobRequest named = one;
    if (named.worker_id().empty()) named.set_worker_id(req->worker_id());
    v1::CompleteJobOutcome* o = resp->add_outcomes();
    o->set_job_id(one.job_id());
    CompleteLocked(named, o->mutable_response());
  }
  return grpc::Status::OK;
}

void FakeWorkerService::CompleteLocked(const v1::CompleteJobRequest& req, v1::CompleteJobResponse* resp) {
  Completion c;
  c.request = req;
  if (completed_leases_.count(req.lease_id())) {
    c.accepted = true;
    c.duplicate = true;
  } else {
    auto it = live_.find(req.job_id());
    c.accepted = it != live_.end() && it->second.lease_id() == req.lease_id() && it->second.attempt() == req.attempt();
    if (c.accepted) {
      completed_leases_.insert(req.lease_id());
      live_.erase(it);
    }
  }
  resp->set_accepted(c.accepted);
  resp->set_duplicate(c.duplicate);
  completed_.push_back(std::move(c));
}

grpc::Status FakeWorkerService::FailJob(grpc::ServerContext*, const v1::FailJobRequest* req,
                                        v1::FailJobResponse* resp) {
  absl::MutexLock lock(&mu_);
  if (!KnownWorker(req->worker_id())) {
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "unknown worker " + req->worker_id());
  }
  failed_.push_back(*req);
  auto it = live_.find(req->job_id());
  const bool accepted = it != live_.end() && it->second.lease_id() == req->lease_id();
  resp->set_accepted(accepted);
  if (accepted) live_.erase(it);
  return grpc::Status::OK;
}

}  // namespace ablate::testing
