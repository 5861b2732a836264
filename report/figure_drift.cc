// figure_drift.cc: drift next to the ratio: for every ablation condition
// (baseline rows are the reference and left out), its mean KL(baseline ||
// ablated) and its top-1 agreement with the baseline, each against the
// headline ratio of the same job, in two panels.
#include <algorithm>
#include <cmath>
#include <map>

#include "absl/strings/str_cat.h"
#include "report/figures.h"

namespace ablate::report {
namespace {
constexpr double kLeft = 70, kTop = 24, kPanelW = 300, kPanelH = 240, kGap = 80;
}  // namespace

std::optional<Figure> DriftFigure(const EvaluationView& e) {
  struct Point {
    size_t model;
    const ResultRow* drift;
    double ratio;
  };
  std::vector<Point> kl, top1;
  std::vector<double> ratios, kls;
  for (size_t mi = 0; mi < e.models.size(); ++mi) {
    for (const ConditionLine& l : e.models[mi].lines) {
      if (l.kind == Kind::kBaseline) continue;
      std::map<int64_t, double> ratio_of;
      for (const ResultRow* r : l.headline) ratio_of[r->job_id] = r->ratio;
      auto add = [&](const std::vector<const ResultRow*>& rows, std::vector<Point>* out) {
        for (const ResultRow* r : rows) {
          auto it = ratio_of.find(r->job_id);
          if (it == ratio_of.end() || !(it->second > 0) || std::isnan(r->value)) continue;
          out->push_back({mi, r, it->second});
          ratios.push_back(it->second);
        }
      };
      add(l.kl_rows, &kl);
      add(l.top1_rows, &top1);
    }
  }
  if (kl.empty() && top1.empty()) return std::nullopt;
  for (const Point& p : kl) kls.push_back(p.drift->value);
  Figure f;
  f.kind = "drift";
  f.title = absl::StrCat("Drift from the baseline next to the ", e.metric, " ratio (", e.name, ")");
  f.caption =
      "One point per ablation condition. Left: mean KL(baseline || ablated) of the next-token "
      "distributions (log axis; 0 is drawn at the bottom edge); right: the fraction of positions where "
      "the ablated model's top-1 token equals the baseline's. Both against the ratio to the baseline "
      "(log axis). Points with a large KL but a top-1 agreement near 100 % move probability mass without "
      "changing the most likely token; a falling top-1 agreement means the ablated model predicts different tokens.";
  const double width = kLeft + 2 * kPanelW + kGap + 20, height = kTop + kPanelH + 90;
  Svg svg(width, height, f.title);
  const LogScale x1 = LogDomain(ratios, {1.0}, kLeft, kLeft + kPanelW);
  const LogScale x2 = LogDomain(ratios, {1.0}, kLeft + kPanelW + kGap, kLeft + 2 * kPanelW + kGap);
  const LogScale ykl = LogDomain(kls, {}, kTop + kPanelH, kTop);
  const LinearScale ytop{0, 1, kTop + kPanelH, kTop};
  DrawLogAxisY(svg, ykl, kLeft, kLeft + kPanelW, "KL(baseline || ablated), nats", /*ratio=*/false);
  DrawLogAxisX(svg, x1, kTop, kTop + kPanelH, absl::StrCat(e.metric, " / baseline"));
  for (double t : ytop.Ticks(5)) {
    svg.Line(x2.p0, ytop(t), x2.p1, ytop(t), "#ddd", 0.8);
    svg.Text(x2.p0 - 4, ytop(t) + 4, absl::StrCat(static_cast<int>(std::lround(t * 100)), "%"), "end", 10);
  }
  svg.Line(x2.p0, kTop, x2.p0, kTop + kPanelH, "#333");
  svg.Text(x2.p0 - 40, kTop + kPanelH / 2, "top-1 agreement", "middle", 11, false, -90);
  DrawLogAxisX(svg, x2, kTop, kTop + kPanelH, absl::StrCat(e.metric, " / baseline"));
  std::vector<std::vector<std::string>> table;
  auto draw = [&](const std::vector<Point>& points, const LogScale& x, const char* kind, bool is_kl) {
    for (const Point& p : points) {
      const ModelView& m = e.models[p.model];
      const double py = is_kl ? (p.drift->value > 0 ? ykl(p.drift->value) : ykl.p0) : ytop(p.drift->value);
      Mark mark{kind,
                absl::StrCat(m.name, " ", p.drift->condition, ": ", is_kl ? "KL " : "top-1 ", Num(p.drift->value),
                             ", ratio ", RatioLabel(p.ratio)),
                {{"model", m.name}, {"condition", p.drift->condition}, {"value", Num(p.drift->value)}}};
      svg.Circle(x(p.ratio), py, 3, SeriesColor(p.model), &mark, "#fff");
      ++f.marks;
      table.push_back(
          {m.name, p.drift->condition, is_kl ? "kl_mean" : "top1_agreement", Num(p.drift->value), RatioLabel(p.ratio)});
    }
  };
  draw(kl, x1, "drift-kl", true);
  draw(top1, x2, "drift-top1", false);
  std::vector<std::pair<std::string, std::string>> legend;
  for (size_t mi = 0; mi < e.models.size(); ++mi) legend.push_back({e.models[mi].name, SeriesColor(mi)});
  DrawLegend(svg, kLeft, kTop + kPanelH + 56, width - kLeft, legend);
  f.svg = svg.Finish();
  f.table_html = HtmlTable({"model", "condition", "metric", "value", "ratio"}, table);
  return f;
}

}  // namespace ablate::report
