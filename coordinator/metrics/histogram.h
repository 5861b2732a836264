// histogram.h: a Prometheus histogram: observations counted into fixed
// upper-bound buckets, plus their count and sum. One series of a family.
// Bucket bounds are sorted and finite; +Inf is implicit.
//
// Thread-safe: Observe and Snapshot may be called from any thread (a mutex;
// an observation is a few dozen nanoseconds).
//
//   Histogram h({0.01, 0.1, 1});  h.Observe(0.05);
//   Histogram::Data d = h.Snapshot();  // d.cumulative = {0, 1, 1}, d.count = 1
#ifndef ABLATE_COORDINATOR_METRICS_HISTOGRAM_H_
#define ABLATE_COORDINATOR_METRICS_HISTOGRAM_H_

#include <cstdint>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace ablate::coordinator::metrics {

class Histogram {
 public:
  struct Data {
    std::vector<double> bounds;        // upper bounds, ascending, without +Inf
    std::vector<uint64_t> cumulative;  // observations <= bounds[i]
    uint64_t count = 0;                // all observations (the +Inf bucket)
    double sum = 0;
  };

  // Bounds that are not finite or not strictly ascending are dropped.
  explicit Histogram(const std::vector<double>& bounds);

  // NaN is ignored.
  void Observe(double value);
  Data Snapshot() const;

  // Bounds start, start*factor, ... (count of them).
  static std::vector<double> Exponential(double start, double factor, int count);

 private:
  const std::vector<double> bounds_;
  mutable absl::Mutex mu_;
  std::vector<uint64_t> buckets_ ABSL_GUARDED_BY(mu_);  // per bucket, not cumulative
  uint64_t count_ ABSL_GUARDED_BY(mu_) = 0;
  double sum_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace ablate::coordinator::metrics

#endif  // ABLATE_COORDINATOR_METRICS_HISTOGRAM_H_
