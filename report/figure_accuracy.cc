// figure_accuracy.cc: accuracy deltas to the baseline. With bootstrap
// (multiple choice, `bootstrap: true`) the evaluator stores acc_diff /
// acc_norm_diff with a 95 % paired-bootstrap interval in detail_json
// (ci_low, ci_high): drawn as a point with its interval. Without it
// (generation's exact_match, multiple choice without bootstrap) the delta
// is value - baseline, drawn without an interval (none is stored).
#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"
#include "report/figures.h"

namespace ablate::report {
namespace {

constexpr double kLabelW = 300, kTop = 24, kRowH = 16, kPlotW = 320;

struct Delta {
  const ResultRow* row;
  double delta;
  double lo = NAN, hi = NAN;
};

bool IsDiffMetric(const std::string& m) { return m == "acc_diff" || m == "acc_norm_diff"; }

std::string Pp(double v) { return std::isnan(v) ? "-" : absl::StrFormat("%+.1f pp", v * 100); }

}  // namespace

std::optional<Figure> AccuracyFigure(const EvaluationView& e, const StudyData& data) {
  std::vector<Delta> deltas;
  for (const ResultRow& r : data.rows) {
    if (r.evaluation != e.name || r.kind == Kind::kBaseline || !IsDiffMetric(r.metric) || std::isnan(r.value)) continue;
    Delta d{&r, r.value};
    const nlohmann::json j = nlohmann::json::parse(r.detail_json, nullptr, /*allow_exceptions=*/false);
    if (j.is_object() && j.contains("ci_low") && j["ci_low"].is_number() && j["ci_high"].is_number()) {
      d.lo = j["ci_low"].get<double>();
      d.hi = j["ci_high"].get<double>();
    }
    deltas.push_back(d);
  }
  const bool bootstrap = !deltas.empty();
  if (!bootstrap && e.metric != "perplexity") {
    for (const ModelView& m : e.models) {
      for (const ConditionLine& l : m.lines) {
        if (l.kind == Kind::kBaseline) continue;
        for (const ResultRow* r : l.headline) {
          if (!std::isnan(r->value) && !std::isnan(r->baseline)) deltas.push_back({r, r->value - r->baseline});
        }
      }
    }
  }
  if (deltas.empty()) return std::nullopt;
  std::stable_sort(deltas.begin(), deltas.end(),
                   [](const Delta& a, const Delta& b) { return a.row->job_id < b.row->job_id; });
  double lo = 0, hi = 0;
  for (const Delta& d : deltas) {
    lo = std::min({lo, d.delta, std::isnan(d.lo) ? 0.0 : d.lo});
    hi = std::max({hi, d.delta, std::isnan(d.hi) ? 0.0 : d.hi});
  }
  const double pad = std::max(0.01, (hi - lo) * 0.08);
  Figure f;
  f.kind = "accuracy";
  f.title = absl::StrCat("Accuracy change from the baseline (", e.name, ")");
  f.caption = bootstrap ? "One point per condition and metric: ablated minus baseline accuracy in percentage points, "
                          "with its 95 % paired-bootstrap interval (1000 resamples of the items). An interval that "
                          "crosses 0 is not a significant change."
                        : absl::StrCat("One point per condition: ", e.metric,
                                       " minus the baseline's, in percentage points. No interval: this evaluation "
                                       "stores none (multiple choice stores one with bootstrap: true).");
  const double height = kTop + kRowH * static_cast<double>(deltas.size()) + 50;
  const double width = kLabelW + kPlotW + 30;
  Svg svg(width, height, f.title);
  const LinearScale x{(lo - pad) * 100, (hi + pad) * 100, kLabelW, kLabelW + kPlotW};
  const double bottom = kTop + kRowH * static_cast<double>(deltas.size());
  DrawLinearAxisX(svg, x, kTop, bottom, "change in accuracy (percentage points)");
  std::vector<std::vector<std::string>> table;
  for (size_t i = 0; i < deltas.size(); ++i) {
    const Delta& d = deltas[i];
    const double cy = kTop + kRowH * (static_cast<double>(i) + 0.5);
    const std::string label =
        absl::StrCat(d.row->model, "  ", d.row->condition, bootstrap ? absl::StrCat("  ", d.row->metric) : "");
    svg.Text(kLabelW - 8, cy + 4, Shorten(label, 46), "end", 10);
    if (!std::isnan(d.lo)) {
      svg.Line(x(d.lo * 100), cy, x(d.hi * 100), cy, "#333", 1.2);
      svg.Line(x(d.lo * 100), cy - 4, x(d.lo * 100), cy + 4, "#333", 1.2);
      svg.Line(x(d.hi * 100), cy - 4, x(d.hi * 100), cy + 4, "#333", 1.2);
    }
    const bool significant = !std::isnan(d.lo) && (d.lo > 0 || d.hi < 0);
    Mark mark{
        "accuracy-delta",
        absl::StrCat(label, ": ", Pp(d.delta),
                     std::isnan(d.lo) ? "" : absl::StrCat(" [", Pp(d.lo), ", ", Pp(d.hi), "]")),
        {{"model", d.row->model}, {"condition", d.row->condition}, {"metric", d.row->metric}, {"delta", Num(d.delta)}}};
    svg.Circle(x(d.delta * 100), cy, 4, significant ? "#b2182b" : "#ffffff", &mark, "#222");
    ++f.marks;
    table.push_back({d.row->model, d.row->condition, d.row->metric, Pp(d.delta), Pp(d.lo), Pp(d.hi)});
  }
  f.svg = svg.Finish();
  f.table_html = HtmlTable({"model", "condition", "metric", "delta", "95% CI low", "95% CI high"}, table);
  return f;
}

}  // namespace ablate::report
