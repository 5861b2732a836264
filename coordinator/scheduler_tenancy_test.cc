// scheduler_tenancy_test.cc: the coordinator core with authenticated callers:
// roles, tenant scoping (another tenant's sweep is NotFound, lists are
// scoped), worker identity (another subject's worker or lease is
// PermissionDenied and changes nothing), unguessable lease ids, quotas per
// tenant, fair share between tenants, and the audit table.
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "auth/caller.h"
#include "coordinator/scheduler.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/coordinator_fakes.h"
#include "tests/testing/status_matchers.h"

namespace ablate::coordinator {
namespace {

using ::ablate::testing::FakeClock;
using ::ablate::testing::FakeSpec;
using ::ablate::testing::StatusIs;
using ::testing::HasSubstr;

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

auth::Caller As(const std::string& tenant, auth::Role role, const std::string& subject) {
  auth::Caller c;
  c.tenant = tenant;
  c.role = role;
  c.subject = subject;
  return c;
}

class TenancyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string dir = ::testing::TempDir() + "/tenancy_test_" + std::to_string(::getpid());
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
    auto s = Scheduler::Open(
        o,
        [](v1::SweepSpec* spec, const auto&, const auto&, const auto& sink) {
          return ::ablate::testing::FakeStream(spec, sink);
        },
        &clock_);
    ASSERT_TRUE(s.ok()) << s.status();
    core_ = std::move(s).value();
  }

  absl::StatusOr<v1::SubmitSweepResponse> SubmitAs(const auth::Caller& c, const std::string& name, int evals = 1) {
    v1::SubmitSweepRequest req;
    *req.mutable_spec() = FakeSpec(name, 1, evals);  // 4 jobs per evaluation
    return core_->SubmitSweep(req, c);
  }

  std::string Register(const auth::Caller& c, const std::string& name) {
    v1::RegisterWorkerRequest req;
    req.set_name(name);
    req.add_devices()->set_name("cpu");
    auto r = Sync<v1::RegisterWorkerResponse>([&](auto cb) { core_->RegisterWorker(req, cb, c); });
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->worker_id() : "";
  }

  absl::StatusOr<v1::LeaseJobsResponse> Lease(const auth::Caller& c, const std::string& worker, int n) {
    v1::LeaseJobsRequest req;
    req.set_worker_id(worker);
    req.set_max_jobs(n);
    return Sync<v1::LeaseJobsResponse>([&](auto cb) { core_->LeaseJobs(req, cb, c); });
  }

  absl::StatusOr<v1::CompleteJobResponse> Complete(const auth::Caller& c, const std::string& worker, const v1::Lease& l,
                                                   double value = 7.0) {
    v1::CompleteJobRequest req;
    req.set_worker_id(worker);
    req.set_job_id(l.job().job_id());
    req.set_lease_id(l.lease_id());
    req.set_attempt(l.attempt());
    v1::Metric* m = req.mutable_result()->add_metrics();
    m->set_name("perplexity");
    m->set_value(value);
    return Sync<v1::CompleteJobResponse>([&](auto cb) { core_->CompleteJob(req, cb, c); });
  }

  // Audit rows are committed asynchronously: wait (briefly) for `n` of them.
  std::vector<storage::AuditRecord> AuditRows(size_t n) {
    std::vector<storage::AuditRecord> rows;
    for (int i = 0; i < 200; ++i) {
      auto r = core_->ListAudit(0, 1000, admin_);
      EXPECT_TRUE(r.ok()) << r.status();
      if (r.ok()) rows = *r;
      if (rows.size() >= n) break;
      absl::SleepFor(absl::Milliseconds(10));
    }
    return rows;
  }

  FakeClock clock_;
  std::string path_;
  std::unique_ptr<Scheduler> core_;
  const auth::Caller alice_ = As("team-a", auth::Role::kSubmitter, "token:alice");
  const auth::Caller bob_ = As("team-b", auth::Role::kSubmitter, "token:bob");
  const auth::Caller viewer_b_ = As("team-b", auth::Role::kViewer, "token:vb");
  const auth::Caller admin_ = As("ops", auth::Role::kAdmin, "token:root");
  const auth::Caller worker1_ = As("ops", auth::Role::kWorker, "token:w1");
  const auth::Caller worker2_ = As("ops", auth::Role::kWorker, "token:w2");
};

