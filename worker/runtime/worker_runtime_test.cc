// worker_runtime_test.cc: the worker loop against an in-memory WorkerService
// (tests/testing/fake_worker_service.h) over real loopback gRPC: completion,
// failure, cancellation and lost leases via heartbeats, drain within and past
// the grace period, re-registration after the coordinator forgets the worker,
// reconnecting to a coordinator that starts late, idle exit, bad options,
// pipelining (lease prefetch, background reports drained on stop, queued
// completions batched in one CompleteJobs call).
#include "worker/runtime/worker_runtime.h"

#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "grpcpp/server.h"
#include "gtest/gtest.h"
#include "tests/testing/fake_worker_service.h"
#include "tests/testing/status_matchers.h"

namespace ablate::worker {
namespace {

using ::ablate::testing::FakeWorkerService;
using ::ablate::testing::IsOk;
using ::ablate::testing::StatusIs;
using ::testing::HasSubstr;

// Scripted evaluator: behaviour chosen by the evaluation name.
//   "ok"   -> metric = job_id * 10 after `sleep`
//   "fail" -> Internal error
//   "slow" -> runs until cancelled (checks every 5 ms), then Cancelled
//   "long" -> as "ok", after 800 ms
class ScriptedEvaluator : public Evaluator {
 public:
  explicit ScriptedEvaluator(absl::Duration sleep = absl::Milliseconds(5)) : sleep_(sleep) {}
  absl::StatusOr<v1::JobResult> Evaluate(const v1::Job& job, JobContext& ctx) override {
    started_.fetch_add(1);
    const std::string& mode = job.spec().evaluation().name();
    if (mode == "fail") return absl::InternalError("scripted failure");
    if (mode == "slow") {
      const absl::Time until = absl::Now() + absl::Seconds(20);
      while (!ctx.Cancelled() && absl::Now() < until) {
        ctx.ReportProgress(0.5, "slow");
        absl::SleepFor(absl::Milliseconds(5));
      }
      if (ctx.Cancelled()) return absl::CancelledError("stopped");
    }
    absl::SleepFor(mode == "long" ? absl::Milliseconds(800) : sleep_);
    ctx.ReportProgress(1.0, "done");
    v1::JobResult r;
    auto* m = r.add_metrics();
    m->set_name("score");
    m->set_value(job.job_id() * 10.0);
    return r;
  }
  std::vector<std::string> LoadedModels() const override { return {"/models/tiny"}; }
  int started() const { return started_.load(); }

 private:
  absl::Duration sleep_;
  std::atomic<int> started_{0};
};

v1::Job MakeJob(int64_t id, const std::string& mode) {
  v1::Job j;
  j.set_job_id(id);
  j.set_sweep_id(1);
  j.mutable_spec()->mutable_evaluation()->set_name(mode);
  j.mutable_spec()->mutable_model()->set_name("tiny");
  return j;
}

class WorkerRuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = fake_.Serve("127.0.0.1:0", &port_);
    ASSERT_NE(server_, nullptr);
  }
  void TearDown() override {
    if (runtime_) runtime_->RequestStop();
    if (thread_.joinable()) thread_.join();
    if (server_) server_->Shutdown(std::chrono::system_clock::now());
  }
  WorkerOptions Options() {
    WorkerOptions o;
    o.coordinator_address = absl::StrCat("127.0.0.1:", port_);
    o.name = "test-worker";
    o.lease_wait_ms = 100;
    o.rpc_timeout_ms = 2000;
    o.backoff_initial_ms = 20;
    o.backoff_max_ms = 100;
    o.drain_grace_ms = 2000;
    o.report_retry_ms = 3000;
    o.log_sink = [](const std::string&) {};
    return o;
  }
  void Start(WorkerOptions o, absl::Duration eval_sleep = absl::Milliseconds(5)) {
    auto eval = std::make_unique<ScriptedEvaluator>(eval_sleep);
    evaluator_ = eval.get();
    runtime_ = std::make_unique<WorkerRuntime>(std::move(o), std::move(eval));
    thread_ = std::thread([this] { run_status_ = runtime_->Run(); });
  }
  void StopAndJoin() {
    runtime_->RequestStop();
    thread_.join();
  }

