// scheduler_maintenance.cc: the coordinator core's recovery and upkeep:
// rebuilding the in-memory state from SQLite on start (requeueing the leases
// of a dead process), lost leases (expiry, lost workers), long-poll timeouts,
// the maintenance thread and shutdown.
#include <algorithm>
#include <iostream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/status_macros.h"
#include "coordinator/scheduler.h"
#include "coordinator/scheduler_convert.h"

namespace ablate::coordinator {

using storage::JobStore;
using Op = storage::GroupCommitter::Op;

// ---------------------------------------------------------------- loading

absl::Status Scheduler::Load() {
  std::vector<storage::SweepRecord> sweeps;
  std::vector<storage::WorkerRecord> workers;
  std::vector<std::vector<storage::JobRecord>> jobs_by_sweep;
  std::vector<std::pair<std::string, int64_t>> result_bytes;
  RETURN_IF_ERROR(ReaderCall([&](JobStore& store) -> absl::Status {
    ASSIGN_OR_RETURN(sweeps, store.ListSweeps(/*include_finished=*/true, /*with_spec=*/false));
    for (const auto& s : sweeps) {
      if (s.finished_unix_ms != 0) {
        jobs_by_sweep.emplace_back();
        continue;
      }
      ASSIGN_OR_RETURN(auto jobs, store.LoadJobs(s.sweep_id));
      jobs_by_sweep.push_back(std::move(jobs));
    }
    ASSIGN_OR_RETURN(workers, store.ListWorkers());
    ASSIGN_OR_RETURN(result_bytes, store.ResultBytesByTenant());
    return absl::OkStatus();
  }));

  std::vector<Op> ops;
  const int64_t now = clock_->NowMs();
  {
    absl::MutexLock owners(&owners_mu_);
    for (const auto& w : workers) owners_[w.worker_id] = w.owner;
  }
  absl::MutexLock lock(&mu_);
  for (const auto& [tenant, bytes] : result_bytes) result_bytes_[tenant] = bytes;
  for (const auto& w : workers) {
    WorkerState& ws = workers_[w.worker_id];
    ws.worker_id = w.worker_id;
    ws.tenant = w.tenant;
    ws.host = w.host;
    ws.device = DeviceNamesFromJson(w.devices_json);
    ws.has_gpu = ws.device.empty() || absl::StrContains(ws.device, "cuda");
    ws.loaded_models = ModelsFromJson(w.loaded_models_json);
    ws.last_seen_ms = w.last_seen_unix_ms;
    ws.alive = false;  // until it calls again
  }
  int64_t requeued = 0;
  for (size_t i = 0; i < sweeps.size(); ++i) {
    const storage::SweepRecord& rec = sweeps[i];
    if (rec.finished_unix_ms != 0) continue;
    SweepState& sw = sweeps_[rec.sweep_id];
    LoadSweepState(rec, sw);
    for (const storage::JobRecord& j : jobs_by_sweep[i]) {
      JobEntry& e = jobs_[j.job_id];
      LoadJobEntry(j, e);
      sw.job_ids.push_back(j.job_id);
      sw.counts.total += 1;
      int state = j.state;
      if (state == storage::kJobQueued && rec.state == storage::kSweepCancelled) {
        // Created by a chunk committed just before the sweep's cancel (the
        // process died before cancelling it): cancelled like its siblings.
        e.finished_ms = now;
        ops.push_back([u = UpdateOf(e)](JobStore& s) {
          storage::JobStateUpdate v = u;
          v.state = storage::kJobCancelled;
          return s.UpdateJob(v);
        });
        state = storage::kJobCancelled;
      }
      if (state == storage::kJobLeased) {
        // The previous process died holding this lease: treat it as expired.
        // The attempt stays the fencing token until the job is leased again.
        ++requeued;
        e.attempt_end = AttemptEnd::kExpired;
        state = e.cancel_requested ? storage::kJobCancelled : storage::kJobQueued;
        if (state == storage::kJobCancelled) e.finished_ms = now;
        // Its worker may still be running it: give the worker time to re-claim
        // it (heartbeat or report) before anyone else may lease it.
        if (state == storage::kJobQueued && options_.reclaim_grace_ms > 0) {
          e.held_until_ms = now + options_.reclaim_grace_ms;
        }
        ops.push_back([u = UpdateOf(e), state, attempt = e.attempt, id = e.job_id, now](JobStore& s) {
          storage::JobStateUpdate v = u;
          v.state = state;
          RETURN_IF_ERROR(s.UpdateJob(v));
          return s.EndAttempt(id, attempt, "coordinator_restart", "", now);
        });
      }
      e.state = 0;
      SetState(e, state);
    }
    // Jobs not created yet: queued (the materializer resumes at the stored
    // cursor), or cancelled with their sweep.
    sw.counts.total += sw.uncreated();
    (rec.state == storage::kSweepCancelled ? sw.counts.cancelled : sw.counts.queued) += sw.uncreated();
    if (sw.uncreated() > 0) materialize_wake_ = true;
    if (sw.job_ids.empty() || sw.counts.queued + sw.counts.leased == 0) {
      MaybeFinishSweep(rec.sweep_id, now, &ops);
    }
  }
  last_scan_ms_ = now;
  if (requeued > 0) {
    ops.push_back([requeued, now](JobStore& s) {
      return s.InsertEvent({now, 0, 0, "", "coordinator_restart", absl::StrCat(requeued, " leased jobs requeued")});
    });
  }
  if (!ops.empty()) {
    mu_.Unlock();
    absl::Status st = committer_->SubmitAndWait([&ops](JobStore& s) -> absl::Status {
      for (const Op& op : ops) RETURN_IF_ERROR(op(s));
      return absl::OkStatus();
    });
    mu_.Lock();
    RETURN_IF_ERROR(st);
  }
  return absl::OkStatus();
}

void Scheduler::LoseLease(JobEntry& e, const std::string& why, int64_t now, std::vector<Op>* ops) {
  e.lost += 1;
  e.attempt_end = AttemptEnd::kExpired;
  if (options_.observer != nullptr) options_.observer->LeaseLost();
  int state = storage::kJobQueued;
  std::string outcome = why;
  if (e.cancel_requested) {
    state = storage::kJobCancelled;
    outcome = "cancelled";
  } else if (options_.max_lost_leases > 0 && e.lost >= options_.max_lost_leases) {
    // A job that keeps killing or hanging its workers must end some day.
    state = storage::kJobFailed;
    e.last_error =
        absl::StrCat("lease lost ", e.lost, " times (last: ", why, "); the job may crash or hang its workers");
  }
  if (state != storage::kJobQueued) e.finished_ms = now;
  SetState(e, state);
  ops->push_back([u = UpdateOf(e), why, outcome, now, sweep = e.sweep_id, worker = e.worker_id](JobStore& s) {
    RETURN_IF_ERROR(s.UpdateJob(u));
    RETURN_IF_ERROR(s.EndAttempt(u.job_id, u.attempt, outcome, "", now));
    return s.InsertEvent(
        {now, sweep, u.job_id, worker, u.state == storage::kJobFailed ? "job_failed" : why, u.last_error});
  });
  if (state != storage::kJobQueued) MaybeFinishSweep(e.sweep_id, now, ops);
}

// ---------------------------------------------------------------- maintenance

void Scheduler::Tick(bool force_scan) {
  const int64_t now = clock_->NowMs();
  std::vector<Callback<v1::LeaseJobsResponse>> timed_out;
  std::vector<Op> ops;
  {
    absl::MutexLock lock(&mu_);
    for (auto it = waiters_.begin(); it != waiters_.end();) {
      if (it->deadline_ms <= now || shutting_down_) {
        timed_out.push_back(std::move(it->done));
        it = waiters_.erase(it);
      } else {
        ++it;
      }
    }
    if (force_scan || now - last_scan_ms_ >= options_.expiry_scan_interval_ms) {
      last_scan_ms_ = now;
      // Workers not heard from: lost, with all their leases.
      for (auto& [id, w] : workers_) {
        if (!w.alive || now - w.last_seen_ms < options_.worker_timeout_ms) continue;
        w.alive = false;
        std::vector<int64_t> leases(w.leases.begin(), w.leases.end());
        std::sort(leases.begin(), leases.end());
        for (int64_t job_id : leases) {
          auto j = jobs_.find(job_id);
          if (j != jobs_.end() && j->second.state == storage::kJobLeased) {
            LoseLease(j->second, "worker_lost", now, &ops);
          }
        }
        ops.push_back([id = id, now](JobStore& s) { return s.InsertEvent({now, 0, 0, id, "worker_lost", ""}); });
      }
      // Jobs held for re-claim after a restart whose grace is over.
      ReleaseHeld(now);
      // Expired leases.
      while (!expiries_.empty() && expiries_.begin()->first <= now) {
        const int64_t job_id = expiries_.begin()->second;
        auto j = jobs_.find(job_id);
        if (j == jobs_.end() || j->second.state != storage::kJobLeased) {
          expiries_.erase(expiries_.begin());
          continue;
        }
        LoseLease(j->second, "expired", now, &ops);
      }
      ServeWaiters(now);
    }
  }
  if (!ops.empty()) {
    // Wait for the commit: Tick runs on the maintenance thread (or a test's).
    absl::Notification committed;
    Commit(std::move(ops), [&committed](absl::Status s) {
      if (!s.ok()) std::cerr << "ablate-coordinator: requeueing expired leases: " << s << "\n";
      committed.Notify();
    });
    committed.WaitForNotification();
  }
  v1::LeaseJobsResponse empty;
  {
    absl::MutexLock lock(&mu_);
    empty.set_shutting_down(shutting_down_);
  }
  for (auto& cb : timed_out) cb(empty);
}

void Scheduler::MaintenanceLoop() {
  const absl::Duration period = absl::Milliseconds(std::clamp(options_.expiry_scan_interval_ms, 1, 20));
  while (true) {
    {
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&stop_thread_), period);
      if (stop_thread_) return;
    }
    Tick();
  }
}

void Scheduler::BeginShutdown() {
  {
    absl::MutexLock lock(&mu_);
    shutting_down_ = true;
  }
  Tick();
}

void Scheduler::Stop() {
  BeginShutdown();
  stopping_ = true;
  {
    absl::MutexLock lock(&mu_);
    stop_thread_ = true;
    stop_materializer_ = true;
  }
  if (maintenance_.joinable()) maintenance_.join();
  if (materializer_.joinable()) materializer_.join();
  if (committer_) committer_->Stop();
}

}  // namespace ablate::coordinator
