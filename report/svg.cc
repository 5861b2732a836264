// svg.cc: see svg.h.
#include "report/svg.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ablate::report {
namespace {

std::string F(double v) { return absl::StrFormat("%.2f", v); }

// RdBu (ColorBrewer, 7 classes), from -1 (blue) to +1 (red).
constexpr int kStops = 7;
constexpr unsigned kRdBu[kStops] = {0x2166ac, 0x67a9cf, 0xd1e5f0, 0xf7f7f7, 0xfddbc7, 0xef8a62, 0xb2182b};

unsigned Lerp(unsigned a, unsigned b, double t) {
  unsigned out = 0;
  for (int shift = 16; shift >= 0; shift -= 8) {
    const double ca = (a >> shift) & 0xff, cb = (b >> shift) & 0xff;
    out |= static_cast<unsigned>(std::lround(ca + (cb - ca) * t)) << shift;
  }
  return out;
}

double Clamp01(double v) { return std::max(0.0, std::min(1.0, v)); }

}  // namespace

std::string EscapeXml(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') break;
        out += c;
    }
  }
  return out;
}

Svg::Svg(double width, double height, absl::string_view label) : width_(width), height_(height), label_(label) {}

void Svg::OpenMark(const char* element, const Mark* mark) {
  absl::StrAppend(&body_, "<", element);
  if (mark == nullptr) return;
  absl::StrAppend(&body_, " data-mark=\"", EscapeXml(mark->kind), "\"");
  for (const auto& [k, v] : mark->data) absl::StrAppend(&body_, " data-", EscapeXml(k), "=\"", EscapeXml(v), "\"");
}

void Svg::CloseMark(const char* element, const Mark* mark) {
  if (mark == nullptr || mark->title.empty()) {
    absl::StrAppend(&body_, "/>\n");
    return;
  }
  absl::StrAppend(&body_, "><title>", EscapeXml(mark->title), "</title></", element, ">\n");
}

void Svg::Rect(double x, double y, double w, double h, absl::string_view fill, const Mark* mark,
               absl::string_view stroke) {
  OpenMark("rect", mark);
  absl::StrAppend(&body_, " x=\"", F(x), "\" y=\"", F(y), "\" width=\"", F(std::max(0.0, w)), "\" height=\"",
                  F(std::max(0.0, h)), "\" fill=\"", EscapeXml(fill), "\"");
  if (!stroke.empty()) absl::StrAppend(&body_, " stroke=\"", EscapeXml(stroke), "\" stroke-width=\"0.5\"");
  CloseMark("rect", mark);
}

void Svg::Circle(double cx, double cy, double r, absl::string_view fill, const Mark* mark, absl::string_view stroke) {
  OpenMark("circle", mark);
  absl::StrAppend(&body_, " cx=\"", F(cx), "\" cy=\"", F(cy), "\" r=\"", F(r), "\" fill=\"", EscapeXml(fill),
                  "\" stroke=\"", EscapeXml(stroke), "\" stroke-width=\"0.8\"");
  CloseMark("circle", mark);
}

void Svg::Line(double x1, double y1, double x2, double y2, absl::string_view stroke, double width, bool dashed) {
  absl::StrAppend(&body_, "<line x1=\"", F(x1), "\" y1=\"", F(y1), "\" x2=\"", F(x2), "\" y2=\"", F(y2), "\" stroke=\"",
                  EscapeXml(stroke), "\" stroke-width=\"", F(width), "\"", dashed ? " stroke-dasharray=\"4 3\"" : "",
                  "/>\n");
}

void Svg::Polyline(const std::vector<std::pair<double, double>>& points, absl::string_view stroke, double width) {
  std::string pts;
  for (const auto& [x, y] : points) absl::StrAppend(&pts, pts.empty() ? "" : " ", F(x), ",", F(y));
  absl::StrAppend(&body_, "<polyline points=\"", pts, "\" fill=\"none\" stroke=\"", EscapeXml(stroke),
                  "\" stroke-width=\"", F(width), "\"/>\n");
}

void Svg::Polygon(const std::vector<std::pair<double, double>>& points, absl::string_view fill, double opacity) {
  std::string pts;
  for (const auto& [x, y] : points) absl::StrAppend(&pts, pts.empty() ? "" : " ", F(x), ",", F(y));
  absl::StrAppend(&body_, "<polygon points=\"", pts, "\" fill=\"", EscapeXml(fill), "\" fill-opacity=\"", F(opacity),
                  "\" stroke=\"none\"/>\n");
}

