// scheduler_test.cc: the coordinator core's state machine on a real SQLite
// file with a hand-driven clock: lease, expiry, heartbeat, max_attempts,
// release, fencing, duplicates, cancellation, affinity, lease bundling,
// priority, long poll and restart.
#include "coordinator/scheduler.h"

#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/coordinator_fakes.h"
#include "tests/testing/status_matchers.h"

namespace ablate::coordinator {
namespace {

using ::ablate::testing::FakeClock;
using ::ablate::testing::FakeSpec;
using ::ablate::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

template <typename T, typename Fn>
absl::StatusOr<T> Sync(Fn fn) {
  absl::Notification n;
  absl::StatusOr<T> out = absl::UnknownError("not answered");
  fn([&](absl::StatusOr<T> r) {
    out = std::move(r);
    n.Notify();
  });
  n.WaitForNotification();
  return out;
}

class SchedulerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string dir = ::testing::TempDir() + "/scheduler_test_" + std::to_string(::getpid());
    std::filesystem::create_directories(dir);
    path_ = dir + "/" + ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db";
    for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(path_ + s);
    Reopen();
  }

  void Reopen() {
    core_.reset();
    SchedulerOptions o;
    o.db_path = path_;
    o.group_commit_ms = 0;
    o.run_maintenance_thread = false;
    o.worker_timeout_ms = 60000;
    o.reclaim_grace_ms = reclaim_grace_ms_;
    o.materialize_above_jobs = materialize_above_jobs_;
    o.materialize_chunk_jobs = materialize_chunk_jobs_;
    o.materialize_ahead_jobs = materialize_ahead_jobs_;
    auto s = Scheduler::Open(
        o,
        [this](v1::SweepSpec* spec, const auto&, const auto&, const auto& sink) {
          return ::ablate::testing::FakeStream(spec, sink, layers_per_model_);
        },
        &clock_);
    ASSERT_TRUE(s.ok()) << s.status();
    core_ = std::move(s).value();
  }

  int64_t Submit(v1::SweepSpec spec, int ttl_s = 10, int max_attempts = 3, int priority = 0) {
    spec.mutable_execution()->set_lease_ttl_seconds(ttl_s);
    spec.mutable_execution()->set_max_attempts(max_attempts);
    spec.mutable_execution()->set_priority(priority);
    v1::SubmitSweepRequest req;
    *req.mutable_spec() = spec;
    req.set_spec_text("name: " + spec.name());
    auto r = core_->SubmitSweep(req);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->sweep_id() : 0;
  }

  std::string Register(const std::string& name, std::vector<std::string> models = {}, std::string device = "cuda:0") {
    v1::RegisterWorkerRequest req;
    req.set_host("host-" + name);
    req.set_name(name);
    req.add_devices()->set_name(device);
    for (auto& m : models) req.add_loaded_models(m);
    auto r = Sync<v1::RegisterWorkerResponse>([&](auto cb) { core_->RegisterWorker(req, cb); });
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->worker_id() : "";
  }

  std::vector<v1::Lease> Lease(const std::string& worker, int n, std::vector<std::string> models = {}) {
    v1::LeaseJobsRequest req;
    req.set_worker_id(worker);
    req.set_max_jobs(n);
    req.set_wait_ms(0);
    for (auto& m : models) req.add_loaded_models(m);
    auto r = Sync<v1::LeaseJobsResponse>([&](auto cb) { core_->LeaseJobs(req, cb); });
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok()) return {};
    return {r->leases().begin(), r->leases().end()};
  }

  v1::CompleteJobResponse Complete(const std::string& worker, const v1::Lease& l, double v = 1.0) {
    v1::CompleteJobRequest req;
    req.set_worker_id(worker);
    req.set_job_id(l.job().job_id());
    req.set_lease_id(l.lease_id());
    req.set_attempt(l.attempt());
    v1::Metric* m = req.mutable_result()->add_metrics();
    m->set_name("perplexity");
    m->set_value(v);
    auto r = Sync<v1::CompleteJobResponse>([&](auto cb) { core_->CompleteJob(req, cb); });
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : v1::CompleteJobResponse();
  }

  v1::FailJobResponse Fail(const std::string& worker, const v1::Lease& l, bool release,
                           const std::string& error = "boom") {
    v1::FailJobRequest req;
    req.set_worker_id(worker);
    req.set_job_id(l.job().job_id());
    req.set_lease_id(l.lease_id());
    req.set_attempt(l.attempt());
    req.set_error(error);
    req.set_release(release);
    auto r = Sync<v1::FailJobResponse>([&](auto cb) { core_->FailJob(req, cb); });
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : v1::FailJobResponse();
  }

  v1::HeartbeatResponse Beat(const std::string& worker, const std::vector<v1::Lease>& leases) {
    v1::HeartbeatRequest req;
    req.set_worker_id(worker);
    for (const auto& l : leases) {
      v1::LeaseProgress* p = req.add_leases();
      p->set_job_id(l.job().job_id());
      p->set_lease_id(l.lease_id());
      p->set_fraction(0.5);
    }
    auto r = Sync<v1::HeartbeatResponse>([&](auto cb) { core_->Heartbeat(req, cb); });
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : v1::HeartbeatResponse();
  }

  v1::Job GetJob(int64_t sweep, int64_t job_id) {
    v1::ListJobsRequest req;
    req.set_sweep_id(sweep);
    req.set_after_job_id(job_id - 1);
    req.set_page_size(1);
    auto r = core_->ListJobs(req);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() && r->jobs_size() == 1 ? r->jobs(0) : v1::Job();
  }

  v1::SweepInfo Sweep(int64_t id) {
    auto r = core_->GetSweep(id);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? *r : v1::SweepInfo();
  }

  int64_t ResultsOf(int64_t job_id) {
    v1::QueryResultsRequest req;
    req.set_page_size(10000);
    auto r = core_->QueryResults(req);
    EXPECT_TRUE(r.ok()) << r.status();
    int64_t n = 0;
    for (const auto& row : r->rows()) n += row.job_id() == job_id;
    return n;
  }

  FakeClock clock_;
  std::string path_;
  int32_t reclaim_grace_ms_ = 0;  // most tests hand requeued jobs out at once after Reopen
  int layers_per_model_ = 3;      // FakeExpand: jobs per (model, evaluation, seed) - 1
  int64_t materialize_above_jobs_ = 10000;
  int32_t materialize_chunk_jobs_ = 2000;
  int64_t materialize_ahead_jobs_ = 20000;
  std::unique_ptr<Scheduler> core_;
};

