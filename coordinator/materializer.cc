// materializer.cc: creating the jobs of big sweeps in the
// background. SubmitSweep stores a sweep of more than materialize_above_jobs
// jobs with its job_count and a cursor (sweeps.materialized_jobs = 0) and
// answers; this thread (one per Scheduler, started by Open, joined by Stop)
// resumes the sweep's deterministic expansion at the cursor and stores its
// jobs in chunks, each chunk and the advanced cursor in one transaction
// through the group committer (leases and completions commit between
// chunks). A sweep keeps at most materialize_ahead_jobs created jobs queued;
// the next run starts once half of them are gone. Oldest sweep first.
//
// Invariants: jobs with index < materialized exist in the store and in state_.jobs;
// the others count as queued (cancelled once the sweep is). A chunk is never
// stored twice (AppendJobs checks the cursor). A sweep is not finished while a
// chunk is in flight. Cancel stops the thread's work on that sweep at the next
// chunk; jobs of a chunk that committed just before the cancel end CANCELLED.
//
// Thread-safety: runs on the materializer thread; takes state_.mu briefly, never
// while expanding or committing.
#include "coordinator/materializer.h"

#include <algorithm>
#include <iostream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "coordinator/scheduler_convert.h"

namespace ablate::coordinator {
namespace {

constexpr int64_t kPollMs = 20;  // how often backlogs are looked at
constexpr int64_t kRetryAfterErrorMs = 5000;

}  // namespace

void Materializer::Run() {
  while (true) {
    int64_t sweep_id = 0;
    {
      absl::MutexLock lock(&state_.mu);
      state_.mu.AwaitWithTimeout(absl::Condition(this, &Materializer::ShouldWake), absl::Milliseconds(kPollMs));
      if (state_.stop_materializer) return;
      state_.materialize_wake = false;
      sweep_id = NextSweep(state_.clock->NowMs());
    }
    if (sweep_id == 0) continue;
    absl::Status s = MaterializeSome(sweep_id);
    absl::MutexLock lock(&state_.mu);
    if (s.ok() || absl::IsCancelled(s)) {
      state_.materialize_wake = true;  // look again at once
      continue;
    }
    std::cerr << "ablate-coordinator: creating the jobs of sweep " << sweep_id << ": " << s << " (retrying in "
              << kRetryAfterErrorMs / 1000 << " s)\n";
    if (auto it = state_.sweeps.find(sweep_id); it != state_.sweeps.end()) {
      it->second.retry_after_ms = state_.clock->NowMs() + kRetryAfterErrorMs;
    }
  }
}

int64_t Materializer::NextSweep(int64_t now) {
  const int64_t ahead = state_.options.materialize_ahead_jobs;
  int64_t best = 0;
  for (const auto& [id, sw] : state_.sweeps) {
    if (sw.uncreated() <= 0 || sw.state == storage::kSweepCancelled || sw.retry_after_ms > now) {
      continue;
    }
    // Created jobs still queued: a run starts once half the bound is left.
    const int64_t backlog = sw.counts.queued - sw.uncreated();
    if (ahead > 0 && backlog > ahead / 2) continue;
    if (best == 0 || id < best) best = id;
  }
  return best;
}

absl::Status Materializer::MaterializeSome(int64_t sweep_id) {
  storage::SweepRecord rec;
  std::string layouts_bytes;
  RETURN_IF_ERROR(state_.ReaderCall([&](storage::JobStore& s) -> absl::Status {
    ASSIGN_OR_RETURN(rec, s.GetSweep(sweep_id));
    ASSIGN_OR_RETURN(layouts_bytes, s.GetSweepLayouts(sweep_id));
    return absl::OkStatus();
  }));
  v1::SweepSpec spec;
  v1::SubmitSweepRequest layouts;
  if (!spec.ParseFromString(rec.spec_proto) || !layouts.ParseFromString(layouts_bytes)) {
    return absl::DataLossError(absl::StrCat("sweep ", sweep_id, ": stored spec does not parse"));
  }
  int64_t cursor = 0;
  int64_t until = 0;
  {
    absl::MutexLock lock(&state_.mu);
    auto it = state_.sweeps.find(sweep_id);
    if (it == state_.sweeps.end() || it->second.state == storage::kSweepCancelled) {
      return absl::CancelledError("sweep cancelled");
    }
    const SweepState& sw = it->second;
    cursor = sw.materialized;
    until = sw.job_count;
    if (state_.options.materialize_ahead_jobs > 0) {
      const int64_t backlog = sw.counts.queued - sw.uncreated();
      until = std::min(until, cursor + std::max<int64_t>(0, state_.options.materialize_ahead_jobs - backlog));
    }
  }
  if (until <= cursor) return absl::OkStatus();

  const int64_t chunk_jobs = std::max<int32_t>(1, state_.options.materialize_chunk_jobs);
  std::vector<storage::JobRecord> chunk;
  chunk.reserve(static_cast<size_t>(std::min(chunk_jobs, until - cursor)));
  int64_t seen = 0;
  bool reached = false;  // stopped the expansion on purpose at `until`
  const absl::Status kReached = absl::AbortedError("materialized up to the bound");
  const JobSink sink = [&](const v1::JobSpec& js) -> absl::Status {
    const int64_t index = seen++;
    if (index < cursor) return absl::OkStatus();  // created before
    chunk.push_back(QueuedJobRowOf(js, rec.priority));
    if (static_cast<int64_t>(chunk.size()) >= chunk_jobs || index + 1 >= until) {
      RETURN_IF_ERROR(StoreChunk(sweep_id, cursor, &chunk));
      cursor += static_cast<int64_t>(chunk.size());
      chunk.clear();
    }
    if (index + 1 >= until) {
      reached = true;
      return kReached;
    }
    return absl::OkStatus();
  };
  spec::ExpandOptions options;
  options.limits = state_.options.limits;
  options.cancelled = [this] { return state_.stopping.load(); };
  absl::StatusOr<std::vector<v1::ExpansionCount>> r = state_.expand(&spec, layouts.model_layouts(), options, sink);
  if (reached) return absl::OkStatus();
  if (state_.stopping.load()) return absl::CancelledError("coordinator stopping");
  RETURN_IF_ERROR(r.status());
  // The expansion ended before the stored job count: it no longer gives the
  // same jobs (e.g. a model's config.json changed under a running sweep).
  return absl::FailedPreconditionError(absl::StrCat("sweep ", sweep_id, ": the expansion now gives ", seen,
                                                    " jobs, not ", rec.job_count, "; cancel the sweep"));
}

absl::Status Materializer::StoreChunk(int64_t sweep_id, int64_t from, std::vector<storage::JobRecord>* chunk) {
  {
    absl::MutexLock lock(&state_.mu);
    auto it = state_.sweeps.find(sweep_id);
    if (it == state_.sweeps.end() || it->second.state == storage::kSweepCancelled || state_.stop_materializer) {
      return absl::CancelledError("sweep cancelled");
    }
    it->second.chunk_in_flight = true;
  }
  absl::Status stored = state_.committer->SubmitAndWait(
      [sweep_id, from, chunk](storage::JobStore& s) { return s.AppendJobs(sweep_id, from, chunk); });
  const int64_t now = state_.clock->NowMs();
  std::vector<storage::GroupCommitter::Op> ops;
  absl::Status result = absl::OkStatus();
  {
    absl::MutexLock lock(&state_.mu);
    SweepState& sw = state_.sweeps.at(sweep_id);  // not finished while a chunk is in flight
    sw.chunk_in_flight = false;
    if (stored.ok()) {
      const int64_t n = static_cast<int64_t>(chunk->size());
      const bool cancelled = sw.state == storage::kSweepCancelled;
      // These jobs were counted as not created (queued, or cancelled).
      (cancelled ? sw.counts.cancelled : sw.counts.queued) -= n;
      sw.materialized += n;
      sw.job_ids.reserve(sw.job_ids.size() + chunk->size());
      state_.jobs.reserve(state_.jobs.size() + chunk->size());
      for (const storage::JobRecord& row : *chunk) {
        JobEntry& e = state_.jobs[row.job_id];
        state_.LoadJobEntry(row, e);
        sw.job_ids.push_back(row.job_id);
        if (cancelled) {
          // Cancelled while the chunk was committing: the jobs end as their
          // siblings did.
          e.finished_ms = now;
          state_.SetState(e, storage::kJobCancelled);
          ops.push_back([u = state_.UpdateOf(e)](storage::JobStore& s) { return s.UpdateJob(u); });
        } else {
          state_.SetState(e, storage::kJobQueued);
        }
      }
      if (cancelled) result = absl::CancelledError("sweep cancelled");
    } else {
      result = stored;
    }
    state_.MaybeFinishSweep(sweep_id, now, &ops);
    if (!ops.empty()) {
      state_.Commit(std::move(ops), [sweep_id](absl::Status s) {
        if (!s.ok()) {
          std::cerr << "ablate-coordinator: cancelling new jobs of sweep " << sweep_id << ": " << s << "\n";
        }
      });
    }
    if (stored.ok()) state_.ServeWaiters(now);  // after the writes above are queued
  }
  return result;
}

}  // namespace ablate::coordinator
