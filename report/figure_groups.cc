// figure_groups.cc: group ablations (every layer with a component removed
// together) as bars on a log axis, each with the matched random controls
// (same number of random targets: conditions labelled ".../match=<component>")
// as points beside it, per model.
#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "report/figures.h"

namespace ablate::report {
namespace {

constexpr double kLeft = 70, kTop = 30, kPlotH = 260, kColW = 64;

std::string LastSegment(const std::string& label) {
  const size_t slash = label.rfind('/');
  return slash == std::string::npos ? label : label.substr(slash + 1);
}

struct Column {
  const ModelView* model;
  const ConditionLine* group = nullptr;        // null: controls without a group
  std::vector<const ConditionLine*> controls;  // matched random lines
  std::string component;
};

}  // namespace

std::optional<Figure> GroupFigure(const EvaluationView& e) {
  std::vector<Column> columns;
  std::vector<double> values;
  for (const ModelView& m : e.models) {
    std::vector<const ConditionLine*> randoms;
    for (const ConditionLine& l : m.lines) {
      if (l.kind == Kind::kRandom && !MatchedComponent(l.label).empty()) randoms.push_back(&l);
    }
    std::vector<bool> used(randoms.size(), false);
    for (const ConditionLine& l : m.lines) {
      if (l.kind != Kind::kGroup) continue;
      Column c{
          &m, &l, {}, l.job && !l.job->condition.component.empty() ? l.job->condition.component : LastSegment(l.label)};
      for (size_t i = 0; i < randoms.size(); ++i) {
        if (MatchedComponent(randoms[i]->label) == c.component) c.controls.push_back(randoms[i]), used[i] = true;
      }
      columns.push_back(std::move(c));
    }
    for (size_t i = 0; i < randoms.size(); ++i) {
      if (!used[i]) columns.push_back(Column{&m, nullptr, {randoms[i]}, MatchedComponent(randoms[i]->label)});
    }
  }
  for (const Column& c : columns) {
    if (c.group) values.insert(values.end(), c.group->ratios.begin(), c.group->ratios.end());
    for (const ConditionLine* r : c.controls) values.insert(values.end(), r->ratios.begin(), r->ratios.end());
  }
  if (columns.empty()) return std::nullopt;
  const double plot_w = kColW * static_cast<double>(columns.size());
  const double width = std::max(kLeft + plot_w + 30, 560.0);
  const double height = kTop + kPlotH + 150;
  Figure f;
  f.kind = "groups";
  f.title = absl::StrCat("Group ablations and matched random controls: ", e.metric, " ratio (", e.name, ")");
  f.caption = absl::StrCat(
      "Bars: every layer with the component removed together (one bar per result). Points beside a bar: "
      "the matched random controls, which remove as many random targets; a bar far above its points means "
      "the component matters beyond the amount removed. The dashed line is the baseline (1x); the y axis "
      "is logarithmic.");
  Svg svg(width, height, f.title);
  const LogScale y = LogDomain(values, {1.0}, kTop + kPlotH, kTop);
  DrawLogAxisY(svg, y, kLeft, kLeft + plot_w, absl::StrCat(e.metric, " / baseline"));
  std::vector<std::vector<std::string>> table;
  const ModelView* prev = nullptr;
  double model_x0 = kLeft;
  auto close_model = [&](double x1) {
    if (prev == nullptr) return;
    svg.Line(model_x0 + 4, kTop + kPlotH + 92, x1 - 4, kTop + kPlotH + 92, "#333");
    svg.Text((model_x0 + x1) / 2, kTop + kPlotH + 106, Shorten(prev->name, static_cast<size_t>((x1 - model_x0) / 6.5)),
             "middle", 10, true);
  };
  for (size_t ci = 0; ci < columns.size(); ++ci) {
    const Column& c = columns[ci];
    const double x = kLeft + kColW * static_cast<double>(ci);
    if (c.model != prev) {
      close_model(x);
      prev = c.model, model_x0 = x;
    }
    const size_t model_index = static_cast<size_t>(c.model - e.models.data());
    const std::string color = SeriesColor(model_index);
    if (c.group) {
      const auto& rows = c.group->headline;
      const double bw = 26.0 / static_cast<double>(std::max<size_t>(1, rows.size()));
      for (size_t i = 0; i < rows.size(); ++i) {
        const ResultRow* r = rows[i];
        if (!(r->ratio > 0)) continue;
        const double top = std::min(y(r->ratio), y(1.0)), bottom = std::max(y(r->ratio), y(1.0));
        Mark mark{"group-bar",
                  absl::StrCat(c.model->name, " ", r->condition, ": ", e.metric, " ", Num(r->value), ", ",
                               RatioLabel(r->ratio), " baseline"),
                  {{"model", c.model->name}, {"condition", r->condition}, {"ratio", Num(r->ratio)}}};
        svg.Rect(x + 8 + bw * i, top, bw, std::max(1.0, bottom - top), color, &mark, "#222");
        ++f.marks;
        table.push_back({c.model->name, r->condition, "group", Num(r->value), RatioLabel(r->ratio)});
      }
    }
    int n = 0;
    for (const ConditionLine* l : c.controls) {
      for (const ResultRow* r : l->headline) {
        if (!(r->ratio > 0)) continue;
        Mark mark{"random-point",
                  absl::StrCat(c.model->name, " ", r->condition, " (random control): ", e.metric, " ", Num(r->value),
                               ", ", RatioLabel(r->ratio), " baseline"),
                  {{"model", c.model->name}, {"condition", r->condition}, {"ratio", Num(r->ratio)}}};
        svg.Circle(x + 42 + (n % 3) * 6, y(r->ratio), 3.5, "#ffffff", &mark, "#222");
        ++f.marks, ++n;
        table.push_back({c.model->name, r->condition, "random control", Num(r->value), RatioLabel(r->ratio)});
      }
    }
    svg.Text(x + kColW / 2, kTop + kPlotH + 12, Shorten(c.group ? c.group->label : c.controls[0]->label, 22), "end", 9,
             false, -40);
  }
  close_model(kLeft + plot_w);
  DrawLegend(svg, kLeft, kTop + kPlotH + 126, width - kLeft,
             {{"bar: group ablation (colour: model)", "#999999"}, {"circle: matched random control", "#ffffff"}});
  f.svg = svg.Finish();
  f.table_html = HtmlTable({"model", "condition", "role", e.metric, "ratio"}, table);
  return f;
}

}  // namespace ablate::report
