// svg.h: the small SVG vocabulary the report's charts are drawn with:
// escaping of user text, an SVG document builder whose data marks carry a
// hover title and data-* attributes, log / linear scales with tick labels,
// and the diverging colour scale of log ratios. Written by the project (no
// charting library): see docs/report.md for why.
//
// Every piece of text and every attribute value passes through EscapeXml,
// so a model named "<script>" stays text.
//
// Thread-compatible: an Svg is built by one thread.
//
//   Svg svg(640, 300, "perplexity ratio by group");
//   svg.Rect(10, 10, 20, 80, "#b2182b", Mark{"group-bar", "attention: 3.2x", {{"model", m}}});
//   std::string text = svg.Finish();
#ifndef ABLATE_REPORT_SVG_H_
#define ABLATE_REPORT_SVG_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"

namespace ablate::report {

// & < > " ' as entities; control characters other than tab/newline dropped.
std::string EscapeXml(absl::string_view text);

// A data mark: `kind` becomes data-mark="kind" (tests count marks by it),
// `title` the hover text (<title>), `data` more data-* attributes.
struct Mark {
  std::string kind;
  std::string title;
  std::vector<std::pair<std::string, std::string>> data;
};

class Svg {
 public:
  // `label`: the chart's accessible name (aria-label).
  Svg(double width, double height, absl::string_view label);

  double width() const { return width_; }
  double height() const { return height_; }

  // Shapes without a Mark are decoration (axes, grid, legend).
  void Rect(double x, double y, double w, double h, absl::string_view fill, const Mark* mark = nullptr,
            absl::string_view stroke = "");
  void Circle(double cx, double cy, double r, absl::string_view fill, const Mark* mark = nullptr,
              absl::string_view stroke = "#222");
  void Line(double x1, double y1, double x2, double y2, absl::string_view stroke, double width = 1,
            bool dashed = false);
  void Polyline(const std::vector<std::pair<double, double>>& points, absl::string_view stroke, double width);
  void Polygon(const std::vector<std::pair<double, double>>& points, absl::string_view fill, double opacity);
  // anchor: "start", "middle", "end"; rotate: degrees around (x, y).
  void Text(double x, double y, absl::string_view text, absl::string_view anchor = "start", double size = 11,
            bool bold = false, double rotate = 0, absl::string_view fill = "");
  // A <linearGradient> (left to right) usable as fill "url(#id)".
  void Gradient(absl::string_view id, const std::vector<std::pair<double, std::string>>& stops);

  // The <svg> element (role="img", viewBox, aria-label).
  std::string Finish() const;

 private:
  void OpenMark(const char* element, const Mark* mark);
  void CloseMark(const char* element, const Mark* mark);

  double width_, height_;
  std::string label_;
  std::string defs_;
  std::string body_;
};

// Maps values to pixels on a log10 axis. REQUIRES: 0 < lo < hi.
struct LogScale {
  double lo, hi;                      // domain
  double p0, p1;                      // pixels of lo and hi
  double operator()(double v) const;  // values <= 0 map to p0
  // 1-2-5 ticks within [lo, hi] (at least lo and hi when the range is narrow).
  std::vector<double> Ticks() const;
};

struct LinearScale {
  double lo, hi;
  double p0, p1;
  double operator()(double v) const;
  std::vector<double> Ticks(int approx_count = 5) const;
};

// A log domain covering every positive value in `values` and `always`
// (e.g. 1 for the baseline), padded a little.
LogScale LogDomain(const std::vector<double>& values, std::vector<double> always, double p0, double p1);

// Diverging colour (blue: below the baseline, white: equal, red: above) of
// log(ratio), saturated at |log ratio| >= max_abs_log. Grey for NaN.
std::string LogRatioColor(double log_ratio, double max_abs_log);
// Dark text on light cells, white on dark ones.
std::string TextColorOn(double log_ratio, double max_abs_log);

// "1.5x", "12x", "0.75x"; "-" for NaN.
std::string RatioLabel(double ratio);

// One of 8 distinct print-safe colours (Okabe-Ito), by index.
const char* SeriesColor(size_t index);

}  // namespace ablate::report

#endif  // ABLATE_REPORT_SVG_H_
