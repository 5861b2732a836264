// png_export.h: `ablate report --png DIR`: every figure of the report as a
// PNG file, for papers. Each figure is written as a small HTML page
// (RenderFigurePage) and photographed by headless Chromium (Debian package
// `chromium`; `--headless --screenshot`), one process per figure (a few at
// once), each with a throw-away profile directory, killed by pid if it runs
// past the timeout.
//
// Files: DIR/NN-KIND.png (NN: the figure's number in the report, KIND: its
// kind), never named after user input. The per-figure HTML pages are removed
// afterwards.
//
// Thread-compatible; spawns child processes.
//
//   ASSIGN_OR_RETURN(std::vector<std::string> files, ExportPngs(data, "figures", {}));
#ifndef ABLATE_REPORT_PNG_EXPORT_H_
#define ABLATE_REPORT_PNG_EXPORT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "report/study_data.h"

namespace ablate::report {

struct PngOptions {
  std::string chromium;       // the browser binary; "" = first of chromium, chromium-browser on PATH
  int timeout_seconds = 120;  // per figure
  int parallel = 4;           // browsers at once (most of a run is start-up latency)
  double scale = 2.0;         // device scale factor (2: sharp in print)
};

// The paths written, in figure order. FailedPrecondition naming the Debian
// package when no Chromium is found; Internal when Chromium fails or writes
// no file (its output is in the message); DeadlineExceeded on timeout.
absl::StatusOr<std::vector<std::string>> ExportPngs(const StudyData& data, const std::string& dir,
                                                    const PngOptions& options);

// The browser binary `options` selects, or FailedPrecondition.
absl::StatusOr<std::string> FindChromium(const std::string& requested);

}  // namespace ablate::report

#endif  // ABLATE_REPORT_PNG_EXPORT_H_
