// figure_common.cc: shared pieces of the figure builders (figures.h): axes,
// legends, the accessible tables, and BuildFigures.
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "report/figures.h"

namespace ablate::report {
namespace {

std::string TickLabel(double v) { return absl::StrFormat("%g", v); }

}  // namespace

std::string HtmlTable(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows) {
  std::string out = "<table class=\"data\"><thead><tr>";
  for (const auto& h : header) absl::StrAppend(&out, "<th scope=\"col\">", EscapeXml(h), "</th>");
  absl::StrAppend(&out, "</tr></thead><tbody>\n");
  for (const auto& row : rows) {
    absl::StrAppend(&out, "<tr>");
    for (size_t i = 0; i < row.size(); ++i) {
      absl::StrAppend(&out, i == 0 ? "<th scope=\"row\">" : "<td>", EscapeXml(row[i]), i == 0 ? "</th>" : "</td>");
    }
    absl::StrAppend(&out, "</tr>\n");
  }
  absl::StrAppend(&out, "</tbody></table>\n");
  return out;
}

std::string Shorten(const std::string& text, size_t n) {
  if (text.size() <= n || n < 4) return text;
  return absl::StrCat(text.substr(0, n - 3), "...");
}

void DrawLogAxisY(Svg& svg, const LogScale& y, double x0, double x1, const std::string& title, bool ratio) {
  for (double t : y.Ticks()) {
    const double py = y(t);
    const bool one = ratio && std::abs(t - 1.0) < 1e-12;
    svg.Line(x0, py, x1, py, one ? "#555" : "#ddd", one ? 1.2 : 0.8, one);
    svg.Text(x0 - 4, py + 4, absl::StrCat(TickLabel(t), ratio ? "x" : ""), "end", 10);
  }
  svg.Line(x0, std::min(y.p0, y.p1), x0, std::max(y.p0, y.p1), "#333");
  const double mid = (y.p0 + y.p1) / 2;
  svg.Text(14, mid, absl::StrCat(title, " (log scale)"), "middle", 11, false, -90);
}

void DrawLinearAxisY(Svg& svg, const LinearScale& y, double x0, double x1, const std::string& title, bool percent) {
  for (double t : y.Ticks()) {
    const double py = y(t);
    svg.Line(x0, py, x1, py, t == 0 ? "#555" : "#ddd", t == 0 ? 1.2 : 0.8, t == 0);
    svg.Text(x0 - 4, py + 4, percent ? absl::StrFormat("%g%%", t * 100) : TickLabel(t), "end", 10);
  }
  svg.Line(x0, std::min(y.p0, y.p1), x0, std::max(y.p0, y.p1), "#333");
  svg.Text(14, (y.p0 + y.p1) / 2, title, "middle", 11, false, -90);
}

void DrawLogAxisX(Svg& svg, const LogScale& x, double y0, double y1, const std::string& title) {
  for (double t : x.Ticks()) {
    const double px = x(t);
    const bool one = std::abs(t - 1.0) < 1e-12;
    svg.Line(px, y0, px, y1, one ? "#555" : "#ddd", one ? 1.2 : 0.8, one);
    svg.Text(px, y1 + 14, absl::StrCat(TickLabel(t), "x"), "middle", 10);
  }
  svg.Line(std::min(x.p0, x.p1), y1, std::max(x.p0, x.p1), y1, "#333");
  svg.Text((x.p0 + x.p1) / 2, y1 + 30, absl::StrCat(title, " (log scale)"), "middle", 11);
}

void DrawLinearAxisX(Svg& svg, const LinearScale& x, double y0, double y1, const std::string& title, bool integers) {
  for (double t : x.Ticks()) {
    if (integers && std::abs(t - std::round(t)) > 1e-9) continue;
    const double px = x(t);
    svg.Line(px, y0, px, y1, t == 0 && !integers ? "#555" : "#ddd", 0.8, t == 0 && !integers);
    svg.Text(px, y1 + 14, TickLabel(t), "middle", 10);
  }
  svg.Line(std::min(x.p0, x.p1), y1, std::max(x.p0, x.p1), y1, "#333");
  svg.Text((x.p0 + x.p1) / 2, y1 + 30, title, "middle", 11);
}

double DrawLegend(Svg& svg, double x, double y, double max_width,
                  const std::vector<std::pair<std::string, std::string>>& items) {
  double cx = x, cy = y;
  for (const auto& [label, color] : items) {
    const std::string text = Shorten(label, 40);
    const double w = 18 + 6.5 * static_cast<double>(text.size()) + 14;
    if (cx + w > x + max_width && cx > x) cx = x, cy += 16;
    svg.Rect(cx, cy - 9, 12, 12, color, nullptr, "#333");
    svg.Text(cx + 16, cy + 1, text, "start", 10);
    cx += w;
  }
  return cy - y + 16;
}

std::vector<EvaluationFigures> BuildFigures(const StudyData& data) {
  std::vector<EvaluationFigures> out;
  for (const EvaluationView& e : BuildStudyView(data)) {
    EvaluationFigures ef{e.name, e.metric, {}};
    if (!e.metric.empty()) {
      for (Figure& f : HeatmapFigures(e)) ef.figures.push_back(std::move(f));
      for (auto f :
           {GroupFigure(e), PositionalFigure(e), ResilienceFigure(e), DriftFigure(e), AccuracyFigure(e, data)}) {
        if (f) ef.figures.push_back(std::move(*f));
      }
    }
    out.push_back(std::move(ef));
  }
  return out;
}

}  // namespace ablate::report