TEST_F(SchedulerTest, LeaseCompleteDuplicateAndStaleReports) {
  int64_t sweep = Submit(FakeSpec("s", 1, 1));  // 4 jobs
  EXPECT_EQ(Sweep(sweep).counts().total(), 4);
  std::string w = Register("w");
  auto leases = Lease(w, 10);
  ASSERT_EQ(leases.size(), 4u);
  EXPECT_EQ(leases[0].attempt(), 1);
  EXPECT_EQ(leases[0].job().spec().condition().label(), "baseline");  // spec travels with the lease
  EXPECT_EQ(leases[0].job().spec().model().path(), "/ckpt/m0");
  EXPECT_GT(leases[0].expires_unix_ms(), clock_.NowMs());
  EXPECT_THAT(Lease(w, 1), IsEmpty());

  v1::CompleteJobResponse r = Complete(w, leases[0]);
  EXPECT_TRUE(r.accepted());
  EXPECT_FALSE(r.duplicate());
  r = Complete(w, leases[0], 99.0);
  EXPECT_TRUE(r.accepted());
  EXPECT_TRUE(r.duplicate());
  v1::Lease stale = leases[1];
  stale.set_attempt(0);
  EXPECT_FALSE(Complete(w, stale).accepted());
  stale = leases[1];
  stale.set_lease_id("forged");
  EXPECT_FALSE(Complete(w, stale).accepted());
  EXPECT_EQ(ResultsOf(leases[1].job().job_id()), 0);

  for (size_t i = 1; i < leases.size(); ++i) EXPECT_TRUE(Complete(w, leases[i]).accepted());
  v1::SweepInfo info = Sweep(sweep);
  EXPECT_EQ(info.state(), v1::SWEEP_DONE);
  EXPECT_EQ(info.counts().succeeded(), 4);
  EXPECT_GT(info.finished_unix_ms(), 0);
  EXPECT_EQ(info.spec().name(), "s");
  for (const auto& l : leases) EXPECT_EQ(ResultsOf(l.job().job_id()), 1);
  // After the sweep ended (jobs no longer in memory) duplicates are still idempotent.
  r = Complete(w, leases[2]);
  EXPECT_TRUE(r.accepted());
  EXPECT_TRUE(r.duplicate());
  EXPECT_EQ(ResultsOf(leases[2].job().job_id()), 1);
}

TEST_F(SchedulerTest, ExpiryRequeuesWithoutCountingAndFencesOldAttempt) {
  int64_t sweep = Submit(FakeSpec("s", 1, 1), /*ttl_s=*/10);
  std::string a = Register("a"), b = Register("b");
  auto first = Lease(a, 1);
  ASSERT_EQ(first.size(), 1u);
  clock_.Advance(absl::Seconds(9));
  core_->Tick(true);
  EXPECT_EQ(GetJob(sweep, first[0].job().job_id()).state(), v1::LEASED);
  clock_.Advance(absl::Seconds(2));
  core_->Tick(true);
  v1::Job job = GetJob(sweep, first[0].job().job_id());
  EXPECT_EQ(job.state(), v1::QUEUED);
  EXPECT_EQ(job.attempts(), 0);  // a lost lease is not counted

  auto second = Lease(b, 1);
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second[0].job().job_id(), first[0].job().job_id());
  EXPECT_EQ(second[0].attempt(), 2);
  EXPECT_FALSE(Complete(a, first[0]).accepted());  // fenced off
  EXPECT_FALSE(Fail(a, first[0], false).accepted());
  EXPECT_THAT(Beat(a, first).lost_job_ids(), ElementsAre(first[0].job().job_id()));
  EXPECT_TRUE(Complete(b, second[0]).accepted());
  EXPECT_EQ(ResultsOf(first[0].job().job_id()), 1);
}

TEST_F(SchedulerTest, ExpiredButNotReleasedAttemptCanStillFinish) {
  int64_t sweep = Submit(FakeSpec("s", 1, 1), /*ttl_s=*/10);
  std::string a = Register("a");
  auto leases = Lease(a, 2);
  ASSERT_EQ(leases.size(), 2u);
  clock_.Advance(absl::Seconds(11));
  core_->Tick(true);
  // Nobody leased the jobs again: a late completion lands, a heartbeat re-claims.
  EXPECT_TRUE(Complete(a, leases[0]).accepted());
  v1::HeartbeatResponse hb = Beat(a, {leases[1]});
  EXPECT_THAT(hb.lost_job_ids(), IsEmpty());
  EXPECT_EQ(GetJob(sweep, leases[1].job().job_id()).state(), v1::LEASED);
  EXPECT_TRUE(Complete(a, leases[1]).accepted());
  EXPECT_EQ(GetJob(sweep, leases[0].job().job_id()).state(), v1::SUCCEEDED);
}

TEST_F(SchedulerTest, HeartbeatExtendsLease) {
  int64_t sweep = Submit(FakeSpec("s", 1, 1), /*ttl_s=*/10);
  std::string w = Register("w");
  auto leases = Lease(w, 1);
  ASSERT_EQ(leases.size(), 1u);
  for (int i = 0; i < 5; ++i) {
    clock_.Advance(absl::Seconds(8));
    v1::HeartbeatResponse hb = Beat(w, leases);
    EXPECT_THAT(hb.lost_job_ids(), IsEmpty());
    EXPECT_EQ(hb.lease_expires_unix_ms(), clock_.NowMs() + 10000);
    core_->Tick(true);
  }
  EXPECT_EQ(GetJob(sweep, leases[0].job().job_id()).state(), v1::LEASED);
  // A heartbeat that does not list the lease does not renew it.
  clock_.Advance(absl::Seconds(8));
  Beat(w, {});
  clock_.Advance(absl::Seconds(3));
  core_->Tick(true);
  EXPECT_EQ(GetJob(sweep, leases[0].job().job_id()).state(), v1::QUEUED);
}