  FakeWorkerService fake_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  ScriptedEvaluator* evaluator_ = nullptr;
  std::unique_ptr<WorkerRuntime> runtime_;
  std::thread thread_;
  absl::Status run_status_;
};

TEST_F(WorkerRuntimeTest, RegistersRunsJobsAndReportsResults) {
  for (int i = 1; i <= 5; ++i) fake_.Enqueue(MakeJob(i, "ok"));
  WorkerOptions o = Options();
  o.max_jobs_per_lease = 2;
  Start(o);
  ASSERT_TRUE(FakeWorkerService::WaitFor([&] { return fake_.completed().size() == 5; }, absl::Seconds(10)));
  StopAndJoin();
  EXPECT_THAT(run_status_, IsOk());
  for (const auto& c : fake_.completed()) {
    EXPECT_TRUE(c.accepted);
    EXPECT_FALSE(c.duplicate);
    ASSERT_EQ(c.request.result().metrics_size(), 1);
    EXPECT_EQ(c.request.result().metrics(0).value(), c.request.job_id() * 10.0);
    EXPECT_EQ(c.request.result().device(), "cpu");
    EXPECT_GT(c.request.result().wall_seconds(), 0);
  }
  ASSERT_EQ(fake_.registrations().size(), 1u);
  const v1::RegisterWorkerRequest reg = fake_.registrations()[0];
  EXPECT_EQ(reg.name(), "test-worker");
  ASSERT_EQ(reg.devices_size(), 1);
  EXPECT_EQ(reg.devices(0).name(), "cpu");
  EXPECT_GT(reg.devices(0).total_memory_bytes(), 0);
  EXPECT_THAT(reg.loaded_models(), ::testing::ElementsAre("/models/tiny"));
  EXPECT_EQ(runtime_->stats().completed, 5);
}

TEST_F(WorkerRuntimeTest, FailingJobIsReportedAsFailedAttempt) {
  fake_.Enqueue(MakeJob(7, "fail"));
  Start(Options());
  ASSERT_TRUE(FakeWorkerService::WaitFor([&] { return fake_.failed().size() == 1; }, absl::Seconds(10)));
  StopAndJoin();
  const auto f = fake_.failed()[0];
  EXPECT_EQ(f.job_id(), 7);
  EXPECT_FALSE(f.release());
  EXPECT_THAT(f.error(), HasSubstr("scripted failure"));
  EXPECT_TRUE(fake_.completed().empty());
}

TEST_F(WorkerRuntimeTest, HeartbeatsCarryProgressAndCancellationStopsTheJob) {
  fake_.Enqueue(MakeJob(3, "slow"));
  fake_.Enqueue(MakeJob(4, "ok"));
  Start(Options());
  ASSERT_TRUE(FakeWorkerService::WaitFor(
      [&] {
        for (const auto& hb : fake_.heartbeats()) {
          for (const auto& p : hb.leases()) {
            if (p.job_id() == 3 && p.fraction() == 0.5) return true;
          }
        }
        return false;
      },
      absl::Seconds(10)));
  fake_.CancelJob(3);
  // The cancelled job reports nothing; the worker moves on to job 4.
  ASSERT_TRUE(FakeWorkerService::WaitFor([&] { return fake_.completed().size() == 1; }, absl::Seconds(10)));
  EXPECT_EQ(fake_.completed()[0].request.job_id(), 4);
  // The cancelled job was handed back so the coordinator can end it at once.
  ASSERT_EQ(fake_.failed().size(), 1u);
  EXPECT_EQ(fake_.failed()[0].job_id(), 3);
  EXPECT_TRUE(fake_.failed()[0].release());
  EXPECT_EQ(runtime_->stats().dropped, 1);
  StopAndJoin();
}

TEST_F(WorkerRuntimeTest, LostLeaseDiscardsTheOutcome) {
  fake_.Enqueue(MakeJob(5, "slow"));
  Start(Options());
  ASSERT_TRUE(FakeWorkerService::WaitFor([&] { return fake_.leased_count() == 1; }, absl::Seconds(5)));
  fake_.LoseLease(5);
  ASSERT_TRUE(FakeWorkerService::WaitFor([&] { return runtime_->stats().dropped == 1; }, absl::Seconds(10)));
  EXPECT_TRUE(fake_.completed().empty());
  EXPECT_TRUE(fake_.failed().empty());
  StopAndJoin();
}

