// png_export_test.cc: --png without Chromium fails with a message naming
// the Debian package, before anything is written. (Real PNGs are checked by
// tests/e2e_report_test.cc where Chromium is installed.)
#include "report/png_export.h"

#include <stdlib.h>

#include <filesystem>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/study_fixture.h"

namespace ablate::report {
namespace {

using ::ablate::testing::StatusIs;
using ::testing::HasSubstr;

TEST(PngExportTest, NamedBrowserMustExist) {
  EXPECT_THAT(FindChromium("/nonexistent/chromium").status(),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("/nonexistent/chromium")));
}

TEST(PngExportTest, NoChromiumOnPathIsAClearError) {
  const char* old = std::getenv("PATH");
  const std::string saved = old ? old : "";
  ::setenv("PATH", "/nonexistent-ablate-bin", 1);
  const std::string dir = ::testing::TempDir() + "/png_export_none";
  auto written = ExportPngs(testing::SmallStudy(), dir, {});
  ::setenv("PATH", saved.c_str(), 1);
  EXPECT_THAT(written.status(), StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("`chromium`")));
  EXPECT_FALSE(std::filesystem::exists(dir));
}

}  // namespace
}  // namespace ablate::report