TEST_F(SchedulerTest, CountedFailuresExhaustAttemptsButReleasesDoNot) {
  int64_t sweep = Submit(FakeSpec("s", 1, 1), /*ttl_s=*/10, /*max_attempts=*/2);
  std::string w = Register("w");
  // Releases (drain, preemption) are free.
  for (int i = 0; i < 4; ++i) {
    auto l = Lease(w, 1);
    ASSERT_EQ(l.size(), 1u);
    v1::FailJobResponse r = Fail(w, l[0], /*release=*/true);
    EXPECT_TRUE(r.accepted());
    EXPECT_TRUE(r.will_retry());
  }
  auto l = Lease(w, 1);
  ASSERT_EQ(l.size(), 1u);
  const int64_t job_id = l[0].job().job_id();
  EXPECT_EQ(l[0].attempt(), 5);
  EXPECT_EQ(l[0].job().attempts(), 0);
  v1::FailJobResponse r = Fail(w, l[0], false, "cuda error 1");
  EXPECT_TRUE(r.accepted());
  EXPECT_TRUE(r.will_retry());
  r = Fail(w, l[0], false, "cuda error 1");  // the same report again: counted once
  EXPECT_TRUE(r.accepted());
  EXPECT_EQ(GetJob(sweep, job_id).attempts(), 1);

  l = Lease(w, 1);
  ASSERT_EQ(l.size(), 1u);
  ASSERT_EQ(l[0].job().job_id(), job_id);  // the same job, first in order
  EXPECT_EQ(l[0].job().last_error(), "cuda error 1");
  r = Fail(w, l[0], false, "cuda error 2");
  EXPECT_TRUE(r.accepted());
  EXPECT_FALSE(r.will_retry());
  v1::Job job = GetJob(sweep, job_id);
  EXPECT_EQ(job.state(), v1::FAILED);
  EXPECT_EQ(job.attempts(), 2);
  EXPECT_EQ(job.last_error(), "cuda error 2");
  EXPECT_FALSE(Complete(w, l[0]).accepted());  // a failed job takes no result
  EXPECT_EQ(Sweep(sweep).counts().failed(), 1);
}

TEST_F(SchedulerTest, JobWhoseLeasesKeepExpiringFailsAfterMaxLostLeases) {
  int64_t sweep = Submit(FakeSpec("s", 1, 1), /*ttl_s=*/10);
  std::string w = Register("w");
  int64_t job_id = 0;
  for (int i = 0; i < 10; ++i) {  // max_lost_leases defaults to 10
    auto l = Lease(w, 1);
    ASSERT_EQ(l.size(), 1u);
    if (job_id == 0) job_id = l[0].job().job_id();
    ASSERT_EQ(l[0].job().job_id(), job_id);
    clock_.Advance(absl::Seconds(11));
    core_->Tick(true);
  }
  v1::Job job = GetJob(sweep, job_id);
  EXPECT_EQ(job.state(), v1::FAILED);
  EXPECT_EQ(job.attempts(), 0);  // never counted against max_attempts
  EXPECT_THAT(job.last_error(), HasSubstr("lease lost 10 times"));
}

TEST_F(SchedulerTest, CancelSweepReachesRunningWorkersThroughHeartbeat) {
  int64_t sweep = Submit(FakeSpec("s", 1, 1));  // 4 jobs
  std::string w = Register("w");
  auto leases = Lease(w, 2);
  ASSERT_EQ(leases.size(), 2u);
  auto resp = Sync<v1::CancelSweepResponse>([&](auto cb) {
    v1::CancelSweepRequest req;
    req.set_sweep_id(sweep);
    core_->CancelSweep(req, cb);
  });
  ASSERT_OK(resp);
  EXPECT_EQ(resp->cancelled_jobs(), 4);  // 2 queued cancelled + 2 cancel-pending
  v1::SweepInfo info = Sweep(sweep);
  EXPECT_EQ(info.state(), v1::SWEEP_CANCELLED);
  EXPECT_EQ(info.counts().cancelled(), 2);
  EXPECT_EQ(info.counts().leased(), 2);
  EXPECT_THAT(Lease(w, 4), IsEmpty());

  v1::HeartbeatResponse hb = Beat(w, leases);
  EXPECT_THAT(hb.cancelled_job_ids(), UnorderedElementsAre(leases[0].job().job_id(), leases[1].job().job_id()));
  // The worker stops one; the other's completion raced in: stored, job CANCELLED.
  v1::FailJobResponse f = Fail(w, leases[0], false, "cancelled by coordinator");
  EXPECT_TRUE(f.accepted());
  EXPECT_FALSE(f.will_retry());
  EXPECT_TRUE(Complete(w, leases[1]).accepted());
  EXPECT_EQ(ResultsOf(leases[1].job().job_id()), 1);
  EXPECT_EQ(GetJob(sweep, leases[0].job().job_id()).state(), v1::CANCELLED);
  EXPECT_EQ(GetJob(sweep, leases[1].job().job_id()).state(), v1::CANCELLED);
  info = Sweep(sweep);
  EXPECT_EQ(info.counts().cancelled(), 4);
  EXPECT_GT(info.finished_unix_ms(), 0);
  EXPECT_EQ(info.state(), v1::SWEEP_CANCELLED);
  EXPECT_TRUE(Complete(w, leases[1]).duplicate());

  auto again = Sync<v1::CancelSweepResponse>([&](auto cb) {
    v1::CancelSweepRequest req;
    req.set_sweep_id(sweep);
    core_->CancelSweep(req, cb);
  });
  ASSERT_OK(again);
  EXPECT_EQ(again->cancelled_jobs(), 0);
  auto missing = Sync<v1::CancelSweepResponse>([&](auto cb) {
    v1::CancelSweepRequest req;
    req.set_sweep_id(777);
    core_->CancelSweep(req, cb);
  });
  EXPECT_THAT(missing, StatusIs(absl::StatusCode::kNotFound, HasSubstr("777")));
}

TEST_F(SchedulerTest, CancelledJobAcceptsOnlyALostAttemptsCompletion) {
  int64_t sweep = Submit(FakeSpec("s", 1, 1), /*ttl_s=*/10);  // 4 jobs
  std::string w = Register("w");
  auto leases = Lease(w, 4);
  ASSERT_EQ(leases.size(), 4u);
  EXPECT_TRUE(Fail(w, leases[0], false, "oom").will_retry());  // attempt ended by FailJob
  clock_.Advance(absl::Seconds(9));
  Beat(w, {leases[3]});  // stays leased: cancel-pending keeps the sweep running
  clock_.Advance(absl::Seconds(2));
  core_->Tick(true);  // leases 1 and 2 expire: requeued, attempts still valid
  ASSERT_OK(Sync<v1::CancelSweepResponse>([&](auto cb) {
    v1::CancelSweepRequest req;
    req.set_sweep_id(sweep);
    core_->CancelSweep(req, cb);
  }));
  EXPECT_FALSE(Complete(w, leases[0]).accepted());  // its attempt already failed
  EXPECT_TRUE(Complete(w, leases[1]).accepted());   // lost, not re-leased: stored
  EXPECT_EQ(ResultsOf(leases[1].job().job_id()), 1);
  EXPECT_EQ(GetJob(sweep, leases[1].job().job_id()).state(), v1::CANCELLED);
  EXPECT_EQ(ResultsOf(leases[0].job().job_id()), 0);
}

