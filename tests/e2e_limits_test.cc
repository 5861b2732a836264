// e2e_limits_test.cc: request limits and bounded cost against the real
// `ablate-coordinator` process on loopback (docs/limits.md):
// - a config.json with 2e9 layers and a spec with 3e6 random trials (with
//   execution.max_jobs 2e9) are refused within a second, and the process's
//   resident memory (VmRSS) grows by less than 50 MB;
// - a 50 MB sweep name is refused, and `ablate status` still works;
// - CompleteJob with too many metrics or a too-big detail is refused; leases
//   and CompleteJobs batches are capped by their flags;
// - NaN and Inf metrics are stored as such and flagged in the views;
// - SubmitSweep request_id: a retry returns the first sweep (also after a
//   coordinator restart), a different spec is ALREADY_EXISTS;
// - --allow-path: PERMISSION_DENIED with one message whether or not the path
//   exists, and no file bytes in any error;
// - garbage request bytes (grpc::GenericStub): what the client gets.
#include <signal.h>

#include <cmath>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <limits>
#include <mutex>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/e2e_cluster.h"

namespace ablate::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// Resident memory of a process in KiB (VmRSS from /proc/PID/status).
int64_t RssKb(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      int64_t kb = 0;
      std::vector<std::string> parts = absl::StrSplit(line, ' ', absl::SkipEmpty());
      if (parts.size() >= 2 && absl::SimpleAtoi(parts[1], &kb)) return kb;
    }
  }
  return -1;
}

void WriteFile(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

std::string Qwen2Config(int64_t layers) {
  return absl::StrCat(R"({"model_type":"qwen2","vocab_size":64,"hidden_size":16,)",
                      R"("intermediate_size":32,"num_hidden_layers":)", layers,
                      R"(,"num_attention_heads":2,"num_key_value_heads":1})");
}

grpc::Status Submit(E2eCluster& c, const v1::SubmitSweepRequest& req, v1::SubmitSweepResponse* resp) {
  auto ctx = Ctx(absl::Seconds(20));
  return c.client().SubmitSweep(ctx.get(), req, resp);
}

class LimitsTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(c_.StartCoordinator().ok()) << c_.Logs(); }
  // Registers a worker (its id into *worker_id) and asks for max_jobs leases.
  void RegisterAndLease(int max_jobs, std::string* worker_id, v1::LeaseJobsResponse* leased) {
    v1::RegisterWorkerRequest reg;
    reg.set_host("test");
    v1::RegisterWorkerResponse reg_resp;
    ASSERT_TRUE(c_.worker_api().RegisterWorker(Ctx().get(), reg, &reg_resp).ok());
    *worker_id = reg_resp.worker_id();
    v1::LeaseJobsRequest lease_req;
    lease_req.set_worker_id(*worker_id);
    lease_req.set_max_jobs(max_jobs);
    ASSERT_TRUE(c_.worker_api().LeaseJobs(Ctx().get(), lease_req, leased).ok());
  }
  E2eCluster c_{"limits"};
};