TEST_F(TenancyTest, AnotherTenantsSweepIsNotFoundAndListsAreScoped) {
  auto a = SubmitAs(alice_, "a-sweep");
  auto b = SubmitAs(bob_, "b-sweep");
  ASSERT_TRUE(a.ok() && b.ok());
  const int64_t sa = a->sweep_id();
  // The same answer as for a sweep that does not exist.
  auto missing = core_->GetSweep(999, bob_);
  auto foreign = core_->GetSweep(sa, bob_);
  EXPECT_THAT(missing.status(), StatusIs(absl::StatusCode::kNotFound, "no sweep 999"));
  EXPECT_THAT(foreign.status(), StatusIs(absl::StatusCode::kNotFound, absl::StrCat("no sweep ", sa)));
  EXPECT_THAT(core_->SweepSnapshot(sa, bob_).status(), StatusIs(absl::StatusCode::kNotFound, ::testing::_));
  v1::ListJobsRequest jobs_of_a;
  jobs_of_a.set_sweep_id(sa);
  EXPECT_THAT(core_->ListJobs(jobs_of_a, bob_).status(), StatusIs(absl::StatusCode::kNotFound, ::testing::_));
  v1::QueryResultsRequest results_of_a;
  results_of_a.set_sweep_id(sa);
  EXPECT_THAT(core_->QueryResults(results_of_a, bob_).status(), StatusIs(absl::StatusCode::kNotFound, ::testing::_));
  v1::CancelSweepRequest cancel;
  cancel.set_sweep_id(sa);
  EXPECT_THAT(Sync<v1::CancelSweepResponse>([&](auto cb) { core_->CancelSweep(cancel, cb, bob_); }).status(),
              StatusIs(absl::StatusCode::kNotFound, ::testing::_));
  EXPECT_EQ(core_->GetSweep(sa, alice_)->counts().queued(), 4);  // nothing was cancelled

  // Lists: own tenant only; the admin sees everything.
  v1::ListSweepsRequest all;
  all.set_include_finished(true);
  auto listed = core_->ListSweeps(all, bob_);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->sweeps_size(), 1);
  EXPECT_EQ(listed->sweeps(0).name(), "b-sweep");
  EXPECT_EQ(core_->ListSweeps(all, admin_)->sweeps_size(), 2);
  auto jobs = core_->ListJobs(v1::ListJobsRequest(), bob_);
  ASSERT_TRUE(jobs.ok());
  EXPECT_EQ(jobs->jobs_size(), 4);
  for (const auto& j : jobs->jobs()) EXPECT_EQ(j.sweep_id(), b->sweep_id());
  EXPECT_EQ(core_->ListJobs(v1::ListJobsRequest(), admin_)->jobs_size(), 8);

  // Results of a's sweep are invisible to b, even unfiltered.
  const std::string w = Register(worker1_, "w");
  for (int i = 0; i < 8; ++i) {
    auto l = Lease(worker1_, w, 1);
    ASSERT_TRUE(l.ok() && l->leases_size() == 1) << l.status();
    ASSERT_TRUE(Complete(worker1_, w, l->leases(0)).ok());
  }
  auto rows_b = core_->QueryResults(v1::QueryResultsRequest(), bob_);
  ASSERT_TRUE(rows_b.ok());
  EXPECT_EQ(rows_b->rows_size(), 4);
  for (const auto& r : rows_b->rows()) EXPECT_EQ(r.sweep_id(), b->sweep_id());
  EXPECT_EQ(core_->QueryResults(v1::QueryResultsRequest(), admin_)->rows_size(), 8);
  // Finished sweeps (answered from the database) are scoped the same way.
  EXPECT_THAT(core_->GetSweep(sa, bob_).status(), StatusIs(absl::StatusCode::kNotFound, ::testing::_));
  EXPECT_THAT(core_->SweepSnapshot(sa, bob_).status(), StatusIs(absl::StatusCode::kNotFound, ::testing::_));

  // Workers: only those registered by the caller's tenant.
  EXPECT_EQ(core_->ListWorkers(bob_)->workers_size(), 0);
  EXPECT_EQ(core_->ListWorkers(admin_)->workers_size(), 1);
  EXPECT_EQ(core_->ListWorkers(As("ops", auth::Role::kViewer, "token:v"))->workers_size(), 1);
}

