// figure_resilience.cc: the random-removal resilience curve: per model, the
// mean perplexity ratio R(model, k) when k random whole layers are skipped,
// with the min-max band over trials and every trial as a point; the table
// adds the resilience of each hybrid against each transformer,
// R(T, k) / R(H, k) (study_view.h).
#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "report/figures.h"

namespace ablate::report {
namespace {
constexpr double kLeft = 70, kTop = 24, kPlotW = 440, kPlotH = 260;
}  // namespace

std::optional<Figure> ResilienceFigure(const EvaluationView& e) {
  if (e.metric != "perplexity") return std::nullopt;
  bool any_random = false;
  const std::vector<ResilienceCurve> curves = ResilienceCurves(e, &any_random);
  if (curves.empty()) return std::nullopt;
  std::vector<double> values;
  int max_k = 1;
  for (const auto& c : curves) {
    for (const auto& [k, v] : c.ratios) {
      values.insert(values.end(), v.begin(), v.end());
      max_k = std::max(max_k, k);
    }
  }
  Figure f;
  f.kind = "resilience";
  f.title = absl::StrCat("Random-removal resilience: perplexity ratio vs layers removed (", e.name, ")");
  f.caption =
      "For each model, k random whole layers are skipped in several trials. Points: every trial; line: "
      "the mean ratio R(k); shaded band: the range (min to max) over trials. The y axis is logarithmic. "
      "A flatter curve is a more resilient model; the table gives R(transformer, k) / R(hybrid, k).";
  const double width = kLeft + kPlotW + 290, height = kTop + kPlotH + 50;
  Svg svg(width, height, f.title);
  const LogScale y = LogDomain(values, {1.0}, kTop + kPlotH, kTop);
  const LinearScale x{0, static_cast<double>(max_k) + 0.5, kLeft, kLeft + kPlotW};
  DrawLogAxisY(svg, y, kLeft, kLeft + kPlotW, "perplexity / baseline");
  DrawLinearAxisX(svg, x, kTop, kTop + kPlotH, "k: whole layers removed at random", true);
  std::vector<std::vector<std::string>> table;
  std::vector<std::pair<std::string, std::string>> legend;
  for (const ResilienceCurve& c : curves) {
    const ModelView& m = e.models[c.model];
    const std::string color = SeriesColor(c.model);
    std::vector<std::pair<double, double>> line, upper, lower;
    line.push_back({x(0), y(1.0)});
    upper.push_back({x(0), y(1.0)});
    lower.push_back({x(0), y(1.0)});
    for (const auto& [k, v] : c.ratios) {
      auto [lo, hi] = std::minmax_element(v.begin(), v.end());
      line.push_back({x(k), y(Mean(v))});
      upper.push_back({x(k), y(*hi)});
      lower.push_back({x(k), y(*lo)});
      table.push_back({m.name, absl::StrCat(k), absl::StrCat(v.size()), RatioLabel(Mean(v)),
                       absl::StrCat(RatioLabel(*lo), " - ", RatioLabel(*hi))});
    }
    std::vector<std::pair<double, double>> band = upper;
    band.insert(band.end(), lower.rbegin(), lower.rend());
    svg.Polygon(band, color, 0.15);
    svg.Polyline(line, color, 2);
    for (const auto& [k, v] : c.ratios) {
      for (size_t i = 0; i < v.size(); ++i) {
        Mark mark{"resilience-point",
                  absl::StrCat(m.name, ", k=", k, ", trial ", i, ": ", RatioLabel(v[i]), " baseline"),
                  {{"model", m.name}, {"k", absl::StrCat(k)}, {"ratio", Num(v[i])}}};
        svg.Circle(x(k) + (static_cast<double>(i % 5) - 2) * 2.5, y(v[i]), 3, color, &mark, "#fff");
        ++f.marks;
      }
    }
    legend.push_back(
        {absl::StrCat(m.name, m.family.empty() ? "" : absl::StrCat(" (", FamilyRole(m.family), ")")), color});
  }
  double ly = kTop + 10;
  for (const auto& [label, color] : legend) {
    svg.Rect(kLeft + kPlotW + 16, ly - 9, 12, 12, color, nullptr, "#333");
    svg.Text(kLeft + kPlotW + 32, ly + 1, Shorten(label, 40), "start", 10);
    ly += 18;
  }
  f.svg = svg.Finish();
  f.table_html = HtmlTable({"model", "k", "trials", "mean ratio R(k)", "min - max"}, table);
  std::vector<std::vector<std::string>> ratios;
  for (const auto& t : curves) {
    if (!IsTransformerFamily(e.models[t.model].family)) continue;
    for (const auto& h : curves) {
      const std::string& fam = e.models[h.model].family;
      if (fam.empty() || IsTransformerFamily(fam)) continue;
      for (const auto& [k, r] : ResilienceRatios(t, h)) {
        ratios.push_back({e.models[h.model].name, e.models[t.model].name, absl::StrCat(k), RatioLabel(r)});
      }
    }
  }
  if (!ratios.empty()) {
    absl::StrAppend(&f.table_html, HtmlTable({"hybrid", "vs transformer", "k", "resilience R(T,k)/R(H,k)"}, ratios));
  }
  return f;
}

}  // namespace ablate::report
