// exposition.cc: see exposition.h.
#include "coordinator/metrics/exposition.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace ablate::coordinator::metrics {
namespace {

bool NameChars(absl::string_view s, bool allow_colon) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool ok = absl::ascii_isalpha(static_cast<unsigned char>(c)) || c == '_' || (allow_colon && c == ':') ||
                    (i > 0 && absl::ascii_isdigit(static_cast<unsigned char>(c)));
    if (!ok) return false;
  }
  return true;
}

std::string Escape(absl::string_view v, bool quotes) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (quotes && c == '"') {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

bool ValidMetricName(absl::string_view name) { return NameChars(name, /*allow_colon=*/true); }

bool ValidLabelName(absl::string_view name) {
  return NameChars(name, /*allow_colon=*/false) && !absl::StartsWith(name, "__");
}

std::string FormatValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 1e15) return absl::StrCat(static_cast<int64_t>(v));
  // The shortest form that reads back as the same double.
  char buf[32];
  for (int precision : {15, 16, 17}) {
    std::snprintf(buf, sizeof(buf), "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

std::string EscapeLabelValue(absl::string_view v) { return Escape(v, /*quotes=*/true); }

std::string EscapeHelp(absl::string_view v) { return Escape(v, /*quotes=*/false); }

void AppendHeader(absl::string_view name, absl::string_view help, absl::string_view type, std::string* out) {
  absl::StrAppend(out, "# HELP ", name, " ", EscapeHelp(help), "\n# TYPE ", name, " ", type, "\n");
}

void AppendSample(absl::string_view name, const std::vector<std::string>& label_names,
                  const std::vector<std::string>& label_values, absl::string_view extra, double value,
                  std::string* out) {
  absl::StrAppend(out, name);
  const size_t n = std::min(label_names.size(), label_values.size());
  if (n > 0 || !extra.empty()) {
    out->push_back('{');
    for (size_t i = 0; i < n; ++i) {
      if (i > 0) out->push_back(',');
      absl::StrAppend(out, label_names[i], "=\"", EscapeLabelValue(label_values[i]), "\"");
    }
    if (!extra.empty()) absl::StrAppend(out, n > 0 ? "," : "", extra);
    out->push_back('}');
  }
  absl::StrAppend(out, " ", FormatValue(value), "\n");
}

}  // namespace ablate::coordinator::metrics