TEST_F(SchedulerTest, CancelPendingLeaseThatExpiresEndsCancelled) {
  int64_t sweep = Submit(FakeSpec("s", 1, 1), /*ttl_s=*/10);
  std::string w = Register("w");
  auto leases = Lease(w, 1);
  ASSERT_EQ(leases.size(), 1u);
  ASSERT_OK(Sync<v1::CancelSweepResponse>([&](auto cb) {
    v1::CancelSweepRequest req;
    req.set_sweep_id(sweep);
    core_->CancelSweep(req, cb);
  }));
  clock_.Advance(absl::Seconds(11));
  core_->Tick(true);
  EXPECT_EQ(GetJob(sweep, leases[0].job().job_id()).state(), v1::CANCELLED);
  EXPECT_GT(Sweep(sweep).finished_unix_ms(), 0);
}

TEST_F(SchedulerTest, AffinityAndSameModelEvaluationBatches) {
  Submit(FakeSpec("s", /*models=*/3, /*evals=*/2));  // per model: 4 conditions x 2 evals
  std::string w = Register("w", {"/ckpt/m2"});
  auto leases = Lease(w, 3);
  ASSERT_EQ(leases.size(), 3u);
  for (const auto& l : leases) {
    EXPECT_EQ(l.job().spec().model().path(), "/ckpt/m2");
    EXPECT_EQ(l.job().spec().evaluation().name(), leases[0].job().spec().evaluation().name());
  }
  // A batch never mixes models: 8 jobs of m2 remain 5, then it stops at m2.
  leases = Lease(w, 8);
  ASSERT_EQ(leases.size(), 5u);
  for (const auto& l : leases) EXPECT_EQ(l.job().spec().model().path(), "/ckpt/m2");
  // Loaded models given on the request win over those of the registration.
  leases = Lease(w, 1, {"/ckpt/m1"});
  ASSERT_EQ(leases.size(), 1u);
  EXPECT_EQ(leases[0].job().spec().model().path(), "/ckpt/m1");
  // A worker holding nothing gets the oldest job.
  std::string fresh = Register("fresh");
  leases = Lease(fresh, 1);
  ASSERT_EQ(leases.size(), 1u);
  EXPECT_EQ(leases[0].job().spec().model().path(), "/ckpt/m0");
  EXPECT_EQ(leases[0].job().spec().index(), 0);
}

TEST_F(SchedulerTest, PriorityThenSweepAgeBeatAffinityAcrossLevels) {
  int64_t low = Submit(FakeSpec("low", 1, 1), 10, 3, /*priority=*/0);
  int64_t old_high = Submit(FakeSpec("high", 1, 1), 10, 3, /*priority=*/5);
  int64_t new_high = Submit(FakeSpec("high2", 1, 1), 10, 3, /*priority=*/5);
  // The worker holds the model of every sweep: priority decides, then age.
  std::string w = Register("w", {"/ckpt/m0"});
  auto l = Lease(w, 1);
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0].job().sweep_id(), old_high);
  EXPECT_EQ(l[0].job().priority(), 5);
  l = Lease(w, 7);  // one model per batch, in queue order: the other 7 high-priority jobs
  ASSERT_EQ(l.size(), 7u);
  std::set<int64_t> sweeps;
  for (const auto& x : l) sweeps.insert(x.job().sweep_id());
  EXPECT_THAT(sweeps, UnorderedElementsAre(old_high, new_high));
  EXPECT_EQ(l[0].job().sweep_id(), old_high);
  l = Lease(w, 1);
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0].job().sweep_id(), low);
}

TEST_F(SchedulerTest, WorkerKeepsLeasingTheModelAndEvaluationItWasLeasedLast) {
  // Per model 4 conditions x 2 evaluations, queued interleaved: (baseline, e0),
  // (baseline, e1), (L0, e0), (L0, e1), ...
  Submit(FakeSpec("s", 1, 2));
  std::string a = Register("a");
  std::string b = Register("b");
  auto label = [](const v1::Lease& l) {
    return l.job().spec().evaluation().name() + "/" + l.job().spec().condition().label();
  };
  // One job at a time: without bundling `a` would alternate e0, e1, e0, ...
  std::vector<std::string> got_a;
  for (int i = 0; i < 4; ++i) {
    auto la = Lease(a, 1);
    ASSERT_EQ(la.size(), 1u);
    got_a.push_back(label(la[0]));
  }
  std::vector<std::string> got_b;
  for (int i = 0; i < 4; ++i) {
    auto lb = Lease(b, 1);
    ASSERT_EQ(lb.size(), 1u);
    got_b.push_back(label(lb[0]));
  }
  // Each worker stays on one evaluation, its baseline first, in queue order.
  EXPECT_THAT(got_a, ElementsAre("e0/baseline", "e0/layer_sweep/attention/L0", "e0/layer_sweep/attention/L1",
                                 "e0/layer_sweep/attention/L2"));
  EXPECT_THAT(got_b, ElementsAre("e1/baseline", "e1/layer_sweep/attention/L0", "e1/layer_sweep/attention/L1",
                                 "e1/layer_sweep/attention/L2"));
}

TEST_F(SchedulerTest, LeaseBundlingYieldsToTheModelsTheWorkerHoldsAndToPriority) {
  Submit(FakeSpec("s", 2, 2));  // m0 and m1, 8 jobs each
  std::string w = Register("w");
  auto l = Lease(w, 1);
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0].job().spec().model().path(), "/ckpt/m0");
  EXPECT_EQ(l[0].job().spec().evaluation().name(), "e0");
  // Once the worker says it holds another model, that model's jobs win.
  l = Lease(w, 1, {"/ckpt/m1"});
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0].job().spec().model().path(), "/ckpt/m1");
  // A higher priority sweep's job beats the worker's bundle (and its model).
  v1::SweepSpec spec = FakeSpec("urgent", 1, 1);
  spec.mutable_models(0)->set_path("/ckpt/u");
  int64_t urgent = Submit(spec, 10, 3, /*priority=*/5);
  l = Lease(w, 1, {"/ckpt/m1"});
  ASSERT_EQ(l.size(), 1u);
  EXPECT_EQ(l[0].job().sweep_id(), urgent);
}

TEST_F(SchedulerTest, GpuSweepsGoOnlyToGpuWorkers) {
  v1::SweepSpec spec = FakeSpec("gpu", 1, 1);
  spec.mutable_execution()->set_device("cuda");
  Submit(spec);
  std::string cpu = Register("cpu", {}, "cpu");
  std::string gpu = Register("gpu", {}, "cuda:0");
  EXPECT_THAT(Lease(cpu, 1), IsEmpty());
  EXPECT_EQ(Lease(gpu, 1).size(), 1u);
}