TEST_F(TenancyTest, RolesAreEnforcedByTheCore) {
  EXPECT_THAT(SubmitAs(viewer_b_, "x").status(), StatusIs(absl::StatusCode::kPermissionDenied, ::testing::_));
  EXPECT_THAT(SubmitAs(worker1_, "x").status(), StatusIs(absl::StatusCode::kPermissionDenied, ::testing::_));
  auto b = SubmitAs(bob_, "b");
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(core_->GetSweep(b->sweep_id(), viewer_b_).ok());  // viewers read
  v1::CancelSweepRequest cancel;
  cancel.set_sweep_id(b->sweep_id());
  EXPECT_THAT(Sync<v1::CancelSweepResponse>([&](auto cb) { core_->CancelSweep(cancel, cb, viewer_b_); }).status(),
              StatusIs(absl::StatusCode::kPermissionDenied, ::testing::_));
  EXPECT_THAT(core_->GetSweep(b->sweep_id(), worker1_).status(),
              StatusIs(absl::StatusCode::kPermissionDenied, ::testing::_));
  v1::RegisterWorkerRequest reg;
  EXPECT_THAT(Sync<v1::RegisterWorkerResponse>([&](auto cb) { core_->RegisterWorker(reg, cb, bob_); }).status(),
              StatusIs(absl::StatusCode::kPermissionDenied, ::testing::_));
  EXPECT_THAT(core_->ListAudit(0, 10, bob_).status(), StatusIs(absl::StatusCode::kPermissionDenied, ::testing::_));
  EXPECT_TRUE(Sync<v1::CancelSweepResponse>([&](auto cb) { core_->CancelSweep(cancel, cb, admin_); }).ok());
}

TEST_F(TenancyTest, ReportsFromAnotherWorkerAreRefusedAndChangeNothing) {
  auto s = SubmitAs(alice_, "a");
  ASSERT_TRUE(s.ok());
  const std::string w1 = Register(worker1_, "one");
  const std::string w2 = Register(worker2_, "two");
  auto leased = Lease(worker1_, w1, 2);
  ASSERT_TRUE(leased.ok());
  ASSERT_EQ(leased->leases_size(), 2);
  const v1::Lease& l = leased->leases(0);
  // Lease ids: 128 random bits as 32 hex digits, no job id or counter in them.
  std::set<std::string> ids;
  for (const auto& x : leased->leases()) {
    EXPECT_EQ(x.lease_id().size(), 32u);
    EXPECT_EQ(x.lease_id().find_first_not_of("0123456789abcdef"), std::string::npos);
    ids.insert(x.lease_id());
  }
  EXPECT_EQ(ids.size(), 2u);

  // Another identity using w1's worker id: refused for every worker call.
  EXPECT_THAT(Complete(worker2_, w1, l, 1.0).status(), StatusIs(absl::StatusCode::kPermissionDenied, ::testing::_));
  EXPECT_THAT(Lease(worker2_, w1, 1).status(), StatusIs(absl::StatusCode::kPermissionDenied, ::testing::_));
  // ... or its own worker id with w1's (leaked) lease.
  EXPECT_THAT(Complete(worker2_, w2, l, 1.0).status(), StatusIs(absl::StatusCode::kPermissionDenied, ::testing::_));
  v1::FailJobRequest fail;
  fail.set_worker_id(w2);
  fail.set_job_id(l.job().job_id());
  fail.set_lease_id(l.lease_id());
  fail.set_attempt(l.attempt());
  fail.set_error("forged");
  EXPECT_THAT(Sync<v1::FailJobResponse>([&](auto cb) { core_->FailJob(fail, cb, worker2_); }).status(),
              StatusIs(absl::StatusCode::kPermissionDenied, ::testing::_));
  fail.set_worker_id(w1);
  EXPECT_THAT(Sync<v1::FailJobResponse>([&](auto cb) { core_->FailJob(fail, cb, worker2_); }).status(),
              StatusIs(absl::StatusCode::kPermissionDenied, ::testing::_));
  v1::HeartbeatRequest beat;
  beat.set_worker_id(w2);
  beat.add_leases()->set_job_id(l.job().job_id());
  beat.mutable_leases(0)->set_lease_id(l.lease_id());
  EXPECT_THAT(Sync<v1::HeartbeatResponse>([&](auto cb) { core_->Heartbeat(beat, cb, worker2_); }).status(),
              StatusIs(absl::StatusCode::kPermissionDenied, ::testing::_));
  // A guessed (wrong) lease id is merely stale: not accepted.
  v1::Lease guessed = l;
  guessed.set_lease_id(std::string(32, '0'));
  auto stale = Complete(worker2_, w2, guessed, 1.0);
  ASSERT_TRUE(stale.ok());
  EXPECT_FALSE(stale->accepted());

  // Nothing changed: still leased to w1, no result; w1's own report lands.
  v1::ListJobsRequest one;
  one.set_sweep_id(s->sweep_id());
  auto jobs = core_->ListJobs(one, admin_);
  ASSERT_TRUE(jobs.ok());
  for (const auto& j : jobs->jobs()) {
    if (j.job_id() != l.job().job_id()) continue;
    EXPECT_EQ(j.state(), v1::LEASED);
    EXPECT_EQ(j.worker_id(), w1);
    EXPECT_EQ(j.attempts(), 0);
  }
  EXPECT_EQ(core_->QueryResults(v1::QueryResultsRequest(), admin_)->rows_size(), 0);
  auto ok = Complete(worker1_, w1, l, 7.0);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_TRUE(ok->accepted());
  auto rows = core_->QueryResults(v1::QueryResultsRequest(), admin_);
  ASSERT_EQ(rows->rows_size(), 1);
  EXPECT_EQ(rows->rows(0).value(), 7.0);
}

