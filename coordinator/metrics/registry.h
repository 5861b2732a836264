// registry.h: the coordinator's metrics: a set of metric families, rendered
// together in the Prometheus text format for GET /metrics. Families are
// registered once at start-up and live as long as the registry.
//
// Thread-safe: every method may be called from any thread; Render() sees each
// series at one instant (not all series at the same instant).
//
//   Registry r;
//   Family<Counter>* leases = r.AddCounter("ablate_leases_total", "Jobs leased");
//   leases->With({})->Inc();
//   std::string text = r.Render();
#ifndef ABLATE_COORDINATOR_METRICS_REGISTRY_H_
#define ABLATE_COORDINATOR_METRICS_REGISTRY_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "coordinator/metrics/counter.h"
#include "coordinator/metrics/family.h"
#include "coordinator/metrics/gauge.h"
#include "coordinator/metrics/histogram.h"

namespace ablate::coordinator::metrics {

class Registry {
 public:
  static constexpr size_t kDefaultMaxSeries = 200;

  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // InvalidArgument for a bad metric or label name ("le" is reserved for
  // histograms); AlreadyExists for a name used twice. The family is owned by
  // the registry.
  absl::StatusOr<Family<Counter>*> AddCounter(const std::string& name, const std::string& help,
                                              std::vector<std::string> labels = {},
                                              size_t max_series = kDefaultMaxSeries);
  absl::StatusOr<Family<Gauge>*> AddGauge(const std::string& name, const std::string& help,
                                          std::vector<std::string> labels = {}, size_t max_series = kDefaultMaxSeries);
  absl::StatusOr<Family<Histogram>*> AddHistogram(const std::string& name, const std::string& help,
                                                  std::vector<double> bounds, std::vector<std::string> labels = {},
                                                  size_t max_series = kDefaultMaxSeries);

  // Every family in registration order, in the text exposition format.
  std::string Render() const;

 private:
  absl::Status CheckNew(const std::string& name, const std::vector<std::string>& labels)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  absl::flat_hash_set<std::string> names_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<Family<Counter>>> counters_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<Family<Gauge>>> gauges_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<Family<Histogram>>> histograms_ ABSL_GUARDED_BY(mu_);
  // Renders each family, in registration order (they point into the vectors above).
  std::vector<std::function<void(std::string*)>> renderers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace ablate::coordinator::metrics

#endif  // ABLATE_COORDINATOR_METRICS_REGISTRY_H_