TEST_F(WorkerRuntimeTest, DrainLetsTheRunningJobFinishWithinGrace) {
  fake_.Enqueue(MakeJob(1, "ok"));
  fake_.Enqueue(MakeJob(2, "ok"));
  WorkerOptions o = Options();
  o.max_jobs_per_lease = 2;
  Start(o, absl::Milliseconds(300));
  ASSERT_TRUE(FakeWorkerService::WaitFor([&] { return evaluator_->started() == 1; }, absl::Seconds(5)));
  StopAndJoin();
  EXPECT_THAT(run_status_, IsOk());
  // Job 1 was running: it finished and was reported. Job 2 was leased but not
  // started: it was released without counting as an attempt.
  ASSERT_EQ(fake_.completed().size(), 1u);
  EXPECT_EQ(fake_.completed()[0].request.job_id(), 1);
  ASSERT_EQ(fake_.failed().size(), 1u);
  EXPECT_EQ(fake_.failed()[0].job_id(), 2);
  EXPECT_TRUE(fake_.failed()[0].release());
  EXPECT_EQ(evaluator_->started(), 1);
}

TEST_F(WorkerRuntimeTest, DrainPastGraceReleasesTheRunningJob) {
  fake_.Enqueue(MakeJob(9, "slow"));
  WorkerOptions o = Options();
  o.drain_grace_ms = 200;
  Start(o);
  ASSERT_TRUE(FakeWorkerService::WaitFor([&] { return evaluator_->started() == 1; }, absl::Seconds(5)));
  const absl::Time t0 = absl::Now();
  StopAndJoin();
  EXPECT_LT(absl::Now() - t0, absl::Seconds(3));
  EXPECT_THAT(run_status_, IsOk());
  ASSERT_EQ(fake_.failed().size(), 1u);
  EXPECT_EQ(fake_.failed()[0].job_id(), 9);
  EXPECT_TRUE(fake_.failed()[0].release());
  EXPECT_TRUE(fake_.completed().empty());
  EXPECT_EQ(runtime_->stats().released, 1);
}

TEST_F(WorkerRuntimeTest, RegistersAgainWhenTheCoordinatorForgetsIt) {
  Start(Options());
  ASSERT_TRUE(FakeWorkerService::WaitFor([&] { return fake_.registrations().size() == 1; }, absl::Seconds(5)));
  fake_.ForgetWorkers();
  ASSERT_TRUE(FakeWorkerService::WaitFor([&] { return fake_.registrations().size() >= 2; }, absl::Seconds(5)));
  fake_.Enqueue(MakeJob(11, "ok"));
  ASSERT_TRUE(FakeWorkerService::WaitFor([&] { return fake_.completed().size() == 1; }, absl::Seconds(10)));
  EXPECT_TRUE(fake_.completed()[0].accepted);
  StopAndJoin();
}

TEST_F(WorkerRuntimeTest, ReconnectsToACoordinatorThatStartsLate) {
  // Take the port away, start the worker, then bring the service up on it.
  server_->Shutdown(std::chrono::system_clock::now());
  server_.reset();
  Start(Options());
  absl::SleepFor(absl::Milliseconds(400));
  EXPECT_TRUE(fake_.registrations().empty());
  int port = 0;
  server_ = fake_.Serve(absl::StrCat("127.0.0.1:", port_), &port);
  ASSERT_NE(server_, nullptr);
  fake_.Enqueue(MakeJob(1, "ok"));
  ASSERT_TRUE(FakeWorkerService::WaitFor([&] { return fake_.completed().size() == 1; }, absl::Seconds(10)));
  StopAndJoin();
}

TEST_F(WorkerRuntimeTest, ResultIsResentUntilTheCoordinatorIsBack) {
  fake_.Enqueue(MakeJob(21, "ok"));
  Start(Options(), absl::Milliseconds(300));
  ASSERT_TRUE(FakeWorkerService::WaitFor([&] { return evaluator_->started() == 1; }, absl::Seconds(5)));
  // The coordinator goes away while the job runs and comes back later on the
  // same port (same state: the lease is still current).
  server_->Shutdown(std::chrono::system_clock::now());
  server_.reset();
  absl::SleepFor(absl::Milliseconds(800));
  EXPECT_TRUE(fake_.completed().empty());
  int port = 0;
  server_ = fake_.Serve(absl::StrCat("127.0.0.1:", port_), &port);
  ASSERT_NE(server_, nullptr);
  ASSERT_TRUE(FakeWorkerService::WaitFor([&] { return fake_.completed().size() == 1; }, absl::Seconds(10)));
  EXPECT_TRUE(fake_.completed()[0].accepted);
  EXPECT_EQ(fake_.completed()[0].request.job_id(), 21);
  StopAndJoin();  // the answer may still be on its way until Run returns
  EXPECT_EQ(runtime_->stats().completed, 1);
}

