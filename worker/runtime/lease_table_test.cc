// lease_table_test.cc: held leases, heartbeat answers, drain release.
#include "worker/runtime/lease_table.h"

#include "gtest/gtest.h"

namespace ablate::worker {
namespace {

v1::Lease MakeLease(int64_t job_id) {
  v1::Lease l;
  l.mutable_job()->set_job_id(job_id);
  l.set_lease_id("L" + std::to_string(job_id));
  l.set_attempt(1);
  return l;
}

TEST(LeaseTableTest, ProgressCoversEveryHeldLease) {
  LeaseTable t;
  t.Add(MakeLease(1));
  t.Add(MakeLease(2));
  t.Start(1)->ReportProgress(0.25, "quarter");
  auto p = t.Progress();
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].job_id(), 1);
  EXPECT_EQ(p[0].lease_id(), "L1");
  EXPECT_DOUBLE_EQ(p[0].fraction(), 0.25);
  EXPECT_EQ(p[0].message(), "quarter");
  EXPECT_EQ(p[1].message(), "waiting");
  t.Remove(1);
  EXPECT_EQ(t.size(), 1);
  EXPECT_EQ(t.Start(1), nullptr);
}

TEST(LeaseTableTest, ProgressCarriesWorkTotals) {
  LeaseTable t;
  t.Add(MakeLease(1));
  auto ctx = t.Start(1);
  ctx->AddWork(0, 0, 10);
  ctx->AddWork(2, 256);
  ctx->AddWork(3, 384, 5);
  ctx->AddWork(-7, -1, -1);  // negative amounts are ignored
  auto p = t.Progress();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0].items_done(), 5);
  EXPECT_EQ(p[0].items_total(), 15);
  EXPECT_EQ(p[0].tokens_done(), 640);
}

TEST(LeaseTableTest, HeartbeatAnswerStopsCancelledAndLostJobs) {
  LeaseTable t;
  t.Add(MakeLease(1));
  t.Add(MakeLease(2));
  t.Add(MakeLease(3));
  v1::HeartbeatResponse r;
  r.add_cancelled_job_ids(1);
  r.add_lost_job_ids(2);
  r.add_lost_job_ids(99);  // not ours: ignored
  EXPECT_EQ(t.Apply(r), 2);
  EXPECT_EQ(t.Context(1)->stop_reason(), StopReason::kCancelled);
  EXPECT_EQ(t.Context(2)->stop_reason(), StopReason::kLost);
  EXPECT_FALSE(t.Context(3)->Cancelled());
}

TEST(LeaseTableTest, DrainReleasesOnlyRunningJobsOnce) {
  LeaseTable t;
  t.Add(MakeLease(1));
  t.Add(MakeLease(2));
  t.Start(1);
  auto released = t.StopRunningForDrain();
  ASSERT_EQ(released.size(), 1u);
  EXPECT_EQ(released[0].job().job_id(), 1);
  EXPECT_TRUE(t.Context(1)->Cancelled());
  EXPECT_FALSE(t.Context(2)->Cancelled());
  EXPECT_TRUE(t.StopRunningForDrain().empty());
}

// A finished job whose report is still queued is not released by a drain
// (the result would be refused after the release); one the drain stopped
// first is reported as drained.
TEST(LeaseTableTest, FinishedJobsAreLeftToTheirReportByADrain) {
  LeaseTable t;
  t.Add(MakeLease(1));
  t.Add(MakeLease(2));
  t.Start(1);
  t.Start(2);
  EXPECT_EQ(t.Finish(1), StopReason::kNone);
  auto released = t.StopRunningForDrain();
  ASSERT_EQ(released.size(), 1u);
  EXPECT_EQ(released[0].job().job_id(), 2);
  EXPECT_EQ(t.Finish(2), StopReason::kDrain);
  EXPECT_EQ(t.Finish(99), StopReason::kNone);  // not held
  EXPECT_EQ(t.size(), 2);                      // held until Remove (after the report)
}

TEST(RunningJobContextTest, FirstStopReasonWinsAndProgressIsClamped) {
  RunningJobContext c;
  c.ReportProgress(1.5, "x");
  EXPECT_DOUBLE_EQ(c.fraction(), 1.0);
  EXPECT_TRUE(c.Stop(StopReason::kLost));
  EXPECT_FALSE(c.Stop(StopReason::kCancelled));
  EXPECT_EQ(c.stop_reason(), StopReason::kLost);
}

}  // namespace
}  // namespace ablate::worker