TEST_F(SchedulerTest, LongPollIsAnsweredWhenJobsArriveOrTheWaitEnds) {
  std::string w = Register("w");
  absl::Notification answered;
  absl::StatusOr<v1::LeaseJobsResponse> got;
  v1::LeaseJobsRequest req;
  req.set_worker_id(w);
  req.set_max_jobs(2);
  req.set_wait_ms(5000);
  uint64_t token = core_->LeaseJobs(req, [&](absl::StatusOr<v1::LeaseJobsResponse> r) {
    got = std::move(r);
    answered.Notify();
  });
  EXPECT_NE(token, 0u);
  EXPECT_FALSE(answered.HasBeenNotified());
  Submit(FakeSpec("s", 1, 1));
  ASSERT_TRUE(answered.WaitForNotificationWithTimeout(absl::Seconds(10)));
  ASSERT_OK(got);
  EXPECT_EQ(got->leases_size(), 2);

  // Nothing left after the rest is taken: the poll ends empty at its deadline.
  EXPECT_EQ(Lease(w, 10).size(), 2u);
  absl::Notification timed_out;
  core_->LeaseJobs(req, [&](absl::StatusOr<v1::LeaseJobsResponse> r) {
    EXPECT_TRUE(r.ok());
    EXPECT_EQ(r->leases_size(), 0);
    timed_out.Notify();
  });
  core_->Tick();
  EXPECT_FALSE(timed_out.HasBeenNotified());
  clock_.Advance(absl::Milliseconds(5001));
  core_->Tick();
  EXPECT_TRUE(timed_out.HasBeenNotified());

  // A cancelled RPC's poll is answered with Cancelled; shutdown answers the rest.
  absl::Notification cancelled, shut;
  uint64_t t = core_->LeaseJobs(req, [&](absl::StatusOr<v1::LeaseJobsResponse> r) {
    EXPECT_THAT(r, StatusIs(absl::StatusCode::kCancelled, ::testing::_));
    cancelled.Notify();
  });
  core_->CancelLeaseWait(t);
  EXPECT_TRUE(cancelled.HasBeenNotified());
  core_->LeaseJobs(req, [&](absl::StatusOr<v1::LeaseJobsResponse> r) {
    EXPECT_TRUE(r.ok() && r->shutting_down());
    shut.Notify();
  });
  core_->BeginShutdown();
  EXPECT_TRUE(shut.HasBeenNotified());
}

// A job requeued (a failed attempt, an expired lease) while a worker long-polls
// is leased to that worker at once: the store must end with the lease, not
// with the requeue written after it. (The requeue was once queued for the
// store after the lease it caused: the row said QUEUED at the old attempt, and
// after a restart the new holder's result was refused as stale.)
class RequeueWhileWaitingTest : public SchedulerTest {
 protected:
  // Starts a long poll of one job for `worker`; `*got` is set when answered.
  void Wait(const std::string& worker, absl::Notification* answered, absl::StatusOr<v1::LeaseJobsResponse>* got) {
    v1::LeaseJobsRequest req;
    req.set_worker_id(worker);
    req.set_max_jobs(1);
    req.set_wait_ms(60000);
    core_->LeaseJobs(req, [answered, got](absl::StatusOr<v1::LeaseJobsResponse> r) {
      *got = std::move(r);
      answered->Notify();
    });
  }

  // The store's row and a restart agree with the lease `b` holds: its result
  // is accepted and stored once.
  void ExpectStoredAsLeasedTo(int64_t sweep, const std::string& b, const v1::Lease& lease) {
    v1::Job j = GetJob(sweep, lease.job().job_id());
    EXPECT_EQ(j.state(), v1::LEASED);
    EXPECT_EQ(j.worker_id(), b);
    Reopen();                                       // a restart rebuilds memory from the store
    v1::HeartbeatResponse beat = Beat(b, {lease});  // re-claims the lease it holds
    EXPECT_THAT(beat.lost_job_ids(), IsEmpty());
    v1::CompleteJobResponse r = Complete(b, lease);
    EXPECT_TRUE(r.accepted());
    EXPECT_FALSE(r.duplicate());
    EXPECT_EQ(ResultsOf(lease.job().job_id()), 1);
    EXPECT_EQ(GetJob(sweep, lease.job().job_id()).state(), v1::SUCCEEDED);
  }
};

TEST_F(RequeueWhileWaitingTest, AFailedAttemptLeasedAgainAtOnceIsStoredAsTheNewLease) {
  int64_t sweep = Submit(FakeSpec("s", 1, 1), /*ttl_s=*/600);
  std::string a = Register("a"), b = Register("b");
  auto leases = Lease(a, 10);
  ASSERT_EQ(leases.size(), 4u);
  absl::Notification answered;
  absl::StatusOr<v1::LeaseJobsResponse> got;
  Wait(b, &answered, &got);
  EXPECT_TRUE(Fail(a, leases[0], /*release=*/false).will_retry());
  ASSERT_TRUE(answered.WaitForNotificationWithTimeout(absl::Seconds(10)));
  ASSERT_OK(got);
  ASSERT_EQ(got->leases_size(), 1);
  const v1::Lease& again = got->leases(0);
  EXPECT_EQ(again.job().job_id(), leases[0].job().job_id());
  EXPECT_EQ(again.attempt(), leases[0].attempt() + 1);
  ExpectStoredAsLeasedTo(sweep, b, again);
}

TEST_F(RequeueWhileWaitingTest, AnExpiredLeaseLeasedAgainAtOnceIsStoredAsTheNewLease) {
  int64_t sweep = Submit(FakeSpec("s", 1, 1), /*ttl_s=*/10);
  std::string a = Register("a"), b = Register("b");
  auto leases = Lease(a, 10);
  ASSERT_EQ(leases.size(), 4u);
  for (size_t i = 1; i < leases.size(); ++i) ASSERT_TRUE(Complete(a, leases[i]).accepted());
  clock_.Advance(absl::Seconds(11));  // a's lease expires (found by the next scan)
  absl::Notification answered;
  absl::StatusOr<v1::LeaseJobsResponse> got;
  Wait(b, &answered, &got);
  core_->Tick(true);
  ASSERT_TRUE(answered.WaitForNotificationWithTimeout(absl::Seconds(10)));
  ASSERT_OK(got);
  ASSERT_EQ(got->leases_size(), 1);
  const v1::Lease& again = got->leases(0);
  EXPECT_EQ(again.job().job_id(), leases[0].job().job_id());
  ExpectStoredAsLeasedTo(sweep, b, again);
}

TEST_F(SchedulerTest, LostWorkerLeasesAreRequeuedUncounted) {
  int64_t sweep = Submit(FakeSpec("s", 1, 1), /*ttl_s=*/600);
  std::string w = Register("w");
  auto leases = Lease(w, 2);
  ASSERT_EQ(leases.size(), 2u);
  clock_.Advance(absl::Seconds(61));  // worker_timeout 60 s, lease TTL 600 s
  core_->Tick(true);
  for (const auto& l : leases) {
    v1::Job j = GetJob(sweep, l.job().job_id());
    EXPECT_EQ(j.state(), v1::QUEUED);
    EXPECT_EQ(j.attempts(), 0);
  }
  auto workers = core_->ListWorkers();
  ASSERT_EQ(workers.workers_size(), 1);
  EXPECT_FALSE(workers.workers(0).alive());
  EXPECT_EQ(workers.workers(0).active_leases(), 0);
}

