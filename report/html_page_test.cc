// html_page_test.cc: the report page is self-contained (no scripts, no
// external resources), escapes user text, and carries the provenance.
#include "report/html_page.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/study_fixture.h"

namespace ablate::report {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(HtmlPageTest, SelfContainedWithProvenance) {
  StudyData d = testing::SmallStudy();
  d.jobs[3].state = "failed";
  d.jobs[3].last_error = "boom <b>";
  const std::string html = RenderReportHtml(d, {.generated_by = "ablate test", .source = "x.db"});
  EXPECT_THAT(html, HasSubstr("<!DOCTYPE html>"));
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, Not(HasSubstr("src=\"http")));
  EXPECT_THAT(html, Not(HasSubstr("href=\"http")));
  EXPECT_THAT(html, Not(HasSubstr("@import")));
  EXPECT_THAT(html, HasSubstr("Content-Security-Policy"));
  EXPECT_THAT(html, HasSubstr("ckpt-qwen2-tiny"));
  EXPECT_THAT(html, HasSubstr("data-ppl"));
  EXPECT_THAT(html, HasSubstr("0.1.0+test"));
  EXPECT_THAT(html, HasSubstr("host-a"));
  EXPECT_THAT(html, HasSubstr("boom &lt;b&gt;"));
  EXPECT_THAT(html, HasSubstr("<pre>name: small\n</pre>"));
  EXPECT_THAT(html, HasSubstr("Sweep wall time (submission to last job): 60.0 s"));
}

TEST(HtmlPageTest, FragmentHasEveryFigureAndNoPageChrome) {
  const std::string frag = RenderFiguresHtml(testing::SmallStudy());
  EXPECT_THAT(frag, Not(HasSubstr("<html")));
  EXPECT_THAT(frag, Not(HasSubstr("<style")));
  for (const char* kind : {"heatmap", "groups", "positional", "resilience", "drift", "accuracy"}) {
    EXPECT_THAT(frag, HasSubstr(std::string("data-figure=\"") + kind + "\"")) << kind;
  }
}

TEST(HtmlPageTest, HostileSweepAndModelNamesAreEscaped) {
  StudyData d = testing::SmallStudy("<script>alert(1)</script>", "m2");
  d.sweep.name = "</title><script>alert(2)</script>";
  d.sweep.spec_text = "</pre><script>alert(3)</script>";
  const std::string html = RenderReportHtml(d, {});
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, HasSubstr("&lt;script&gt;alert(1)"));
}

TEST(HtmlPageTest, EmptySweepSaysSo) {
  StudyData d;
  d.sweep.name = "empty";
  EXPECT_THAT(RenderReportHtml(d, {}), HasSubstr("No results yet."));
}

}  // namespace
}  // namespace ablate::report