TEST_F(TenancyTest, QuotasAreResourceExhaustedNamingTheQuota) {
  auto config = std::make_shared<auth::AuthConfig>();
  config->quotas["team-a"] = {
      .queued_jobs = 10, .leased_jobs = 2, .sweeps = 2, .submits_per_minute = 4, .result_bytes = 0};
  config->quotas["team-b"] = {.result_bytes = 30};
  core_->SetAuthConfig(config);
  ASSERT_TRUE(SubmitAs(alice_, "a1").ok());        // 4 queued
  EXPECT_THAT(SubmitAs(alice_, "a2", 2).status(),  // 4 + 8 > 10
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("quota queued_jobs")));
  ASSERT_TRUE(SubmitAs(alice_, "a3").ok());  // 8 queued, 2 sweeps
  EXPECT_THAT(SubmitAs(alice_, "a4").status(),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("quota sweeps")));
  EXPECT_THAT(SubmitAs(alice_, "a5").status(),  // the 5th submit this minute
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("quota submits_per_minute")));
  clock_.Advance(absl::Seconds(61));

  // leased_jobs: a worker asking for 8 gets 2 of team-a's jobs, then none.
  const std::string w = Register(worker1_, "w");
  auto l = Lease(worker1_, w, 8);
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->leases_size(), 2);
  EXPECT_EQ(Lease(worker1_, w, 8)->leases_size(), 0);
  ASSERT_TRUE(Complete(worker1_, w, l->leases(0)).ok());
  EXPECT_EQ(Lease(worker1_, w, 8)->leases_size(), 1);  // room for one again

  // result_bytes: once team-b stored that much, its submits are refused
  // (running sweeps still store their results).
  ASSERT_TRUE(SubmitAs(bob_, "b1").ok());
  int stored = 0;
  while (stored < 4) {
    auto lb = Lease(worker1_, w, 1);
    ASSERT_TRUE(lb.ok());
    if (lb->leases_size() == 0) break;
    ASSERT_TRUE(Complete(worker1_, w, lb->leases(0)).ok());
    if (lb->leases(0).job().sweep_id() != 1 && lb->leases(0).job().sweep_id() != 2) ++stored;
  }
  EXPECT_THAT(SubmitAs(bob_, "b2").status(),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("quota result_bytes")));

  // Every refusal is in the audit table (3 accepted submits, 4 refused).
  std::set<std::string> outcomes;
  for (const auto& r : AuditRows(7)) outcomes.insert(r.outcome);
  EXPECT_TRUE(outcomes.count("quota:queued_jobs"));
  EXPECT_TRUE(outcomes.count("quota:sweeps"));
  EXPECT_TRUE(outcomes.count("quota:submits_per_minute"));
  EXPECT_TRUE(outcomes.count("quota:result_bytes"));
}

