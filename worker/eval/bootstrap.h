// bootstrap.h: paired bootstrap confidence intervals for the difference of a
// per-item score (e.g. 0/1 correctness) between an ablated run and the
// baseline on the same items. Resampling uses SplitMix64 (written out here,
// so the interval is identical on every platform and library version).
// Percentiles use linear interpolation (numpy.percentile's default).
// Thread-safety: pure functions; SplitMix64 objects are not shared.
//
//   BootstrapInterval ci = PairedBootstrap(ablated_acc, baseline_acc, {.seed = 7});
//   ci.low <= ci.diff <= ci.high  (usually)
#ifndef ABLATE_WORKER_EVAL_BOOTSTRAP_H_
#define ABLATE_WORKER_EVAL_BOOTSTRAP_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"

namespace ablate::eval {

// Steele, Lea & Flood's SplitMix64 (the reference constants).
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next();
  // Uniform in [0, n) without modulo bias (rejection). REQUIRES: n > 0.
  uint64_t Below(uint64_t n);

 private:
  uint64_t state_;
};

struct BootstrapOptions {
  int32_t resamples = 1000;  // number of paired resamples
  uint64_t seed = 0;         // SplitMix64 seed
  double confidence = 0.95;  // two-sided interval
};

struct BootstrapInterval {
  double ablated = 0.0;   // mean of the ablated scores
  double baseline = 0.0;  // mean of the baseline scores
  double diff = 0.0;      // ablated - baseline on the full sample
  double low = 0.0;       // percentile interval of the resampled differences
  double high = 0.0;
  int32_t resamples = 0;
};

// InvalidArgument if the vectors differ in size, are empty, or options are out of range.
absl::StatusOr<BootstrapInterval> PairedBootstrap(const std::vector<double>& ablated,
                                                  const std::vector<double>& baseline,
                                                  const BootstrapOptions& options = {});

// numpy.percentile(values, q) with linear interpolation; q in [0, 100]. REQUIRES: sorted, non-empty.
double Percentile(const std::vector<double>& sorted, double q);

}  // namespace ablate::eval

#endif  // ABLATE_WORKER_EVAL_BOOTSTRAP_H_
