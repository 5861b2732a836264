// e2e_orchestration_test.cc: the orchestration acceptance tests, with real
// processes: the `ablate-coordinator` binary on a SQLite file, several
// `ablate-test-worker` processes (real WorkerRuntime + deterministic test
// evaluator), real gRPC on loopback. Crashes are real SIGKILLs; the checks
// read the coordinator's database file directly (exactly one result per job).
#include <signal.h>

#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e_cluster.h"
#include "tests/test_evaluator.h"
#include "tests/testing/status_matchers.h"

namespace ablate::testing {
namespace {

using ::testing::HasSubstr;

// Every job of the sweep has exactly one job_results row and one results row,
// with the value the test evaluator computes from the job's spec.
void ExpectExactlyOneCorrectResultPerJob(E2eCluster& c, int64_t sweep, int64_t jobs) {
  const std::string s = absl::StrCat(sweep);
  EXPECT_EQ(*c.SqlInt("SELECT COUNT(*) FROM jobs WHERE sweep_id = " + s), jobs);
  EXPECT_EQ(*c.SqlInt("SELECT COUNT(*) FROM jobs WHERE sweep_id = " + s + " AND state = 3"), jobs) << c.Logs();
  EXPECT_EQ(*c.SqlInt("SELECT COUNT(*) FROM job_results WHERE sweep_id = " + s), jobs);
  EXPECT_EQ(*c.SqlInt("SELECT COUNT(DISTINCT job_id) FROM results WHERE sweep_id = " + s), jobs);
  EXPECT_EQ(*c.SqlInt("SELECT COUNT(*) FROM results WHERE sweep_id = " + s), jobs);
  EXPECT_EQ(*c.SqlInt("SELECT COUNT(*) FROM jobs j WHERE sweep_id = " + s +
                      " AND (SELECT COUNT(*) FROM results r WHERE r.job_id = j.job_id) != 1"),
            0);
  // Values: recomputed from each job's spec.
  auto jobs_list = c.ListJobs(sweep, v1::JOB_STATE_UNSPECIFIED);
  ASSERT_TRUE(jobs_list.ok()) << jobs_list.status();
  std::map<int64_t, v1::JobSpec> specs;
  for (const auto& j : *jobs_list) specs[j.job_id()] = j.spec();
  auto rows = c.QueryResults(sweep);
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(static_cast<int64_t>(rows->size()), jobs);
  std::set<int64_t> seen;
  for (const auto& r : *rows) {
    EXPECT_TRUE(seen.insert(r.job_id()).second) << "second result for job " << r.job_id();
    ASSERT_TRUE(specs.count(r.job_id()));
    EXPECT_EQ(r.metric(), TestEvaluator::kMetric);
    EXPECT_DOUBLE_EQ(r.value(), TestEvaluator::ExpectedValue(specs[r.job_id()])) << r.condition();
  }
}

TEST(E2eOrchestrationTest, FiveHundredJobsOnThreeWorkersEachCompleteExactlyOnce) {
  E2eCluster c("500");
  ASSERT_OK(c.StartCoordinator());
  ASSERT_OK(c.StartWorker({"--sleep-ms", "2"}).status());
  ASSERT_OK(c.StartWorker({"--sleep-ms", "2", "--max-jobs-per-lease", "4"}).status());
  ASSERT_OK(c.StartWorker({"--sleep-ms", "2"}).status());
  auto sweep = c.Submit(c.Spec500());
  ASSERT_TRUE(sweep.ok()) << sweep.status();
  v1::SweepInfo info;
  ASSERT_TRUE(c.WaitForSweepEnd(*sweep, absl::Seconds(90), &info)) << c.Logs();
  EXPECT_EQ(info.state(), v1::SWEEP_DONE);
  EXPECT_EQ(info.counts().total(), 500);
  EXPECT_EQ(info.counts().succeeded(), 500);
  EXPECT_EQ(info.counts().failed(), 0);
  ExpectExactlyOneCorrectResultPerJob(c, *sweep, 500);
  // The work was spread over the workers.
  EXPECT_GE(*c.SqlInt("SELECT COUNT(DISTINCT worker_id) FROM job_results"), 2);
  // Ratios against the baseline (value 10) come back with the results.
  auto rows = c.QueryResults(*sweep);
  ASSERT_TRUE(rows.ok());
  for (const auto& r : *rows) {
    EXPECT_DOUBLE_EQ(r.baseline_value(), 10.0) << r.condition();
    EXPECT_NEAR(r.ratio_to_baseline(), r.value() / 10.0, 1e-12);
  }
  // Workers are still serving; a SIGTERM drains them cleanly.
  for (auto& w : c.workers()) w->Signal(SIGTERM);
  for (auto& w : c.workers()) EXPECT_EQ(w->Wait(absl::Seconds(10)), 0) << w->Log();
}

TEST(E2eOrchestrationTest, KilledWorkerJobIsCompletedElsewhereAfterLeaseExpiry) {
  E2eCluster c("kill_worker");
  ASSERT_OK(c.StartCoordinator());
  auto sweep = c.Submit(c.SmallSpec({"ppl"}, /*lease_ttl_seconds=*/2));
  ASSERT_TRUE(sweep.ok()) << sweep.status();
  // The victim holds its first job forever (until killed).
  auto victim = c.StartWorker({"--hang"});
  ASSERT_TRUE(victim.ok());
  std::vector<v1::Job> leased;
  ASSERT_TRUE(E2eCluster::WaitFor(
      [&] {
        auto l = c.ListJobs(*sweep, v1::LEASED);
        if (l.ok()) leased = *l;
        return leased.size() == 1;
      },
      absl::Seconds(20)))
      << c.Logs();
  const int64_t job_id = leased[0].job_id();
  const std::string victim_id = leased[0].worker_id();
  (*victim)->Signal(SIGKILL);
  EXPECT_EQ((*victim)->Wait(absl::Seconds(5)), 128 + SIGKILL);
  ASSERT_OK(c.StartWorker({"--sleep-ms", "2"}).status());
  ASSERT_OK(c.StartWorker({"--sleep-ms", "2"}).status());
  v1::SweepInfo info;
  ASSERT_TRUE(c.WaitForSweepEnd(*sweep, absl::Seconds(30), &info)) << c.Logs();
  EXPECT_EQ(info.state(), v1::SWEEP_DONE);
  EXPECT_EQ(info.counts().succeeded(), 25);
  ExpectExactlyOneCorrectResultPerJob(c, *sweep, 25);
  // The victim's job was finished by another worker, in a later attempt, and
  // the lost lease did not count against max_attempts.
  auto rows = c.SqlRows(absl::StrCat("SELECT worker_id, attempt FROM job_results WHERE job_id = ", job_id));
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_NE((*rows)[0][0], victim_id);
  EXPECT_GE(std::stoi((*rows)[0][1]), 2);
  EXPECT_EQ(*c.SqlInt(absl::StrCat("SELECT counted_attempts FROM jobs WHERE job_id = ", job_id)), 0);
}

TEST(E2eOrchestrationTest, CoordinatorKilledMidSweepResumesWithNoResultLostOrDuplicated) {
  E2eCluster c("kill_coordinator");
  ASSERT_OK(c.StartCoordinator());
  for (int i = 0; i < 3; ++i) ASSERT_OK(c.StartWorker({"--sleep-ms", "5"}).status());
  auto sweep = c.Submit(c.Spec500());
  ASSERT_TRUE(sweep.ok()) << sweep.status();
  ASSERT_TRUE(E2eCluster::WaitFor(
      [&] {
        auto info = c.GetSweep(*sweep);
        return info.ok() && info->counts().succeeded() >= 100;
      },
      absl::Seconds(60)))
      << c.Logs();
  c.StopCoordinator(SIGKILL);
  const int64_t before = *c.SqlInt("SELECT COUNT(*) FROM job_results");
  // (GetSweep counts may run ahead of the DB by one group commit: those
  // completions were not acknowledged yet, so the workers send them again.)
  EXPECT_GT(before, 50);
  EXPECT_LT(before, 500) << "the sweep finished before the crash; nothing was tested";
  absl::SleepFor(absl::Milliseconds(500));  // workers see the outage and back off
  ASSERT_OK(c.StartCoordinator());          // same DB file, same port
  v1::SweepInfo info;
  ASSERT_TRUE(c.WaitForSweepEnd(*sweep, absl::Seconds(90), &info)) << c.Logs();
  EXPECT_EQ(info.state(), v1::SWEEP_DONE);
  EXPECT_EQ(info.counts().succeeded(), 500);
  ExpectExactlyOneCorrectResultPerJob(c, *sweep, 500);
  for (auto& w : c.workers()) EXPECT_TRUE(w->Running()) << w->Log();
}

TEST(E2eOrchestrationTest, CoordinatorKilledWhileCreatingJobsResumesWithoutDuplicatesOrGaps) {
  E2eCluster c("kill_while_creating");
  // The 500-job sweep is created in the background, 40 jobs a transaction, at
  // most 60 ahead of the workers: the kill lands mid-creation.
  const std::vector<std::string> flags = {"--materialize-above-jobs", "100", "--materialize-chunk-jobs", "40",
                                          "--materialize-ahead-jobs", "60"};
  ASSERT_OK(c.StartCoordinator(flags));
  for (int i = 0; i < 3; ++i) ASSERT_OK(c.StartWorker({"--sleep-ms", "5"}).status());
  auto sweep = c.Submit(c.Spec500());
  ASSERT_TRUE(sweep.ok()) << sweep.status();
  ASSERT_TRUE(E2eCluster::WaitFor(
      [&] {
        auto info = c.GetSweep(*sweep);
        return info.ok() && info->counts().succeeded() >= 100;
      },
      absl::Seconds(60)))
      << c.Logs();
  c.StopCoordinator(SIGKILL);
  const int64_t created = *c.SqlInt("SELECT materialized_jobs FROM sweeps");
  EXPECT_EQ(*c.SqlInt("SELECT COUNT(*) FROM jobs"), created);
  EXPECT_LT(created, 500) << "every job was created before the crash; nothing was tested";
  absl::SleepFor(absl::Milliseconds(500));
  ASSERT_OK(c.StartCoordinator(flags));
  v1::SweepInfo info;
  ASSERT_TRUE(c.WaitForSweepEnd(*sweep, absl::Seconds(90), &info)) << c.Logs();
  EXPECT_EQ(info.state(), v1::SWEEP_DONE);
  EXPECT_EQ(info.counts().succeeded(), 500);
  EXPECT_EQ(*c.SqlInt("SELECT COUNT(*) FROM jobs"), 500);
  EXPECT_EQ(*c.SqlInt("SELECT COUNT(DISTINCT job_index) FROM jobs"), 500);
  EXPECT_EQ(*c.SqlInt("SELECT MAX(job_index) FROM jobs"), 499);
  ExpectExactlyOneCorrectResultPerJob(c, *sweep, 500);
}

TEST(E2eOrchestrationTest, AfterACoordinatorCrashRunningJobsFinishOnTheirWorkersOnce) {
  E2eCluster c("reclaim_after_restart");
  ASSERT_OK(c.StartCoordinator({"--reclaim-grace-ms", "10000"}));
  // Two jobs (baseline x 2 seeds), each long enough to outlive the outage.
  v1::SweepSpec spec = c.SmallSpec({"ppl"}, /*lease_ttl_seconds=*/30);
  spec.mutable_ablations()->DeleteSubrange(1, 1);
  spec.add_seeds(1);
  for (int i = 0; i < 2; ++i) ASSERT_OK(c.StartWorker({"--sleep-ms", "3000"}).status());
  auto sweep = c.Submit(spec);
  ASSERT_TRUE(sweep.ok()) << sweep.status();
  // Both leases on disk (GetSweep's counts may run ahead of the DB by one commit).
  absl::StatusOr<std::vector<std::vector<std::string>>> holders;
  ASSERT_TRUE(E2eCluster::WaitFor(
      [&] {
        holders = c.SqlRows("SELECT job_id, worker_id FROM jobs WHERE state = 2 ORDER BY job_id");
        return holders.ok() && holders->size() == 2u;
      },
      absl::Seconds(20)))
      << c.Logs();
  ASSERT_NE((*holders)[0][1], (*holders)[1][1]);

  c.StopCoordinator(SIGKILL);
  // An idle worker waits for the coordinator too: without the hold it would be
  // handed the requeued jobs first.
  ASSERT_OK(c.StartWorker().status());
  absl::SleepFor(absl::Milliseconds(300));
  ASSERT_OK(c.StartCoordinator({"--reclaim-grace-ms", "10000"}));
  v1::SweepInfo info;
  ASSERT_TRUE(c.WaitForSweepEnd(*sweep, absl::Seconds(30), &info)) << c.Logs();
  EXPECT_EQ(info.counts().succeeded(), 2);
  ExpectExactlyOneCorrectResultPerJob(c, *sweep, 2);
  // Each job ran once, on the worker that had it before the crash: one attempt,
  // never leased to the idle worker.
  for (const auto& h : *holders) {
    EXPECT_EQ(*c.SqlInt("SELECT COUNT(*) FROM attempts WHERE job_id = " + h[0]), 1) << c.Logs();
    auto rows = c.SqlRows("SELECT worker_id, attempt FROM jobs WHERE job_id = " + h[0]);
    ASSERT_TRUE(rows.ok() && rows->size() == 1u);
    EXPECT_EQ((*rows)[0][0], h[1]);
    EXPECT_EQ((*rows)[0][1], "1");
  }
}

TEST(E2eOrchestrationTest, DuplicateAndStaleCompletionsAreFenced) {
  E2eCluster c("fencing");
  ASSERT_OK(c.StartCoordinator());
  auto sweep = c.Submit(c.SmallSpec({"ppl"}, /*lease_ttl_seconds=*/1));
  ASSERT_TRUE(sweep.ok()) << sweep.status();
  auto reg = [&](const std::string& name) {
    v1::RegisterWorkerRequest req;
    req.set_host("test");
    req.set_name(name);
    v1::RegisterWorkerResponse resp;
    auto ctx = Ctx();
    EXPECT_TRUE(c.worker_api().RegisterWorker(ctx.get(), req, &resp).ok());
    return resp.worker_id();
  };
  auto lease = [&](const std::string& worker) {
    v1::LeaseJobsRequest req;
    req.set_worker_id(worker);
    req.set_max_jobs(1);
    req.set_wait_ms(1000);
    v1::LeaseJobsResponse resp;
    auto ctx = Ctx();
    EXPECT_TRUE(c.worker_api().LeaseJobs(ctx.get(), req, &resp).ok());
    EXPECT_EQ(resp.leases_size(), 1);
    return resp.leases_size() > 0 ? resp.leases(0) : v1::Lease();
  };
  auto complete = [&](const std::string& worker, const v1::Lease& l, double value) {
    v1::CompleteJobRequest req;
    req.set_worker_id(worker);
    req.set_job_id(l.job().job_id());
    req.set_lease_id(l.lease_id());
    req.set_attempt(l.attempt());
    v1::Metric* m = req.mutable_result()->add_metrics();
    m->set_name("test_score");
    m->set_value(value);
    v1::CompleteJobResponse resp;
    auto ctx = Ctx();
    grpc::Status s = c.worker_api().CompleteJob(ctx.get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  };
  const std::string w1 = reg("raw-1");
  const std::string w2 = reg("raw-2");

  // Duplicate: the same attempt reported twice is idempotent, one result row.
  const v1::Lease a = lease(w1);
  v1::CompleteJobResponse first = complete(w1, a, 1.0);
  EXPECT_TRUE(first.accepted());
  EXPECT_FALSE(first.duplicate());
  v1::CompleteJobResponse again = complete(w1, a, 2.0);
  EXPECT_TRUE(again.duplicate());
  const std::string ja = absl::StrCat(a.job().job_id());
  EXPECT_EQ(*c.SqlInt("SELECT COUNT(*) FROM results WHERE job_id = " + ja), 1);
  EXPECT_EQ(*c.SqlRows("SELECT value FROM results WHERE job_id = " + ja),
            (std::vector<std::vector<std::string>>{{"1.0"}}));

  // Stale: w1's lease expires (TTL 1 s, no heartbeats) and w2 gets the job in
  // a later attempt; w1's late report is refused and writes nothing.
  const v1::Lease b1 = lease(w1);
  v1::Lease b2;
  ASSERT_TRUE(E2eCluster::WaitFor(
      [&] {
        v1::LeaseJobsRequest req;
        req.set_worker_id(w2);
        req.set_max_jobs(1);
        req.set_wait_ms(200);
        v1::LeaseJobsResponse resp;
        auto ctx = Ctx();
        if (!c.worker_api().LeaseJobs(ctx.get(), req, &resp).ok()) return false;
        for (const auto& l : resp.leases()) {
          if (l.job().job_id() == b1.job().job_id()) {
            b2 = l;
            return true;
          }
          // Another job: hand it back untouched.
          v1::FailJobRequest f;
          f.set_worker_id(w2);
          f.set_job_id(l.job().job_id());
          f.set_lease_id(l.lease_id());
          f.set_attempt(l.attempt());
          f.set_release(true);
          v1::FailJobResponse fr;
          auto fctx = Ctx();
          c.worker_api().FailJob(fctx.get(), f, &fr);
        }
        return false;
      },
      absl::Seconds(15)))
      << c.Logs();
  EXPECT_GT(b2.attempt(), b1.attempt());
  v1::CompleteJobResponse stale = complete(w1, b1, 3.0);
  EXPECT_FALSE(stale.accepted());
  EXPECT_FALSE(stale.duplicate());
  const std::string jb = absl::StrCat(b1.job().job_id());
  EXPECT_EQ(*c.SqlInt("SELECT COUNT(*) FROM results WHERE job_id = " + jb), 0);
  v1::CompleteJobResponse fresh = complete(w2, b2, 4.0);
  EXPECT_TRUE(fresh.accepted());
  EXPECT_EQ(*c.SqlInt("SELECT COUNT(*) FROM results WHERE job_id = " + jb), 1);
  EXPECT_EQ(*c.SqlInt("SELECT attempt FROM job_results WHERE job_id = " + jb), b2.attempt());
  // A stale failure report is refused too.
  v1::FailJobRequest f;
  f.set_worker_id(w1);
  f.set_job_id(b1.job().job_id());
  f.set_lease_id(b1.lease_id());
  f.set_attempt(b1.attempt());
  f.set_error("late");
  v1::FailJobResponse fr;
  auto ctx = Ctx();
  ASSERT_TRUE(c.worker_api().FailJob(ctx.get(), f, &fr).ok());
  EXPECT_FALSE(fr.accepted());
  EXPECT_EQ(*c.SqlInt("SELECT state FROM jobs WHERE job_id = " + jb), v1::SUCCEEDED);
}

TEST(E2eOrchestrationTest, CancellingARunningSweepStopsRunningJobsViaHeartbeats) {
  E2eCluster c("cancel");
  ASSERT_OK(c.StartCoordinator());
  auto sweep = c.Submit(c.SmallSpec({"ppl-hang"}, /*lease_ttl_seconds=*/30));
  ASSERT_TRUE(sweep.ok()) << sweep.status();
  ASSERT_OK(c.StartWorker().status());
  ASSERT_OK(c.StartWorker().status());
  ASSERT_TRUE(E2eCluster::WaitFor(
      [&] {
        auto l = c.ListJobs(*sweep, v1::LEASED);
        return l.ok() && l->size() == 2;
      },
      absl::Seconds(20)))
      << c.Logs();
  v1::CancelSweepRequest req;
  req.set_sweep_id(*sweep);
  v1::CancelSweepResponse resp;
  auto ctx = Ctx();
  ASSERT_TRUE(c.client().CancelSweep(ctx.get(), req, &resp).ok());
  EXPECT_EQ(resp.cancelled_jobs(), 25);
  // The hanging jobs end well before their 30 s lease would expire: the
  // workers saw the cancellation in a heartbeat answer.
  v1::SweepInfo info;
  ASSERT_TRUE(E2eCluster::WaitFor(
      [&] {
        auto i = c.GetSweep(*sweep);
        if (i.ok()) info = *i;
        return i.ok() && i->state() == v1::SWEEP_CANCELLED && i->counts().leased() == 0;
      },
      absl::Seconds(10)))
      << c.Logs();
  EXPECT_EQ(info.counts().cancelled(), 25);
  EXPECT_EQ(*c.SqlInt("SELECT COUNT(*) FROM jobs WHERE state != 5"), 0);
  EXPECT_EQ(*c.SqlInt("SELECT COUNT(*) FROM results"), 0);
  for (auto& w : c.workers()) {
    EXPECT_THAT(w->Log(), HasSubstr("cancelled by the coordinator"));
    EXPECT_TRUE(w->Running());
  }
}

TEST(E2eOrchestrationTest, SigtermDrainsAWorkerAndReleasesItsLease) {
  E2eCluster c("drain");
  ASSERT_OK(c.StartCoordinator());
  auto sweep = c.Submit(c.SmallSpec({"ppl"}, /*lease_ttl_seconds=*/60));
  ASSERT_TRUE(sweep.ok()) << sweep.status();
  auto drained = c.StartWorker({"--hang", "--drain-grace-ms", "300"});
  ASSERT_TRUE(drained.ok());
  std::vector<v1::Job> leased;
  ASSERT_TRUE(E2eCluster::WaitFor(
      [&] {
        auto l = c.ListJobs(*sweep, v1::LEASED);
        if (l.ok()) leased = *l;
        return leased.size() == 1;
      },
      absl::Seconds(20)))
      << c.Logs();
  const absl::Time t0 = absl::Now();
  (*drained)->Signal(SIGTERM);
  EXPECT_EQ((*drained)->Wait(absl::Seconds(10)), 0) << (*drained)->Log();
  EXPECT_LT(absl::Now() - t0, absl::Seconds(5));
  // Released at once (not after the 60 s TTL), without counting an attempt.
  // "At once" allows a moment: a long poll the draining worker cancels may
  // have been granted the job as it was released, and that lease is handed
  // back when the cancelled call ends, a commit after the worker exited.
  const std::string j = absl::StrCat(leased[0].job_id());
  EXPECT_TRUE(E2eCluster::WaitFor([&] { return *c.SqlInt("SELECT state FROM jobs WHERE job_id = " + j) == v1::QUEUED; },
                                  absl::Seconds(5)))
      << c.Logs();
  EXPECT_EQ(*c.SqlInt("SELECT counted_attempts FROM jobs WHERE job_id = " + j), 0);
  // A healthy worker finishes everything.
  ASSERT_OK(c.StartWorker({"--sleep-ms", "2"}).status());
  v1::SweepInfo info;
  ASSERT_TRUE(c.WaitForSweepEnd(*sweep, absl::Seconds(30), &info)) << c.Logs();
  ExpectExactlyOneCorrectResultPerJob(c, *sweep, 25);
}

TEST(E2eOrchestrationTest, FailingJobsEndFailedAfterMaxAttempts) {
  E2eCluster c("fail");
  ASSERT_OK(c.StartCoordinator());
  auto sweep = c.Submit(c.SmallSpec({"ppl", "ppl-fail"}));
  ASSERT_TRUE(sweep.ok()) << sweep.status();
  ASSERT_OK(c.StartWorker({"--sleep-ms", "1"}).status());
  ASSERT_OK(c.StartWorker({"--sleep-ms", "1"}).status());
  v1::SweepInfo info;
  ASSERT_TRUE(c.WaitForSweepEnd(*sweep, absl::Seconds(30), &info)) << c.Logs();
  EXPECT_EQ(info.state(), v1::SWEEP_DONE);
  EXPECT_EQ(info.counts().succeeded(), 25);
  EXPECT_EQ(info.counts().failed(), 25);
  EXPECT_EQ(*c.SqlInt("SELECT COUNT(*) FROM jobs WHERE evaluation = 'ppl-fail' AND state = 4 "
                      "AND counted_attempts = 2 AND last_error LIKE '%always fails%'"),
            25);
}

}  // namespace
}  // namespace ablate::testing
