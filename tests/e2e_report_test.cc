// e2e_report_test.cc: `ablate report` end to end. A small real sweep (two of
// the shipped reference models, the product LibTorch evaluator, perplexity
// with drift; multiple choice with bootstrap when the shared eval data is
// present; generation's deltas are covered by report_test) runs through `ablate run`; the report is written
// from the database file (while a coordinator serves it) and from the
// coordinator over gRPC; headless Chromium opens it: no console errors,
// every figure present with one mark per result row of the sweep (counted
// in the database), and a screenshot that is not blank. One model's name
// carries a <script> that would log to the console if it ever ran.
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e_cluster.h"
#include "tests/testing/headless_chromium.h"
#include "tests/testing/shared_data.h"
#include "tests/testing/status_matchers.h"

namespace ablate::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kHostile[] = "qwen2<script>console.error('injected')</script>";

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int Count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

std::string WriteSpec(const E2eCluster& c) {
  const std::string models = absl::StrCat(ABLATE_SOURCE_DIR, "/examples/models/");
  const std::string data = absl::StrCat(ABLATE_SOURCE_DIR, "/examples/data/fortunes-heldout.txt");
  const std::string evals = SharedPath("data/evals");
  const std::string spec = c.dir() + "/report.yaml";
  std::ofstream(spec)
      << "name: report-e2e\nmodels:\n"
      << "  - {name: \"" << kHostile << "\", path: " << models << "qwen2-fortunes}\n"
      << "  - {name: qwen3_5-fortunes, path: " << models << "qwen3_5-fortunes}\n"
      << "mode_defaults:\n  - {family: qwen3_5, mode: skip_layer}\n"
      << "  - {family: qwen2, mode: skip_layer}\n"
      << "evaluations:\n"
      << "  - {name: ppl, perplexity: {dataset: " << data
      << ", max_length: 64, num_tokens: 256, drift: true, batch_size: 8}}\n"
      << "  - {name: piqa, optional: true, multiple_choice: {task: piqa, path: " << evals
      << "/piqa_official, limit: 6, bootstrap: true, batch_size: 8}}\n"
      << "ablations:\n  - baseline\n"
      << "  - {group: [attention, linear_attention], skip_missing: true}\n"
      << "  - {layer_sweep: layer, mode: skip_layer}\n"
      << "  - {positional: layer, mode: skip_layer}\n"
      << "  - {name: random, models: [qwen3_5-fortunes], random: {match: attention, trials: 2, seed: 0}}\n"
      << "  - {name: random, mode: skip_layer, random: {count: 2, trials: 2, seed: 0}}\n"
      << "execution: {max_attempts: 1}\n";
  return spec;
}

// The marks each figure kind must have: one per result row, counted in the database.
std::map<std::string, int64_t> ExpectedMarks(const E2eCluster& c) {
  // The headline metric of each evaluation (docs/report.md).
  const std::string headline =
      "((evaluation = 'ppl' AND metric = 'perplexity') OR (evaluation = 'piqa' AND metric = 'acc_norm'))";
  auto count = [&](const std::string& where) {
    auto n = c.SqlInt(absl::StrCat("SELECT COUNT(*) FROM result_vs_baseline WHERE sweep_id = 1 AND ", where));
    EXPECT_OK(n.status());
    return n.value_or(-1);
  };
  return {
      {"heatmap", count(absl::StrCat("kind = 3 AND ", headline))},
      {"group-bar", count(absl::StrCat("kind = 2 AND ratio > 0 AND ", headline))},
      {"random-point", count(absl::StrCat("kind = 6 AND condition LIKE '%/match=%' AND ratio > 0 AND ", headline))},
      {"positional-bar", count(absl::StrCat("kind = 4 AND ratio > 0 AND ", headline))},
      {"resilience-point", count("kind = 6 AND metric = 'perplexity' AND ratio IS NOT NULL")},
      {"drift-kl", count("kind != 1 AND metric = 'kl_mean' AND value IS NOT NULL")},
      {"drift-top1", count("kind != 1 AND metric = 'top1_agreement' AND value IS NOT NULL")},
      {"accuracy-delta", count("kind != 1 AND value IS NOT NULL AND metric IN ('acc_diff', 'acc_norm_diff')")},
  };
}

// The figures part of a report (the rest names the source and the time).
std::string Figures(const std::string& html) {
  const size_t a = html.find("<div class=\"ablate-figures\">"), b = html.find("<section id=\"provenance\"");
  return a == std::string::npos || b == std::string::npos ? "" : html.substr(a, b - a);
}