TEST_F(SchedulerTest, RestartRequeuesLeasedJobsAndNothingFinishedRunsAgain) {
  int64_t sweep = Submit(FakeSpec("s", 2, 1));  // 8 jobs
  std::string w = Register("w");
  auto leases = Lease(w, 4);
  ASSERT_EQ(leases.size(), 4u);
  EXPECT_TRUE(Complete(w, leases[0]).accepted());
  EXPECT_TRUE(Fail(w, leases[1], false, "oom").will_retry());
  Reopen();  // the old process "dies" with leases 2 and 3 outstanding

  v1::SweepInfo info = Sweep(sweep);
  EXPECT_EQ(info.state(), v1::SWEEP_RUNNING);
  EXPECT_EQ(info.counts().succeeded(), 1);
  EXPECT_EQ(info.counts().queued(), 7);
  EXPECT_EQ(GetJob(sweep, leases[2].job().job_id()).attempts(), 0);  // not counted
  EXPECT_EQ(GetJob(sweep, leases[1].job().job_id()).attempts(), 1);
  // The surviving worker's completion of an outstanding attempt is accepted
  // while nobody else holds the job.
  EXPECT_TRUE(Complete(w, leases[2]).accepted());
  std::map<int64_t, int> seen;
  for (int round = 0; round < 10; ++round) {
    auto more = Lease(w, 10);
    if (more.empty()) break;
    for (const auto& l : more) {
      ++seen[l.job().job_id()];
      EXPECT_TRUE(Complete(w, l).accepted());
    }
  }
  EXPECT_EQ(seen.count(leases[0].job().job_id()), 0u);  // finished: never leased again
  EXPECT_EQ(seen.count(leases[2].job().job_id()), 0u);
  EXPECT_EQ(seen[leases[3].job().job_id()], 1);
  EXPECT_FALSE(Complete(w, leases[3]).accepted());  // its old attempt is fenced off now
  info = Sweep(sweep);
  EXPECT_EQ(info.state(), v1::SWEEP_DONE);
  EXPECT_EQ(info.counts().succeeded(), 8);
  v1::QueryResultsRequest q;
  q.set_sweep_id(sweep);
  auto rows = core_->QueryResults(q);
  ASSERT_OK(rows);
  EXPECT_EQ(rows->rows_size(), 8);
  std::set<int64_t> jobs;
  for (const auto& r : rows->rows()) jobs.insert(r.job_id());
  EXPECT_EQ(jobs.size(), 8u);
}

TEST_F(SchedulerTest, RestartHoldsLeasedJobsForTheirWorkersToReclaim) {
  int64_t sweep = Submit(FakeSpec("s", 2, 1), /*ttl_s=*/60);  // 8 jobs
  std::string a = Register("a");
  std::string b = Register("b");
  auto la = Lease(a, 1);
  auto lb = Lease(b, 1);
  ASSERT_EQ(la.size(), 1u);
  ASSERT_EQ(lb.size(), 1u);
  reclaim_grace_ms_ = 5000;
  Reopen();  // the old process "dies" while a and b run their jobs

  // Another worker gets only the jobs nobody was running.
  std::string c = Register("c");
  std::vector<v1::Lease> lc;
  for (auto more = Lease(c, 10); !more.empty(); more = Lease(c, 10)) {
    lc.insert(lc.end(), more.begin(), more.end());
  }
  EXPECT_EQ(lc.size(), 6u);
  for (const auto& l : lc) {
    EXPECT_NE(l.job().job_id(), la[0].job().job_id());
    EXPECT_NE(l.job().job_id(), lb[0].job().job_id());
  }
  // a re-attaches by heartbeat (same attempt), b by reporting its result.
  v1::HeartbeatResponse hb = Beat(a, la);
  EXPECT_THAT(hb.lost_job_ids(), IsEmpty());
  EXPECT_TRUE(Complete(b, lb[0]).accepted());
  v1::Job ja = GetJob(sweep, la[0].job().job_id());
  EXPECT_EQ(ja.state(), v1::LEASED);
  EXPECT_EQ(ja.worker_id(), a);
  // Past the grace nothing held is left for c: a holds its job again.
  clock_.Advance(absl::Seconds(6));
  core_->Tick(/*force_scan=*/true);
  EXPECT_TRUE(Lease(c, 10).empty());
  EXPECT_TRUE(Complete(a, la[0]).accepted());
  for (const auto& l : lc) EXPECT_TRUE(Complete(c, l).accepted());
  v1::SweepInfo info = Sweep(sweep);
  EXPECT_EQ(info.counts().succeeded(), 8);
  EXPECT_EQ(info.state(), v1::SWEEP_DONE);
  EXPECT_EQ(ResultsOf(la[0].job().job_id()), 1);
  EXPECT_EQ(ResultsOf(lb[0].job().job_id()), 1);
}

TEST_F(SchedulerTest, RestartGraceEndsAndUnclaimedJobsAreLeasedToOthers) {
  Submit(FakeSpec("s", 1, 1), /*ttl_s=*/60);  // 4 jobs
  std::string a = Register("a");
  auto la = Lease(a, 2);
  ASSERT_EQ(la.size(), 2u);
  reclaim_grace_ms_ = 5000;
  Reopen();  // a died with the coordinator
  std::string c = Register("c");
  EXPECT_EQ(Lease(c, 10).size(), 2u);
  clock_.Advance(absl::Seconds(4));
  core_->Tick(/*force_scan=*/true);
  EXPECT_TRUE(Lease(c, 10).empty());  // still held
  clock_.Advance(absl::Seconds(2));
  core_->Tick(/*force_scan=*/true);
  auto late = Lease(c, 10);
  ASSERT_EQ(late.size(), 2u);
  EXPECT_GT(late[0].attempt(), la[0].attempt());
  EXPECT_FALSE(Complete(a, la[0]).accepted());  // a's attempt is fenced off now
}

