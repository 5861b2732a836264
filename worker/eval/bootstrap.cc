// bootstrap.cc: see bootstrap.h.
#include "worker/eval/bootstrap.h"

#include <algorithm>
#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace ablate::eval {

uint64_t SplitMix64::Next() {
  uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

uint64_t SplitMix64::Below(uint64_t n) {
  // Reject the top partial block so every residue is equally likely.
  const uint64_t limit = ~0ULL - (~0ULL % n);
  uint64_t x;
  do {
    x = Next();
  } while (x >= limit);
  return x % n;
}

double Percentile(const std::vector<double>& sorted, double q) {
  const double pos = q / 100.0 * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  const double frac = pos - static_cast<double>(lo);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
}

absl::StatusOr<BootstrapInterval> PairedBootstrap(const std::vector<double>& ablated,
                                                  const std::vector<double>& baseline,
                                                  const BootstrapOptions& options) {
  if (ablated.size() != baseline.size() || ablated.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("paired bootstrap needs equal, non-empty samples; got ",
                                                   ablated.size(), " and ", baseline.size(), " items"));
  }
  if (options.resamples < 1 || !(options.confidence > 0.0 && options.confidence < 1.0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad bootstrap options: resamples ", options.resamples, ", confidence ", options.confidence));
  }
  const size_t n = ablated.size();
  std::vector<double> delta(n);
  double sum_a = 0.0, sum_b = 0.0;
  for (size_t i = 0; i < n; ++i) {
    delta[i] = ablated[i] - baseline[i];
    sum_a += ablated[i];
    sum_b += baseline[i];
  }
  SplitMix64 rng(options.seed);
  std::vector<double> diffs(options.resamples);
  for (int32_t r = 0; r < options.resamples; ++r) {
    double s = 0.0;
    for (size_t i = 0; i < n; ++i) s += delta[rng.Below(n)];
    diffs[r] = s / static_cast<double>(n);
  }
  std::sort(diffs.begin(), diffs.end());
  const double tail = (1.0 - options.confidence) / 2.0 * 100.0;
  BootstrapInterval out;
  out.ablated = sum_a / static_cast<double>(n);
  out.baseline = sum_b / static_cast<double>(n);
  out.diff = out.ablated - out.baseline;
  out.low = Percentile(diffs, tail);
  out.high = Percentile(diffs, 100.0 - tail);
  out.resamples = options.resamples;
  return out;
}

}  // namespace ablate::eval
