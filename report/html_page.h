// html_page.h: the study report as HTML. RenderFiguresHtml is the figures of
// one sweep as a fragment (sections, SVG, tables; no <html>, no scripts) that
// a page can embed, e.g. the coordinator's dashboard; RenderReportHtml is
// the whole self-contained page (inline CSS, inline SVG, no scripts, no
// external fonts or images: it opens offline) with the provenance section.
// All text from the data is escaped.
//
// Pure functions; thread-safe.
//
//   std::ofstream("report.html") << RenderReportHtml(data, {.generated_by = "ablate 0.1.0"});
#ifndef ABLATE_REPORT_HTML_PAGE_H_
#define ABLATE_REPORT_HTML_PAGE_H_

#include <string>

#include "report/figures.h"
#include "report/study_data.h"

namespace ablate::report {

struct ReportOptions {
  std::string generated_by;  // shown in the footer (e.g. "ablate 0.1.0+abc123")
  std::string source;        // where the data came from ("ablate.db", "coordinator 127.0.0.1:50051")
  int64_t generated_unix_ms = 0;
};

// The figures of every evaluation of the sweep, one <section> per
// evaluation, each figure a <figure data-figure="KIND"> with its SVG, caption
// and a <details> data table. Depends on nothing but the StudyData.
std::string RenderFiguresHtml(const StudyData& data);

// The whole report: title, summary, contents, figures, provenance.
std::string RenderReportHtml(const StudyData& data, const ReportOptions& options);

// One figure alone on a page sized to it (for the PNG export).
std::string RenderFigurePage(const Figure& figure);

// The provenance section (provenance.cc): spec, fingerprints, code
// versions, workers, wall times, failed jobs.
std::string RenderProvenanceHtml(const StudyData& data);

// The report's style sheet (light, print-friendly).
const char* ReportCss();

}  // namespace ablate::report

#endif  // ABLATE_REPORT_HTML_PAGE_H_
