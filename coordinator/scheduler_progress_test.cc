// scheduler_progress_test.cc: heartbeat progress (fraction, items, tokens)
// stored per leased job and per worker, shown by ListWorkers, GetSweep and
// SweepSnapshot; the completion rate and ETA; the in-memory gauges; and the
// observer hooks metrics are built on.
#include <atomic>
#include <string>

#include "coordinator/scheduler.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/scheduler_harness.h"

namespace ablate::coordinator {
namespace {

using ::ablate::testing::FakeSpec;
using ::ablate::testing::SchedulerHarness;

// Counts the observer calls.
class CountingObserver : public SchedulerObserver {
 public:
  void LeaseGranted(int jobs, double) override { leased += jobs; }
  void JobCompleted(double seconds) override {
    ++completed;
    last_run_s = seconds;
  }
  void JobEnded(const char* state) override {
    if (std::string(state) == "succeeded") ++succeeded;
    if (std::string(state) == "failed") ++failed;
  }
  void LeaseLost() override { ++lost; }
  void SweepExpanded(int64_t jobs, double) override { expanded += jobs; }
  void BatchCommitted(int ops, double) override { committed_ops += ops; }

  std::atomic<int> leased{0}, completed{0}, succeeded{0}, failed{0}, lost{0};
  std::atomic<int64_t> expanded{0}, committed_ops{0};
  std::atomic<double> last_run_s{0};
};

TEST(SchedulerProgressTest, HeartbeatProgressIsStoredAndShown) {
  SchedulerHarness h("progress_shown");
  const int64_t sweep = h.Submit(FakeSpec("s", 1, 1));  // 4 jobs
  const std::string w = h.Register("w1");
  std::vector<v1::Lease> leases = h.Lease(w, 2);
  ASSERT_EQ(leases.size(), 2u);
  h.clock().Advance(absl::Seconds(1));
  h.Beat(w, leases,
         {SchedulerHarness::Progress(0.5, 5, 10, 1000, "window 5/10"), SchedulerHarness::Progress(0.25, 1, 4, 200)});
  h.clock().Advance(absl::Seconds(1));
  h.Beat(w, leases,
         {SchedulerHarness::Progress(0.75, 7, 10, 1500, "window 7/10"), SchedulerHarness::Progress(0.25, 1, 4, 200)});

  v1::ListWorkersResponse workers = h.core()->ListWorkers();
  ASSERT_EQ(workers.workers_size(), 1);
  const v1::WorkerStatus& ws = workers.workers(0);
  EXPECT_EQ(ws.tokens_done(), 1700);  // 1500 + 200: per-attempt totals, not their sum over beats
  EXPECT_GT(ws.tokens_per_second(), 0);
  ASSERT_EQ(ws.jobs_size(), 2);
  EXPECT_EQ(ws.jobs(0).job_id(), leases[0].job().job_id());
  EXPECT_DOUBLE_EQ(ws.jobs(0).fraction(), 0.75);
  EXPECT_EQ(ws.jobs(0).items_done(), 7);
  EXPECT_EQ(ws.jobs(0).items_total(), 10);
  EXPECT_EQ(ws.jobs(0).tokens_done(), 1500);
  EXPECT_EQ(ws.jobs(0).message(), "window 7/10");
  EXPECT_EQ(ws.jobs(0).sweep_id(), sweep);

  absl::StatusOr<v1::SweepInfo> info = h.core()->GetSweep(sweep);
  ASSERT_TRUE(info.ok()) << info.status();
  ASSERT_EQ(info->running_size(), 2);
  EXPECT_EQ(info->eta_ms(), -1);  // nothing finished yet: no rate

  absl::StatusOr<v1::SweepEvent> snap = h.core()->SweepSnapshot(sweep);
  ASSERT_TRUE(snap.ok());
  EXPECT_DOUBLE_EQ(snap->running_fraction(), 1.0);
}

TEST(SchedulerProgressTest, HostileProgressIsClamped) {
  SchedulerHarness h("progress_clamped");
  h.Submit(FakeSpec("s", 1, 1));
  const std::string w = h.Register("w1");
  std::vector<v1::Lease> leases = h.Lease(w, 1);
  h.Beat(w, leases, {SchedulerHarness::Progress(7.5, -3, -1, -100, std::string(10000, 'x'))});
  const v1::WorkerStatus ws = h.core()->ListWorkers().workers(0);
  ASSERT_EQ(ws.jobs_size(), 1);
  EXPECT_DOUBLE_EQ(ws.jobs(0).fraction(), 1.0);
  EXPECT_EQ(ws.jobs(0).items_done(), 0);
  EXPECT_EQ(ws.jobs(0).tokens_done(), 0);
  EXPECT_EQ(ws.jobs(0).message().size(), 200u);
  EXPECT_EQ(ws.tokens_done(), 0);
}

TEST(SchedulerProgressTest, RateEtaGaugesAndObserver) {
  CountingObserver obs;
  SchedulerHarness h("progress_rate", &obs);
  const int64_t sweep = h.Submit(FakeSpec("s", 1, 1));  // 4 jobs
  EXPECT_EQ(obs.expanded.load(), 4);
  const std::string w = h.Register("w1");
  std::vector<v1::Lease> leases = h.Lease(w, 4);
  ASSERT_EQ(leases.size(), 4u);
  EXPECT_EQ(obs.leased.load(), 4);
  h.clock().Advance(absl::Seconds(2));
  h.Complete(w, leases[0]);
  h.Fail(w, leases[1], "boom");  // counted: requeued (max_attempts 3)
  EXPECT_EQ(obs.completed.load(), 1);
  EXPECT_DOUBLE_EQ(obs.last_run_s.load(), 2.0);
  EXPECT_EQ(obs.succeeded.load(), 1);
  EXPECT_GT(obs.committed_ops.load(), 0);

  SchedulerGauges g = h.core()->Gauges();
  ASSERT_EQ(g.sweeps.size(), 1u);
  EXPECT_EQ(g.sweeps[0].sweep_id, sweep);
  EXPECT_EQ(g.sweeps[0].counts.succeeded, 1);
  EXPECT_EQ(g.sweeps[0].counts.queued, 1);
  EXPECT_EQ(g.leases, 2);
  EXPECT_GT(g.sweeps[0].jobs_per_second, 0);

  absl::StatusOr<v1::SweepInfo> info = h.core()->GetSweep(sweep);
  ASSERT_TRUE(info.ok());
  EXPECT_GT(info->jobs_per_second(), 0);
  EXPECT_GT(info->eta_ms(), 0);

  for (size_t i = 2; i < 4; ++i) h.Complete(w, leases[i]);
  std::vector<v1::Lease> again = h.Lease(w, 1);
  ASSERT_EQ(again.size(), 1u);
  h.Complete(w, again[0]);
  info = h.core()->GetSweep(sweep);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->state(), v1::SWEEP_DONE);
  EXPECT_EQ(info->eta_ms(), 0);
  EXPECT_TRUE(h.core()->Gauges().sweeps.empty());
}

}  // namespace
}  // namespace ablate::coordinator