TEST_F(LimitsTest, HugeLayoutAndHugeTrialCountAreRefusedQuicklyWithoutMemory) {
  const pid_t pid = c_.coordinator()->pid();
  // Warm up (first RPCs allocate gRPC and SQLite buffers).
  ASSERT_TRUE(c_.Submit(c_.SmallSpec({"ppl"})).ok()) << c_.Logs();
  const int64_t before_kb = RssKb(pid);
  ASSERT_GT(before_kb, 0);

  const std::string huge = c_.dir() + "/huge";
  std::filesystem::create_directories(huge);
  WriteFile(huge + "/config.json", Qwen2Config(2000000000));
  v1::SubmitSweepRequest req;
  *req.mutable_spec() = c_.SmallSpec({"ppl"});
  req.mutable_spec()->mutable_models(0)->set_path(huge);
  v1::SubmitSweepResponse resp;
  absl::Time start = absl::Now();
  grpc::Status s = Submit(c_, req, &resp);
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("num_hidden_layers: 2000000000 is more than the limit of 4096"));
  EXPECT_THAT(s.error_message(), HasSubstr("--max-layers-per-model"));

  // The same layout sent by the client (SubmitSweepRequest.model_layouts).
  v1::SubmitSweepRequest sent;
  *sent.mutable_spec() = c_.SmallSpec({"ppl"});
  v1::ModelLayout* layout = sent.add_model_layouts();
  layout->set_model(sent.spec().models(0).name());
  layout->set_config_json(Qwen2Config(2000000000));
  start = absl::Now();
  s = Submit(c_, sent, &resp);
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("num_hidden_layers: 2000000000 is more than the limit of 4096"));

  // 3,000,000 random trials with execution.max_jobs 2e9.
  v1::SubmitSweepRequest trials;
  *trials.mutable_spec() = c_.SmallSpec({"ppl"});
  trials.mutable_spec()->mutable_execution()->set_max_jobs(2000000000);
  v1::AblationSpec* a = trials.mutable_spec()->add_ablations();
  a->set_name("many");
  a->mutable_random()->set_count(2);
  a->mutable_random()->set_trials(3000000);
  start = absl::Now();
  s = Submit(c_, trials, &resp);
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("random.trials: 3000000 is more than the limit of 100000"));

  // Even with the trial limit raised, the grid is counted (not built) first.
  c_.StopCoordinator(SIGTERM);
  ASSERT_TRUE(c_.StartCoordinator({"--max-random-trials", "10000000"}).ok()) << c_.Logs();
  const pid_t pid2 = c_.coordinator()->pid();
  ASSERT_TRUE(c_.Submit(c_.SmallSpec({"ppl"})).ok()) << c_.Logs();
  const int64_t before2_kb = RssKb(pid2);
  start = absl::Now();
  s = Submit(c_, trials, &resp);
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("jobs in the grid: 3000025 is more than the limit of 1000000"));

  EXPECT_LT(RssKb(pid2) - before2_kb, 50 * 1024) << "RSS grew from " << before2_kb << " KiB";
  (void)before_kb;
}

