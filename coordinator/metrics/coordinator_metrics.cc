// coordinator_metrics.cc: see coordinator_metrics.h.
#include "coordinator/metrics/coordinator_metrics.h"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"

namespace ablate::coordinator::metrics {
namespace {

// Registration happens once with constant, valid names: a failure is a bug.
template <typename T>
T Must(absl::StatusOr<T> r) {
  if (!r.ok()) {
    std::fprintf(stderr, "ablate: metrics registration: %s\n", r.status().ToString().c_str());
    std::abort();
  }
  return *r;
}

std::vector<double> LatencyBounds() { return Histogram::Exponential(0.001, 2, 17); }  // 1 ms .. 65 s

std::vector<double> JobBounds() { return Histogram::Exponential(0.01, 2.5, 15); }  // 10 ms .. 4 h

constexpr std::array<std::pair<const char*, int64_t storage::JobCounts::*>, 5> kStates = {{
    {"queued", &storage::JobCounts::queued},
    {"leased", &storage::JobCounts::leased},
    {"succeeded", &storage::JobCounts::succeeded},
    {"failed", &storage::JobCounts::failed},
    {"cancelled", &storage::JobCounts::cancelled},
}};

}  // namespace

CoordinatorMetrics::CoordinatorMetrics() {
  Registry& r = registry_;
  leases_granted_ = Must(r.AddCounter("ablate_leases_granted_total", "Job leases granted to workers"));
  leases_lost_ =
      Must(r.AddCounter("ablate_leases_lost_total", "Leases lost to expiry or a lost worker (job requeued or failed)"));
  jobs_ended_ = Must(r.AddCounter("ablate_jobs_ended_total",
                                  "Jobs that reached a terminal state since the coordinator started", {"state"}));
  expanded_jobs_ =
      Must(r.AddCounter("ablate_expanded_jobs_total", "Jobs produced by sweep expansion (dry runs included)"));
  lease_latency_ = Must(r.AddHistogram("ablate_lease_latency_seconds",
                                       "Time from a LeaseJobs request's arrival to its grant (long-poll wait included)",
                                       LatencyBounds()));
  completion_latency_ = Must(r.AddHistogram("ablate_job_completion_seconds",
                                            "Time from a job's lease to its accepted completion", JobBounds()));
  commit_latency_ = Must(r.AddHistogram("ablate_commit_latency_seconds",
                                        "Duration of one group-commit SQLite transaction", LatencyBounds()));
  commit_batch_ = Must(r.AddHistogram("ablate_commit_batch_operations", "Write operations per group-commit transaction",
                                      Histogram::Exponential(1, 4, 7)));
  expansion_time_ = Must(
      r.AddHistogram("ablate_expansion_seconds", "Time to expand a submitted sweep spec into jobs", LatencyBounds()));
  jobs_ = Must(r.AddGauge("ablate_jobs", "Jobs of unfinished sweeps by state", {"state"}));
  sweep_jobs_ = Must(r.AddGauge("ablate_sweep_jobs", "Jobs of one unfinished sweep by state", {"sweep_id", "state"},
                                kMaxSweepSeries * kStates.size()));
  sweeps_active_ = Must(r.AddGauge("ablate_sweeps_active", "Unfinished sweeps"));
  jobs_per_second_ = Must(r.AddGauge("ablate_jobs_per_second", "Jobs ended per second over the last 30 s, all sweeps"));
  sweep_jobs_per_second_ =
      Must(r.AddGauge("ablate_sweep_jobs_per_second", "Jobs ended per second over the last 30 s, one sweep",
                      {"sweep_id"}, kMaxSweepSeries));
  leases_ = Must(r.AddGauge("ablate_leases", "Jobs leased to workers now"));
  waiters_ = Must(r.AddGauge("ablate_lease_waiters", "Parked LeaseJobs long polls"));
  workers_alive_ = Must(r.AddGauge("ablate_workers_alive", "Workers heard from within the timeout"));
  workers_known_ = Must(r.AddGauge("ablate_workers_known", "Workers listed by ListWorkers"));
  worker_up_ = Must(r.AddGauge("ablate_worker_up", "1 if the worker is alive", {"worker"}, kMaxWorkerSeries));
  worker_leases_ = Must(r.AddGauge("ablate_worker_leases", "Leases a worker holds", {"worker"}, kMaxWorkerSeries));
  worker_models_ = Must(r.AddGauge("ablate_worker_loaded_models", "Models resident on a worker (from heartbeats)",
                                   {"worker"}, kMaxWorkerSeries));
  worker_tokens_per_second_ = Must(r.AddGauge(
      "ablate_worker_tokens_per_second", "Tokens per second a worker reported over the last 30 s (heartbeat progress)",
      {"worker"}, kMaxWorkerSeries));
  worker_tokens_ =
      Must(r.AddCounter("ablate_worker_tokens_total", "Tokens a worker reported since the coordinator started",
                        {"worker"}, kMaxWorkerSeries));
  for (const auto& [name, field] : kStates) {
    if (std::string(name) != "queued" && std::string(name) != "leased") jobs_ended_->With({name});
  }
}

void CoordinatorMetrics::LeaseGranted(int jobs, double seconds) {
  leases_granted_->With({})->Inc(jobs);
  lease_latency_->With({})->Observe(seconds);
}

void CoordinatorMetrics::JobCompleted(double seconds) { completion_latency_->With({})->Observe(seconds); }

void CoordinatorMetrics::JobEnded(const char* state) { jobs_ended_->With({state})->Inc(); }

void CoordinatorMetrics::LeaseLost() { leases_lost_->With({})->Inc(); }

void CoordinatorMetrics::SweepExpanded(int64_t jobs, double seconds) {
  expanded_jobs_->With({})->Inc(static_cast<double>(jobs));
  expansion_time_->With({})->Observe(seconds);
}

void CoordinatorMetrics::BatchCommitted(int operations, double seconds) {
  commit_latency_->With({})->Observe(seconds);
  commit_batch_->With({})->Observe(operations);
}

std::string CoordinatorMetrics::Scrape(Scheduler& core) {
  absl::MutexLock lock(&scrape_mu_);
  const SchedulerGauges g = core.Gauges();
  const v1::ListWorkersResponse workers = core.ListWorkers();

  for (auto* f : {jobs_, sweep_jobs_, sweep_jobs_per_second_, worker_up_, worker_leases_, worker_models_,
                  worker_tokens_per_second_}) {
    f->Clear();
  }
  worker_tokens_->Clear();
  double rate = 0;
  for (const auto& [name, field] : kStates) jobs_->With({name})->Set(0);
  for (const SchedulerGauges::Sweep& s : g.sweeps) {
    const std::string id = absl::StrCat(s.sweep_id);
    for (const auto& [name, field] : kStates) {
      const double n = static_cast<double>(s.counts.*field);
      jobs_->With({name})->Add(n);
      sweep_jobs_->With({id, name})->Add(n);  // overflowing sweeps sum into "_other"
    }
    sweep_jobs_per_second_->With({id})->Add(s.jobs_per_second);
    rate += s.jobs_per_second;
  }
  sweeps_active_->With({})->Set(static_cast<double>(g.sweeps.size()));
  jobs_per_second_->With({})->Set(rate);
  leases_->With({})->Set(static_cast<double>(g.leases));
  waiters_->With({})->Set(static_cast<double>(g.waiters));

  int alive = 0;
  for (const v1::WorkerStatus& w : workers.workers()) {
    alive += w.alive() ? 1 : 0;
    worker_up_->With({w.worker_id()})->Add(w.alive() ? 1 : 0);
    worker_leases_->With({w.worker_id()})->Add(w.active_leases());
    worker_models_->With({w.worker_id()})->Add(w.loaded_models_size());
    worker_tokens_per_second_->With({w.worker_id()})->Add(w.tokens_per_second());
    worker_tokens_->With({w.worker_id()})->Inc(static_cast<double>(w.tokens_done()));
  }
  workers_alive_->With({})->Set(alive);
  workers_known_->With({})->Set(workers.workers_size());
  return registry_.Render();
}

}  // namespace ablate::coordinator::metrics
