// e2e_cli_test.cc: the `ablate` sweep commands as a user runs them, against
// the real coordinator binary and test-worker processes on loopback:
// submit (and --dry-run, --request-id), watch, status, results (formats and filters),
// cancel, workers, and the one-line errors with non-zero exit codes.
#include <algorithm>
#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/e2e_cluster.h"
#include "tests/testing/status_matchers.h"

namespace ablate::testing {
namespace {

using ::testing::HasSubstr;

CommandResult Ablate(E2eCluster& c, const std::vector<std::string>& args, bool with_address = true) {
  return c.RunAblate(args, with_address);
}

std::string WriteSpec(E2eCluster& c, const std::string& name, const std::string& evaluation) {
  const std::string path = absl::StrCat(c.dir(), "/", name, ".yaml");
  std::ofstream(path) << "name: " << name << "\n"
                      << "models:\n  - {name: q24, path: " << c.model_dir() << "}\n"
                      << "evaluations:\n  - {name: " << evaluation << ", perplexity: {dataset: " << c.dir()
                      << "/text.raw, max_length: 64}}\n"
                      << "ablations:\n  - baseline\n  - {layer_sweep: attention}\n"
                      << "execution: {lease_ttl_seconds: 5, max_attempts: 2}\n";
  return path;
}

#ifdef ABLATE_HAVE_LM_EVALUATOR
// The shipped reference transformer and its held-out text.
std::string ReferenceModel() { return absl::StrCat(ABLATE_SOURCE_DIR, "/examples/models/qwen2-fortunes"); }
std::string ReferenceHeldout() { return absl::StrCat(ABLATE_SOURCE_DIR, "/examples/data/fortunes-heldout.txt"); }
bool ReferenceModelPresent() {
  return std::ifstream(ReferenceModel() + "/model.safetensors").good() && std::ifstream(ReferenceHeldout()).good();
}
#endif

int64_t SweepIdFrom(const std::string& output) {
  // "submitted sweep 3 'name': 25 jobs"
  const size_t at = output.find("submitted sweep ");
  if (at == std::string::npos) return 0;
  int64_t id = 0;
  std::vector<std::string> words = absl::StrSplit(output.substr(at + 16), ' ');
  return !words.empty() && absl::SimpleAtoi(words[0], &id) ? id : 0;
}

TEST(E2eCliTest, SubmitWatchStatusResultsWorkers) {
  E2eCluster c("cli");
  ASSERT_OK(c.StartCoordinator());
  const std::string spec = WriteSpec(c, "cli-sweep", "ppl");

  CommandResult dry = Ablate(c, {"submit", spec, "--dry-run"});
  EXPECT_EQ(dry.exit_code, 0) << dry.output;
  EXPECT_THAT(dry.output, HasSubstr("dry run: 25 jobs"));
  EXPECT_THAT(dry.output, HasSubstr("layer_sweep: 24 conditions"));

  CommandResult sub = Ablate(c, {"submit", spec});
  ASSERT_EQ(sub.exit_code, 0) << sub.output;
  const int64_t id = SweepIdFrom(sub.output);
  ASSERT_GT(id, 0) << sub.output;
  ASSERT_OK(c.StartWorker({"--sleep-ms", "5"}).status());
  ASSERT_OK(c.StartWorker({"--sleep-ms", "5"}).status());

  CommandResult watch = Ablate(c, {"watch", absl::StrCat(id)});
  EXPECT_EQ(watch.exit_code, 0) << watch.output;
  EXPECT_THAT(watch.output, HasSubstr("25/25 done"));
  EXPECT_THAT(watch.output, HasSubstr(absl::StrCat("sweep ", id, " done")));

  CommandResult list = Ablate(c, {"status"});
  EXPECT_EQ(list.exit_code, 0) << list.output;
  EXPECT_THAT(list.output, HasSubstr("cli-sweep"));
  EXPECT_THAT(list.output, HasSubstr("25/25"));
  CommandResult one = Ablate(c, {"status", absl::StrCat(id)});
  EXPECT_EQ(one.exit_code, 0) << one.output;
  EXPECT_THAT(one.output, HasSubstr("25 succeeded, 0 failed"));

  CommandResult table = Ablate(c, {"results", absl::StrCat(id)});
  EXPECT_EQ(table.exit_code, 0) << table.output;
  EXPECT_THAT(table.output, HasSubstr("condition"));
  EXPECT_THAT(table.output, HasSubstr("test_score"));
  CommandResult csv = Ablate(c, {"results", absl::StrCat(id), "--format", "csv"});
  EXPECT_EQ(csv.exit_code, 0);
  EXPECT_EQ(std::count(csv.output.begin(), csv.output.end(), '\n'), 26) << csv.output;
  CommandResult json = Ablate(c, {"results", absl::StrCat(id), "--format", "json", "--kind", "layer_sweep",
                                  "--component", "attention", "--layer", "3"});
  ASSERT_EQ(json.exit_code, 0) << json.output;
  auto rows = nlohmann::json::parse(json.output);
  ASSERT_EQ(rows.size(), 1u) << json.output;
  EXPECT_EQ(rows[0]["layer"], 3);
  EXPECT_EQ(rows[0]["evaluation"], "ppl");

  CommandResult workers = Ablate(c, {"workers"});
  EXPECT_EQ(workers.exit_code, 0) << workers.output;
  EXPECT_THAT(workers.output, HasSubstr("alive"));
}

TEST(E2eCliTest, SubmitResumeReusesTheSameSpecAndRefusesAnother) {
  E2eCluster c("cli_resume");
  ASSERT_OK(c.StartCoordinator());
  const std::string spec = WriteSpec(c, "resumable", "ppl");
  CommandResult first = Ablate(c, {"submit", spec});
  ASSERT_EQ(first.exit_code, 0) << first.output;
  const int64_t id = SweepIdFrom(first.output);
  ASSERT_GT(id, 0) << first.output;
  CommandResult again = Ablate(c, {"submit", spec, "--resume"});
  EXPECT_EQ(again.exit_code, 0) << again.output;
  EXPECT_THAT(again.output, HasSubstr(absl::StrCat("resumed sweep ", id, " 'resumable': 25 jobs")));
  // The same name with another spec while the first is unfinished: an error, not a silent no-op.
  const std::string changed = WriteSpec(c, "resumable", "ppl-b");
  CommandResult other = Ablate(c, {"submit", changed, "--resume"});
  EXPECT_EQ(other.exit_code, 1) << other.output;
  EXPECT_THAT(other.output, HasSubstr(absl::StrCat("sweep ", id, " 'resumable' is unfinished with a different spec")));
  // Without --resume a submit is a new sweep.
  CommandResult fresh = Ablate(c, {"submit", spec});
  ASSERT_EQ(fresh.exit_code, 0) << fresh.output;
  EXPECT_EQ(SweepIdFrom(fresh.output), id + 1);
  EXPECT_EQ(*c.SqlInt("SELECT COUNT(*) FROM sweeps"), 2);
}

// A retry of a submit whose answer was lost (e.g. past --timeout-s) with the
// request id the message named returns the first sweep instead of a duplicate.
TEST(E2eCliTest, SubmitWithTheSameRequestIdReturnsTheFirstSweep) {
  E2eCluster c("cli_request_id");
  ASSERT_OK(c.StartCoordinator());
  const std::string spec = WriteSpec(c, "keyed", "ppl");
  CommandResult first = Ablate(c, {"submit", spec, "--request-id", "retry-me-1", "--timeout-s", "120"});
  ASSERT_EQ(first.exit_code, 0) << first.output;
  const int64_t id = SweepIdFrom(first.output);
  ASSERT_GT(id, 0) << first.output;
  CommandResult again = Ablate(c, {"submit", spec, "--request-id", "retry-me-1"});
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_EQ(SweepIdFrom(again.output), id) << again.output;
  EXPECT_EQ(*c.SqlInt("SELECT COUNT(*) FROM sweeps"), 1);
  // The same id for another spec is refused, not silently answered.
  CommandResult other = Ablate(c, {"submit", WriteSpec(c, "keyed-b", "ppl"), "--request-id", "retry-me-1"});
  EXPECT_EQ(other.exit_code, 1) << other.output;
  EXPECT_THAT(other.output, HasSubstr("request_id 'retry-me-1' was already used"));
  EXPECT_EQ(*c.SqlInt("SELECT COUNT(*) FROM sweeps"), 1);
}

TEST(E2eCliTest, CancelStopsAHangingSweep) {
  E2eCluster c("cli_cancel");
  ASSERT_OK(c.StartCoordinator());
  CommandResult sub = Ablate(c, {"submit", WriteSpec(c, "hangs", "ppl-hang")});
  const int64_t id = SweepIdFrom(sub.output);
  ASSERT_GT(id, 0) << sub.output;
  ASSERT_OK(c.StartWorker().status());
  ASSERT_TRUE(E2eCluster::WaitFor(
      [&] {
        auto l = c.ListJobs(id, v1::LEASED);
        return l.ok() && l->size() == 1;
      },
      absl::Seconds(20)));
  CommandResult cancel = Ablate(c, {"cancel", absl::StrCat(id)});
  EXPECT_EQ(cancel.exit_code, 0) << cancel.output;
  EXPECT_THAT(cancel.output, HasSubstr(absl::StrCat("cancelled sweep ", id, ": 25 job(s)")));
  v1::SweepInfo info;
  ASSERT_TRUE(c.WaitForSweepEnd(id, absl::Seconds(10), &info));
  EXPECT_EQ(info.state(), v1::SWEEP_CANCELLED);
}

TEST(E2eCliTest, ErrorsAreOneLineWithNonZeroExit) {
  E2eCluster c("cli_errors");
  // No coordinator listening.
  CommandResult down = Ablate(c, {"status"});
  EXPECT_NE(down.exit_code, 0);
  EXPECT_THAT(down.output, HasSubstr("cannot reach the coordinator at " + c.address()));
  EXPECT_EQ(std::count(down.output.begin(), down.output.end(), '\n'), 1) << down.output;

  ASSERT_OK(c.StartCoordinator());
  const std::string bad = c.dir() + "/bad.yaml";
  std::ofstream(bad) << "name: bad\nmodels:\n  - {name: q, path: " << c.model_dir()
                     << "}\nevaluations:\n  - {name: e, perplexity: {dataset: x}}\n"
                     << "ablations:\n  - {group: [conv]}\n";
  CommandResult invalid = Ablate(c, {"submit", bad});
  EXPECT_EQ(invalid.exit_code, 2) << invalid.output;
  EXPECT_THAT(invalid.output, HasSubstr("bad.yaml"));
  EXPECT_THAT(invalid.output, HasSubstr("conv"));

  CommandResult missing = Ablate(c, {"status", "999"});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_THAT(missing.output, HasSubstr("999"));
  CommandResult format = Ablate(c, {"results", "1", "--format", "xml"});
  EXPECT_EQ(format.exit_code, 2);
  EXPECT_THAT(format.output, HasSubstr("--format"));
}

TEST(E2eCliTest, RunWithoutAnEvaluatorSaysSoAndStopsBeforeAnyWork) {
#ifdef ABLATE_HAVE_LM_EVALUATOR
  GTEST_SKIP() << "this build has the LibTorch evaluator";
#else
  E2eCluster c("cli_run_noeval");
  const std::string db = c.dir() + "/run.db";
  CommandResult run = Ablate(c, {"run", WriteSpec(c, "run", "ppl"), "--db", db}, false);
  EXPECT_EQ(run.exit_code, 1) << run.output;
  EXPECT_THAT(run.output, HasSubstr("no evaluator is built"));
  EXPECT_FALSE(std::ifstream(db).good()) << "nothing may start without an evaluator";
#endif
}

TEST(E2eCliTest, RunWithTheProductEvaluatorOnTheReferenceModel) {
#ifndef ABLATE_HAVE_LM_EVALUATOR
  GTEST_SKIP() << "this build has no LibTorch evaluator";
#else
  const std::string model = ReferenceModel(), data = ReferenceHeldout();
  if (!ReferenceModelPresent()) GTEST_SKIP() << "reference model not found: " << model;
  E2eCluster c("cli_run_real");
  const std::string spec = c.dir() + "/real.yaml";
  std::ofstream(spec) << "name: real\nmodels:\n  - {name: qwen2-fortunes, path: " << model << "}\n"
                      << "evaluations:\n  - {name: ppl, perplexity: {dataset: " << data
                      << ", max_length: 128, num_tokens: 512}}\n"
                      << "ablations:\n  - baseline\n  - {group: [attention], mode: zero}\n";
  const std::string db = c.dir() + "/run.db";
  CommandResult run = Ablate(
      c, {"run", spec, "--db", db, "--workers", "2", "--format", "csv", "--no-progress", "--threads", "1"}, false);
  ASSERT_EQ(run.exit_code, 0) << run.output;
  EXPECT_THAT(run.output, HasSubstr("2 succeeded, 0 failed"));
  // Removing every attention branch of a trained transformer hurts perplexity.
  bool saw_group = false;
  for (absl::string_view line : absl::StrSplit(run.output, '\n')) {
    std::vector<std::string> f = absl::StrSplit(line, ',');
    if (f.size() == 14 && f[5] == "group/attention" && f[10] == "perplexity") {
      double ratio = 0;
      ASSERT_TRUE(absl::SimpleAtod(f[13], &ratio)) << line;
      EXPECT_GT(ratio, 1.05) << line;
      saw_group = true;
    }
  }
  EXPECT_TRUE(saw_group) << run.output;
#endif
}

// `ablate run --reuse on` and `--reuse off` give the same bits for every metric
// of a full layer sweep (skips and zeroed attention, perplexity with drift) on
// the reference transformer: one worker, so later jobs start from the states
// the baseline and earlier jobs cached.
TEST(E2eCliTest, RunWithAndWithoutReuseGivesTheSameResults) {
#ifndef ABLATE_HAVE_LM_EVALUATOR
  GTEST_SKIP() << "this build has no LibTorch evaluator";
#else
  const std::string model = ReferenceModel(), data = ReferenceHeldout();
  if (!ReferenceModelPresent()) GTEST_SKIP() << "reference model not found: " << model;
  E2eCluster c("cli_run_reuse");
  const std::string spec = c.dir() + "/reuse.yaml";
  std::ofstream(spec) << "name: reuse\nmodels:\n  - {name: qwen2-fortunes, path: " << model << "}\n"
                      << "evaluations:\n  - {name: ppl, perplexity: {dataset: " << data
                      << ", max_length: 64, num_tokens: 256, batch_size: 2, drift: true}}\n"
                      << "ablations:\n  - baseline\n  - {layer_sweep: layer}\n  - {layer_sweep: attention}\n";
  auto rows = [&](const std::string& reuse) {
    const std::string db = absl::StrCat(c.dir(), "/run-", reuse, ".db");
    CommandResult run =
        Ablate(c, {"run", spec, "--db", db, "--format", "csv", "--no-progress", "--reuse", reuse}, false);
    EXPECT_EQ(run.exit_code, 0) << run.output;
    EXPECT_THAT(run.output, HasSubstr("17 succeeded, 0 failed"));
    std::vector<std::string> out;
    for (absl::string_view line : absl::StrSplit(run.output, '\n')) {
      if (std::count(line.begin(), line.end(), ',') == 13) out.emplace_back(line);
    }
    return out;
  };
  const std::vector<std::string> on = rows("on"), off = rows("off");
  EXPECT_GT(on.size(), 17u * 4);
  EXPECT_EQ(on, off);  // value, baseline and ratio printed with %.17g
#endif
}

}  // namespace
}  // namespace ablate::testing
