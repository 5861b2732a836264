// scheduler_state.cc: the shared state's conversions, lookups and state
// changes (SetState and the tables it keeps in step), and the store access
// every part uses. Granting leases is in lease_grant.cc, live progress in
// scheduler_progress.cc.
#include "coordinator/scheduler_state.h"

#include <algorithm>
#include <iostream>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"

namespace ablate::coordinator {

using storage::JobStore;

namespace {

std::string RandomNonce() {
  absl::BitGen gen;
  return absl::StrFormat("%08x", absl::Uniform<uint32_t>(gen));
}

}  // namespace

SchedulerState::SchedulerState(const SchedulerOptions& options, ExpandFn expand, const Clock* clock)
    : options(options), expand(std::move(expand)), clock(clock), lease_nonce(RandomNonce()) {}

absl::Status SchedulerState::ReaderCall(const std::function<absl::Status(JobStore&)>& fn) {
  absl::MutexLock lock(&reader_mu);
  return fn(*reader);
}

void SchedulerState::Commit(std::vector<Op> ops, std::function<void(absl::Status)> done) {
  committer->Submit(
      [ops = std::move(ops)](JobStore& store) -> absl::Status {
        for (const Op& op : ops) RETURN_IF_ERROR(op(store));
        return absl::OkStatus();
      },
      std::move(done));
}

// ---------------------------------------------------------------- helpers

AttemptEnd SchedulerState::AttemptEndFromOutcome(const std::string& outcome) {
  if (outcome.empty()) return AttemptEnd::kNone;
  if (outcome == "running") return AttemptEnd::kRunning;
  if (outcome == "released") return AttemptEnd::kReleased;
  if (outcome == "failed") return AttemptEnd::kFailed;
  if (outcome == "succeeded" || outcome == "cancelled") return AttemptEnd::kNone;
  return AttemptEnd::kExpired;  // expired, worker_lost, coordinator_restart
}

void SchedulerState::LoadSweepState(const storage::SweepRecord& rec, SweepState& sw) {
  sw.sweep_id = rec.sweep_id;
  sw.tenant = rec.tenant;
  sw.state = rec.state;
  sw.priority = rec.priority;
  // Submit stores >= 1 (spec defaults); a stored row is clamped the same way.
  sw.max_attempts = std::max(1, rec.max_attempts);
  sw.lease_ttl_ms = std::max<int64_t>(1, rec.lease_ttl_seconds) * 1000;  // int64: no overflow for any stored value
  sw.needs_gpu = absl::StartsWith(rec.device, "cuda");
  sw.job_count = rec.job_count;
  sw.materialized = std::min(rec.materialized_jobs, rec.job_count);
}

void SchedulerState::LoadJobEntry(const storage::JobRecord& j, JobEntry& e) {
  e.job_id = j.job_id;
  e.sweep_id = j.sweep_id;
  e.index = j.job_index;
  e.priority = j.priority;
  e.model = InternModel(j.keys.model_path);
  e.eval = InternEval(j.keys.evaluation);
  e.cancel_requested = j.cancel_requested;
  e.has_result = j.has_result;
  e.attempt = j.attempt;
  e.counted = j.counted_attempts;
  e.lost = j.lost_leases;
  e.lease_id = j.lease_id;
  e.worker_id = j.worker_id;
  e.last_error = j.last_error;
  e.finished_ms = j.finished_unix_ms;
  e.attempt_end = AttemptEndFromOutcome(j.attempt_outcome);
}

int32_t SchedulerState::InternModel(const std::string& path) {
  auto [it, inserted] = model_ids.try_emplace(path, static_cast<int32_t>(model_ids.size()));
  return it->second;
}

int32_t SchedulerState::InternEval(const std::string& name) {
  auto [it, inserted] = eval_ids.try_emplace(name, static_cast<int32_t>(eval_ids.size()));
  return it->second;
}

WorkerState& SchedulerState::TouchWorker(const std::string& worker_id, int64_t now, const auth::Caller* claimant) {
  WorkerState& w = workers[worker_id];
  if (w.worker_id.empty()) {  // implicitly registered (unknown id)
    w.worker_id = worker_id;
    if (claimant != nullptr) w.tenant = claimant->tenant;
  }
  w.last_seen_ms = now;
  w.alive = true;
  return w;
}

QueueKey SchedulerState::KeyOf(const JobEntry& e) const {
  return QueueKey{e.priority, e.sweep_id, e.index, e.job_id, e.model, e.eval};
}

TenantQueues& SchedulerState::TenantOf(const JobEntry& e) {
  auto it = sweeps.find(e.sweep_id);
  return tenants[it != sweeps.end() ? it->second.tenant : std::string(auth::kDefaultTenant)];
}

QueueIndex& SchedulerState::QueueOf(const JobEntry& e) {
  auto it = sweeps.find(e.sweep_id);
  TenantQueues& t = TenantOf(e);
  return (it != sweeps.end() && it->second.needs_gpu) ? t.gpu : t.any;
}

bool SchedulerState::AnyQueued() const {
  for (const auto& [name, t] : tenants) {
    if (t.queued() > 0) return true;
  }
  return false;
}

auth::TenantQuota SchedulerState::QuotaOf(const std::string& tenant) const {
  return auth_config ? auth_config->QuotaOf(tenant) : auth::TenantQuota{};
}

absl::Status SchedulerState::CheckWorkerOwner(const std::string& worker_id, const auth::Caller& caller) {
  absl::MutexLock lock(&owners_mu);
  auto [it, inserted] = owners.try_emplace(worker_id, caller.subject);
  if (inserted || it->second == caller.subject) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat("worker ", worker_id, " was registered by another identity"));
}

