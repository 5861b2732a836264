// figures_fragment_test.cc: the dashboard's figures over a real scheduler
// (SQLite file): the report's heatmap with one mark per ablated layer once
// results land, tenant scoping, the cache following the sweep's counts, and
// the size bound.
#include "coordinator/http/figures_fragment.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/scheduler_harness.h"

namespace ablate::coordinator::http {
namespace {

using ::ablate::testing::FakeSpec;
using ::ablate::testing::SchedulerHarness;
using ::testing::HasSubstr;
using ::testing::Not;

int Count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++n;
  return n;
}

class FiguresFragmentsTest : public ::testing::Test {
 protected:
  FiguresFragmentsTest() : h_(::testing::UnitTest::GetInstance()->current_test_info()->name()) {}
  SchedulerHarness h_;
};

TEST_F(FiguresFragmentsTest, DrawsTheReportFiguresAsResultsLand) {
  FiguresFragments figures(h_.core(), {});
  const int64_t sweep = h_.Submit(FakeSpec("demo", 1, 1));  // baseline + 3 attention layers
  absl::StatusOr<std::string> empty = figures.Render(sweep, auth::Caller::Local());
  ASSERT_TRUE(empty.ok()) << empty.status();
  EXPECT_THAT(*empty, HasSubstr("No results yet"));
  EXPECT_THAT(*empty, Not(HasSubstr("<figure")));

  const std::string w = h_.Register("w1");
  std::vector<v1::Lease> leases = h_.Lease(w, 4);
  ASSERT_EQ(leases.size(), 4u);
  for (size_t i = 0; i < leases.size(); ++i) h_.Complete(w, leases[i], 10.0 * (i + 1));
  absl::StatusOr<std::string> done = figures.Render(sweep, auth::Caller::Local());
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_THAT(*done, HasSubstr("data-figure=\"heatmap\""));
  EXPECT_EQ(Count(*done, "data-mark=\"heatmap\""), 3) << *done;  // one cell per ablated layer
  EXPECT_THAT(*done, Not(HasSubstr("<script")));
  EXPECT_THAT(*done, Not(HasSubstr("style=")));  // the dashboard's CSP allows no inline style
}

TEST_F(FiguresFragmentsTest, AnotherTenantsSweepIsNotFound) {
  FiguresFragments figures(h_.core(), {});
  const int64_t sweep = h_.Submit(FakeSpec("demo", 1, 1));
  auth::Caller stranger;
  stranger.tenant = "other";
  stranger.role = auth::Role::kViewer;
  EXPECT_EQ(figures.Render(sweep, stranger).status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(figures.Render(sweep, auth::Caller::Local()).ok());  // now cached
  EXPECT_EQ(figures.Render(sweep, stranger).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(figures.Render(sweep + 100, auth::Caller::Local()).status().code(), absl::StatusCode::kNotFound);
}

TEST_F(FiguresFragmentsTest, KeepsARenderingUntilTheCountsChange) {
  FiguresFragments figures(h_.core(), {});
  const int64_t sweep = h_.Submit(FakeSpec("demo", 1, 1));
  const std::string w = h_.Register("w1");
  std::vector<v1::Lease> leases = h_.Lease(w, 4);
  h_.Complete(w, leases[0], 10.0);
  h_.Complete(w, leases[1], 20.0);
  const std::string first = *figures.Render(sweep, auth::Caller::Local());
  EXPECT_EQ(Count(first, "data-mark=\"heatmap\""), 1);
  EXPECT_EQ(*figures.Render(sweep, auth::Caller::Local()), first);
  h_.Complete(w, leases[2], 30.0);
  EXPECT_EQ(Count(*figures.Render(sweep, auth::Caller::Local()), "data-mark=\"heatmap\""), 2);
}

TEST_F(FiguresFragmentsTest, LargeSweepsGetANoteInsteadOfFigures) {
  FiguresFragments figures(h_.core(), {.max_jobs = 3});
  const int64_t sweep = h_.Submit(FakeSpec("big", 1, 1));  // 4 jobs
  absl::StatusOr<std::string> html = figures.Render(sweep, auth::Caller::Local());
  ASSERT_TRUE(html.ok()) << html.status();
  EXPECT_THAT(*html, HasSubstr("ablate report " + std::to_string(sweep)));
  EXPECT_THAT(*html, Not(HasSubstr("<figure")));
}

}  // namespace
}  // namespace ablate::coordinator::http