TEST_F(TenancyTest, SmallSweepOfAnotherTenantFinishesBeforeABigOneSubmittedFirst) {
  auto big = SubmitAs(alice_, "big", 10);  // 40 jobs, submitted first
  auto small = SubmitAs(bob_, "small");    // 4 jobs
  ASSERT_TRUE(big.ok() && small.ok());
  const std::string w = Register(worker1_, "w");
  int done = 0;
  int small_done_at = -1, big_done_at = -1;
  for (int i = 0; i < 44; ++i) {
    auto l = Lease(worker1_, w, 1);
    ASSERT_TRUE(l.ok());
    ASSERT_EQ(l->leases_size(), 1);
    ASSERT_TRUE(Complete(worker1_, w, l->leases(0)).ok());
    ++done;
    if (small_done_at < 0 && core_->GetSweep(small->sweep_id(), admin_)->state() == v1::SWEEP_DONE) {
      small_done_at = done;
    }
    if (big_done_at < 0 && core_->GetSweep(big->sweep_id(), admin_)->state() == v1::SWEEP_DONE) {
      big_done_at = done;
    }
  }
  // Alternating between the two tenants: b's 4 jobs are done after 8 leases.
  EXPECT_EQ(small_done_at, 8);
  EXPECT_EQ(big_done_at, 44);
}

TEST_F(TenancyTest, FairShareFollowsWeights) {
  auto config = std::make_shared<auth::AuthConfig>();
  config->quotas["team-a"].weight = 3;
  core_->SetAuthConfig(config);
  ASSERT_TRUE(SubmitAs(alice_, "a", 10).ok());
  ASSERT_TRUE(SubmitAs(bob_, "b", 10).ok());
  const std::string w = Register(worker1_, "w");
  int a = 0;
  for (int i = 0; i < 16; ++i) {
    auto l = Lease(worker1_, w, 1);
    ASSERT_TRUE(l.ok() && l->leases_size() == 1);
    a += l->leases(0).job().sweep_id() == 1;
    ASSERT_TRUE(Complete(worker1_, w, l->leases(0)).ok());
  }
  EXPECT_NEAR(a, 12, 1);  // 3 : 1
}

TEST_F(TenancyTest, TenantsAndWorkerOwnersSurviveARestart) {
  auto a = SubmitAs(alice_, "a");
  ASSERT_TRUE(a.ok());
  const std::string w1 = Register(worker1_, "one");
  auto leased = Lease(worker1_, w1, 1);
  ASSERT_TRUE(leased.ok() && leased->leases_size() == 1);
  Reopen();
  EXPECT_THAT(core_->GetSweep(a->sweep_id(), bob_).status(), StatusIs(absl::StatusCode::kNotFound, ::testing::_));
  EXPECT_TRUE(core_->GetSweep(a->sweep_id(), alice_).ok());
  EXPECT_THAT(Lease(worker2_, w1, 1).status(), StatusIs(absl::StatusCode::kPermissionDenied, ::testing::_));
  // The lease of the previous process is still w1's to finish, and only w1's.
  EXPECT_THAT(Complete(worker2_, w1, leased->leases(0)).status(),
              StatusIs(absl::StatusCode::kPermissionDenied, ::testing::_));
  auto done = Complete(worker1_, w1, leased->leases(0));
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_TRUE(done->accepted());
}

TEST_F(TenancyTest, SubmitAndCancelAreAudited) {
  auto s = SubmitAs(alice_, "a");
  ASSERT_TRUE(s.ok());
  v1::CancelSweepRequest cancel;
  cancel.set_sweep_id(s->sweep_id());
  ASSERT_TRUE(Sync<v1::CancelSweepResponse>([&](auto cb) { core_->CancelSweep(cancel, cb, alice_); }).ok());
  EXPECT_THAT(Sync<v1::CancelSweepResponse>([&](auto cb) { core_->CancelSweep(cancel, cb, bob_); }).status(),
              StatusIs(absl::StatusCode::kNotFound, ::testing::_));
  auto audit = std::make_unique<std::vector<storage::AuditRecord>>(AuditRows(3));
  ASSERT_EQ(audit->size(), 3u);
  EXPECT_EQ((*audit)[0].rpc, "SubmitSweep");
  EXPECT_EQ((*audit)[0].subject, "token:alice");
  EXPECT_EQ((*audit)[0].tenant, "team-a");
  EXPECT_EQ((*audit)[0].sweep_id, s->sweep_id());
  EXPECT_EQ((*audit)[0].outcome, "ok");
  EXPECT_EQ((*audit)[1].rpc, "CancelSweep");
  EXPECT_EQ((*audit)[1].outcome, "ok");
  EXPECT_EQ((*audit)[2].subject, "token:bob");
  EXPECT_EQ((*audit)[2].outcome, "not_found");
  EXPECT_GT((*audit)[0].unix_ms, 0);
}

}  // namespace
}  // namespace ablate::coordinator