TEST_F(WorkerRuntimeTest, StopsWhenTheCoordinatorShutsDownOrWhenIdle) {
  fake_.set_shutting_down(true);
  Start(Options());
  thread_.join();
  EXPECT_THAT(run_status_, IsOk());

  fake_.set_shutting_down(false);
  WorkerOptions o = Options();
  o.idle_exit_ms = 300;
  auto rt = std::make_unique<WorkerRuntime>(o, std::make_unique<ScriptedEvaluator>());
  const absl::Time t0 = absl::Now();
  EXPECT_THAT(rt->Run(), IsOk());
  EXPECT_LT(absl::Now() - t0, absl::Seconds(5));
}

// Pipelining: after a short job, the next LeaseJobs is in flight while a job
// runs; not after a long one (prefetch_below_ms), nor without pipelining.
TEST_F(WorkerRuntimeTest, LeasesTheNextJobWhileOneRunsAfterShortJobsOnly) {
  struct Variant {
    const char* name;
    bool pipeline;
    int32_t prefetch_below_ms;
    bool prefetches;
  };
  int64_t next_id = 40;
  for (const Variant& v : {Variant{"pipeline", true, 1000, true}, Variant{"previous job too long", true, 1, false},
                           Variant{"no pipeline", false, 1000, false}}) {
    SCOPED_TRACE(v.name);
    const int64_t leased_before = fake_.leased_count();
    const size_t completed_before = fake_.completed().size();
    fake_.Enqueue(MakeJob(++next_id, "ok"));    // 5 ms
    fake_.Enqueue(MakeJob(++next_id, "long"));  // 800 ms
    fake_.Enqueue(MakeJob(++next_id, "ok"));
    WorkerOptions o = Options();
    o.pipeline = v.pipeline;
    o.prefetch_below_ms = v.prefetch_below_ms;
    Start(o);
    // The long job runs.
    ASSERT_TRUE(FakeWorkerService::WaitFor([&] { return evaluator_->started() == 2; }, absl::Seconds(5)));
    if (v.prefetches) {
      // The third job is leased (held, not started) while the second runs.
      EXPECT_TRUE(FakeWorkerService::WaitFor([&] { return fake_.leased_count() == leased_before + 3; },
                                             absl::Milliseconds(500)));
      EXPECT_EQ(evaluator_->started(), 2);
    } else {
      absl::SleepFor(absl::Milliseconds(300));
      EXPECT_EQ(fake_.leased_count(), leased_before + 2);
    }
    ASSERT_TRUE(
        FakeWorkerService::WaitFor([&] { return fake_.completed().size() == completed_before + 3; }, absl::Seconds(5)));
    StopAndJoin();
    EXPECT_THAT(run_status_, IsOk());
    EXPECT_EQ(runtime_->stats().completed, 3);
    runtime_.reset();
    // A long poll the stopped worker abandoned may still be open on the fake
    // until its cancellation arrives: let it end before the next jobs exist.
    absl::SleepFor(absl::Milliseconds(2 * fake_.max_long_poll_ms));
  }
}

// Reports go out in the background (the next jobs run meanwhile); a stop
// sends every queued report before Run returns.
TEST_F(WorkerRuntimeTest, QueuedReportsAreSentBeforeRunReturns) {
  fake_.complete_delay = absl::Milliseconds(150);
  for (int i = 1; i <= 5; ++i) fake_.Enqueue(MakeJob(60 + i, "ok"));
  WorkerOptions o = Options();
  o.max_jobs_per_lease = 5;
  Start(o, absl::Milliseconds(1));
  ASSERT_TRUE(FakeWorkerService::WaitFor([&] { return evaluator_->started() == 5; }, absl::Seconds(5)));
  EXPECT_LE(fake_.completed().size(), 1u);  // jobs did not wait for their reports (150 ms each)
  StopAndJoin();
  EXPECT_THAT(run_status_, IsOk());
  ASSERT_EQ(fake_.completed().size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(fake_.completed()[i].request.job_id(), 61 + i);  // in order
    EXPECT_TRUE(fake_.completed()[i].accepted);
  }
  EXPECT_EQ(runtime_->stats().completed, 5);
}

