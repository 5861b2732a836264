// registry.cc: see registry.h.
#include "coordinator/metrics/registry.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "coordinator/metrics/exposition.h"

namespace ablate::coordinator::metrics {
namespace {

template <typename M>
void AppendScalarFamily(const Family<M>& f, const char* type, std::string* out) {
  AppendHeader(f.name(), f.help(), type, out);
  for (const auto& [values, series] : f.Series()) {
    AppendSample(f.name(), f.label_names(), values, "", series->value(), out);
  }
}

void AppendHistogramFamily(const Family<Histogram>& f, std::string* out) {
  AppendHeader(f.name(), f.help(), "histogram", out);
  const std::string bucket = absl::StrCat(f.name(), "_bucket");
  for (const auto& [values, series] : f.Series()) {
    const Histogram::Data d = series->Snapshot();
    for (size_t i = 0; i < d.bounds.size(); ++i) {
      AppendSample(bucket, f.label_names(), values, absl::StrCat("le=\"", FormatValue(d.bounds[i]), "\""),
                   static_cast<double>(d.cumulative[i]), out);
    }
    AppendSample(bucket, f.label_names(), values, "le=\"+Inf\"", static_cast<double>(d.count), out);
    AppendSample(absl::StrCat(f.name(), "_sum"), f.label_names(), values, "", d.sum, out);
    AppendSample(absl::StrCat(f.name(), "_count"), f.label_names(), values, "", static_cast<double>(d.count), out);
  }
}

}  // namespace

absl::Status Registry::CheckNew(const std::string& name, const std::vector<std::string>& labels) {
  if (!ValidMetricName(name)) {
    return absl::InvalidArgumentError(absl::StrCat("metric name '", name, "' is not valid"));
  }
  for (const std::string& l : labels) {
    if (!ValidLabelName(l) || l == "le") {
      return absl::InvalidArgumentError(absl::StrCat("label name '", l, "' of ", name, " is not valid"));
    }
  }
  if (!names_.insert(name).second) {
    return absl::AlreadyExistsError(absl::StrCat("metric '", name, "' registered twice"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Family<Counter>*> Registry::AddCounter(const std::string& name, const std::string& help,
                                                      std::vector<std::string> labels, size_t max_series) {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = CheckNew(name, labels); !s.ok()) return s;
  counters_.push_back(std::make_unique<Family<Counter>>(name, help, std::move(labels), max_series,
                                                        [] { return std::make_shared<Counter>(); }));
  Family<Counter>* f = counters_.back().get();
  renderers_.push_back([f](std::string* out) { AppendScalarFamily(*f, "counter", out); });
  return f;
}

absl::StatusOr<Family<Gauge>*> Registry::AddGauge(const std::string& name, const std::string& help,
                                                  std::vector<std::string> labels, size_t max_series) {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = CheckNew(name, labels); !s.ok()) return s;
  gauges_.push_back(std::make_unique<Family<Gauge>>(name, help, std::move(labels), max_series,
                                                    [] { return std::make_shared<Gauge>(); }));
  Family<Gauge>* f = gauges_.back().get();
  renderers_.push_back([f](std::string* out) { AppendScalarFamily(*f, "gauge", out); });
  return f;
}

absl::StatusOr<Family<Histogram>*> Registry::AddHistogram(const std::string& name, const std::string& help,
                                                          std::vector<double> bounds, std::vector<std::string> labels,
                                                          size_t max_series) {
  absl::MutexLock lock(&mu_);
  if (absl::Status s = CheckNew(name, labels); !s.ok()) return s;
  histograms_.push_back(std::make_unique<Family<Histogram>>(
      name, help, std::move(labels), max_series,
      [bounds = std::move(bounds)] { return std::make_shared<Histogram>(bounds); }));
  Family<Histogram>* f = histograms_.back().get();
  renderers_.push_back([f](std::string* out) { AppendHistogramFamily(*f, out); });
  return f;
}

std::string Registry::Render() const {
  std::vector<std::function<void(std::string*)>> renderers;
  {
    absl::MutexLock lock(&mu_);
    renderers = renderers_;
  }
  std::string out;
  for (const auto& r : renderers) r(&out);
  return out;
}

}  // namespace ablate::coordinator::metrics
