// html_page.cc: see html_page.h.
#include "report/html_page.h"

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "report/svg.h"

namespace ablate::report {
namespace {

std::string FigureHtml(const Figure& f, const std::string& id) {
  return absl::StrCat("<figure class=\"chart\" id=\"", EscapeXml(id), "\" data-figure=\"", EscapeXml(f.kind),
                      "\" data-marks=\"", f.marks, "\">\n<figcaption><strong>", EscapeXml(f.title), "</strong><br>",
                      EscapeXml(f.caption), "</figcaption>\n<div class=\"svg\">", f.svg,
                      "</div>\n<details><summary>Values (table)</summary>\n", f.table_html, "</details>\n</figure>\n");
}

std::string Time(int64_t unix_ms) {
  if (unix_ms <= 0) return "-";
  return absl::FormatTime("%Y-%m-%d %H:%M:%S UTC", absl::FromUnixMillis(unix_ms), absl::UTCTimeZone());
}

}  // namespace

const char* ReportCss() {
  return R"css(
body { font-family: sans-serif; color: #222; background: #fff; max-width: 1100px; margin: 0 auto; padding: 1em 1.5em; line-height: 1.4; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ccc; margin-top: 2em; } h3 { margin-top: 1.5em; }
figure.chart { margin: 1.5em 0; padding: 0.8em; border: 1px solid #e3e3e3; break-inside: avoid; page-break-inside: avoid; }
figcaption { font-size: 0.9em; margin-bottom: 0.6em; max-width: 75em; }
div.svg { overflow-x: auto; } svg { max-width: 100%; height: auto; }
table { border-collapse: collapse; font-size: 0.82em; margin: 0.5em 0; }
th, td { border: 1px solid #ddd; padding: 2px 6px; text-align: left; vertical-align: top; }
thead th { background: #f2f2f2; }
pre { background: #f7f7f7; border: 1px solid #e3e3e3; padding: 0.6em; overflow-x: auto; font-size: 0.8em; white-space: pre-wrap; }
code { font-size: 0.9em; } .note { color: #555; font-size: 0.9em; }
nav ul { columns: 2; font-size: 0.9em; }
@media print { body { max-width: none; padding: 0; } details > *:not(summary) { display: block; }
  details::details-content { content-visibility: visible; display: block; } nav { display: none; } a { color: inherit; text-decoration: none; } }
)css";
}

std::string RenderFiguresHtml(const StudyData& data) {
  std::string out = "<div class=\"ablate-figures\">\n";
  int n = 0;
  for (const EvaluationFigures& e : BuildFigures(data)) {
    absl::StrAppend(&out, "<section class=\"evaluation\" data-evaluation=\"", EscapeXml(e.evaluation), "\">\n<h2>",
                    EscapeXml(e.evaluation), e.metric.empty() ? "" : absl::StrCat(": ", EscapeXml(e.metric)),
                    "</h2>\n");
    if (e.metric.empty()) {
      absl::StrAppend(&out,
                      "<p class=\"note\">No headline metric (perplexity, accuracy or exact match): not "
                      "drawn. Every value is in <code>ablate results --format csv</code>.</p>\n");
    } else if (e.figures.empty()) {
      absl::StrAppend(&out, "<p class=\"note\">No ablation results to draw yet.</p>\n");
    }
    for (const Figure& f : e.figures) absl::StrAppend(&out, FigureHtml(f, absl::StrCat("fig-", ++n)));
    absl::StrAppend(&out, "</section>\n");
  }
  if (n == 0 && data.rows.empty()) absl::StrAppend(&out, "<p class=\"note\">No results yet.</p>\n");
  absl::StrAppend(&out, "</div>\n");
  return out;
}

std::string RenderReportHtml(const StudyData& data, const ReportOptions& options) {
  const Sweep& s = data.sweep;
  const std::string title = absl::StrCat("ablate study report: ", s.name, " (sweep ", s.sweep_id, ")");
  std::string out = absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
      "img-src data:\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
      EscapeXml(title), "</title>\n<style>", ReportCss(), "</style>\n</head>\n<body>\n<h1>", EscapeXml(title),
      "</h1>\n<p>State <strong>", EscapeXml(s.state), "</strong>: ", s.jobs_succeeded, " of ", s.jobs_total,
      " jobs succeeded, ", s.jobs_failed, " failed, ", s.jobs_cancelled, " cancelled; ", data.rows.size(),
      " result rows. Submitted ", Time(s.created_unix_ms),
      s.finished_unix_ms > 0 ? absl::StrCat(", finished ", Time(s.finished_unix_ms)) : "",
      ".</p>\n<p class=\"note\">Ratios are to the same model's baseline on the same evaluation and seed. "
      "Every chart has its values in a table below it and on hover. Read from ",
      EscapeXml(options.source.empty() ? "-" : options.source), ".</p>\n");
  const std::vector<EvaluationFigures> figures = BuildFigures(data);
  absl::StrAppend(&out, "<nav><details><summary>Contents</summary><ul>\n");
  int n = 0;
  for (const EvaluationFigures& e : figures) {
    for (const Figure& f : e.figures) {
      absl::StrAppend(&out, "<li><a href=\"#fig-", ++n, "\">", EscapeXml(f.title), "</a></li>\n");
    }
  }
  absl::StrAppend(&out, "<li><a href=\"#provenance\">Provenance</a></li>\n</ul></details></nav>\n");
  absl::StrAppend(&out, RenderFiguresHtml(data), RenderProvenanceHtml(data));
  absl::StrAppend(
      &out, "<footer class=\"note\"><p>Generated ", Time(options.generated_unix_ms), " by ",
      EscapeXml(options.generated_by.empty() ? "ablate" : options.generated_by),
      " (<code>ablate report</code>; docs/report.md explains every figure).</p></footer>\n</body>\n</html>\n");
  return out;
}

std::string RenderFigurePage(const Figure& figure) {
  return absl::StrCat("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>",
                      EscapeXml(figure.title), "</title><style>", ReportCss(),
                      " body { margin: 0; padding: 8px; max-width: none; } figure.chart { margin: 0; border: none; "
                      "display: inline-block; } details { display: none; }</style></head><body>\n",
                      FigureHtml(figure, "figure"), "</body></html>\n");
}

}  // namespace ablate::report
