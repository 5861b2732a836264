// figure_heatmap.cc: per model, the layer sweep as a heatmap of layer x
// component ("whole layer" for skipped layers), coloured by log(ratio to the
// baseline) on one diverging scale shared by the evaluation's heatmaps, with
// the ratio written in cells wide enough and on hover.
#include <algorithm>
#include <cmath>
#include <map>

#include "absl/strings/str_cat.h"
#include "report/figures.h"

namespace ablate::report {
namespace {

constexpr double kLeft = 120, kTop = 28, kCellH = 34, kMaxPlotW = 620;

std::string RowName(const std::string& component) {
  return component == "layer" || component.empty() ? "whole layer" : component;
}

struct Cell {
  std::vector<const ResultRow*> rows;
};

void DrawColorLegend(Svg& svg, double x, double y, double max_abs_log) {
  std::vector<std::pair<double, std::string>> stops;
  for (int i = 0; i <= 10; ++i) {
    const double t = i / 10.0;
    stops.push_back({t, LogRatioColor((2 * t - 1) * max_abs_log, max_abs_log)});
  }
  svg.Gradient("heat-scale", stops);
  const double w = 240;
  svg.Text(x, y - 4, "ratio to baseline (colour: log scale; blue below, red above)", "start", 10);
  svg.Rect(x, y, w, 12, "url(#heat-scale)", nullptr, "#333");
  for (double f : {-1.0, -0.5, 0.0, 0.5, 1.0}) {
    const double px = x + (f + 1) / 2 * w;
    svg.Line(px, y + 12, px, y + 16, "#333");
    svg.Text(px, y + 27, RatioLabel(std::exp(f * max_abs_log)), "middle", 10);
  }
  svg.Rect(x + w + 20, y, 12, 12, LogRatioColor(NAN, 1), nullptr, "#333");
  svg.Text(x + w + 36, y + 10, "no value", "start", 10);
}

}  // namespace

std::vector<Figure> HeatmapFigures(const EvaluationView& e) {
  // One colour scale for every model of the evaluation.
  double max_abs_log = std::log(1.1);
  for (const ModelView& m : e.models) {
    for (const ConditionLine& l : m.lines) {
      if (l.kind != Kind::kLayerSweep) continue;
      for (const ResultRow* r : l.headline) {
        if (r->ratio > 0 && std::isfinite(r->ratio)) max_abs_log = std::max(max_abs_log, std::abs(std::log(r->ratio)));
      }
    }
  }
  std::vector<Figure> out;
  for (const ModelView& m : e.models) {
    std::vector<std::string> components;  // heatmap rows, "layer" first
    std::map<std::pair<std::string, int>, Cell> cells;
    int max_layer = -1;
    for (const ConditionLine& l : m.lines) {
      if (l.kind != Kind::kLayerSweep) continue;
      for (const ResultRow* r : l.headline) {
        const std::string c = RowName(r->component);
        if (std::find(components.begin(), components.end(), c) == components.end()) components.push_back(c);
        cells[{c, r->layer}].rows.push_back(r);
        max_layer = std::max(max_layer, r->layer);
      }
    }
    if (cells.empty()) continue;
    std::stable_partition(components.begin(), components.end(),
                          [](const std::string& c) { return c == "whole layer"; });
    const int layers = max_layer + 1;
    const double cell_w = std::max(10.0, std::min(72.0, kMaxPlotW / layers));
    const double plot_w = cell_w * layers;
    const double plot_h = kCellH * static_cast<double>(components.size());
    const double width = std::max(kLeft + plot_w + 20, 560.0);
    const double height = kTop + plot_h + 40 + 50;
    Figure f;
    f.kind = "heatmap";
    f.title = absl::StrCat(m.name, ": ", e.metric, " ratio per layer and component (", e.name, ")");
    f.caption = absl::StrCat(
        "Each cell is one layer-sweep condition: that layer (row: the component removed, or the whole "
        "layer skipped) ablated alone. Colour is log(",
        e.metric,
        " / baseline) on a scale shared by "
        "every model of this evaluation",
        e.metric == "perplexity" ? "; red = perplexity rises (the layer matters)." : ".", " Baseline ", e.metric, ": ",
        Num(m.baseline), ". Hover a cell for its value.");
    Svg svg(width, height, f.title);
    std::vector<std::vector<std::string>> table;
    for (size_t ci = 0; ci < components.size(); ++ci) {
      const double y = kTop + kCellH * static_cast<double>(ci);
      svg.Text(kLeft - 6, y + kCellH / 2 + 4, Shorten(components[ci], 18), "end", 11);
      for (int layer = 0; layer < layers; ++layer) {
        const double x = kLeft + cell_w * layer;
        auto it = cells.find({components[ci], layer});
        if (it == cells.end()) {
          svg.Rect(x, y, cell_w, kCellH, "#ffffff", nullptr, "#e0e0e0");
          continue;
        }
        const auto& rows = it->second.rows;
        const double sub_h = kCellH / static_cast<double>(rows.size());  // seeds split a cell
        for (size_t i = 0; i < rows.size(); ++i) {
          const ResultRow* r = rows[i];
          const double lr = r->ratio > 0 ? std::log(r->ratio) : NAN;
          const std::string tip = absl::StrCat(m.name, " ", r->condition, ": ", e.metric, " ", Num(r->value), ", ",
                                               RatioLabel(r->ratio), " baseline");
          Mark mark{"heatmap",
                    tip,
                    {{"model", m.name},
                     {"condition", r->condition},
                     {"layer", absl::StrCat(r->layer)},
                     {"component", components[ci]},
                     {"value", Num(r->value)},
                     {"ratio", Num(r->ratio)}}};
          svg.Rect(x, y + sub_h * i, cell_w, sub_h, LogRatioColor(lr, max_abs_log), &mark, "#ffffff");
          ++f.marks;
          if (rows.size() == 1 && cell_w >= 34) {
            svg.Text(x + cell_w / 2, y + kCellH / 2 + 4, Num(r->ratio), "middle", cell_w >= 50 ? 11 : 9, false, 0,
                     TextColorOn(lr, max_abs_log));
          }
          table.push_back({components[ci], absl::StrCat(r->layer), r->condition, Num(r->value), RatioLabel(r->ratio)});
        }
      }
    }
    const double step = std::ceil(18.0 / cell_w);
    for (int layer = 0; layer < layers; layer += static_cast<int>(step)) {
      svg.Text(kLeft + cell_w * (layer + 0.5), kTop + plot_h + 14, absl::StrCat(layer), "middle", 10);
    }
    svg.Text(kLeft + plot_w / 2, kTop + plot_h + 30, "layer", "middle", 11);
    svg.Text(kLeft, 16,
             Shorten(absl::StrCat(m.name, m.family.empty() ? "" : absl::StrCat(" (", FamilyRole(m.family), ")")), 80),
             "start", 12, true);
    DrawColorLegend(svg, kLeft, kTop + plot_h + 54, max_abs_log);
    f.svg = svg.Finish();
    f.table_html = HtmlTable({"component", "layer", "condition", e.metric, "ratio"}, table);
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace ablate::report
