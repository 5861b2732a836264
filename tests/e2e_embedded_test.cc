// e2e_embedded_test.cc: `ablate run`'s engine (RunSweepEmbedded) end to end
// with the test-only evaluator: in-process coordinator on a SQLite file, the
// sweep submitted over loopback gRPC, local WorkerRuntimes on threads,
// progress, results with ratios, failed jobs reported with their errors.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "cli/submit_request.h"
#include "cli/sweep_client.h"
#include "cli/sweep_embedded.h"
#include "coordinator/coordinator_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "spec/spec_parser.h"
#include "tests/test_evaluator.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"

namespace ablate::cli {
namespace {

using ::ablate::testing::TestEvaluator;
using ::testing::HasSubstr;

class EmbeddedRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::ablate::testing::MakeTempDir("ablate-embedded");
    std::filesystem::create_directories(dir_ + "/q24");
    std::ofstream(dir_ + "/q24/config.json") << R"({"model_type": "qwen2", "hidden_size": 64, "intermediate_size": 128,
              "num_attention_heads": 4, "num_key_value_heads": 2, "num_hidden_layers": 24,
              "vocab_size": 256})";
    std::ofstream(dir_ + "/text.raw") << "hello\n";
  }
  std::string WriteSpec(const std::string& evals) {
    const std::string path = dir_ + "/spec.yaml";
    std::ofstream(path) << "name: embedded\nmodels:\n  - {name: q24, path: q24}\n"
                        << "evaluations:\n"
                        << evals << "ablations:\n  - baseline\n  - {layer_sweep: attention}\n"
                        << "execution: {lease_ttl_seconds: 5, max_attempts: 2}\n";
    return path;
  }
  static EvaluatorFactory TestFactory() {
    return [](const std::string&, int) -> absl::StatusOr<std::unique_ptr<worker::Evaluator>> {
      return std::make_unique<TestEvaluator>(::ablate::testing::TestEvaluatorOptions{});
    };
  }
  std::string dir_;
};

TEST_F(EmbeddedRunTest, RunsTheSweepOnLocalWorkersAndReturnsResults) {
  auto spec = spec::LoadSweepSpec(WriteSpec("  - {name: ppl, perplexity: {dataset: text.raw}}\n"));
  ASSERT_OK(spec.status());
  EmbeddedRunOptions opts;
  opts.db_path = dir_ + "/ablate.db";
  opts.workers = 2;
  opts.progress_interval_ms = 50;
  std::ostringstream progress;
  auto r = RunSweepEmbedded(*spec, "text", opts, TestFactory(), progress);
  ASSERT_OK(r.status());
  EXPECT_EQ(r->sweep.state(), v1::SWEEP_DONE);
  EXPECT_EQ(r->sweep.counts().succeeded(), 25);
  ASSERT_EQ(r->rows.size(), 25u);
  for (const auto& row : r->rows) {
    EXPECT_DOUBLE_EQ(row.baseline_value(), 10.0);
    EXPECT_NEAR(row.ratio_to_baseline(), row.value() / 10.0, 1e-12);
  }
  EXPECT_THAT(progress.str(), HasSubstr("25 jobs on 2 local worker(s)"));
  EXPECT_THAT(progress.str(), HasSubstr("25/25 done"));
  EXPECT_TRUE(r->failed_jobs.empty());
}

TEST_F(EmbeddedRunTest, FailedJobsComeBackWithTheirErrors) {
  auto spec =
      spec::LoadSweepSpec(WriteSpec("  - {name: ppl, perplexity: {dataset: text.raw}}\n"
                                    "  - {name: ppl-fail, perplexity: {dataset: text.raw}}\n"));
  ASSERT_OK(spec.status());
  EmbeddedRunOptions opts;
  opts.db_path = dir_ + "/ablate.db";
  opts.progress_interval_ms = 50;
  std::ostringstream progress;
  auto r = RunSweepEmbedded(*spec, "", opts, TestFactory(), progress);
  ASSERT_OK(r.status());
  EXPECT_EQ(r->sweep.counts().succeeded(), 25);
  EXPECT_EQ(r->sweep.counts().failed(), 25);
  ASSERT_EQ(r->failed_jobs.size(), 25u);
  EXPECT_THAT(r->failed_jobs[0].last_error(), HasSubstr("always fails"));
  EXPECT_TRUE(r->jobs.empty());

  // With every job requested (the study view), the failed ones come from that list.
  opts.db_path = dir_ + "/with-jobs.db";
  opts.with_jobs = true;
  auto all = RunSweepEmbedded(*spec, "", opts, TestFactory(), progress);
  ASSERT_OK(all.status());
  EXPECT_EQ(all->jobs.size(), 50u);
  ASSERT_EQ(all->failed_jobs.size(), 25u);
  EXPECT_THAT(all->failed_jobs[0].last_error(), HasSubstr("always fails"));
}