void Svg::Text(double x, double y, absl::string_view text, absl::string_view anchor, double size, bool bold,
               double rotate, absl::string_view fill) {
  absl::StrAppend(&body_, "<text x=\"", F(x), "\" y=\"", F(y), "\" text-anchor=\"", EscapeXml(anchor),
                  "\" font-size=\"", F(size), "\"", bold ? " font-weight=\"bold\"" : "");
  if (!fill.empty()) absl::StrAppend(&body_, " fill=\"", EscapeXml(fill), "\"");
  if (rotate != 0) absl::StrAppend(&body_, " transform=\"rotate(", F(rotate), " ", F(x), " ", F(y), ")\"");
  absl::StrAppend(&body_, ">", EscapeXml(text), "</text>\n");
}

void Svg::Gradient(absl::string_view id, const std::vector<std::pair<double, std::string>>& stops) {
  absl::StrAppend(&defs_, "<linearGradient id=\"", EscapeXml(id), "\" x1=\"0\" x2=\"1\" y1=\"0\" y2=\"0\">");
  for (const auto& [offset, color] : stops) {
    absl::StrAppend(&defs_, "<stop offset=\"", F(offset), "\" stop-color=\"", EscapeXml(color), "\"/>");
  }
  absl::StrAppend(&defs_, "</linearGradient>\n");
}

std::string Svg::Finish() const {
  return absl::StrCat("<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" width=\"", F(width_), "\" height=\"",
                      F(height_), "\" viewBox=\"0 0 ", F(width_), " ", F(height_), "\" aria-label=\"",
                      EscapeXml(label_), "\" font-family=\"sans-serif\">\n",
                      defs_.empty() ? "" : absl::StrCat("<defs>", defs_, "</defs>\n"), body_, "</svg>\n");
}

double LogScale::operator()(double v) const {
  if (!(v > 0)) return p0;
  const double t = (std::log10(v) - std::log10(lo)) / (std::log10(hi) - std::log10(lo));
  return p0 + (p1 - p0) * t;
}

std::vector<double> LogScale::Ticks() const {
  std::vector<double> out;
  const int e0 = static_cast<int>(std::floor(std::log10(lo)));
  const int e1 = static_cast<int>(std::ceil(std::log10(hi)));
  const bool wide = e1 - e0 > 3;
  for (int e = e0; e <= e1; ++e) {
    for (double m : {1.0, 2.0, 5.0}) {
      if (wide && m != 1.0) continue;
      const double v = m * std::pow(10.0, e);
      if (v >= lo * 0.999 && v <= hi * 1.001) out.push_back(v);
    }
  }
  if (out.size() < 2) out = {lo, hi};
  return out;
}

double LinearScale::operator()(double v) const {
  if (hi == lo) return p0;
  return p0 + (p1 - p0) * (v - lo) / (hi - lo);
}

std::vector<double> LinearScale::Ticks(int approx_count) const {
  std::vector<double> out;
  const double span = hi - lo;
  if (!(span > 0)) return {lo};
  const double raw = span / std::max(1, approx_count);
  const double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    step = m * mag;
    if (step >= raw) break;
  }
  for (double v = std::ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) {
    out.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);
  }
  return out;
}

LogScale LogDomain(const std::vector<double>& values, std::vector<double> always, double p0, double p1) {
  double lo = INFINITY, hi = -INFINITY;
  for (double v : values) {
    if (v > 0 && std::isfinite(v)) lo = std::min(lo, v), hi = std::max(hi, v);
  }
  for (double v : always) lo = std::min(lo, v), hi = std::max(hi, v);
  if (!std::isfinite(lo)) lo = 0.5, hi = 2;
  if (hi / lo < 1.5) lo /= 1.25, hi *= 1.25;
  return {lo / 1.15, hi * 1.15, p0, p1};
}

std::string LogRatioColor(double log_ratio, double max_abs_log) {
  if (std::isnan(log_ratio)) return "#bdbdbd";
  const double t = Clamp01(0.5 + 0.5 * log_ratio / std::max(max_abs_log, 1e-9));  // 0..1
  const double pos = t * (kStops - 1);
  const int i = std::min(kStops - 2, static_cast<int>(std::floor(pos)));
  return absl::StrFormat("#%06x", Lerp(kRdBu[i], kRdBu[i + 1], pos - i));
}

std::string TextColorOn(double log_ratio, double max_abs_log) {
  if (std::isnan(log_ratio)) return "#222";
  return std::abs(log_ratio) / std::max(max_abs_log, 1e-9) > 0.6 ? "#fff" : "#222";
}

std::string RatioLabel(double ratio) {
  if (std::isnan(ratio)) return "-";
  if (ratio >= 100) return absl::StrFormat("%.0fx", ratio);
  if (ratio >= 10) return absl::StrFormat("%.3gx", ratio);
  return absl::StrFormat("%.3gx", ratio);
}

const char* SeriesColor(size_t index) {
  static constexpr const char* kColors[] = {"#0072b2", "#d55e00", "#009e73", "#cc79a7",
                                            "#e69f00", "#56b4e9", "#000000", "#f0e442"};
  return kColors[index % 8];
}

}  // namespace ablate::report
