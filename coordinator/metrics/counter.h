// counter.h: a Prometheus counter: a double that only goes up (Inc with a
// negative amount is ignored). One series of a metric family.
//
// Thread-safe: Inc and value may be called from any thread (lock-free).
//
//   Counter c;  c.Inc();  c.Inc(2.5);  c.value();  // 3.5
#ifndef ABLATE_COORDINATOR_METRICS_COUNTER_H_
#define ABLATE_COORDINATOR_METRICS_COUNTER_H_

#include <atomic>

namespace ablate::coordinator::metrics {

class Counter {
 public:
  void Inc(double amount = 1.0) {
    if (!(amount > 0)) return;  // also drops NaN
    double cur = value_.load(std::memory_order_relaxed);
    while (!value_.compare_exchange_weak(cur, cur + amount, std::memory_order_relaxed)) {
    }
  }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

}  // namespace ablate::coordinator::metrics

#endif  // ABLATE_COORDINATOR_METRICS_COUNTER_H_
