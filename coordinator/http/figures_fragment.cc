// figures_fragment.cc: see figures_fragment.h.
#include "coordinator/http/figures_fragment.h"

#include "report/svg.h"

#include <cmath>
#include <cstdio>

#include "absl/strings/str_cat.h"

namespace ablate::coordinator::http {
namespace {

std::string Number(double v) {
  if (std::isnan(v)) return "&ndash;";
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.6g", v);
  return buf;
}

}  // namespace

std::string HtmlEscape(absl::string_view text) { return report::EscapeXml(text); }

std::string RenderFiguresFragment(const v1::SweepInfo& sweep, const std::vector<v1::ResultRow>& rows,
                                  bool truncated) {
  std::string out = absl::StrCat("<section class=\"figures\" data-sweep=\"", sweep.sweep_id(),
                                 "\" data-rows=\"", rows.size(), "\">\n");
  if (rows.empty()) {
    absl::StrAppend(&out, "<p class=\"empty\">No results yet.</p>\n</section>\n");
    return out;
  }
  absl::StrAppend(&out,
                  "<table class=\"results\">\n<caption>Results (", rows.size(),
                  truncated ? "+, first rows shown" : "",
                  ")</caption>\n<thead><tr><th>model</th><th>condition</th><th>evaluation</th>"
                  "<th>metric</th><th>value</th><th>ratio to baseline</th></tr></thead>\n<tbody>\n");
  for (const v1::ResultRow& r : rows) {
    absl::StrAppend(&out, "<tr><td>", HtmlEscape(r.model()), "</td><td>", HtmlEscape(r.condition()),
                    "</td><td>", HtmlEscape(r.evaluation()), "</td><td>", HtmlEscape(r.metric()),
                    "</td><td class=\"num\">", Number(r.value()), "</td><td class=\"num\">",
                    Number(r.ratio_to_baseline()), "</td></tr>\n");
  }
  absl::StrAppend(&out, "</tbody>\n</table>\n</section>\n");
  return out;
}

}  // namespace ablate::coordinator::http
