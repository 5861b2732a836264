// scheduler_client.cc: the client-facing half of the coordinator core:
// submit (expand + atomic insert), inspect, cancel, list and query.
#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "coordinator/scheduler.h"
#include "coordinator/scheduler_convert.h"
#include "coordinator/store_queries.h"

namespace ablate::coordinator {

using storage::JobStore;
using Op = storage::GroupCommitter::Op;

namespace {
constexpr int kDefaultMaxAttempts = 3;
constexpr int kDefaultLeaseTtlSeconds = 120;
}  // namespace

absl::StatusOr<v1::SubmitSweepResponse> Scheduler::SubmitSweep(
    const v1::SubmitSweepRequest& request) {
  if (!request.has_spec()) return absl::InvalidArgumentError("spec: missing");
  v1::SweepSpec spec = request.spec();
  ASSIGN_OR_RETURN(spec::Expansion expansion, expand_(&spec));
  const int64_t n = static_cast<int64_t>(expansion.jobs.size());
  if (n == 0) return absl::InvalidArgumentError("spec: the sweep expands to no jobs");
  if (n > options_.max_jobs_per_sweep) {
    return absl::InvalidArgumentError(
        absl::StrCat("spec: the sweep expands to ", n, " jobs, more than the coordinator's limit of ",
                     options_.max_jobs_per_sweep));
  }
  v1::SubmitSweepResponse response;
  response.set_job_count(n);
  for (const v1::ExpansionCount& c : expansion.counts) *response.add_counts() = c;
  if (request.dry_run()) {
    for (const v1::JobSpec& js : expansion.jobs) {
      v1::Job* job = response.add_jobs();
      *job->mutable_spec() = js;
      job->set_priority(spec.execution().priority());
    }
    return response;
  }

  const int64_t now = clock_->NowMs();
  const v1::ExecutionSpec& exec = spec.execution();
  storage::SweepRecord sweep;
  sweep.name = spec.name();
  sweep.state = storage::kSweepRunning;
  sweep.priority = exec.priority();
  sweep.max_attempts = exec.max_attempts() > 0 ? exec.max_attempts() : kDefaultMaxAttempts;
  sweep.lease_ttl_seconds =
      exec.lease_ttl_seconds() > 0 ? exec.lease_ttl_seconds() : kDefaultLeaseTtlSeconds;
  sweep.device = exec.device();
  sweep.created_unix_ms = now;
  sweep.spec_text = request.spec_text();
  sweep.spec_proto = spec.SerializeAsString();
  std::vector<storage::JobRecord> rows(expansion.jobs.size());
  for (size_t i = 0; i < rows.size(); ++i) {
    const v1::JobSpec& js = expansion.jobs[i];
    rows[i].job_index = static_cast<int32_t>(i);
    rows[i].state = storage::kJobQueued;
    rows[i].priority = sweep.priority;
    rows[i].keys = JobKeysOf(js);
    rows[i].spec_proto = js.SerializeAsString();
  }
  expansion.jobs.clear();
  RETURN_IF_ERROR(committer_->SubmitAndWait([&](JobStore& s) -> absl::Status {
    RETURN_IF_ERROR(s.InsertSweep(&sweep, &rows));
    return s.InsertEvent({now, sweep.sweep_id, 0, "", "sweep_submitted",
                          absl::StrCat(sweep.name, ": ", rows.size(), " jobs")});
  }));
  response.set_sweep_id(sweep.sweep_id);

  absl::MutexLock lock(&mu_);
  SweepState& sw = sweeps_[sweep.sweep_id];
  sw.sweep_id = sweep.sweep_id;
  sw.state = storage::kSweepRunning;
  sw.priority = sweep.priority;
  sw.max_attempts = sweep.max_attempts;
  sw.lease_ttl_ms = sweep.lease_ttl_seconds * 1000;
  sw.needs_gpu = absl::StartsWith(sweep.device, "cuda");
  sw.job_ids.reserve(rows.size());
  jobs_.reserve(jobs_.size() + rows.size());
  for (const storage::JobRecord& r : rows) {
    JobEntry& e = jobs_[r.job_id];
    e.job_id = r.job_id;
    e.sweep_id = sweep.sweep_id;
    e.index = r.job_index;
    e.priority = r.priority;
    e.model = InternModel(r.keys.model_path);
    e.eval = InternEval(r.keys.evaluation);
    sw.job_ids.push_back(r.job_id);
    sw.counts.total += 1;
    SetState(e, storage::kJobQueued);
  }
  ServeWaiters(clock_->NowMs());
  return response;
}

absl::StatusOr<v1::SweepInfo> Scheduler::GetSweep(int64_t sweep_id) {
  storage::JobCounts counts;
  int state = 0;
  bool in_memory = false;
  {
    absl::MutexLock lock(&mu_);
    if (auto it = sweeps_.find(sweep_id); it != sweeps_.end()) {
      counts = it->second.counts;  // memory is ahead of the database by < one batch
      state = it->second.state;
      in_memory = true;
    }
  }
  storage::SweepRecord rec;
  RETURN_IF_ERROR(ReaderCall([&](JobStore& s) -> absl::Status {
    ASSIGN_OR_RETURN(rec, s.GetSweep(sweep_id));
    if (!in_memory) {
      ASSIGN_OR_RETURN(counts, s.CountJobs(sweep_id));
    }
    return absl::OkStatus();
  }));
  if (in_memory) rec.state = state;
  return SweepInfoOf(rec, counts);
}

absl::StatusOr<v1::ListSweepsResponse> Scheduler::ListSweeps(
    const v1::ListSweepsRequest& request) {
  std::vector<storage::SweepRecord> recs;
  std::vector<storage::JobCounts> counts;
  RETURN_IF_ERROR(ReaderCall([&](JobStore& s) -> absl::Status {
    ASSIGN_OR_RETURN(recs, s.ListSweeps(/*include_finished=*/true, /*with_spec=*/true));
    return absl::OkStatus();
  }));
  v1::ListSweepsResponse response;
  for (storage::SweepRecord& rec : recs) {
    storage::JobCounts c;
    bool in_memory = false;
    {
      absl::MutexLock lock(&mu_);
      if (auto it = sweeps_.find(rec.sweep_id); it != sweeps_.end()) {
        c = it->second.counts;
        rec.state = it->second.state;
        in_memory = true;
      }
    }
    const bool finished = !in_memory;
    if (finished && !request.include_finished()) continue;
    if (!in_memory) {
      RETURN_IF_ERROR(ReaderCall([&](JobStore& s) -> absl::Status {
        ASSIGN_OR_RETURN(c, s.CountJobs(rec.sweep_id));
        return absl::OkStatus();
      }));
    }
    *response.add_sweeps() = SweepInfoOf(rec, c);
  }
  return response;
}

void Scheduler::CancelSweep(const v1::CancelSweepRequest& request,
                            Callback<v1::CancelSweepResponse> done) {
  const int64_t sweep_id = request.sweep_id();
  const int64_t now = clock_->NowMs();
  std::vector<Op> ops;
  v1::CancelSweepResponse response;
  bool known = true;
  {
    absl::MutexLock lock(&mu_);
    auto it = sweeps_.find(sweep_id);
    if (it == sweeps_.end()) {
      known = false;  // finished or unknown: look it up below
    } else {
      SweepState& sw = it->second;
      sw.state = storage::kSweepCancelled;
      int64_t cancelled = 0;
      std::vector<storage::JobStateUpdate> updates;
      for (int64_t id : sw.job_ids) {
        JobEntry& e = jobs_.at(id);
        if (e.state == storage::kJobQueued) {
          e.finished_ms = now;  // attempt_end kept: a lost attempt may still report
          SetState(e, storage::kJobCancelled);
        } else if (e.state == storage::kJobLeased && !e.cancel_requested) {
          e.cancel_requested = true;  // reaches the worker through Heartbeat
        } else {
          continue;
        }
        ++cancelled;
        updates.push_back(UpdateOf(e));
      }
      response.set_cancelled_jobs(cancelled);
      ops.push_back([sweep_id, now, cancelled, updates = std::move(updates)](JobStore& s) {
        RETURN_IF_ERROR(s.UpdateSweepState(sweep_id, storage::kSweepCancelled, 0));
        for (const auto& u : updates) RETURN_IF_ERROR(s.UpdateJob(u));
        return s.InsertEvent({now, sweep_id, 0, "", "sweep_cancelled",
                              absl::StrCat(cancelled, " jobs cancelled or cancel-pending")});
      });
      MaybeFinishSweep(sweep_id, now, &ops);
    }
  }
  if (!known) {
    absl::Status s = ReaderCall([&](JobStore& store) { return store.GetSweep(sweep_id).status(); });
    if (!s.ok()) {
      done(s);
      return;
    }
  }
  Commit(std::move(ops), [response, done = std::move(done)](absl::Status s) {
    if (s.ok()) {
      done(response);
    } else {
      done(s);
    }
  });
}

absl::StatusOr<v1::ListJobsResponse> Scheduler::ListJobs(const v1::ListJobsRequest& request) {
  v1::ListJobsResponse response;
  RETURN_IF_ERROR(ReaderCall([&](JobStore& s) -> absl::Status {
    ASSIGN_OR_RETURN(response, ListJobsPage(s, request));
    return absl::OkStatus();
  }));
  return response;
}

absl::StatusOr<v1::QueryResultsResponse> Scheduler::QueryResults(
    const v1::QueryResultsRequest& request) {
  v1::QueryResultsResponse response;
  RETURN_IF_ERROR(ReaderCall([&](JobStore& s) -> absl::Status {
    ASSIGN_OR_RETURN(response, QueryResultsPage(s, request));
    return absl::OkStatus();
  }));
  return response;
}

v1::ListWorkersResponse Scheduler::ListWorkers() {
  const int64_t now = clock_->NowMs();
  v1::ListWorkersResponse response;
  absl::MutexLock lock(&mu_);
  std::vector<const WorkerState*> shown;
  for (const auto& [id, w] : workers_) {
    if (w.alive || !w.leases.empty() || now - w.last_seen_ms < options_.list_dead_workers_ms) {
      shown.push_back(&w);
    }
  }
  std::sort(shown.begin(), shown.end(),
            [](const WorkerState* a, const WorkerState* b) { return a->worker_id < b->worker_id; });
  for (const WorkerState* w : shown) {
    v1::WorkerStatus* s = response.add_workers();
    s->set_worker_id(w->worker_id);
    s->set_host(w->host);
    s->set_device(w->device);
    s->set_last_seen_unix_ms(w->last_seen_ms);
    s->set_active_leases(static_cast<int32_t>(w->leases.size()));
    s->set_alive(w->alive && now - w->last_seen_ms < options_.worker_timeout_ms);
    for (const auto& m : w->loaded_models) s->add_loaded_models(m);
  }
  return response;
}

absl::StatusOr<v1::SweepEvent> Scheduler::SweepSnapshot(int64_t sweep_id) {
  v1::SweepEvent event;
  event.set_sweep_id(sweep_id);
  event.set_unix_ms(clock_->NowMs());
  {
    absl::MutexLock lock(&mu_);
    if (auto it = sweeps_.find(sweep_id); it != sweeps_.end()) {
      *event.mutable_counts() = CountsOf(it->second.counts);
      event.set_state(static_cast<v1::SweepState>(it->second.state));
      return event;
    }
  }
  storage::SweepRecord rec;
  storage::JobCounts counts;
  RETURN_IF_ERROR(ReaderCall([&](JobStore& s) -> absl::Status {
    ASSIGN_OR_RETURN(rec, s.GetSweep(sweep_id));
    ASSIGN_OR_RETURN(counts, s.CountJobs(sweep_id));
    return absl::OkStatus();
  }));
  *event.mutable_counts() = CountsOf(counts);
  // Not in memory: every job has ended (the row may lag by one commit batch).
  event.set_state(rec.state == storage::kSweepCancelled ? v1::SWEEP_CANCELLED : v1::SWEEP_DONE);
  return event;
}

}  // namespace ablate::coordinator
