// service_test.cc: the real server (CoordinatorServer::Start) on 127.0.0.1:0
// with a SQLite file, driven through the generated stubs: concurrent workers
// leasing and completing a few hundred jobs (exactly one result each),
// batched completions (CompleteJobs), a
// restart mid-sweep with leases outstanding, WatchSweep, long polls that do
// not starve other calls, and errors crossing the wire with their codes.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <sqlite3.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "ablate/v1/coordinator.grpc.pb.h"
#include "ablate/v1/worker.grpc.pb.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "coordinator/coordinator_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace ablate::coordinator {
namespace {

using ::testing::HasSubstr;

std::unique_ptr<grpc::ClientContext> Ctx(absl::Duration timeout = absl::Seconds(10)) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(absl::ToInt64Milliseconds(timeout)));
  return ctx;
}

// baseline + 24 attention layers = 25 conditions x evals x seeds.
v1::SweepSpec Spec(int evals, int seeds, int ttl_s = 30) {
  v1::SweepSpec s;
  s.set_name("service-test");
  v1::ModelSpec* m = s.add_models();
  m->set_name("q");
  m->set_path(std::string(ABLATE_SOURCE_DIR) + "/spec/testdata/qwen2.5-0.5b");
  for (int i = 0; i < evals; ++i) {
    v1::EvaluationSpec* e = s.add_evaluations();
    e->set_name(absl::StrCat("ppl", i));
    e->mutable_perplexity()->set_dataset("/data/wiki.test.raw");
  }
  s.add_ablations()->mutable_baseline();
  s.add_ablations()->mutable_layer_sweep()->set_component(v1::ATTENTION);
  for (int i = 0; i < seeds; ++i) s.add_seeds(i);
  s.mutable_execution()->set_lease_ttl_seconds(ttl_s);
  return s;
}

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string dir = ::testing::TempDir() + "/service_test_" + std::to_string(::getpid());
    std::filesystem::create_directories(dir);
    db_ = dir + "/" + ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db";
    for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(db_ + s);
    StartServer();
  }
  void TearDown() override {
    if (server_) server_->Shutdown(absl::Seconds(1));
  }

  void StartServer() {
    CoordinatorOptions o;
    o.db_path = db_;
    o.listen_address = "127.0.0.1:0";
    o.expiry_scan_interval_ms = 50;
    o.max_long_poll_ms = 2000;
    o.watch_interval_ms = 50;
    o.reclaim_grace_ms = 0;  // the restart tests hand requeued jobs to new workers at once
    auto s = CoordinatorServer::Start(o);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = std::move(s).value();
    auto channel = grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials());
    client_ = v1::Coordinator::NewStub(channel);
    workers_ = v1::WorkerService::NewStub(channel);
  }

  int64_t Submit(const v1::SweepSpec& spec, int64_t* jobs) {
    v1::SubmitSweepRequest req;
    *req.mutable_spec() = spec;
    req.set_spec_text("# yaml");
    v1::SubmitSweepResponse resp;
    grpc::Status s = client_->SubmitSweep(Ctx(absl::Seconds(30)).get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    *jobs = resp.job_count();
    return resp.sweep_id();
  }

  std::string Register(const std::string& name) {
    v1::RegisterWorkerRequest req;
    req.set_host("localhost");
    req.set_name(name);
    req.add_devices()->set_name("cpu");
    v1::RegisterWorkerResponse resp;
    grpc::Status s = workers_->RegisterWorker(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.worker_id();
  }

  std::vector<v1::Lease> Lease(const std::string& worker, int n, int wait_ms) {
    v1::LeaseJobsRequest req;
    req.set_worker_id(worker);
    req.set_max_jobs(n);
    req.set_wait_ms(wait_ms);
    v1::LeaseJobsResponse resp;
    grpc::Status s = workers_->LeaseJobs(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return {resp.leases().begin(), resp.leases().end()};
  }

  v1::CompleteJobResponse Complete(const std::string& worker, const v1::Lease& l) {
    v1::CompleteJobRequest req;
    req.set_worker_id(worker);
    req.set_job_id(l.job().job_id());
    req.set_lease_id(l.lease_id());
    req.set_attempt(l.attempt());
    v1::Metric* m = req.mutable_result()->add_metrics();
    m->set_name("perplexity");
    m->set_value(l.job().spec().condition().kind() == v1::BASELINE ? 10.0 : 20.0);
    req.mutable_result()->set_device("cpu");
    v1::CompleteJobResponse resp;
    grpc::Status s = workers_->CompleteJob(Ctx().get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp;
  }

  v1::SweepInfo Sweep(int64_t id) {
    v1::GetSweepRequest req;
    req.set_sweep_id(id);
    v1::SweepInfo info;
    grpc::Status s = client_->GetSweep(Ctx().get(), req, &info);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return info;
  }

  // All result rows of a sweep, paging through QueryResults.
  std::vector<v1::ResultRow> Results(int64_t sweep) {
    std::vector<v1::ResultRow> rows;
    int64_t after = 0;
    while (true) {
      v1::QueryResultsRequest req;
      req.set_sweep_id(sweep);
      req.set_page_size(64);
      req.set_after_result_id(after);
      v1::QueryResultsResponse resp;
      grpc::Status s = client_->QueryResults(Ctx().get(), req, &resp);
      EXPECT_TRUE(s.ok()) << s.error_message();
      rows.insert(rows.end(), resp.rows().begin(), resp.rows().end());
      if (!s.ok() || resp.next_after_result_id() == 0) return rows;
      after = resp.next_after_result_id();
    }
  }

  // Runs `threads` workers leasing and completing until the sweep ends.
  void RunWorkers(int64_t sweep, int threads, std::map<int64_t, int>* completions) {
    absl::Mutex mu;
    std::atomic<bool> done{false};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        std::string id = Register(absl::StrCat("t", t));
        while (!done.load()) {
          for (const v1::Lease& l : Lease(id, 1 + t % 4, 200)) {
            v1::CompleteJobResponse r = Complete(id, l);
            EXPECT_TRUE(r.accepted());
            EXPECT_FALSE(r.duplicate());
            absl::MutexLock lock(&mu);
            ++(*completions)[l.job().job_id()];
          }
          v1::SweepInfo info = Sweep(sweep);
          if (info.state() != v1::SWEEP_RUNNING) done = true;
        }
      });
    }
    for (auto& th : pool) th.join();
  }

  std::string db_;
  std::unique_ptr<CoordinatorServer> server_;
  std::unique_ptr<v1::Coordinator::Stub> client_;
  std::unique_ptr<v1::WorkerService::Stub> workers_;
};