absl::Status SchedulerState::CheckLeaseOwner(const std::string& lease_worker, const auth::Caller& caller) {
  absl::MutexLock lock(&owners_mu);
  auto it = owners.find(lease_worker);
  if (it != owners.end() && it->second == caller.subject) return absl::OkStatus();
  return absl::PermissionDeniedError("the lease belongs to another worker");
}

void SchedulerState::Audit(storage::AuditRecord record) {
  if (record.unix_ms == 0) record.unix_ms = clock->NowMs();
  if (record.detail.size() > 512) record.detail.resize(512);
  // Audit rows touch no job: no order to keep with the scheduler's writes.
  committer->Submit([record](JobStore& s) { return s.InsertAudit(record); },
                    [](absl::Status s) {
                      if (!s.ok()) std::cerr << "ablate-coordinator: writing an audit row failed: " << s << "\n";
                    });
}

void SchedulerState::SetState(JobEntry& e, int state) {
  SweepState* sw = nullptr;
  if (auto it = sweeps.find(e.sweep_id); it != sweeps.end()) sw = &it->second;
  auto count = [&](int s, int delta) {
    if (sw == nullptr) return;
    switch (s) {
      case storage::kJobQueued:
        sw->counts.queued += delta;
        break;
      case storage::kJobLeased:
        sw->counts.leased += delta;
        break;
      case storage::kJobSucceeded:
        sw->counts.succeeded += delta;
        break;
      case storage::kJobFailed:
        sw->counts.failed += delta;
        break;
      case storage::kJobCancelled:
        sw->counts.cancelled += delta;
        break;
      default:
        break;
    }
  };
  const auto terminal = [](int s) {
    return s == storage::kJobSucceeded || s == storage::kJobFailed || s == storage::kJobCancelled;
  };
  if (terminal(state) && !terminal(e.state)) NoteEnded(e, state);
  // Leave the old state's tables.
  count(e.state, -1);
  if (e.state == storage::kJobQueued) {
    if (e.held_until_ms != 0) {
      held.erase({e.held_until_ms, e.job_id});
      e.held_until_ms = 0;
    } else {
      QueueOf(e).Remove(KeyOf(e));
    }
  }
  if (e.state == storage::kJobLeased) {
    expiries.erase({e.expires_ms, e.job_id});
    if (auto w = workers.find(e.worker_id); w != workers.end()) w->second.leases.erase(e.job_id);
    TenantOf(e).leased -= 1;
  }
  e.state = state;
  count(state, +1);
  if (state == storage::kJobQueued) {
    if (e.held_until_ms != 0) {
      held.insert({e.held_until_ms, e.job_id});
    } else {
      Enqueue(e);
    }
  } else {
    e.held_until_ms = 0;
  }
  if (state == storage::kJobLeased) {
    expiries.insert({e.expires_ms, e.job_id});
    workers[e.worker_id].leases.insert(e.job_id);
    TenantOf(e).leased += 1;
  }
}

void SchedulerState::ReleaseHeld(int64_t now) {
  while (!held.empty() && held.begin()->first <= now) {
    const int64_t job_id = held.begin()->second;
    held.erase(held.begin());
    auto it = jobs.find(job_id);
    if (it == jobs.end() || it->second.state != storage::kJobQueued) continue;
    it->second.held_until_ms = 0;
    Enqueue(it->second);
  }
}

void SchedulerState::Enqueue(JobEntry& e) {
  TenantQueues& t = TenantOf(e);
  if (t.queued() == 0) {
    // The tenant (re)joins the line: it gets no credit for its idle time,
    // starting level with the tenant served least among those waiting.
    double floor = -1;
    for (const auto& [name, other] : tenants) {
      if (&other != &t && other.queued() > 0 && (floor < 0 || other.vtime < floor)) {
        floor = other.vtime;
      }
    }
    if (floor > t.vtime) t.vtime = floor;
  }
  QueueOf(e).Add(KeyOf(e));
}

storage::JobStateUpdate SchedulerState::UpdateOf(const JobEntry& e) const {
  storage::JobStateUpdate u;
  u.job_id = e.job_id;
  u.state = e.state;
  u.attempt = e.attempt;
  u.counted_attempts = e.counted;
  u.lost_leases = e.lost;
  u.lease_id = e.lease_id;
  u.worker_id = e.worker_id;
  u.lease_expires_unix_ms = e.state == storage::kJobLeased ? e.expires_ms : 0;
  u.cancel_requested = e.cancel_requested;
  u.last_error = e.last_error;
  u.finished_unix_ms = e.finished_ms;
  return u;
}

void SchedulerState::MaybeFinishSweep(int64_t sweep_id, int64_t now, std::vector<Op>* ops) {
  auto it = sweeps.find(sweep_id);
  if (it == sweeps.end()) return;
  SweepState& sw = it->second;
  // Jobs not created yet count as queued; a chunk being stored will add jobs.
  if (sw.counts.queued + sw.counts.leased > 0 || sw.chunk_in_flight) return;
  // Every job is terminal: the sweep is over. Forget its jobs; later reports
  // for them are answered from the database.
  const int state = sw.state == storage::kSweepCancelled ? storage::kSweepCancelled : storage::kSweepDone;
  ops->push_back([sweep_id, state, now, counts = sw.counts](JobStore& s) {
    RETURN_IF_ERROR(s.UpdateSweepState(sweep_id, state, now));
    return s.InsertEvent(
        {now, sweep_id, 0, "", "sweep_finished",
         absl::StrCat("succeeded=", counts.succeeded, " failed=", counts.failed, " cancelled=", counts.cancelled)});
  });
  for (int64_t id : sw.job_ids) jobs.erase(id);
  sweeps.erase(it);
}

}  // namespace ablate::coordinator
