// gauge.h: a Prometheus gauge: a double that is set, or moved up and down.
// One series of a metric family.
//
// Thread-safe: every method may be called from any thread (lock-free).
//
//   Gauge g;  g.Set(4);  g.Add(-1);  g.value();  // 3
#ifndef ABLATE_COORDINATOR_METRICS_GAUGE_H_
#define ABLATE_COORDINATOR_METRICS_GAUGE_H_

#include <atomic>

namespace ablate::coordinator::metrics {

class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double amount) {
    double cur = value_.load(std::memory_order_relaxed);
    while (!value_.compare_exchange_weak(cur, cur + amount, std::memory_order_relaxed)) {
    }
  }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

}  // namespace ablate::coordinator::metrics

#endif  // ABLATE_COORDINATOR_METRICS_GAUGE_H_