TEST_F(ServiceTest, ConcurrentWorkersCompleteEveryJobExactlyOnce) {
  int64_t n = 0;
  const int64_t sweep = Submit(Spec(/*evals=*/2, /*seeds=*/6), &n);
  ASSERT_EQ(n, 25 * 2 * 6);
  std::map<int64_t, int> completions;
  RunWorkers(sweep, /*threads=*/8, &completions);
  EXPECT_EQ(static_cast<int64_t>(completions.size()), n);
  for (const auto& [job, count] : completions) EXPECT_EQ(count, 1) << "job " << job;

  v1::SweepInfo info = Sweep(sweep);
  EXPECT_EQ(info.state(), v1::SWEEP_DONE);
  EXPECT_EQ(info.counts().succeeded(), n);
  EXPECT_EQ(info.spec().name(), "service-test");
  std::vector<v1::ResultRow> rows = Results(sweep);
  ASSERT_EQ(static_cast<int64_t>(rows.size()), n);
  std::set<int64_t> jobs;
  for (const auto& r : rows) {
    EXPECT_TRUE(jobs.insert(r.job_id()).second) << "second result for job " << r.job_id();
    EXPECT_DOUBLE_EQ(r.baseline_value(), 10.0);
    EXPECT_DOUBLE_EQ(r.ratio_to_baseline(), r.value() / 10.0);
  }
  v1::ListWorkersResponse workers;
  ASSERT_TRUE(client_->ListWorkers(Ctx().get(), {}, &workers).ok());
  EXPECT_EQ(workers.workers_size(), 8);
}

