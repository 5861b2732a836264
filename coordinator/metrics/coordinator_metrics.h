// coordinator_metrics.h: the coordinator's Prometheus metrics. Event metrics
// (leases granted and lost, job completions, commit and expansion latency)
// arrive from the scheduling core through the SchedulerObserver interface;
// state metrics (jobs by state, leases, workers, throughput, per-worker tokens
// and loaded models) are read from the core at each scrape. The HTTP front end
// serves Scrape() at GET /metrics. docs/operations.md lists every metric.
//
// Label cardinality is bounded: sweep ids only for unfinished sweeps (at most
// kMaxSweepSeries), worker ids at most kMaxWorkerSeries; the rest is summed
// into an "_other" series.
//
// Thread-safety: all methods are thread-safe (scrapes are serialized).
//
//   CoordinatorMetrics metrics;            // create before the scheduler
//   options.observer = &metrics;           // SchedulerOptions
//   std::string text = metrics.Scrape(*scheduler);
#ifndef ABLATE_COORDINATOR_METRICS_COORDINATOR_METRICS_H_
#define ABLATE_COORDINATOR_METRICS_COORDINATOR_METRICS_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/synchronization/mutex.h"
#include "coordinator/metrics/registry.h"
#include "coordinator/scheduler.h"
#include "coordinator/scheduler_observer.h"

namespace ablate::coordinator::metrics {

class CoordinatorMetrics : public SchedulerObserver {
 public:
  static constexpr size_t kMaxSweepSeries = 50;
  static constexpr size_t kMaxWorkerSeries = 100;

  CoordinatorMetrics();

  // SchedulerObserver.
  void LeaseGranted(int jobs, double seconds) override;
  void JobCompleted(double seconds) override;
  void JobEnded(const char* state) override;
  void LeaseLost() override;
  void SweepExpanded(int64_t jobs, double seconds) override;
  void BatchCommitted(int operations, double seconds) override;

  // Refreshes the state metrics from `core` and renders everything.
  std::string Scrape(Scheduler& core);

  const Registry& registry() const { return registry_; }

 private:
  Registry registry_;
  absl::Mutex scrape_mu_;  // one scrape at a time (state gauges are cleared and refilled)

  // Event metrics.
  Family<Counter>* leases_granted_;
  Family<Counter>* leases_lost_;
  Family<Counter>* jobs_ended_;
  Family<Counter>* expanded_jobs_;
  Family<Histogram>* lease_latency_;
  Family<Histogram>* completion_latency_;
  Family<Histogram>* commit_latency_;
  Family<Histogram>* commit_batch_;
  Family<Histogram>* expansion_time_;
  // State metrics, refilled per scrape.
  Family<Gauge>* jobs_;
  Family<Gauge>* sweep_jobs_;
  Family<Gauge>* sweeps_active_;
  Family<Gauge>* jobs_per_second_;
  Family<Gauge>* sweep_jobs_per_second_;
  Family<Gauge>* leases_;
  Family<Gauge>* waiters_;
  Family<Gauge>* workers_alive_;
  Family<Gauge>* workers_known_;
  Family<Gauge>* worker_up_;
  Family<Gauge>* worker_leases_;
  Family<Gauge>* worker_models_;
  Family<Gauge>* worker_tokens_per_second_;
  Family<Counter>* worker_tokens_;
};

}  // namespace ablate::coordinator::metrics

#endif  // ABLATE_COORDINATOR_METRICS_COORDINATOR_METRICS_H_