TEST_F(LimitsTest, RssStaysFlatForBothHostileSubmissions) {
  const pid_t pid = c_.coordinator()->pid();
  ASSERT_TRUE(c_.Submit(c_.SmallSpec({"ppl"})).ok()) << c_.Logs();
  const int64_t before_kb = RssKb(pid);
  const std::string huge = c_.dir() + "/huge";
  std::filesystem::create_directories(huge);
  WriteFile(huge + "/config.json", Qwen2Config(2000000000));
  for (int round = 0; round < 3; ++round) {
    v1::SubmitSweepRequest layers;
    *layers.mutable_spec() = c_.SmallSpec({"ppl"});
    layers.mutable_spec()->mutable_models(0)->set_path(huge);
    v1::SubmitSweepRequest trials;
    *trials.mutable_spec() = c_.SmallSpec({"ppl"});
    trials.mutable_spec()->mutable_execution()->set_max_jobs(2000000000);
    v1::AblationSpec* a = trials.mutable_spec()->add_ablations();
    a->set_name("many");
    a->mutable_random()->set_count(2);
    a->mutable_random()->set_trials(3000000);
    v1::SubmitSweepResponse resp;
    EXPECT_EQ(Submit(c_, layers, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(Submit(c_, trials, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  }
  const int64_t after_kb = RssKb(pid);
  std::cerr << "coordinator VmRSS " << before_kb << " KiB -> " << after_kb << " KiB\n";
  EXPECT_LT(after_kb - before_kb, 50 * 1024) << before_kb << " KiB -> " << after_kb << " KiB";
}

TEST_F(LimitsTest, HugeNameIsRefusedAndStatusStillWorks) {
  v1::SubmitSweepRequest req;
  *req.mutable_spec() = c_.SmallSpec({"ppl"});
  req.mutable_spec()->set_name(std::string(50 << 20, 'n'));
  v1::SubmitSweepResponse resp;
  grpc::Status s = Submit(c_, req, &resp);
  // Over the coordinator's whole-message receive limit (32 MB): gRPC refuses it.
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << s.error_message();
  // Below the message limit, the name limit names itself.
  req.mutable_spec()->set_name(std::string(10000, 'n'));
  s = Submit(c_, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("spec.name bytes: 10000 is more than the limit of 256"));
  ASSERT_TRUE(c_.Submit(c_.SmallSpec({"ppl"})).ok());
  CommandResult status = c_.RunAblate({"status"});
  EXPECT_EQ(status.exit_code, 0) << status.output;
  EXPECT_THAT(status.output, Not(HasSubstr("ablate: ")));
}

TEST_F(LimitsTest, CompleteJobOverTheLimitsIsRefusedAndNonFiniteValuesAreKept) {
  ASSERT_TRUE(c_.Submit(c_.SmallSpec({"ppl"})).ok());
  std::string worker_id;
  v1::LeaseJobsResponse leased;
  ASSERT_NO_FATAL_FAILURE(RegisterAndLease(1, &worker_id, &leased));
  ASSERT_EQ(leased.leases_size(), 1);
  const v1::Lease& lease = leased.leases(0);
  v1::CompleteJobRequest done;
  done.set_worker_id(worker_id);
  done.set_job_id(lease.job().job_id());
  done.set_lease_id(lease.lease_id());
  done.set_attempt(lease.attempt());
  v1::CompleteJobResponse resp;

  v1::CompleteJobRequest many = done;
  for (int i = 0; i < 1025; ++i) many.mutable_result()->add_metrics()->set_name(absl::StrCat("m", i));
  grpc::Status s = c_.worker_api().CompleteJob(Ctx().get(), many, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("result.metrics: 1025 is more than the limit of 1024"));

  v1::CompleteJobRequest big = done;
  v1::Metric* m = big.mutable_result()->add_metrics();
  m->set_name("perplexity");
  m->set_detail_json(std::string((1 << 20) + 1, ' '));
  s = c_.worker_api().CompleteJob(Ctx().get(), big, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(s.error_message(), HasSubstr("detail_json: 1048577 bytes is more than the limit of 1048576 bytes"));
  EXPECT_EQ(*c_.SqlInt("SELECT COUNT(*) FROM results"), 0);

  v1::CompleteJobRequest odd = done;
  auto add = [&](const char* name, double v) {
    v1::Metric* x = odd.mutable_result()->add_metrics();
    x->set_name(name);
    x->set_value(v);
  };
  add("perplexity", std::numeric_limits<double>::infinity());
  add("kl", std::nan(""));
  add("neg", -std::numeric_limits<double>::infinity());
  add("acc", 0.5);
  s = c_.worker_api().CompleteJob(Ctx().get(), odd, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  auto rows = c_.SqlRows("SELECT metric, is_finite, COALESCE(value_class, '') FROM result_rows ORDER BY metric");
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 4u);
  EXPECT_EQ((*rows)[0], (std::vector<std::string>{"acc", "1", ""}));
  EXPECT_EQ((*rows)[1], (std::vector<std::string>{"kl", "0", "nan"}));
  EXPECT_EQ((*rows)[2], (std::vector<std::string>{"neg", "0", "-inf"}));
  EXPECT_EQ((*rows)[3], (std::vector<std::string>{"perplexity", "0", "inf"}));
  auto results = c_.QueryResults(0);
  ASSERT_TRUE(results.ok());
  for (const v1::ResultRow& r : *results) {
    if (r.metric() == "perplexity") {
      EXPECT_TRUE(std::isinf(r.value()) && r.value() > 0);
    }
    if (r.metric() == "kl") {
      EXPECT_TRUE(std::isnan(r.value()));
    }
  }
}

// --max-jobs-per-lease clamps a lease; --max-completions-per-request refuses
// a CompleteJobs call with more completions, naming the flag, storing nothing.
TEST_F(LimitsTest, LeaseAndCompletionBatchesAreCappedByTheirFlags) {
  c_.StopCoordinator(SIGTERM);
  ASSERT_TRUE(c_.StartCoordinator({"--max-jobs-per-lease", "2", "--max-completions-per-request", "2"}).ok())
      << c_.Logs();
  ASSERT_TRUE(c_.Submit(c_.SmallSpec({"ppl"})).ok());
  std::string worker_id;
  v1::LeaseJobsResponse leased;
  ASSERT_NO_FATAL_FAILURE(RegisterAndLease(50, &worker_id, &leased));
  ASSERT_EQ(leased.leases_size(), 2);  // the small spec has more jobs than 2

  v1::CompleteJobsRequest batch;
  batch.set_worker_id(worker_id);
  for (int i = 0; i < 3; ++i) {
    const v1::Lease& lease = leased.leases(i % 2);
    v1::CompleteJobRequest* done = batch.add_completions();
    done->set_job_id(lease.job().job_id());
    done->set_lease_id(lease.lease_id());
    done->set_attempt(lease.attempt());
    done->mutable_result()->add_metrics()->set_name("perplexity");
  }
  v1::CompleteJobsResponse resp;
  grpc::Status s = c_.worker_api().CompleteJobs(Ctx().get(), batch, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("max-completions-per-request"));
  EXPECT_EQ(*c_.SqlInt("SELECT COUNT(*) FROM results"), 0);
}

TEST_F(LimitsTest, RequestIdMakesSubmitIdempotentAcrossRestarts) {
  v1::SubmitSweepRequest req;
  *req.mutable_spec() = c_.SmallSpec({"ppl"});
  req.set_request_id("retry-1");
  v1::SubmitSweepResponse first, second, third;
  ASSERT_TRUE(Submit(c_, req, &first).ok());
  ASSERT_TRUE(Submit(c_, req, &second).ok());
  EXPECT_EQ(first.sweep_id(), second.sweep_id());
  EXPECT_EQ(first.job_count(), second.job_count());
  c_.StopCoordinator(SIGKILL);
  ASSERT_TRUE(c_.StartCoordinator().ok()) << c_.Logs();
  ASSERT_TRUE(Submit(c_, req, &third).ok());
  EXPECT_EQ(third.sweep_id(), first.sweep_id());
  EXPECT_EQ(*c_.SqlInt("SELECT COUNT(*) FROM sweeps"), 1);

  req.mutable_spec()->set_name("another");
  grpc::Status s = Submit(c_, req, &third);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_THAT(s.error_message(), HasSubstr("request_id 'retry-1' was already used for a different spec"));
  req.set_request_id("retry-2");
  ASSERT_TRUE(Submit(c_, req, &third).ok());
  EXPECT_NE(third.sweep_id(), first.sweep_id());
}

TEST_F(LimitsTest, AllowPathRefusesOutsidePathsWithoutSayingWhetherTheyExist) {
  c_.StopCoordinator(SIGTERM);
  const std::string allowed = c_.dir() + "/allowed";
  std::filesystem::create_directories(allowed + "/m");
  WriteFile(allowed + "/m/config.json", Qwen2Config(4));
  ASSERT_TRUE(c_.StartCoordinator({"--allow-path", allowed}).ok()) << c_.Logs();
  // A secret JSON file outside: its bytes must never come back.
  const std::string secret_dir = c_.dir() + "/secret";
  std::filesystem::create_directories(secret_dir);
  WriteFile(secret_dir + "/config.json", R"({"model_type": "TOPSECRET-1234", "x": 1})");
  std::filesystem::create_symlink(secret_dir, allowed + "/link");

  auto refused = [&](const std::string& path) {
    v1::SubmitSweepRequest req;
    *req.mutable_spec() = c_.SmallSpec({"ppl"});
    req.mutable_spec()->mutable_models(0)->set_path(path);
    v1::SubmitSweepResponse resp;
    return Submit(c_, req, &resp);
  };
  const grpc::Status exists = refused(secret_dir);
  const grpc::Status missing = refused(c_.dir() + "/nothing-here");
  const grpc::Status dotdot = refused(allowed + "/../secret");
  const grpc::Status symlink = refused(allowed + "/link");
  for (const grpc::Status* s : {&exists, &missing, &dotdot, &symlink}) {
    EXPECT_EQ(s->error_code(), grpc::StatusCode::PERMISSION_DENIED) << s->error_message();
    EXPECT_EQ(s->error_message(), exists.error_message());
    EXPECT_THAT(s->error_message(), Not(HasSubstr("TOPSECRET")));
  }
  EXPECT_THAT(exists.error_message(), HasSubstr("outside the allowed directories"));
  // Inside: accepted.
  v1::SubmitSweepRequest ok;
  *ok.mutable_spec() = c_.SmallSpec({"ppl"});
  ok.mutable_spec()->mutable_models(0)->set_path(allowed + "/m");
  v1::SubmitSweepResponse resp;
  grpc::Status s = Submit(c_, ok, &resp);
  EXPECT_TRUE(s.ok()) << s.error_message();
}

TEST_F(LimitsTest, WorkerAllowPathFailsJobsOutsideIt) {
  // The dataset lives in c_.dir(), outside the model directory.
  auto worker = c_.StartWorker({"--allow-path", c_.model_dir()});
  ASSERT_TRUE(worker.ok()) << worker.status();
  v1::SweepSpec spec = c_.SmallSpec({"ppl"});
  spec.mutable_execution()->set_max_attempts(1);
  auto sweep = c_.Submit(spec);
  ASSERT_TRUE(sweep.ok()) << sweep.status();
  v1::SweepInfo info;
  ASSERT_TRUE(c_.WaitForSweepEnd(*sweep, absl::Seconds(60), &info)) << c_.Logs();
  EXPECT_EQ(info.counts().failed(), info.counts().total());
  auto jobs = c_.ListJobs(*sweep, v1::FAILED);
  ASSERT_TRUE(jobs.ok());
  ASSERT_FALSE(jobs->empty());
  EXPECT_THAT(jobs->front().last_error(),
              HasSubstr("evaluation.perplexity.dataset: path is outside the allowed directories"));
  // Allowed: the same sweep succeeds on a worker allowed the whole test directory.
  (*worker)->Signal(SIGTERM);
  ASSERT_TRUE((*worker)->Wait(absl::Seconds(30)).has_value());
  auto wide = c_.StartWorker({"--allow-path", c_.dir()});
  ASSERT_TRUE(wide.ok()) << wide.status();
  auto again = c_.Submit(c_.SmallSpec({"ppl"}));
  ASSERT_TRUE(again.ok());
  ASSERT_TRUE(c_.WaitForSweepEnd(*again, absl::Seconds(60), &info)) << c_.Logs();
  EXPECT_EQ(info.counts().succeeded(), info.counts().total());
}

TEST_F(LimitsTest, ConfigErrorsNeverEchoFileBytes) {
  const std::string d = c_.dir() + "/bad";
  std::filesystem::create_directories(d);
  for (const std::string& text :
       {std::string(R"({"model_type": "qwen2", "vocab_size": "TOPSECRET-1"})"),
        std::string(R"({"model_type": "TOPSECRET 2 with spaces"})"), std::string("TOPSECRET-3 not json at all"),
        std::string(R"({"model_type":"qwen2","vocab_size":64,"hidden_size":16,"intermediate_size":32,)"
                    R"("num_hidden_layers":12,"num_attention_heads":2,"layer_types":["TOPSECRET-4"]})")}) {
    WriteFile(d + "/config.json", text);
    v1::SubmitSweepRequest req;
    *req.mutable_spec() = c_.SmallSpec({"ppl"});
    req.mutable_spec()->mutable_models(0)->set_path(d);
    v1::SubmitSweepResponse resp;
    grpc::Status s = Submit(c_, req, &resp);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << s.error_message();
    EXPECT_THAT(s.error_message(), Not(HasSubstr("TOPSECRET"))) << text;
  }
}

TEST_F(LimitsTest, GarbageRequestBytes) {
  auto channel = grpc::CreateChannel(c_.address(), grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  // Field 1 (spec) as a length-delimited field whose length runs past the end.
  const std::string garbage = "\x0a\xff\xff\xff\x0f garbage";
  grpc::Slice slice(garbage);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer reply;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  grpc::Status status;
  stub.UnaryCall(&ctx, "/ablate.v1.Coordinator/SubmitSweep", grpc::StubOptions(), &request, &reply,
                 [&](grpc::Status s) {
                   std::lock_guard<std::mutex> lock(mu);
                   status = s;
                   done = true;
                   cv.notify_all();
                 });
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return done; });
  // What gRPC 1.51's callback API answers for a request it cannot parse: the
  // handler never runs, and CallbackUnaryHandler fails the call with
  // UNIMPLEMENTED and no message (docs/limits.md documents this; the CLI
  // describes such a status instead of printing an empty line). Pinned here so
  // that a gRPC upgrade that changes it is noticed and the docs updated.
  std::cerr << "garbage request: code " << status.error_code() << " message '" << status.error_message() << "'\n";
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_EQ(status.error_message(), "");
  // The coordinator is unharmed.
  EXPECT_TRUE(c_.Submit(c_.SmallSpec({"ppl"})).ok());
}

}  // namespace
}  // namespace ablate::testing