TEST_F(ServiceTest, CompleteJobsStoresABatchAndAnswersEachCompletion) {
  int64_t jobs = 0;
  const int64_t sweep = Submit(Spec(1, 1), &jobs);  // 25 jobs
  const std::string w = Register("batch");
  std::vector<v1::Lease> leases = Lease(w, 4, 0);
  ASSERT_EQ(leases.size(), 4u);
  auto completion = [](const v1::Lease& l) {
    v1::CompleteJobRequest c;  // worker_id left empty: the batch's
    c.set_job_id(l.job().job_id());
    c.set_lease_id(l.lease_id());
    c.set_attempt(l.attempt());
    v1::Metric* m = c.mutable_result()->add_metrics();
    m->set_name("perplexity");
    m->set_value(10.0);
    return c;
  };
  v1::CompleteJobsRequest req;
  req.set_worker_id(w);
  for (const v1::Lease& l : leases) *req.add_completions() = completion(l);
  *req.add_completions() = completion(leases[0]);  // the same report twice in one batch
  v1::CompleteJobRequest unknown = completion(leases[1]);
  unknown.set_job_id(999999);
  *req.add_completions() = unknown;
  v1::CompleteJobRequest stale = completion(leases[2]);
  stale.set_lease_id("00000000000000000000000000000000");
  *req.add_completions() = stale;
  v1::CompleteJobsResponse resp;
  grpc::Status s = workers_->CompleteJobs(Ctx().get(), req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(resp.outcomes_size(), 7);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(resp.outcomes(i).job_id(), leases[i].job().job_id());
    EXPECT_EQ(resp.outcomes(i).code(), 0);
    EXPECT_TRUE(resp.outcomes(i).response().accepted());
    EXPECT_FALSE(resp.outcomes(i).response().duplicate());
  }
  EXPECT_EQ(resp.outcomes(4).code(), 0);
  EXPECT_TRUE(resp.outcomes(4).response().duplicate());
  EXPECT_EQ(resp.outcomes(5).job_id(), 999999);
  EXPECT_EQ(resp.outcomes(5).code(), static_cast<int>(grpc::StatusCode::NOT_FOUND));
  EXPECT_EQ(resp.outcomes(6).code(), 0);
  EXPECT_FALSE(resp.outcomes(6).response().accepted());  // fenced: not that lease

  // Sent again whole (a retry after a lost answer): all duplicates, nothing stored twice.
  v1::CompleteJobsRequest again;
  again.set_worker_id(w);
  for (const v1::Lease& l : leases) *again.add_completions() = completion(l);
  s = workers_->CompleteJobs(Ctx().get(), again, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(resp.outcomes_size(), 4);
  for (const v1::CompleteJobOutcome& o : resp.outcomes()) EXPECT_TRUE(o.response().duplicate());
  EXPECT_EQ(Sweep(sweep).counts().succeeded(), 4);
  {  // Stored under the batch's worker id (the completions left theirs empty).
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open_v2(db_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM job_results WHERE worker_id = ?", -1, &st, nullptr),
              SQLITE_OK);
    sqlite3_bind_text(st, 1, w.c_str(), -1, SQLITE_TRANSIENT);
    ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
    EXPECT_EQ(sqlite3_column_int64(st, 0), 4);
    sqlite3_finalize(st);
    sqlite3_close(db);
  }

  // Over the count limit: refused whole before anything is looked at.
  std::vector<v1::Lease> more = Lease(w, 1, 0);
  ASSERT_EQ(more.size(), 1u);
  v1::CompleteJobsRequest big;
  big.set_worker_id(w);
  for (int i = 0; i < 257; ++i) *big.add_completions() = completion(more[0]);
  s = workers_->CompleteJobs(Ctx().get(), big, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("max-completions-per-request"));
  // A completion naming another worker id is refused alone.
  v1::CompleteJobsRequest other;
  other.set_worker_id(w);
  *other.add_completions() = completion(more[0]);
  other.mutable_completions(0)->set_worker_id("someone-else");
  s = workers_->CompleteJobs(Ctx().get(), other, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  ASSERT_EQ(resp.outcomes_size(), 1);
  EXPECT_EQ(resp.outcomes(0).code(), static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT));
  EXPECT_EQ(Sweep(sweep).counts().succeeded(), 4);
  // The single CompleteJob still works.
  EXPECT_TRUE(Complete(w, more[0]).accepted());
  EXPECT_EQ(Sweep(sweep).counts().succeeded(), 5);
}

TEST_F(ServiceTest, RestartMidSweepFinishesWithOneResultPerJob) {
  int64_t n = 0;
  const int64_t sweep = Submit(Spec(1, 4), &n);
  ASSERT_EQ(n, 100);
  std::string w = Register("before");
  std::vector<v1::Lease> held = Lease(w, 8, 0);
  ASSERT_EQ(held.size(), 8u);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(Complete(w, held[i]).accepted());
  server_->Shutdown(absl::Seconds(1));  // dies with 5 leases outstanding
  server_.reset();
  StartServer();

  v1::SweepInfo info = Sweep(sweep);
  EXPECT_EQ(info.state(), v1::SWEEP_RUNNING);
  EXPECT_EQ(info.counts().succeeded(), 3);
  EXPECT_EQ(info.counts().leased(), 0);  // requeued on start
  EXPECT_EQ(info.counts().queued(), 97);
  std::map<int64_t, int> completions;
  RunWorkers(sweep, 4, &completions);
  EXPECT_EQ(completions.size(), 97u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(completions.count(held[i].job().job_id()), 0u);
  // The pre-restart attempts of the requeued jobs are fenced off now.
  for (int i = 3; i < 8; ++i) {
    v1::CompleteJobResponse r = Complete(w, held[i]);
    EXPECT_FALSE(r.accepted());
  }
  info = Sweep(sweep);
  EXPECT_EQ(info.state(), v1::SWEEP_DONE);
  EXPECT_EQ(info.counts().succeeded(), 100);
  std::vector<v1::ResultRow> rows = Results(sweep);
  std::set<int64_t> jobs;
  for (const auto& r : rows) jobs.insert(r.job_id());
  EXPECT_EQ(rows.size(), 100u);
  EXPECT_EQ(jobs.size(), 100u);
}

TEST_F(ServiceTest, WatchSweepStreamsProgressUntilTheEnd) {
  int64_t n = 0;
  const int64_t sweep = Submit(Spec(1, 1), &n);
  std::thread runner([&] {
    std::map<int64_t, int> completions;
    RunWorkers(sweep, 2, &completions);
  });
  v1::WatchSweepRequest req;
  req.set_sweep_id(sweep);
  auto ctx = Ctx(absl::Seconds(30));
  auto reader = client_->WatchSweep(ctx.get(), req);
  v1::SweepEvent event, last;
  int events = 0;
  while (reader->Read(&event)) {
    ++events;
    EXPECT_EQ(event.sweep_id(), sweep);
    EXPECT_EQ(event.counts().total(), n);
    last = event;
  }
  grpc::Status s = reader->Finish();
  runner.join();
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_GE(events, 1);
  EXPECT_EQ(last.state(), v1::SWEEP_DONE);
  EXPECT_EQ(last.counts().succeeded(), n);

  // Unknown sweeps end the stream with NOT_FOUND.
  req.set_sweep_id(424242);
  auto ctx2 = Ctx();
  auto r2 = client_->WatchSweep(ctx2.get(), req);
  while (r2->Read(&event)) {
  }
  EXPECT_EQ(r2->Finish().error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(ServiceTest, ParkedLongPollsDoNotStarveOtherCalls) {
  std::string w = Register("poller");
  std::atomic<int> polled{0};
  std::vector<std::thread> pollers;
  for (int i = 0; i < 32; ++i) {
    pollers.emplace_back([&] { polled += static_cast<int>(Lease(w, 1, 1500).size()); });
  }
  absl::SleepFor(absl::Milliseconds(200));  // all parked now
  const absl::Time t0 = absl::Now();
  for (int i = 0; i < 10; ++i) {
    v1::ListWorkersResponse resp;
    ASSERT_TRUE(client_->ListWorkers(Ctx().get(), {}, &resp).ok());
    v1::HeartbeatRequest hb;
    hb.set_worker_id(w);
    v1::HeartbeatResponse hr;
    ASSERT_TRUE(workers_->Heartbeat(Ctx().get(), hb, &hr).ok());
  }
  EXPECT_LT(absl::Now() - t0, absl::Milliseconds(1000));
  // A sweep submitted while they wait is handed to the parked polls at once.
  int64_t n = 0;
  const absl::Time t1 = absl::Now();
  Submit(Spec(1, 1), &n);
  // The 25 jobs reach 25 parked polls before their wait ends (the other 7
  // polls stay empty until it does, so joining them all measures nothing).
  while (polled.load() < 25 && absl::Now() - t1 < absl::Seconds(5)) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_LT(absl::Now() - t1, absl::Milliseconds(1000));
  for (auto& p : pollers) p.join();
  EXPECT_EQ(polled.load(), 25);
  EXPECT_TRUE(Lease(Register("other"), 64, 0).empty());
}

TEST_F(ServiceTest, AbandonedLongPollGetsNoLeases) {
  std::string w = Register("gone");
  for (int i = 0; i < 4; ++i) {
    v1::LeaseJobsRequest req;
    req.set_worker_id(w);
    req.set_max_jobs(8);
    req.set_wait_ms(2000);
    v1::LeaseJobsResponse resp;
    grpc::Status s = workers_->LeaseJobs(Ctx(absl::Milliseconds(200)).get(), req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);
  }
  absl::SleepFor(absl::Milliseconds(100));  // the server saw the cancellations
  int64_t n = 0;
  Submit(Spec(1, 1), &n);
  // Nothing went to the dead polls: every job is still there for a live worker.
  EXPECT_EQ(Lease(Register("alive"), 64, 0).size(), static_cast<size_t>(n));
}

TEST_F(ServiceTest, ShutdownEndsStreamsAndLongPollsPromptly) {
  int64_t n = 0;
  const int64_t sweep = Submit(Spec(1, 1), &n);
  std::string w = Register("w");
  ASSERT_EQ(Lease(w, 64, 0).size(), static_cast<size_t>(n));  // queue now empty
  v1::LeaseJobsResponse parked;
  grpc::Status parked_status;
  std::thread poll([&] {
    v1::LeaseJobsRequest req;
    req.set_worker_id(w);
    req.set_wait_ms(2000);
    parked_status = workers_->LeaseJobs(Ctx().get(), req, &parked);
  });
  v1::WatchSweepRequest wreq;
  wreq.set_sweep_id(sweep);
  auto wctx = Ctx(absl::Seconds(30));
  auto reader = client_->WatchSweep(wctx.get(), wreq);
  v1::SweepEvent event;
  ASSERT_TRUE(reader->Read(&event));  // the stream is live
  absl::SleepFor(absl::Milliseconds(100));
  const absl::Time t0 = absl::Now();
  server_->Shutdown(absl::Seconds(5));
  EXPECT_LT(absl::Now() - t0, absl::Seconds(2));  // nothing waited for the grace period
  poll.join();
  EXPECT_TRUE(parked_status.ok()) << parked_status.error_message();
  EXPECT_TRUE(parked.shutting_down());
  while (reader->Read(&event)) {
  }
  EXPECT_EQ(reader->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
  server_.reset();
}

TEST_F(ServiceTest, ErrorsKeepTheirCodesOverTheWire) {
  v1::SubmitSweepRequest req;
  *req.mutable_spec() = Spec(1, 1);
  req.mutable_spec()->mutable_models(0)->set_path("/nonexistent/model");
  v1::SubmitSweepResponse resp;
  grpc::Status s = client_->SubmitSweep(Ctx().get(), req, &resp);
  EXPECT_NE(s.error_code(), grpc::StatusCode::OK);
  EXPECT_THAT(s.error_message(), HasSubstr("nonexistent"));

  *req.mutable_spec() = Spec(1, 2);
  req.set_dry_run(true);
  s = client_->SubmitSweep(Ctx().get(), req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.sweep_id(), 0);
  EXPECT_EQ(resp.job_count(), 50);
  EXPECT_EQ(resp.jobs_size(), 50);
  v1::ListSweepsResponse list;
  v1::ListSweepsRequest lreq;
  lreq.set_include_finished(true);
  ASSERT_TRUE(client_->ListSweeps(Ctx().get(), lreq, &list).ok());
  EXPECT_EQ(list.sweeps_size(), 0);

  v1::GetSweepRequest g;
  g.set_sweep_id(99);
  v1::SweepInfo info;
  EXPECT_EQ(client_->GetSweep(Ctx().get(), g, &info).error_code(), grpc::StatusCode::NOT_FOUND);
  v1::LeaseJobsRequest l;
  v1::LeaseJobsResponse lr;
  s = workers_->LeaseJobs(Ctx().get(), l, &lr);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("worker_id"));
  v1::CompleteJobRequest c;
  c.set_worker_id("w");
  c.set_job_id(1);
  c.set_lease_id("x");
  c.set_attempt(1);
  c.mutable_result()->add_metrics()->set_name("acc");
  c.mutable_result()->add_metrics()->set_name("acc");
  v1::CompleteJobResponse cr;
  s = workers_->CompleteJob(Ctx().get(), c, &cr);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("duplicate metric 'acc'"));
}

TEST_F(ServiceTest, ServerReflectionListsTheServices) {
  // grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo with a raw
  // ServerReflectionRequest{list_services: ""} (field 7), through the generic stub.
  auto channel = grpc::CreateChannel(server_->address(), grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue cq;
  auto ctx = Ctx();
  void* tag = nullptr;
  bool ok = false;
  auto call = stub.PrepareCall(ctx.get(), "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
  call->StartCall(reinterpret_cast<void*>(1));
  ASSERT_TRUE(cq.Next(&tag, &ok) && ok);
  const std::string request("\x3a\x00", 2);
  grpc::Slice slice(request);
  grpc::ByteBuffer out(&slice, 1);
  call->Write(out, reinterpret_cast<void*>(2));
  ASSERT_TRUE(cq.Next(&tag, &ok) && ok);
  grpc::ByteBuffer in;
  call->Read(&in, reinterpret_cast<void*>(3));
  ASSERT_TRUE(cq.Next(&tag, &ok) && ok);
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(in.Dump(&slices).ok());
  std::string response;
  for (const auto& s : slices) response.append(reinterpret_cast<const char*>(s.begin()), s.size());
  EXPECT_THAT(response, HasSubstr("ablate.v1.Coordinator"));
  EXPECT_THAT(response, HasSubstr("ablate.v1.WorkerService"));
  ctx->TryCancel();
  grpc::Status st;
  call->Finish(&st, reinterpret_cast<void*>(4));
  while (cq.Next(&tag, &ok) && tag != reinterpret_cast<void*>(4)) {
  }
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
}

TEST_F(ServiceTest, SecondServerOnTheSamePortIsUnavailable) {
  CoordinatorOptions o;
  o.db_path = db_ + ".other";
  o.listen_address = server_->address();
  auto s = CoordinatorServer::Start(o);
  EXPECT_THAT(s.status(), ::ablate::testing::StatusIs(absl::StatusCode::kUnavailable, HasSubstr(server_->address())));
  // Nor may a second coordinator serve the same database.
  o.db_path = db_;
  o.listen_address = "127.0.0.1:0";
  s = CoordinatorServer::Start(o);
  EXPECT_THAT(s.status(),
              ::ablate::testing::StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("another coordinator")));
}

// ---- what the client sends: layouts, spec text, same-named sweeps ----

namespace {

std::string ReadTestdata(const std::string& rel) {
  std::ifstream in(std::string(ABLATE_SOURCE_DIR) + "/spec/testdata/" + rel);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_F(ServiceTest, SentLayoutsNeedNoModelFilesOnTheCoordinator) {
  v1::SubmitSweepRequest req;
  *req.mutable_spec() = Spec(1, 1);
  req.mutable_spec()->mutable_models(0)->set_path("/nonexistent/only-on-the-workers/qwen2.5");
  v1::ModelLayout* layout = req.add_model_layouts();
  layout->set_model("q");
  layout->set_config_json(ReadTestdata("qwen2.5-0.5b/config.json"));
  v1::SubmitSweepResponse resp;
  grpc::Status s = client_->SubmitSweep(Ctx(absl::Seconds(30)).get(), req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.job_count(), 25);  // baseline + 24 attention layers
  EXPECT_FALSE(resp.resumed());

  // A layout for a model the spec lacks, or one that does not parse, is named.
  layout->set_model("nope");
  s = client_->SubmitSweep(Ctx().get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("model_layouts[0] ('nope')"));
  layout->set_model("q");
  layout->set_config_json("{\"model_type\": \"qwen2\", ");
  s = client_->SubmitSweep(Ctx().get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("model_layouts[0] ('q') config.json"));
}

TEST_F(ServiceTest, SpecTextAloneIsParsedAndResolvedAgainstTheClientsBaseDir) {
  const std::string text = R"(name: from-text
models:
  - {name: q, path: qwen2.5-0.5b}
evaluations:
  - {name: ppl, perplexity: {dataset: data/wiki.test.raw}}
ablations:
  - baseline: {}
  - {layer_sweep: {component: attention}}
)";
  v1::SubmitSweepRequest req;
  req.set_spec_text(text);
  v1::SubmitSweepResponse resp;
  // Relative paths need the client's directory, never the coordinator's cwd.
  grpc::Status s = client_->SubmitSweep(Ctx().get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("relative"));
  req.set_base_dir(std::string(ABLATE_SOURCE_DIR) + "/spec/testdata");
  s = client_->SubmitSweep(Ctx(absl::Seconds(30)).get(), req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.job_count(), 25);
  v1::SweepInfo info = Sweep(resp.sweep_id());
  EXPECT_EQ(info.spec().models(0).path(), std::string(ABLATE_SOURCE_DIR) + "/spec/testdata/qwen2.5-0.5b");
  EXPECT_EQ(info.spec().evaluations(0).perplexity().dataset(),
            std::string(ABLATE_SOURCE_DIR) + "/spec/testdata/data/wiki.test.raw");
  // A syntax error in the text is the parser's located message.
  req.set_spec_text("name: [unclosed");
  s = client_->SubmitSweep(Ctx().get(), req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("spec_text:"));
}

TEST_F(ServiceTest, ResumeReturnsTheSameSpecAndRefusesAnotherUnderTheSameName) {
  auto submit = [&](const v1::SweepSpec& spec, v1::ExistingSweepPolicy policy, v1::SubmitSweepResponse* resp) {
    v1::SubmitSweepRequest req;
    *req.mutable_spec() = spec;
    req.set_existing(policy);
    return client_->SubmitSweep(Ctx(absl::Seconds(30)).get(), req, resp);
  };
  v1::SubmitSweepResponse first, again, other, fresh;
  ASSERT_TRUE(submit(Spec(1, 1), v1::NEW_SWEEP, &first).ok());
  // Same name and spec: the unfinished sweep comes back, nothing new is stored.
  ASSERT_TRUE(submit(Spec(1, 1), v1::RESUME, &again).ok());
  EXPECT_TRUE(again.resumed());
  EXPECT_EQ(again.sweep_id(), first.sweep_id());
  EXPECT_EQ(again.job_count(), 25);
  // Same name, another spec, while the first is unfinished: an explicit error.
  grpc::Status s = submit(Spec(2, 1), v1::RESUME, &other);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(s.error_message(), HasSubstr(absl::StrCat("sweep ", first.sweep_id(), " 'service-test' is unfinished")));
  // Without --resume a submit is always a new sweep.
  ASSERT_TRUE(submit(Spec(1, 1), v1::NEW_SWEEP, &fresh).ok());
  EXPECT_FALSE(fresh.resumed());
  EXPECT_NE(fresh.sweep_id(), first.sweep_id());

  // Finished: RESUME re-uses its results, RESUME_UNFINISHED starts anew.
  for (int64_t id : {first.sweep_id(), fresh.sweep_id()}) {
    v1::CancelSweepRequest c;
    c.set_sweep_id(id);
    v1::CancelSweepResponse cr;
    ASSERT_TRUE(client_->CancelSweep(Ctx().get(), c, &cr).ok());
  }
  ASSERT_TRUE(submit(Spec(1, 1), v1::RESUME, &again).ok());
  EXPECT_TRUE(again.resumed());
  EXPECT_EQ(again.sweep_id(), fresh.sweep_id());  // the newest
  ASSERT_TRUE(submit(Spec(1, 1), v1::RESUME_UNFINISHED, &other).ok());
  EXPECT_FALSE(other.resumed());
  EXPECT_GT(other.sweep_id(), fresh.sweep_id());
}

}  // namespace
}  // namespace ablate::coordinator
