// scheduler_progress.cc: the shared state's live progress: what workers report
// in heartbeats (fraction, items, tokens) per leased job and per worker, the
// per-sweep completion rate and ETA.
// Progress lives in memory only: it is rewritten every heartbeat interval, so
// storing it would cost a write per job every few seconds; after a coordinator
// restart the next heartbeat (which re-claims the lease) restores it.
#include <algorithm>
#include <cmath>

#include "coordinator/scheduler_state.h"

namespace ablate::coordinator {

void SchedulerState::RecordProgress(WorkerState& worker, JobEntry& e, const v1::LeaseProgress& p, int64_t now) {
  v1::JobProgress& g = e.progress;
  // Workers are not trusted to be sane: clamp what they send.
  const double fraction = std::isfinite(p.fraction()) ? std::clamp(p.fraction(), 0.0, 1.0) : 0.0;
  const int64_t tokens = std::max<int64_t>(0, p.tokens_done());
  if (g.attempt() != e.attempt) {
    g.Clear();
    g.set_attempt(e.attempt);
  }
  // tokens_done is cumulative per attempt: the worker's counter grows by the delta.
  const int64_t delta = tokens - g.tokens_done();
  if (delta > 0) {
    worker.tokens_done += delta;
    worker.token_rate.Add(now, static_cast<double>(delta));
  }
  g.set_fraction(fraction);
  g.set_message(p.message().substr(0, 200));
  g.set_items_done(std::max<int64_t>(0, p.items_done()));
  g.set_items_total(std::max<int64_t>(0, p.items_total()));
  g.set_tokens_done(std::max(tokens, g.tokens_done()));
  g.set_updated_unix_ms(now);
}

v1::JobProgress SchedulerState::ProgressOf(const JobEntry& e) const {
  v1::JobProgress p;
  if (e.progress.attempt() == e.attempt) p = e.progress;
  p.set_job_id(e.job_id);
  p.set_sweep_id(e.sweep_id);
  p.set_worker_id(e.worker_id);
  p.set_attempt(e.attempt);
  p.set_leased_unix_ms(e.leased_ms);
  return p;
}

LiveProgress SchedulerState::LiveProgressOf(SweepState& sw, int64_t now, v1::SweepInfo* info) {
  const double rate = sw.ended_rate.Rate(now);
  double running = 0;
  for (const auto& [id, w] : workers) {
    for (int64_t job_id : w.leases) {
      auto it = jobs.find(job_id);
      if (it == jobs.end() || it->second.sweep_id != sw.sweep_id) continue;
      v1::JobProgress p = ProgressOf(it->second);
      running += p.fraction();
      if (info != nullptr) *info->add_running() = std::move(p);
    }
  }
  const storage::JobCounts& c = sw.counts;
  const double left = std::max(0.0, static_cast<double>(c.queued + c.leased) - running);
  int64_t eta_ms = -1;
  if (c.queued + c.leased == 0) {
    eta_ms = 0;
  } else if (rate > 0) {
    eta_ms = static_cast<int64_t>(std::llround(1000.0 * left / rate));
  }
  if (info != nullptr) {
    info->set_jobs_per_second(rate);
    info->set_eta_ms(eta_ms);
  }
  return {rate, eta_ms, running};
}

void SchedulerState::NoteEnded(JobEntry& e, int state) {
  if (auto it = sweeps.find(e.sweep_id); it != sweeps.end()) {
    it->second.ended_rate.Add(clock->NowMs(), 1);
  }
  if (options.observer == nullptr) return;
  options.observer->JobEnded(state == storage::kJobSucceeded ? "succeeded"
                             : state == storage::kJobFailed  ? "failed"
                                                             : "cancelled");
}

}  // namespace ablate::coordinator