TEST_F(SchedulerTest, SubmitValidatesAndDryRunStoresNothing) {
  v1::SubmitSweepRequest req;
  EXPECT_THAT(core_->SubmitSweep(req), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("spec")));
  *req.mutable_spec() = FakeSpec("dry", 2, 1);
  req.mutable_spec()->clear_evaluations();
  EXPECT_THAT(core_->SubmitSweep(req), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("evaluations")));
  *req.mutable_spec() = FakeSpec("dry", 2, 1);
  req.set_dry_run(true);
  auto r = core_->SubmitSweep(req);
  ASSERT_OK(r);
  EXPECT_EQ(r->sweep_id(), 0);
  EXPECT_EQ(r->job_count(), 8);
  EXPECT_EQ(r->jobs_size(), 8);
  EXPECT_EQ(r->counts_size(), 2);
  auto list = core_->ListSweeps({});
  ASSERT_OK(list);
  EXPECT_EQ(list->sweeps_size(), 0);
  EXPECT_THAT(core_->GetSweep(1), StatusIs(absl::StatusCode::kNotFound, HasSubstr("1")));
}

TEST_F(SchedulerTest, QueryResultsFiltersAndRatios) {
  int64_t sweep = Submit(FakeSpec("s", 1, 1));
  std::string w = Register("w");
  auto leases = Lease(w, 4);
  ASSERT_EQ(leases.size(), 4u);
  for (size_t i = 0; i < leases.size(); ++i) Complete(w, leases[i], 10.0 * (i + 1));
  v1::QueryResultsRequest q;
  q.set_sweep_id(sweep);
  q.set_kind(v1::LAYER_SWEEP);
  q.set_has_layer(true);
  q.set_layer(1);
  auto rows = core_->QueryResults(q);
  ASSERT_OK(rows);
  ASSERT_EQ(rows->rows_size(), 1);
  EXPECT_EQ(rows->rows(0).condition(), "layer_sweep/attention/L1");
  EXPECT_DOUBLE_EQ(rows->rows(0).value(), 30.0);
  EXPECT_DOUBLE_EQ(rows->rows(0).baseline_value(), 10.0);
  EXPECT_DOUBLE_EQ(rows->rows(0).ratio_to_baseline(), 3.0);
  EXPECT_EQ(rows->rows(0).component(), v1::ATTENTION);
}

TEST_F(SchedulerTest, ListSweepsIsPagedByCountAndBytes) {
  for (int i = 0; i < 5; ++i) Submit(FakeSpec(absl::StrCat("s", i), 1, 1));
  v1::ListSweepsRequest req;
  req.set_include_finished(true);
  req.set_page_size(2);
  std::vector<int64_t> seen;
  for (int page = 0; page < 10; ++page) {
    auto r = core_->ListSweeps(req);
    ASSERT_OK(r);
    EXPECT_LE(r->sweeps_size(), 2);
    for (const auto& s : r->sweeps()) seen.push_back(s.sweep_id());
    if (r->next_after_sweep_id() == 0) break;
    req.set_after_sweep_id(r->next_after_sweep_id());
  }
  EXPECT_THAT(seen, ::testing::ElementsAre(1, 2, 3, 4, 5));
}

TEST_F(SchedulerTest, RequestIdReturnsTheFirstSweepAndSurvivesReopen) {
  v1::SubmitSweepRequest req;
  *req.mutable_spec() = FakeSpec("s", 1, 1);
  req.set_request_id("abc");
  auto first = core_->SubmitSweep(req);
  ASSERT_OK(first);
  auto again = core_->SubmitSweep(req);
  ASSERT_OK(again);
  EXPECT_EQ(again->sweep_id(), first->sweep_id());
  EXPECT_EQ(again->job_count(), first->job_count());
  Reopen();
  auto after = core_->SubmitSweep(req);
  ASSERT_OK(after);
  EXPECT_EQ(after->sweep_id(), first->sweep_id());
  req.mutable_spec()->set_name("other");
  EXPECT_THAT(core_->SubmitSweep(req), StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("'abc'")));
  req.set_request_id(std::string(129, 'x'));
  EXPECT_THAT(core_->SubmitSweep(req), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("request_id")));
  auto list = core_->ListSweeps({});
  ASSERT_OK(list);
  EXPECT_EQ(list->sweeps_size(), 1);
}

TEST_F(SchedulerTest, CancelledExpansionStoresNothing) {
  v1::SubmitSweepRequest req;
  *req.mutable_spec() = FakeSpec("s", 1, 1);
  core_.reset();
  SchedulerOptions o;
  o.db_path = path_;
  o.group_commit_ms = 0;
  o.run_maintenance_thread = false;
  // The expander honours ExpandOptions::cancelled as the real one does.
  auto s = Scheduler::Open(
      o,
      [](v1::SweepSpec* spec, const auto&, const spec::ExpandOptions& opts,
         const auto& sink) -> absl::StatusOr<std::vector<v1::ExpansionCount>> {
        if (opts.cancelled && opts.cancelled()) return absl::CancelledError("expansion cancelled");
        EXPECT_LT(opts.deadline, absl::InfiniteFuture());
        return ::ablate::testing::FakeStream(spec, sink);
      },
      &clock_);
  ASSERT_OK(s);
  core_ = std::move(s).value();
  EXPECT_THAT(core_->SubmitSweep(req, auth::Caller::Local(), [] { return true; }),
              StatusIs(absl::StatusCode::kCancelled, HasSubstr("")));
  auto list = core_->ListSweeps({});
  ASSERT_OK(list);
  EXPECT_EQ(list->sweeps_size(), 0);
  EXPECT_OK(core_->SubmitSweep(req, auth::Caller::Local(), [] { return false; }).status());
}

// ---------------------------------------------------------------- big sweeps

// A sweep of `seeds` x 4 jobs (FakeExpand: baseline + 3 layers per seed).
v1::SweepSpec BigSpec(const std::string& name, int seeds) {
  v1::SweepSpec spec = FakeSpec(name, 1, 1);
  for (int i = 0; i < seeds; ++i) spec.add_seeds(static_cast<uint64_t>(i));
  return spec;
}

