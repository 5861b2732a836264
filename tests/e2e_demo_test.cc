// e2e_demo_test.cc: the README's main job (examples/demo.yaml on the shipped
// reference models) with separate processes instead of `ablate run`'s
// embedded ones: the real ablate-coordinator binary, two ablate-worker
// processes with the product LibTorch evaluator, and the `ablate` CLI
// (submit, watch, results) over loopback gRPC.
//
// It asserts only what is robust for trained models (docs/reference-study.md):
// every job ends with one result set, every group ablation raises held-out
// perplexity, and in both hybrids removing the recurrent/linear component
// hurts more than removing attention (the reference study's main finding,
// which the shipped checkpoints show by a wide margin). Skips when the
// evaluator is not built or the reference models are absent.
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e_cluster.h"
#include "tests/testing/status_matchers.h"

namespace ablate::testing {
namespace {

using ::testing::HasSubstr;

TEST(E2eDemoTest, DemoStudyWithSeparateCoordinatorAndWorkerProcesses) {
#ifndef ABLATE_HAVE_LM_EVALUATOR
  GTEST_SKIP() << "this build has no LibTorch evaluator";
#else
  const std::string spec = absl::StrCat(ABLATE_SOURCE_DIR, "/examples/demo.yaml");
  for (const char* m : {"qwen2-fortunes", "qwen3_5-fortunes", "falcon_h1-fortunes"}) {
    if (!std::ifstream(absl::StrCat(ABLATE_SOURCE_DIR, "/examples/models/", m, "/model.safetensors")).good()) {
      GTEST_SKIP() << "reference model " << m << " not found under examples/models";
    }
  }
  E2eCluster c("demo_processes");
  ASSERT_OK(c.StartCoordinator());
  std::vector<std::unique_ptr<Subprocess> > workers;
  for (int i = 0; i < 2; ++i) {
    auto w = Subprocess::Start(
        {absl::StrCat(ABLATE_BINARY_DIR, "/worker/runtime/ablate-worker"), "--coordinator", c.address(), "--device",
         "cpu", "--threads", "1", "--max-jobs-per-lease", "4", "--heartbeat-ms", "500"},
        absl::StrCat(c.dir(), "/worker-", i, ".log"));
    ASSERT_OK(w.status());
    workers.push_back(*std::move(w));
  }

  CommandResult submit = c.RunAblate({"submit", spec});
  ASSERT_EQ(submit.exit_code, 0) << submit.output;
  int64_t sweep = 0;
  {
    const size_t at = submit.output.find("submitted sweep ");
    ASSERT_NE(at, std::string::npos) << submit.output;
    std::vector<std::string> words = absl::StrSplit(submit.output.substr(at + 16), ' ');
    ASSERT_TRUE(!words.empty() && absl::SimpleAtoi(words[0], &sweep)) << submit.output;
  }
  CommandResult watch = c.RunAblate({"watch", absl::StrCat(sweep)}, true, absl::Seconds(900));
  ASSERT_EQ(watch.exit_code, 0) << watch.output << c.Logs() << workers[0]->Log();

  // Every job succeeded, with exactly one result set: one job_results row per
  // job (its primary key is the job), and every job has its metric rows (the
  // schema keeps (job, metric) unique).
  const std::string s = absl::StrCat(sweep);
  auto jobs = c.SqlInt("SELECT COUNT(*) FROM jobs WHERE sweep_id = " + s);
  auto succeeded = c.SqlInt("SELECT COUNT(*) FROM jobs WHERE state = 3 AND sweep_id = " + s);
  ASSERT_OK(jobs.status());
  EXPECT_GT(*jobs, 0);
  EXPECT_EQ(*succeeded, *jobs);
  EXPECT_EQ(*c.SqlInt("SELECT COUNT(*) FROM job_results WHERE sweep_id = " + s), *jobs);
  EXPECT_EQ(*c.SqlInt("SELECT COUNT(*) FROM jobs j WHERE j.sweep_id = " + s +
                      " AND NOT EXISTS (SELECT 1 FROM results r WHERE r.job_id = j.job_id)"),
            0);

  CommandResult csv = c.RunAblate({"results", absl::StrCat(sweep), "--format", "csv", "--evaluation", "heldout-ppl",
                                   "--metric", "perplexity", "--kind", "group"});
  ASSERT_EQ(csv.exit_code, 0) << csv.output;
  std::map<std::string, double> ratio;  // "model condition" -> ratio
  for (absl::string_view line : absl::StrSplit(csv.output, '\n')) {
    std::vector<std::string> f = absl::StrSplit(line, ',');
    if (f.size() != 14 || f[0] == "result_id") continue;
    double r = 0;
    ASSERT_TRUE(absl::SimpleAtod(f[13], &r)) << line;
    ratio[absl::StrCat(f[3], " ", f[5])] = r;
  }
  // qwen2: attention + mlp; qwen3_5: attention, linear_attention, mlp; falcon_h1: attention, ssm, mlp.
  EXPECT_EQ(ratio.size(), 8u) << csv.output;
  for (const auto& [condition, r] : ratio) EXPECT_GT(r, 1.0) << condition;
  EXPECT_GT(ratio["qwen3_5-fortunes group/linear_attention"], ratio["qwen3_5-fortunes group/attention"]);
  EXPECT_GT(ratio["falcon_h1-fortunes group/ssm"], ratio["falcon_h1-fortunes group/attention"]);

  CommandResult summary = c.RunAblate({"results", absl::StrCat(sweep), "--format", "summary"});
  ASSERT_EQ(summary.exit_code, 0) << summary.output;
  EXPECT_THAT(summary.output, HasSubstr("== heldout-ppl: perplexity"));
  EXPECT_THAT(summary.output, HasSubstr("resilience of qwen3_5-fortunes vs qwen2-fortunes"));
  EXPECT_THAT(summary.output, HasSubstr("resilience of falcon_h1-fortunes vs qwen2-fortunes"));
  for (auto& w : workers) w->Signal(SIGTERM);
  for (auto& w : workers) EXPECT_EQ(w->Wait(absl::Seconds(30)).value_or(-1), 0) << w->Log();
#endif
}

}  // namespace
}  // namespace ablate::testing