TEST(E2eReportTest, ReportOfARealSweepRendersInChromium) {
#ifndef ABLATE_HAVE_LM_EVALUATOR
  GTEST_SKIP() << "this build has no LibTorch evaluator";
#else
  for (const char* m : {"qwen2-fortunes", "qwen3_5-fortunes"}) {
    if (!std::ifstream(absl::StrCat(ABLATE_SOURCE_DIR, "/examples/models/", m, "/model.safetensors")).good()) {
      GTEST_SKIP() << "reference model " << m << " not found under examples/models";
    }
  }
  E2eCluster c("report");
  const std::string spec = WriteSpec(c);
  CommandResult run =
      c.RunAblate({"run", spec, "--db", c.db_path(), "--workers", "2", "--no-progress", "--format", "csv"}, false,
                  absl::Seconds(300));
  ASSERT_EQ(run.exit_code, 0) << run.output;
  const bool with_eval_data = std::filesystem::exists(SharedPath("data/evals/piqa_official"));

  // From the coordinator over gRPC, and from its database file while it serves it.
  ASSERT_OK(c.StartCoordinator());
  const std::string grpc_html = c.dir() + "/grpc.html", db_html = c.dir() + "/db.html";
  CommandResult by_grpc = c.RunAblate({"report", "1", "-o", grpc_html});
  ASSERT_EQ(by_grpc.exit_code, 0) << by_grpc.output;
  CommandResult by_db = c.RunAblate({"report", "1", "--db", c.db_path(), "-o", db_html, "--png", c.dir() + "/png"},
                                    false, absl::Seconds(300));  // one Chromium run per figure
  ASSERT_EQ(by_db.exit_code, 0) << by_db.output;
  const std::string html = ReadFile(db_html);
  EXPECT_FALSE(Figures(html).empty());
  EXPECT_EQ(Figures(html), Figures(ReadFile(grpc_html)));
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, HasSubstr("sha256"));
  // Neither or both sources; a bad sweep id is a clear error.
  EXPECT_EQ(c.RunAblate({"report", "1", "-o", c.dir() + "/x.html"}, false).exit_code, 2);
  CommandResult missing = c.RunAblate({"report", "42", "-o", c.dir() + "/x.html"});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_THAT(missing.output, HasSubstr("no sweep 42"));

  if (FindChromium().empty()) GTEST_SKIP() << "chromium is not installed (Debian package `chromium`)";
  auto dom = DumpDom(db_html, c.dir());
  ASSERT_OK(dom.status());
  EXPECT_THAT(ConsoleProblems(dom->log), IsEmpty()) << dom->log;
  EXPECT_THAT(dom->dom, Not(HasSubstr("injected')</script>"))) << "the hostile name became markup";
  const std::map<std::string, int64_t> expected = ExpectedMarks(c);
  for (const auto& [kind, n] : expected) {
    EXPECT_EQ(Count(dom->dom, absl::StrCat("data-mark=\"", kind, "\"")), n) << kind;
  }
  for (const char* figure : {"heatmap", "groups", "positional", "resilience", "drift"}) {
    EXPECT_GE(Count(dom->dom, absl::StrCat("data-figure=\"", figure, "\"")), 1) << figure;
  }
  EXPECT_EQ(Count(dom->dom, "data-figure=\"heatmap\""), with_eval_data ? 4 : 2);  // per model and evaluation
  EXPECT_GT(expected.at("random-point"), 0);
  if (with_eval_data) {
    EXPECT_EQ(Count(dom->dom, "data-figure=\"accuracy\""), 1);  // piqa (bootstrap)
    EXPECT_GT(expected.at("accuracy-delta"), 0);
  }

  const std::string png = c.dir() + "/report.png";
  auto shot = Screenshot(db_html, png, 1200, 1600, c.dir());
  ASSERT_OK(shot.status());
  auto stats = ReadPngStats(png);
  ASSERT_OK(stats.status());
  EXPECT_EQ(stats->width, 1200);
  EXPECT_GT(stats->distinct_colors, 50) << "blank screenshot";
  EXPECT_GT(stats->non_background, 0.03) << "blank screenshot";
  // --png wrote one non-blank PNG per figure.
  int pngs = 0;
  for (const auto& entry : std::filesystem::directory_iterator(c.dir() + "/png")) {
    auto s = ReadPngStats(entry.path().string());
    ASSERT_OK(s.status()) << entry.path();
    EXPECT_GT(s->distinct_colors, 20) << entry.path();
    ++pngs;
  }
  EXPECT_EQ(pngs, Count(html, "<figure class=\"chart\""));
#endif
}

}  // namespace
}  // namespace ablate::testing
