// figures.h: the report's figures, built from the study view (one builder
// per figure kind, each in its own file) as inline SVG plus an accessible
// HTML table of every plotted value. Every data mark carries
// data-mark="<kind>" and a hover <title>; docs/report.md lists, per kind,
// which result rows become marks (one mark per row).
//
// Pure functions of the StudyData (no I/O). Thread-compatible.
//
//   for (const EvaluationFigures& e : BuildFigures(data)) for (const Figure& f : e.figures) ...
#ifndef ABLATE_REPORT_FIGURES_H_
#define ABLATE_REPORT_FIGURES_H_

#include <optional>
#include <string>
#include <vector>

#include "report/study_data.h"
#include "report/study_view.h"
#include "report/svg.h"

namespace ablate::report {

struct Figure {
  std::string kind;        // "heatmap", "groups", "positional", "resilience", "drift", "accuracy"
  std::string title;       // plain text (escaped when written)
  std::string caption;     // how to read it, plain text
  std::string svg;         // an <svg> element
  std::string table_html;  // a <table> with every plotted value
  int marks = 0;           // data marks in svg
};

struct EvaluationFigures {
  std::string evaluation;
  std::string metric;  // headline metric; "" when the evaluation has none
  std::vector<Figure> figures;
};

// Every figure of every evaluation, in the order of the study view.
std::vector<EvaluationFigures> BuildFigures(const StudyData& data);

// ---- one builder per kind (figure_<kind>.cc) ----

// One heatmap per model with layer_sweep results: layer x component, coloured
// by log ratio on a scale shared by the evaluation's heatmaps.
std::vector<Figure> HeatmapFigures(const EvaluationView& e);
// Group ablations as bars (log axis) with their matched random controls as points.
std::optional<Figure> GroupFigure(const EvaluationView& e);
// Positional thirds (early / middle / late) per model and component.
std::optional<Figure> PositionalFigure(const EvaluationView& e);
// Mean ratio vs k removed layers per model, with the min-max band (perplexity only).
std::optional<Figure> ResilienceFigure(const EvaluationView& e);
// KL and top-1 agreement against the ratio, one point per condition row.
std::optional<Figure> DriftFigure(const EvaluationView& e);
// Accuracy deltas with bootstrap CIs (acc_diff, acc_norm_diff), or plain
// deltas to the baseline for accuracy metrics without bootstrap.
std::optional<Figure> AccuracyFigure(const EvaluationView& e, const StudyData& data);

// ---- shared drawing helpers (figure_common.cc) ----

// A <table> with a header row; every cell escaped.
std::string HtmlTable(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);
// Horizontal grid lines and labels of a log y axis between x0 and x1, with the axis title.
// `ratio`: tick labels "2x" and a dashed baseline at 1x; else plain numbers.
void DrawLogAxisY(Svg& svg, const LogScale& y, double x0, double x1, const std::string& title, bool ratio = true);
void DrawLinearAxisY(Svg& svg, const LinearScale& y, double x0, double x1, const std::string& title,
                     bool percent = false);
// Vertical grid lines and labels of an x axis between y0 (top) and y1 (bottom).
void DrawLogAxisX(Svg& svg, const LogScale& x, double y0, double y1, const std::string& title);
void DrawLinearAxisX(Svg& svg, const LinearScale& x, double y0, double y1, const std::string& title,
                     bool integers = false);
// A row of coloured swatches with labels starting at (x, y); returns its height.
double DrawLegend(Svg& svg, double x, double y, double max_width,
                  const std::vector<std::pair<std::string, std::string>>& items);
// Shortens text to at most n characters ("...").
std::string Shorten(const std::string& text, size_t n);

}  // namespace ablate::report

#endif  // ABLATE_REPORT_FIGURES_H_