TEST_F(EmbeddedRunTest, ResumesTheUnfinishedSweepOfTheSameSpec) {
  auto spec = spec::LoadSweepSpec(WriteSpec("  - {name: ppl, perplexity: {dataset: text.raw}}\n"));
  ASSERT_OK(spec.status());
  const std::string db = dir_ + "/ablate.db";
  // A previous run submitted the sweep and died before any job ran.
  {
    coordinator::CoordinatorOptions copts;
    copts.db_path = db;
    copts.listen_address = "127.0.0.1:0";
    auto server = coordinator::CoordinatorServer::Start(copts);
    ASSERT_OK(server.status());
    SweepClient client((*server)->address());
    auto request = MakeSubmitRequest(*spec, "", {}, nullptr);
    ASSERT_OK(request.status());
    auto submitted = client.Submit(*request);
    ASSERT_OK(submitted.status());
    EXPECT_EQ(submitted->sweep_id(), 1);
    (*server)->Shutdown(absl::Seconds(1));
    (*server)->Wait();
  }
  EmbeddedRunOptions opts;
  opts.db_path = db;
  opts.progress_interval_ms = 50;
  std::ostringstream progress;
  auto r = RunSweepEmbedded(*spec, "", opts, TestFactory(), progress);
  ASSERT_OK(r.status());
  EXPECT_TRUE(r->resumed);
  EXPECT_EQ(r->sweep_id, 1);
  EXPECT_EQ(r->sweep.counts().succeeded(), 25);
  EXPECT_THAT(progress.str(), HasSubstr("resuming sweep 1"));
  // Finished now: the next run submits a new sweep.
  auto again = RunSweepEmbedded(*spec, "", opts, TestFactory(), progress);
  ASSERT_OK(again.status());
  EXPECT_FALSE(again->resumed);
  EXPECT_EQ(again->sweep_id, 2);
}

TEST_F(EmbeddedRunTest, InterruptStopsCleanlyAndTheSameRunResumes) {
  auto spec = spec::LoadSweepSpec(WriteSpec("  - {name: ppl, perplexity: {dataset: text.raw}}\n"));
  ASSERT_OK(spec.status());
  EmbeddedRunOptions opts;
  opts.db_path = dir_ + "/ablate.db";
  opts.progress_interval_ms = 20;
  std::atomic<bool> interrupt{false};
  opts.interrupt = &interrupt;
  std::ostringstream progress;
  auto slow = [](const std::string&, int) -> absl::StatusOr<std::unique_ptr<worker::Evaluator>> {
    ::ablate::testing::TestEvaluatorOptions o;
    o.sleep_ms = 40;
    return std::make_unique<TestEvaluator>(o);
  };
  std::thread ctrl_c([&] {
    absl::SleepFor(absl::Milliseconds(300));
    interrupt.store(true);
  });
  const absl::Time t0 = absl::Now();
  auto r = RunSweepEmbedded(*spec, "", opts, slow, progress);
  ctrl_c.join();
  EXPECT_THAT(
      r, ::ablate::testing::StatusIs(absl::StatusCode::kCancelled, HasSubstr("run the same command again to resume")));
  EXPECT_LT(absl::Now() - t0, absl::Seconds(5));
  interrupt.store(false);
  auto resumed = RunSweepEmbedded(*spec, "", opts, TestFactory(), progress);
  ASSERT_OK(resumed.status());
  EXPECT_TRUE(resumed->resumed);
  EXPECT_EQ(resumed->sweep.counts().succeeded(), 25);
  EXPECT_EQ(resumed->rows.size(), 25u);
}

TEST_F(EmbeddedRunTest, AMissingEvaluatorStopsBeforeAnythingStarts) {
  auto spec = spec::LoadSweepSpec(WriteSpec("  - {name: ppl, perplexity: {dataset: text.raw}}\n"));
  ASSERT_OK(spec.status());
  EmbeddedRunOptions opts;
  opts.db_path = dir_ + "/never.db";
  std::ostringstream progress;
  auto r = RunSweepEmbedded(
      *spec, "", opts,
      [](const std::string&, int) -> absl::StatusOr<std::unique_ptr<worker::Evaluator>> {
        return absl::FailedPreconditionError("no evaluator");
      },
      progress);
  EXPECT_THAT(r, ::ablate::testing::StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("no evaluator")));
  EXPECT_FALSE(std::filesystem::exists(opts.db_path));
}

}  // namespace
}  // namespace ablate::cli