// Polls `done` for up to 20 s.
bool Eventually(const std::function<bool()>& done) {
  for (int i = 0; i < 4000; ++i) {
    if (done()) return true;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return done();
}

void ExpectExact(const v1::SweepInfo& info, int64_t total) {
  const v1::SweepCounts& c = info.counts();
  EXPECT_EQ(c.total(), total);
  EXPECT_EQ(c.queued() + c.leased() + c.succeeded() + c.failed() + c.cancelled(), total);
}

class BigSweepTest : public SchedulerTest {
 protected:
  void SetUp() override {
    materialize_above_jobs_ = 1000;
    materialize_chunk_jobs_ = 500;
    materialize_ahead_jobs_ = 3000;
    SchedulerTest::SetUp();
  }

  // Leases and completes everything, checking counts after every batch; the
  // job indexes leased, in order.
  std::vector<int32_t> Drain(int64_t sweep, int64_t total, const std::string& w) {
    std::vector<int32_t> indexes;
    while (true) {
      std::vector<v1::Lease> leases = Lease(w, 64);
      if (leases.empty()) {
        const v1::SweepInfo info = Sweep(sweep);
        if (info.finished_unix_ms() > 0 || info.counts().queued() == 0) break;
        absl::SleepFor(absl::Milliseconds(2));  // the materializer is behind
        continue;
      }
      for (const v1::Lease& l : leases) {
        indexes.push_back(l.job().spec().index());
        EXPECT_TRUE(Complete(w, l).accepted());
      }
      ExpectExact(Sweep(sweep), total);
    }
    return indexes;
  }
};

TEST_F(BigSweepTest, IsAnsweredBeforeItsJobsExistAndEveryJobIsLeasedOnce) {
  constexpr int64_t kJobs = 20000;
  v1::SubmitSweepRequest req;
  *req.mutable_spec() = BigSpec("big", kJobs / 4);
  auto r = core_->SubmitSweep(req);
  ASSERT_OK(r);
  EXPECT_EQ(r->job_count(), kJobs);
  const int64_t sweep = r->sweep_id();
  // Counted exactly at once; the jobs are created in the background, at most
  // materialize_ahead_jobs ahead of the workers.
  v1::SweepInfo info = Sweep(sweep);
  ExpectExact(info, kJobs);
  EXPECT_EQ(info.counts().queued(), kJobs);
  EXPECT_EQ(info.state(), v1::SWEEP_RUNNING);
  ASSERT_TRUE(Eventually([&] { return core_->MaterializedJobs(sweep) >= 3000; }));
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_EQ(core_->MaterializedJobs(sweep), 3000);  // the bound holds
  EXPECT_EQ(core_->QueuedJobs(), 3000);
  ExpectExact(Sweep(sweep), kJobs);

  std::string w = Register("w");
  std::vector<int32_t> indexes = Drain(sweep, kJobs, w);
  ASSERT_EQ(static_cast<int64_t>(indexes.size()), kJobs);
  std::set<int32_t> distinct(indexes.begin(), indexes.end());
  EXPECT_EQ(static_cast<int64_t>(distinct.size()), kJobs);  // each exactly once
  EXPECT_EQ(*distinct.begin(), 0);
  EXPECT_EQ(*distinct.rbegin(), kJobs - 1);
  info = Sweep(sweep);
  EXPECT_EQ(info.state(), v1::SWEEP_DONE);
  EXPECT_GT(info.finished_unix_ms(), 0);
  EXPECT_EQ(info.counts().succeeded(), kJobs);
  ExpectExact(info, kJobs);
}

TEST_F(BigSweepTest, CancelStopsCreatingJobsAndCountsTheRestCancelled) {
  constexpr int64_t kJobs = 20000;
  const int64_t sweep = Submit(BigSpec("big", kJobs / 4));
  ASSERT_TRUE(Eventually([&] { return core_->MaterializedJobs(sweep) >= 3000; }));
  std::string w = Register("w");
  std::vector<v1::Lease> leases = Lease(w, 10);
  ASSERT_EQ(leases.size(), 10u);
  auto resp = Sync<v1::CancelSweepResponse>([&](auto cb) {
    v1::CancelSweepRequest req;
    req.set_sweep_id(sweep);
    core_->CancelSweep(req, cb);
  });
  ASSERT_OK(resp);
  EXPECT_EQ(resp->cancelled_jobs(), kJobs);  // 10 cancel-pending, the rest cancelled
  v1::SweepInfo info = Sweep(sweep);
  EXPECT_EQ(info.state(), v1::SWEEP_CANCELLED);
  EXPECT_EQ(info.counts().leased(), 10);
  EXPECT_EQ(info.counts().cancelled(), kJobs - 10);
  ExpectExact(info, kJobs);
  const int64_t created = core_->MaterializedJobs(sweep);
  EXPECT_LT(created, kJobs);
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_EQ(core_->MaterializedJobs(sweep), created);  // no more are created
  EXPECT_THAT(Lease(w, 64), IsEmpty());
  for (const v1::Lease& l : leases) EXPECT_TRUE(Complete(w, l).accepted());
  info = Sweep(sweep);  // finished: counted from the store
  EXPECT_GT(info.finished_unix_ms(), 0);
  EXPECT_EQ(info.state(), v1::SWEEP_CANCELLED);
  EXPECT_EQ(info.counts().cancelled(), kJobs);
  ExpectExact(info, kJobs);
  // ListJobs lists the jobs that were created, none left queued.
  v1::ListJobsRequest list;
  list.set_sweep_id(sweep);
  list.set_state(v1::QUEUED);
  auto queued = core_->ListJobs(list);
  ASSERT_OK(queued);
  EXPECT_EQ(queued->jobs_size(), 0);
}

TEST_F(BigSweepTest, RestartResumesCreatingJobsWithoutDuplicatesOrHoles) {
  constexpr int64_t kJobs = 20000;
  const int64_t sweep = Submit(BigSpec("big", kJobs / 4));
  ASSERT_TRUE(Eventually([&] { return core_->MaterializedJobs(sweep) >= 3000; }));
  std::string w = Register("w");
  std::vector<int32_t> indexes;
  for (int round = 0; round < 20; ++round) {
    for (const v1::Lease& l : Lease(w, 64)) {
      indexes.push_back(l.job().spec().index());
      EXPECT_TRUE(Complete(w, l).accepted());
    }
  }
  ASSERT_EQ(indexes.size(), 1280u);
  // Restart mid-creation: the new process resumes at the stored cursor.
  Reopen();
  v1::SweepInfo info = Sweep(sweep);
  EXPECT_EQ(info.counts().succeeded(), 1280);
  ExpectExact(info, kJobs);
  w = Register("w2");
  std::vector<int32_t> rest = Drain(sweep, kJobs, w);
  indexes.insert(indexes.end(), rest.begin(), rest.end());
  ASSERT_EQ(static_cast<int64_t>(indexes.size()), kJobs);
  std::set<int32_t> distinct(indexes.begin(), indexes.end());
  EXPECT_EQ(static_cast<int64_t>(distinct.size()), kJobs);
  EXPECT_EQ(*distinct.rbegin(), kJobs - 1);
  info = Sweep(sweep);
  EXPECT_EQ(info.state(), v1::SWEEP_DONE);
  EXPECT_EQ(info.counts().succeeded(), kJobs);
  ExpectExact(info, kJobs);
}

TEST_F(BigSweepTest, SmallSweepsAreStoredWholeAtOnce) {
  const int64_t sweep = Submit(BigSpec("small", 250));  // 1000 jobs: at the threshold
  EXPECT_EQ(core_->MaterializedJobs(sweep), 1000);
  EXPECT_EQ(core_->QueuedJobs(), 1000);
}

}  // namespace
}  // namespace ablate::coordinator
