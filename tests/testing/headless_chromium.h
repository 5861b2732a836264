// headless_chromium.h: TEST ONLY. Opens pages in headless Chromium (Debian
// package `chromium`) for browser tests: the DOM after load (--dump-dom)
// with the browser's console log kept apart, and screenshots, plus a small
// PNG reader to tell a blank screenshot from a drawn one. Each run uses a
// fresh profile directory and is killed by PID after its timeout.
//
// Not thread-safe; one call at a time.
//
//   if (FindChromium().empty()) GTEST_SKIP() << "chromium not installed";
//   ASSERT_OK_AND_ASSIGN(BrowserRun r, DumpDom("/tmp/x/report.html", "/tmp/x"));
//   EXPECT_THAT(ConsoleProblems(r.log), IsEmpty());
#ifndef ABLATE_TESTS_TESTING_HEADLESS_CHROMIUM_H_
#define ABLATE_TESTS_TESTING_HEADLESS_CHROMIUM_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace ablate::testing {

// The chromium binary on PATH ("" when absent).
std::string FindChromium();

struct BrowserRun {
  std::string dom;  // stdout (the serialized DOM for DumpDom)
  std::string log;  // stderr (with --enable-logging=stderr: console messages)
};

// Loads file `html` (absolute path) and returns the DOM after load; scratch
// files go to `work_dir`.
absl::StatusOr<BrowserRun> DumpDom(const std::string& html, const std::string& work_dir,
                                   absl::Duration timeout = absl::Seconds(60));
// Writes a screenshot of `html` at width x height CSS pixels to `png`.
absl::StatusOr<BrowserRun> Screenshot(const std::string& html, const std::string& png, int width, int height,
                                      const std::string& work_dir, absl::Duration timeout = absl::Seconds(60));

// Lines of a Chromium log that report page problems: console messages
// (errors, uncaught exceptions, blocked or failed loads, CSP refusals).
std::vector<std::string> ConsoleProblems(const std::string& log);

struct PngStats {
  int width = 0, height = 0;
  int distinct_colors = 0;    // exact RGB colours (capped at 100000)
  double non_background = 0;  // fraction of pixels that differ from the top-left pixel
};
// Decodes an 8-bit RGB/RGBA non-interlaced PNG (what Chromium writes).
absl::StatusOr<PngStats> ReadPngStats(const std::string& path);

}  // namespace ablate::testing

#endif  // ABLATE_TESTS_TESTING_HEADLESS_CHROMIUM_H_
