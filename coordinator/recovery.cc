// recovery.cc: the coordinator core's recovery and upkeep: rebuilding the
// in-memory state from SQLite on start (requeueing the leases of a dead
// process), lost leases (expiry, lost workers), long-poll timeouts and the
// maintenance thread's loop.
#include "coordinator/recovery.h"

#include <algorithm>
#include <iostream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/status_macros.h"
#include "coordinator/scheduler_convert.h"

namespace ablate::coordinator {

using storage::JobStore;
using Op = storage::GroupCommitter::Op;

// ---------------------------------------------------------------- loading

absl::Status Recovery::Load() {
  std::vector<storage::SweepRecord> sweeps;
  std::vector<storage::WorkerRecord> workers;
  std::vector<std::vector<storage::JobRecord>> jobs_by_sweep;
  std::vector<std::pair<std::string, int64_t>> result_bytes;
  RETURN_IF_ERROR(state_.ReaderCall([&](JobStore& store) -> absl::Status {
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
  const int64_t now = state_.clock->NowMs();
  {
    absl::MutexLock owners(&state_.owners_mu);
    for (const auto& w : workers) state_.owners[w.worker_id] = w.owner;
  }
  absl::MutexLock lock(&state_.mu);
  for (const auto& [tenant, bytes] : result_bytes) state_.result_bytes[tenant] = bytes;
  for (const auto& w : workers) {
    WorkerState& ws = state_.workers[w.worker_id];
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
    SweepState& sw = state_.sweeps[rec.sweep_id];
    state_.LoadSweepState(rec, sw);
    for (const storage::JobRecord& j : jobs_by_sweep[i]) {
      JobEntry& e = state_.jobs[j.job_id];
      state_.LoadJobEntry(j, e);
      sw.job_ids.push_back(j.job_id);
      sw.counts.total += 1;
      int state = j.state;
      if (state == storage::kJobQueued && rec.state == storage::kSweepCancelled) {
        // Created by a chunk committed just before the sweep's cancel (the
        // process died before cancelling it): cancelled like its siblings.
        e.finished_ms = now;
        ops.push_back([u = state_.UpdateOf(e)](JobStore& s) {
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
        if (state == storage::kJobQueued && state_.options.reclaim_grace_ms > 0) {
          e.held_until_ms = now + state_.options.reclaim_grace_ms;
        }
        ops.push_back([u = state_.UpdateOf(e), state, attempt = e.attempt, id = e.job_id, now](JobStore& s) {
          storage::JobStateUpdate v = u;
          v.state = state;
          RETURN_IF_ERROR(s.UpdateJob(v));
          return s.EndAttempt(id, attempt, "coordinator_restart", "", now);
        });
      }
      e.state = 0;
      state_.SetState(e, state);
    }
    // Jobs not created yet: queued (the materializer resumes at the stored
    // cursor), or cancelled with their sweep.
    sw.counts.total += sw.uncreated();
    (rec.state == storage::kSweepCancelled ? sw.counts.cancelled : sw.counts.queued) += sw.uncreated();
    if (sw.uncreated() > 0) state_.materialize_wake = true;
    if (sw.job_ids.empty() || sw.counts.queued + sw.counts.leased == 0) {
      state_.MaybeFinishSweep(rec.sweep_id, now, &ops);
    }
  }
  state_.last_scan_ms = now;
  if (requeued > 0) {
    ops.push_back([requeued, now](JobStore& s) {
      return s.InsertEvent({now, 0, 0, "", "coordinator_restart", absl::StrCat(requeued, " leased jobs requeued")});
    });
  }
  if (!ops.empty()) {
    state_.mu.Unlock();
    absl::Status st = state_.committer->SubmitAndWait([&ops](JobStore& s) -> absl::Status {
      for (const Op& op : ops) RETURN_IF_ERROR(op(s));
      return absl::OkStatus();
    });
    state_.mu.Lock();
    RETURN_IF_ERROR(st);
  }
  return absl::OkStatus();
}

void Recovery::LoseLease(JobEntry& e, const std::string& why, int64_t now, std::vector<Op>* ops) {
  e.lost += 1;
  e.attempt_end = AttemptEnd::kExpired;
  if (state_.options.observer != nullptr) state_.options.observer->LeaseLost();
  int state = storage::kJobQueued;
  std::string outcome = why;
  if (e.cancel_requested) {
    state = storage::kJobCancelled;
    outcome = "cancelled";
  } else if (state_.options.max_lost_leases > 0 && e.lost >= state_.options.max_lost_leases) {
    // A job that keeps killing or hanging its workers must end some day.
    state = storage::kJobFailed;
    e.last_error =
        absl::StrCat("lease lost ", e.lost, " times (last: ", why, "); the job may crash or hang its workers");
  }
  if (state != storage::kJobQueued) e.finished_ms = now;
  state_.SetState(e, state);
  ops->push_back([u = state_.UpdateOf(e), why, outcome, now, sweep = e.sweep_id, worker = e.worker_id](JobStore& s) {
    RETURN_IF_ERROR(s.UpdateJob(u));
    RETURN_IF_ERROR(s.EndAttempt(u.job_id, u.attempt, outcome, "", now));
    return s.InsertEvent(
        {now, sweep, u.job_id, worker, u.state == storage::kJobFailed ? "job_failed" : why, u.last_error});
  });
  if (state != storage::kJobQueued) state_.MaybeFinishSweep(e.sweep_id, now, ops);
}

// ---------------------------------------------------------------- maintenance

void Recovery::Tick(bool force_scan) {
  const int64_t now = state_.clock->NowMs();
  std::vector<Callback<v1::LeaseJobsResponse>> timed_out;
  std::vector<Op> ops;
  absl::Notification committed;  // waited for below when ops were queued
  bool wait = false;
  bool scanned = false;
  {
    absl::MutexLock lock(&state_.mu);
    for (auto it = state_.waiters.begin(); it != state_.waiters.end();) {
      if (it->deadline_ms <= now || state_.shutting_down) {
        timed_out.push_back(std::move(it->done));
        it = state_.waiters.erase(it);
      } else {
        ++it;
      }
    }
    scanned = force_scan || now - state_.last_scan_ms >= state_.options.expiry_scan_interval_ms;
    if (scanned) {
      state_.last_scan_ms = now;
      // Workers not heard from: lost, with all their leases.
      for (auto& [id, w] : state_.workers) {
        if (!w.alive || now - w.last_seen_ms < state_.options.worker_timeout_ms) continue;
        w.alive = false;
        std::vector<int64_t> leases(w.leases.begin(), w.leases.end());
        std::sort(leases.begin(), leases.end());
        for (int64_t job_id : leases) {
          auto j = state_.jobs.find(job_id);
          if (j != state_.jobs.end() && j->second.state == storage::kJobLeased) {
            LoseLease(j->second, "worker_lost", now, &ops);
          }
        }
        ops.push_back([id = id, now](JobStore& s) { return s.InsertEvent({now, 0, 0, id, "worker_lost", ""}); });
      }
      // Jobs held for re-claim after a restart whose grace is over.
      state_.ReleaseHeld(now);
      // Expired leases.
      while (!state_.expiries.empty() && state_.expiries.begin()->first <= now) {
        const int64_t job_id = state_.expiries.begin()->second;
        auto j = state_.jobs.find(job_id);
        if (j == state_.jobs.end() || j->second.state != storage::kJobLeased) {
          state_.expiries.erase(state_.expiries.begin());
          continue;
        }
        LoseLease(j->second, "expired", now, &ops);
      }
    }
    if (!ops.empty()) {
      // Queued before ServeWaiters may lease a requeued job again, so the
      // lease is written after the requeue.
      state_.Commit(std::move(ops), [&committed](absl::Status s) {
        if (!s.ok()) std::cerr << "ablate-coordinator: requeueing expired leases: " << s << "\n";
        committed.Notify();
      });
      wait = true;
    }
    if (scanned) state_.ServeWaiters(now);
  }
  // Wait for the commit: Tick runs on the maintenance thread (or a test's).
  if (wait) committed.WaitForNotification();
  v1::LeaseJobsResponse empty;
  {
    absl::MutexLock lock(&state_.mu);
    empty.set_shutting_down(state_.shutting_down);
  }
  for (auto& cb : timed_out) cb(empty);
}

void Recovery::MaintenanceLoop() {
  const absl::Duration period = absl::Milliseconds(std::clamp(state_.options.expiry_scan_interval_ms, 1, 20));
  while (true) {
    {
      absl::MutexLock lock(&state_.mu);
      state_.mu.AwaitWithTimeout(absl::Condition(&state_.stop_thread), period);
      if (state_.stop_thread) return;
    }
    Tick();
  }
}

}  // namespace ablate::coordinator
