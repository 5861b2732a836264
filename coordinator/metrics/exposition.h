// exposition.h: the Prometheus text exposition format (version 0.0.4), the
// pieces metric families are written with: names, escaping, sample lines.
// https://prometheus.io/docs/instrumenting/exposition_formats/
//
// Thread-safe: pure functions.
//
//   AppendSample("ablate_jobs", {"state"}, {"queued"}, "", 12, &out);
//   // ablate_jobs{state="queued"} 12\n
#ifndef ABLATE_COORDINATOR_METRICS_EXPOSITION_H_
#define ABLATE_COORDINATOR_METRICS_EXPOSITION_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace ablate::coordinator::metrics {

// The Content-Type of the format.
inline constexpr absl::string_view kExpositionContentType = "text/plain; version=0.0.4; charset=utf-8";

// [a-zA-Z_:][a-zA-Z0-9_:]*
bool ValidMetricName(absl::string_view name);
// [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__" (reserved).
bool ValidLabelName(absl::string_view name);

// A sample value: integers without a fraction, "+Inf", "-Inf", "NaN".
std::string FormatValue(double v);
// Label values: backslash, double quote and newline escaped.
std::string EscapeLabelValue(absl::string_view v);
// HELP text: backslash and newline escaped.
std::string EscapeHelp(absl::string_view v);

// "# HELP name help\n# TYPE name type\n".
void AppendHeader(absl::string_view name, absl::string_view help, absl::string_view type, std::string* out);
// name{labels...,extra} value\n. `extra` is one more pre-formatted label
// (e.g. le="0.5"), or empty. names and values have the same size.
void AppendSample(absl::string_view name, const std::vector<std::string>& label_names,
                  const std::vector<std::string>& label_values, absl::string_view extra, double value,
                  std::string* out);

}  // namespace ablate::coordinator::metrics

#endif  // ABLATE_COORDINATOR_METRICS_EXPOSITION_H_