// Completions queued while one is on its way go out together in one
// CompleteJobs call, each acknowledged; to a coordinator without CompleteJobs,
// one CompleteJob each.
TEST_F(WorkerRuntimeTest, QueuedCompletionsGoOutInOneCallEachAcknowledged) {
  for (bool batched : {true, false}) {
    SCOPED_TRACE(batched ? "CompleteJobs" : "no CompleteJobs");
    fake_.complete_jobs = batched;
    fake_.complete_delay = absl::Milliseconds(150);
    const size_t before = fake_.completed().size();
    const size_t batches_before = fake_.batch_sizes().size();
    const int64_t base = batched ? 80 : 90;
    for (int i = 1; i <= 6; ++i) fake_.Enqueue(MakeJob(base + i, "ok"));
    WorkerOptions o = Options();
    o.max_jobs_per_lease = 6;
    Start(o, absl::Milliseconds(1));
    ASSERT_TRUE(FakeWorkerService::WaitFor([&] { return fake_.completed().size() == before + 6; }, absl::Seconds(10)));
    StopAndJoin();
    EXPECT_THAT(run_status_, IsOk());
    EXPECT_EQ(runtime_->stats().completed, 6);
    const std::vector<FakeWorkerService::Completion> done = fake_.completed();
    ASSERT_EQ(done.size(), before + 6);
    for (int i = 0; i < 6; ++i) {
      EXPECT_EQ(done[before + i].request.job_id(), base + 1 + i);  // in order
      EXPECT_TRUE(done[before + i].accepted);
      EXPECT_FALSE(done[before + i].duplicate);
    }
    const std::vector<int> sizes = fake_.batch_sizes();
    if (batched) {
      // The first went alone (CompleteJob); the 5 finished meanwhile went together.
      EXPECT_THAT(std::vector<int>(sizes.begin() + static_cast<long>(batches_before), sizes.end()),
                  ::testing::ElementsAre(5));
    } else {
      EXPECT_EQ(sizes.size(), batches_before);
    }
    runtime_.reset();
    absl::SleepFor(absl::Milliseconds(2 * fake_.max_long_poll_ms));
  }
}

// A lease that arrived while the last job ran is handed back on stop, unstarted.
TEST_F(WorkerRuntimeTest, StopReleasesTheLeaseFetchedWhileTheLastJobRan) {
  fake_.Enqueue(MakeJob(71, "ok"));
  fake_.Enqueue(MakeJob(72, "long"));
  fake_.Enqueue(MakeJob(73, "ok"));
  Start(Options());
  ASSERT_TRUE(FakeWorkerService::WaitFor([&] { return evaluator_->started() == 2 && fake_.leased_count() == 3; },
                                         absl::Seconds(5)));
  StopAndJoin();
  EXPECT_THAT(run_status_, IsOk());
  EXPECT_EQ(evaluator_->started(), 2);
  ASSERT_EQ(fake_.completed().size(), 2u);
  EXPECT_EQ(fake_.completed()[1].request.job_id(), 72);  // finished within the drain grace
  ASSERT_EQ(fake_.failed().size(), 1u);
  EXPECT_EQ(fake_.failed()[0].job_id(), 73);
  EXPECT_TRUE(fake_.failed()[0].release());
  EXPECT_EQ(runtime_->stats().released, 1);
}

TEST_F(WorkerRuntimeTest, RejectsBadOptions) {
  WorkerOptions o = Options();
  o.device = "tpu";
  WorkerRuntime rt(o, std::make_unique<ScriptedEvaluator>());
  EXPECT_THAT(rt.Run(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("device")));
  o = Options();
  o.max_jobs_per_lease = 0;
  EXPECT_THAT(ValidateWorkerOptions(o), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_jobs_per_lease")));
  WorkerRuntime no_eval(Options(), nullptr);
  EXPECT_THAT(no_eval.Run(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("evaluator")));
}

}  // namespace
}  // namespace ablate::worker
