// scheduler.cc: opening the coordinator core (lock, store, committer, state
// rebuilt by Recovery, threads), stopping it, and the few calls that span the
// parts (auth config, gauges, counts for tests).
#include "coordinator/scheduler.h"

#include <algorithm>
#include <utility>

#include "common/status_macros.h"
#include "common/thread_name.h"

namespace ablate::coordinator {

using storage::GroupCommitter;
using storage::JobStore;

Scheduler::Scheduler(const SchedulerOptions& options, ExpandFn expand, const Clock* clock)
    : state_(std::make_unique<SchedulerState>(options, std::move(expand), clock)),
      worker_api_(*state_),
      client_api_(*state_),
      recovery_(*state_),
      materializer_(*state_) {}

absl::StatusOr<std::unique_ptr<Scheduler>> Scheduler::Open(const SchedulerOptions& options, ExpandFn expand,
                                                           const Clock* clock) {
  std::unique_ptr<Clock> owned;
  if (clock == nullptr) {
    owned = std::make_unique<SystemClock>();
    clock = owned.get();
  }
  std::unique_ptr<Scheduler> s(new Scheduler(options, std::move(expand), clock));
  s->owned_clock_ = std::move(owned);
  ASSIGN_OR_RETURN(storage::FileLock lock, storage::FileLock::Acquire(options.db_path + ".lock"));
  s->db_lock_.emplace(std::move(lock));
  storage::DatabaseOptions writer_options;
  writer_options.synchronous_full = options.synchronous_full;
  ASSIGN_OR_RETURN(std::unique_ptr<JobStore> writer, JobStore::Open(options.db_path, writer_options));
  ASSIGN_OR_RETURN(std::unique_ptr<JobStore> reader, JobStore::Open(options.db_path));
  SchedulerState& state = *s->state_;
  {
    absl::MutexLock lock(&state.reader_mu);
    state.reader = std::move(reader);
  }
  state.committer = std::make_unique<GroupCommitter>(
      std::move(writer),
      storage::GroupCommitOptions{.max_batch = std::max(1, options.group_commit_max_batch),
                                  .max_delay = absl::Milliseconds(options.group_commit_ms),
                                  .on_batch = [obs = options.observer](int ops, absl::Duration took) {
                                    if (obs != nullptr) obs->BatchCommitted(ops, absl::ToDoubleSeconds(took));
                                  }});
  RETURN_IF_ERROR(s->recovery_.Load());
  if (options.run_maintenance_thread) {
    s->maintenance_thread_ = std::thread([p = s.get()] {
      NameThisThread("ablate-maint");
      p->recovery_.MaintenanceLoop();
    });
  }
  s->materializer_thread_ = std::thread([p = s.get()] {
    NameThisThread("ablate-expand");
    p->materializer_.Run();
  });
  return s;
}

Scheduler::~Scheduler() { Stop(); }

void Scheduler::SetAuthConfig(std::shared_ptr<const auth::AuthConfig> config) {
  SchedulerState& st = *state_;
  absl::MutexLock lock(&st.mu);
  st.auth_config = std::move(config);
  st.ServeWaiters(st.clock->NowMs());  // a raised leased_jobs quota may free work
}

SchedulerGauges Scheduler::Gauges() {
  SchedulerState& st = *state_;
  const int64_t now = st.clock->NowMs();
  SchedulerGauges g;
  absl::MutexLock lock(&st.mu);
  for (auto& [id, sw] : st.sweeps) {
    g.sweeps.push_back({id, sw.counts, sw.ended_rate.Rate(now)});
    g.leases += sw.counts.leased;
  }
  std::sort(g.sweeps.begin(), g.sweeps.end(), [](const auto& a, const auto& b) { return a.sweep_id < b.sweep_id; });
  g.waiters = static_cast<int64_t>(st.waiters.size());
  return g;
}

void Scheduler::BeginShutdown() {
  {
    absl::MutexLock lock(&state_->mu);
    state_->shutting_down = true;
  }
  recovery_.Tick();
}

void Scheduler::Stop() {
  BeginShutdown();
  state_->stopping = true;
  {
    absl::MutexLock lock(&state_->mu);
    state_->stop_thread = true;
    state_->stop_materializer = true;
  }
  if (maintenance_thread_.joinable()) maintenance_thread_.join();
  if (materializer_thread_.joinable()) materializer_thread_.join();
  if (state_->committer) state_->committer->Stop();
}

int64_t Scheduler::MaterializedJobs(int64_t sweep_id) {
  absl::MutexLock lock(&state_->mu);
  auto it = state_->sweeps.find(sweep_id);
  return it == state_->sweeps.end() ? -1 : it->second.materialized;
}

int64_t Scheduler::QueuedJobs() {
  absl::MutexLock lock(&state_->mu);
  int64_t n = 0;
  for (const auto& [name, t] : state_->tenants) n += t.queued();
  return n;
}

}  // namespace ablate::coordinator
