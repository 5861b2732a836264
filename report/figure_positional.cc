// figure_positional.cc: the positional gradient: for each model and
// component, the early / middle / late thirds of its layers (or named
// ranges) removed, as bars on a log axis.
#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "report/figures.h"

namespace ablate::report {
namespace {

constexpr double kLeft = 70, kTop = 30, kPlotH = 240, kColW = 36;

// "positional/linear_attention/early" -> "linear_attention/early" (the model
// and kind are already given by the figure).
std::string ShortLabel(const std::string& label) {
  const size_t slash = label.find('/');
  return slash == std::string::npos || slash + 1 == label.size() ? label : label.substr(slash + 1);
}

std::string PositionColor(const std::string& position) {
  if (position == "early") return "#a6cee3";
  if (position == "middle") return "#1f78b4";
  if (position == "late") return "#08306b";
  return "#999999";
}

}  // namespace

std::optional<Figure> PositionalFigure(const EvaluationView& e) {
  struct Column {
    size_t model;
    const ConditionLine* line;
  };
  std::vector<Column> columns;
  std::vector<double> values;
  for (size_t mi = 0; mi < e.models.size(); ++mi) {
    for (const ConditionLine& l : e.models[mi].lines) {
      if (l.kind != Kind::kPositional) continue;
      columns.push_back({mi, &l});
      values.insert(values.end(), l.ratios.begin(), l.ratios.end());
    }
  }
  if (columns.empty()) return std::nullopt;
  const double plot_w = kColW * static_cast<double>(columns.size()) + 10 * static_cast<double>(e.models.size());
  const double width = std::max(kLeft + plot_w + 30, 560.0);
  const double height = kTop + kPlotH + 160;
  Figure f;
  f.kind = "positional";
  f.title = absl::StrCat("Positional thirds: ", e.metric, " ratio (", e.name, ")");
  f.caption =
      "Each bar removes one contiguous block of a model's layers (early, middle or late third of the "
      "layers that have the component, or a named range). Bars grow from the baseline (dashed, 1x) on a "
      "logarithmic axis. Where the early third is tallest, the model depends most on its first layers.";
  Svg svg(width, height, f.title);
  const LogScale y = LogDomain(values, {1.0}, kTop + kPlotH, kTop);
  DrawLogAxisY(svg, y, kLeft, kLeft + plot_w, absl::StrCat(e.metric, " / baseline"));
  std::vector<std::vector<std::string>> table;
  double x = kLeft + 5;
  size_t prev = e.models.size();
  double model_x0 = x;
  auto close_model = [&](double x1) {
    if (prev == e.models.size()) return;
    svg.Line(model_x0, kTop + kPlotH + 104, x1 - 2, kTop + kPlotH + 104, "#333");
    svg.Text((model_x0 + x1) / 2, kTop + kPlotH + 118,
             Shorten(e.models[prev].name, static_cast<size_t>(std::max(6.0, (x1 - model_x0) / 6.0))), "middle", 10,
             true);
  };
  for (const Column& c : columns) {
    if (c.model != prev) {
      close_model(x);
      if (prev != e.models.size()) x += 10;
      prev = c.model, model_x0 = x;
    }
    const ModelView& m = e.models[c.model];
    const std::string position = c.line->job ? c.line->job->condition.position : "";
    const auto& rows = c.line->headline;
    const double bw = 22.0 / static_cast<double>(std::max<size_t>(1, rows.size()));
    for (size_t i = 0; i < rows.size(); ++i) {
      const ResultRow* r = rows[i];
      if (!(r->ratio > 0)) continue;
      const double top = std::min(y(r->ratio), y(1.0)), bottom = std::max(y(r->ratio), y(1.0));
      Mark mark{"positional-bar",
                absl::StrCat(m.name, " ", r->condition, ": ", e.metric, " ", Num(r->value), ", ", RatioLabel(r->ratio),
                             " baseline"),
                {{"model", m.name}, {"condition", r->condition}, {"ratio", Num(r->ratio)}}};
      svg.Rect(x + 4 + bw * i, top, bw, std::max(1.0, bottom - top), PositionColor(position), &mark, "#222");
      ++f.marks;
      table.push_back({m.name, r->condition, position, Num(r->value), RatioLabel(r->ratio)});
    }
    svg.Text(x + kColW / 2 + 3, kTop + kPlotH + 12, Shorten(ShortLabel(c.line->label), 24), "end", 9, false, -50);
    x += kColW;
  }
  close_model(x);
  DrawLegend(svg, kLeft, kTop + kPlotH + 138, width - kLeft,
             {{"early", PositionColor("early")},
              {"middle", PositionColor("middle")},
              {"late", PositionColor("late")},
              {"named range", PositionColor("")}});
  f.svg = svg.Finish();
  f.table_html = HtmlTable({"model", "condition", "position", e.metric, "ratio"}, table);
  return f;
}

}  // namespace ablate::report
