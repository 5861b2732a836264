// scheduler_harness.h: TEST ONLY. A real Scheduler on a temp SQLite file with
// a hand-driven clock and the fake expander, plus synchronous helpers for the
// worker calls (register, lease, heartbeat with progress, complete, fail), for
// tests of the core's read side and of the front ends built on it.
//
// Not thread-safe; one per test.
//
//   SchedulerHarness h("json_api");
//   int64_t sweep = h.Submit(FakeSpec("s", 1, 1));   // 4 jobs
//   std::string w = h.Register("w1");
//   std::vector<v1::Lease> leases = h.Lease(w, 2);
#ifndef ABLATE_TESTS_TESTING_SCHEDULER_HARNESS_H_
#define ABLATE_TESTS_TESTING_SCHEDULER_HARNESS_H_

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/notification.h"
#include "coordinator/scheduler.h"
#include "gtest/gtest.h"
#include "tests/testing/coordinator_fakes.h"

namespace ablate::testing {

template <typename T, typename Fn>
absl::StatusOr<T> SyncCall(Fn fn) {
  absl::Notification n;
  absl::StatusOr<T> out = absl::UnknownError("not answered");
  fn([&](absl::StatusOr<T> r) {
    out = std::move(r);
    n.Notify();
  });
  n.WaitForNotification();
  return out;
}

class SchedulerHarness {
 public:
  explicit SchedulerHarness(const std::string& name, coordinator::SchedulerObserver* observer = nullptr) {
    const std::string dir = ::testing::TempDir() + "/harness_" + std::to_string(::getpid());
    std::filesystem::create_directories(dir);
    const std::string path = dir + "/" + name + ".db";
    for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(path + s);
    coordinator::SchedulerOptions o;
    o.db_path = path;
    o.group_commit_ms = 0;
    o.run_maintenance_thread = false;
    o.worker_timeout_ms = 60000;
    o.observer = observer;
    auto s = coordinator::Scheduler::Open(
        o, [](v1::SweepSpec* spec, const auto&, const auto&, const auto& sink) { return FakeStream(spec, sink); },
        &clock_);
    EXPECT_TRUE(s.ok()) << s.status();
    if (s.ok()) core_ = std::move(s).value();
  }

  coordinator::Scheduler* core() { return core_.get(); }
  FakeClock& clock() { return clock_; }

  int64_t Submit(const v1::SweepSpec& spec) {
    v1::SubmitSweepRequest req;
    *req.mutable_spec() = spec;
    auto r = core_->SubmitSweep(req);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->sweep_id() : 0;
  }

  std::string Register(const std::string& name) {
    v1::RegisterWorkerRequest req;
    req.set_host("host-" + name);
    req.set_name(name);
    req.add_devices()->set_name("cpu");
    auto r = SyncCall<v1::RegisterWorkerResponse>([&](auto cb) { core_->RegisterWorker(req, cb); });
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->worker_id() : "";
  }

  std::vector<v1::Lease> Lease(const std::string& worker, int n) {
    v1::LeaseJobsRequest req;
    req.set_worker_id(worker);
    req.set_max_jobs(n);
    auto r = SyncCall<v1::LeaseJobsResponse>([&](auto cb) { core_->LeaseJobs(req, cb); });
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok()) return {};
    return {r->leases().begin(), r->leases().end()};
  }

  // One heartbeat carrying `progress` (job_id and lease_id are filled from the leases).
  v1::HeartbeatResponse Beat(const std::string& worker, const std::vector<v1::Lease>& leases,
                             const std::vector<v1::LeaseProgress>& progress,
                             const std::vector<std::string>& models = {}) {
    v1::HeartbeatRequest req;
    req.set_worker_id(worker);
    for (size_t i = 0; i < leases.size(); ++i) {
      v1::LeaseProgress* p = req.add_leases();
      if (i < progress.size()) *p = progress[i];
      p->set_job_id(leases[i].job().job_id());
      p->set_lease_id(leases[i].lease_id());
    }
    for (const auto& m : models) req.add_loaded_models(m);
    auto r = SyncCall<v1::HeartbeatResponse>([&](auto cb) { core_->Heartbeat(req, cb); });
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : v1::HeartbeatResponse();
  }

  void Complete(const std::string& worker, const v1::Lease& l, double value = 1.0) {
    v1::CompleteJobRequest req;
    req.set_worker_id(worker);
    req.set_job_id(l.job().job_id());
    req.set_lease_id(l.lease_id());
    req.set_attempt(l.attempt());
    v1::Metric* m = req.mutable_result()->add_metrics();
    m->set_name("perplexity");
    m->set_value(value);
    auto r = SyncCall<v1::CompleteJobResponse>([&](auto cb) { core_->CompleteJob(req, cb); });
    EXPECT_TRUE(r.ok() && r->accepted()) << r.status();
  }

  void Fail(const std::string& worker, const v1::Lease& l, const std::string& error) {
    v1::FailJobRequest req;
    req.set_worker_id(worker);
    req.set_job_id(l.job().job_id());
    req.set_lease_id(l.lease_id());
    req.set_attempt(l.attempt());
    req.set_error(error);
    auto r = SyncCall<v1::FailJobResponse>([&](auto cb) { core_->FailJob(req, cb); });
    EXPECT_TRUE(r.ok()) << r.status();
  }

  static v1::LeaseProgress Progress(double fraction, int64_t items, int64_t total, int64_t tokens,
                                    const std::string& message = "") {
    v1::LeaseProgress p;
    p.set_fraction(fraction);
    p.set_items_done(items);
    p.set_items_total(total);
    p.set_tokens_done(tokens);
    p.set_message(message);
    return p;
  }

 private:
  FakeClock clock_;
  std::unique_ptr<coordinator::Scheduler> core_;
};

}  // namespace ablate::testing

#endif  // ABLATE_TESTS_TESTING_SCHEDULER_HARNESS_H_
