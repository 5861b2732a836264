// histogram.cc: see histogram.h.
#include "coordinator/metrics/histogram.h"

#include <algorithm>
#include <cmath>

namespace ablate::coordinator::metrics {
namespace {

std::vector<double> CleanBounds(const std::vector<double>& in) {
  std::vector<double> out;
  for (double b : in) {
    if (std::isfinite(b) && (out.empty() || b > out.back())) out.push_back(b);
  }
  return out;
}

}  // namespace

Histogram::Histogram(const std::vector<double>& bounds) : bounds_(CleanBounds(bounds)), buckets_(bounds_.size(), 0) {}

void Histogram::Observe(double value) {
  if (std::isnan(value)) return;
  const size_t i = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  absl::MutexLock lock(&mu_);
  if (i < buckets_.size()) ++buckets_[i];
  ++count_;
  sum_ += value;
}

Histogram::Data Histogram::Snapshot() const {
  Data d;
  d.bounds = bounds_;
  absl::MutexLock lock(&mu_);
  uint64_t running = 0;
  d.cumulative.reserve(buckets_.size());
  for (uint64_t b : buckets_) d.cumulative.push_back(running += b);
  d.count = count_;
  d.sum = sum_;
  return d;
}

std::vector<double> Histogram::Exponential(double start, double factor, int count) {
  std::vector<double> out;
  double v = start;
  for (int i = 0; i < count; ++i, v *= factor) out.push_back(v);
  return out;
}

}  // namespace ablate::coordinator::metrics
