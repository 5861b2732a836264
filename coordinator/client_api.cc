// client_api.cc: the client calls of the coordinator core: submit (expand +
// atomic insert, or a big sweep stored for the materializer), inspect, cancel,
// list and query, each scoped to the caller's tenant.
#include "coordinator/client_api.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "auth/permissions.h"
#include "common/status_macros.h"
#include "coordinator/scheduler_convert.h"
#include "coordinator/store_queries.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"
#include "google/protobuf/util/message_differencer.h"
#include "spec/spec_parser.h"

namespace ablate::coordinator {

using storage::JobStore;
using Op = storage::GroupCommitter::Op;

namespace {
constexpr int kDefaultMaxAttempts = 3;
constexpr int kDefaultLeaseTtlSeconds = 120;
constexpr int kMaxAuditPage = 10000;

// The same answer for a missing sweep and another tenant's (no existence leak).
absl::Status NoSweep(int64_t sweep_id) { return absl::NotFoundError(absl::StrCat("no sweep ", sweep_id)); }

std::string CodeName(const absl::Status& s) {
  std::string name = absl::StatusCodeToString(s.code());
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

constexpr int kMaxSweepPage = 1000;
}  // namespace

namespace {

// The request's spec: the parsed one, or its text parsed here.
absl::StatusOr<v1::SweepSpec> SpecOf(const v1::SubmitSweepRequest& request) {
  if (request.has_spec()) return request.spec();
  if (request.spec_text().empty()) {
    return absl::InvalidArgumentError("spec: missing (send spec, or spec_text with base_dir)");
  }
  ASSIGN_OR_RETURN(v1::SweepSpec spec, spec::ParseSweepSpec(request.spec_text(), "spec_text"));
  RETURN_IF_ERROR(spec::ResolveSpecPaths(&spec, request.base_dir()));
  return spec;
}

}  // namespace

absl::StatusOr<std::optional<v1::SubmitSweepResponse>> ClientApi::FindExistingSweep(const v1::SweepSpec& spec,
                                                                                    v1::ExistingSweepPolicy policy,
                                                                                    const auth::Caller& caller) {
  std::vector<storage::SweepRecord> named;
  RETURN_IF_ERROR(state_.ReaderCall([&](JobStore& s) -> absl::Status {
    ASSIGN_OR_RETURN(named, s.ListSweepsNamed(spec.name(), caller.tenant));
    return absl::OkStatus();
  }));
  v1::SweepSpec wanted = spec;
  spec::ApplyDefaults(&wanted);
  const storage::SweepRecord* same_unfinished = nullptr;
  const storage::SweepRecord* same_finished = nullptr;
  const storage::SweepRecord* other_unfinished = nullptr;
  for (const storage::SweepRecord& rec : named) {  // newest first
    v1::SweepSpec stored;
    const bool same =
        stored.ParseFromString(rec.spec_proto) &&
        (spec::ApplyDefaults(&stored), google::protobuf::util::MessageDifferencer::Equals(stored, wanted));
    const bool unfinished = rec.finished_unix_ms == 0;
    const storage::SweepRecord** slot =
        same ? (unfinished ? &same_unfinished : &same_finished) : (unfinished ? &other_unfinished : nullptr);
    if (slot != nullptr && *slot == nullptr) *slot = &rec;
  }
  const storage::SweepRecord* found = same_unfinished;
  if (found == nullptr && policy == v1::RESUME) found = same_finished;
  if (found == nullptr) {
    if (other_unfinished != nullptr) {
      return absl::FailedPreconditionError(
          absl::StrCat("sweep ", other_unfinished->sweep_id, " '", spec.name(),
                       "' is unfinished with a different spec; cancel it, or give this spec another name"));
    }
    return std::nullopt;
  }
  ASSIGN_OR_RETURN(v1::SweepInfo info, GetSweep(found->sweep_id, caller));
  v1::SubmitSweepResponse response;
  response.set_sweep_id(info.sweep_id());
  response.set_job_count(info.counts().total());
  response.set_resumed(true);
  return response;
}

absl::Status ClientApi::CheckSubmitQuota(const auth::Caller& caller, int64_t jobs, bool dry_run) {
  absl::MutexLock lock(&state_.mu);
  const auth::TenantQuota q = state_.QuotaOf(caller.tenant);
  auto exhausted = [&](const char* name, int64_t limit) {
    return absl::ResourceExhaustedError(
        absl::StrCat("quota ", name, " of tenant '", caller.tenant, "' (", limit, ") reached"));
  };
  if (jobs < 0) {  // before expansion
    if (!state_.submit_rate.Allow(caller.tenant, q.submits_per_minute, state_.clock->NowMs())) {
      return exhausted("submits_per_minute", q.submits_per_minute);
    }
    if (dry_run) return absl::OkStatus();
    if (q.sweeps > 0) {
      int64_t active = 0;
      for (const auto& [id, sw] : state_.sweeps) active += sw.tenant == caller.tenant ? 1 : 0;
      if (active >= q.sweeps) return exhausted("sweeps", q.sweeps);
    }
    if (q.result_bytes > 0) {
      auto it = state_.result_bytes.find(caller.tenant);
      if (it != state_.result_bytes.end() && it->second >= q.result_bytes) {
        return exhausted("result_bytes", q.result_bytes);
      }
    }
    return absl::OkStatus();
  }
  if (!dry_run && q.queued_jobs > 0) {
    auto it = state_.tenants.find(caller.tenant);
    int64_t queued = it == state_.tenants.end() ? 0 : it->second.queued();
    for (const auto& [id, sw] : state_.sweeps) {  // jobs not created yet are queued too
      if (sw.tenant == caller.tenant && sw.state != storage::kSweepCancelled) {
        queued += sw.uncreated();
      }
    }
    if (queued + jobs > q.queued_jobs) return exhausted("queued_jobs", q.queued_jobs);
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::SubmitSweepResponse> ClientApi::SubmitSweep(const v1::SubmitSweepRequest& request,
                                                               const auth::Caller& caller,
                                                               std::function<bool()> cancelled) {
  absl::StatusOr<v1::SubmitSweepResponse> r = SubmitSweepAs(request, caller, std::move(cancelled));
  storage::AuditRecord a;
  a.subject = caller.subject;
  a.tenant = caller.tenant;
  a.rpc = request.dry_run() ? "SubmitSweep(dry_run)" : "SubmitSweep";
  if (r.ok()) {
    a.sweep_id = r->sweep_id();
    a.outcome = "ok";
    a.detail = absl::StrCat(request.has_spec() ? request.spec().name() : "(spec_text)", ": ", r->job_count(), " jobs",
                            r->resumed() ? " (resumed)" : "");
  } else {
    const absl::string_view msg = r.status().message();
    a.outcome = r.status().code() == absl::StatusCode::kResourceExhausted && absl::StartsWith(msg, "quota ")
                    ? absl::StrCat("quota:", msg.substr(6, msg.find(' ', 6) - 6))
                    : CodeName(r.status());
    a.detail = std::string(msg);
  }
  state_.Audit(std::move(a));
  return r;
}

absl::StatusOr<v1::SubmitSweepResponse> ClientApi::SubmitSweepAs(const v1::SubmitSweepRequest& request,
                                                                 const auth::Caller& caller,
                                                                 std::function<bool()> cancelled) {
  RETURN_IF_ERROR(auth::Authorize(caller, auth::Action::kSubmit));
  const RequestLimits& limits = state_.options.limits;
  // Sizes first: nothing below copies or parses more than these bounds.
  RETURN_IF_ERROR(
      CheckBytes("spec", static_cast<int64_t>(request.spec().ByteSizeLong()), limits.max_spec_bytes, "max-spec-bytes"));
  RETURN_IF_ERROR(CheckBytes("spec_text", static_cast<int64_t>(request.spec_text().size()), limits.max_spec_bytes,
                             "max-spec-bytes"));
  constexpr int64_t kMaxRequestIdBytes = 128;
  if (static_cast<int64_t>(request.request_id().size()) > kMaxRequestIdBytes) {
    return absl::InvalidArgumentError(absl::StrCat("request_id: at most ", kMaxRequestIdBytes, " bytes"));
  }
  ASSIGN_OR_RETURN(v1::SweepSpec spec, SpecOf(request));
  RETURN_IF_ERROR(
      CheckCount("spec.name bytes", static_cast<int64_t>(spec.name().size()), limits.max_name_bytes, "max-name-bytes"));
  const bool keyed = !request.request_id().empty() && !request.dry_run();
  std::string request_bytes;
  if (keyed) {
    // The fingerprint of a retry: the whole request but its id.
    v1::SubmitSweepRequest key = request;
    key.clear_request_id();
    request_bytes = DeterministicBytes(key);
    absl::StatusOr<std::pair<int64_t, std::string>> seen;
    RETURN_IF_ERROR(state_.ReaderCall([&](JobStore& s) -> absl::Status {
      seen = s.FindSweepRequest(caller.tenant, request.request_id());
      return absl::OkStatus();
    }));
    if (seen.ok()) return Replay(request.request_id(), *seen, request_bytes);
    if (!absl::IsNotFound(seen.status())) return seen.status();
  }
  if (!request.dry_run() && request.existing() != v1::NEW_SWEEP) {
    ASSIGN_OR_RETURN(std::optional<v1::SubmitSweepResponse> existing,
                     FindExistingSweep(spec, request.existing(), caller));
    if (existing.has_value()) return *std::move(existing);
  }
  RETURN_IF_ERROR(CheckSubmitQuota(caller, -1, request.dry_run()));
  spec::ExpandOptions expand_options;
  expand_options.limits = limits;
  expand_options.deadline = absl::Now() + absl::Milliseconds(limits.expansion_timeout_ms);
  expand_options.cancelled = std::move(cancelled);
  const absl::Time expand_start = absl::Now();
  // One pass validates and counts the whole grid; the jobs are kept only for
  // a dry run or a sweep stored in one transaction (at most
  // materialize_above_jobs of them): a bigger one is created in the background.
  const bool dry_run = request.dry_run();
  const int64_t keep_at_most = state_.options.materialize_above_jobs;
  std::vector<v1::JobSpec> jobs;
  int64_t n = 0;
  bool keep = true;
  const JobSink sink = [&](const v1::JobSpec& js) -> absl::Status {
    ++n;
    if (!keep) return absl::OkStatus();
    if (!dry_run && n > keep_at_most) {
      keep = false;
      std::vector<v1::JobSpec>().swap(jobs);
      return absl::OkStatus();
    }
    jobs.push_back(js);
    return absl::OkStatus();
  };
  ASSIGN_OR_RETURN(std::vector<v1::ExpansionCount> counts,
                   state_.expand(&spec, request.model_layouts(), expand_options, sink));
  if (state_.options.observer != nullptr) {
    state_.options.observer->SweepExpanded(n, absl::ToDoubleSeconds(absl::Now() - expand_start));
  }
  if (n == 0) return absl::InvalidArgumentError("spec: the sweep expands to no jobs");
  RETURN_IF_ERROR(CheckCount("spec: jobs in the grid", n, limits.max_jobs_per_sweep, "max-jobs-per-sweep"));
  RETURN_IF_ERROR(CheckSubmitQuota(caller, n, dry_run));
  v1::SubmitSweepResponse response;
  response.set_job_count(n);
  for (const v1::ExpansionCount& c : counts) *response.add_counts() = c;
  if (dry_run) {
    for (const v1::JobSpec& js : jobs) {
      v1::Job* job = response.add_jobs();
      *job->mutable_spec() = js;
      job->set_priority(spec.execution().priority());
    }
    return response;
  }

  const int64_t now = state_.clock->NowMs();
  const v1::ExecutionSpec& exec = spec.execution();
  storage::SweepRecord sweep;
  sweep.name = spec.name();
  sweep.tenant = caller.tenant;
  sweep.state = storage::kSweepRunning;
  sweep.priority = exec.priority();
  sweep.max_attempts = exec.max_attempts() > 0 ? exec.max_attempts() : kDefaultMaxAttempts;
  sweep.lease_ttl_seconds = exec.lease_ttl_seconds() > 0 ? exec.lease_ttl_seconds() : kDefaultLeaseTtlSeconds;
  sweep.device = exec.device();
  sweep.created_unix_ms = now;
  sweep.spec_text = request.spec_text();
  sweep.spec_proto = spec.SerializeAsString();
  sweep.job_count = n;
  if (!keep) {
    // What resuming the expansion needs besides the spec: the layouts sent.
    v1::SubmitSweepRequest layouts;
    *layouts.mutable_model_layouts() = request.model_layouts();
    sweep.layouts_proto = layouts.SerializeAsString();
  }
  std::vector<storage::JobRecord> rows;
  rows.reserve(jobs.size());
  for (const v1::JobSpec& js : jobs) rows.push_back(QueuedJobRowOf(js, sweep.priority));
  std::vector<v1::JobSpec>().swap(jobs);
  absl::Status stored = state_.committer->SubmitAndWait([&](JobStore& s) -> absl::Status {
    RETURN_IF_ERROR(s.InsertSweep(&sweep, &rows));
    if (keyed) {
      RETURN_IF_ERROR(s.InsertSweepRequest(caller.tenant, request.request_id(), sweep.sweep_id, request_bytes));
    }
    return s.InsertEvent({now, sweep.sweep_id, 0, "", "sweep_submitted",
                          absl::StrCat(sweep.name, ": ", n, " jobs", keep ? "" : " (created in the background)")});
  });
  if (keyed && absl::IsAlreadyExists(stored)) {
    // A concurrent request with the same id won the race: answer as its retry.
    absl::StatusOr<std::pair<int64_t, std::string>> seen;
    RETURN_IF_ERROR(state_.ReaderCall([&](JobStore& s) -> absl::Status {
      seen = s.FindSweepRequest(caller.tenant, request.request_id());
      return absl::OkStatus();
    }));
    if (seen.ok()) return Replay(request.request_id(), *seen, request_bytes);
  }
  RETURN_IF_ERROR(stored);
  response.set_sweep_id(sweep.sweep_id);

  absl::MutexLock lock(&state_.mu);
  SweepState& sw = state_.sweeps[sweep.sweep_id];
  state_.LoadSweepState(sweep, sw);
  sw.job_ids.reserve(rows.size());
  state_.jobs.reserve(state_.jobs.size() + rows.size());
  for (const storage::JobRecord& r : rows) {
    JobEntry& e = state_.jobs[r.job_id];
    state_.LoadJobEntry(r, e);
    sw.job_ids.push_back(r.job_id);
    sw.counts.total += 1;
    state_.SetState(e, storage::kJobQueued);
  }
  // The jobs still to create count as queued.
  sw.counts.total += sw.uncreated();
  sw.counts.queued += sw.uncreated();
  if (sw.uncreated() > 0) state_.materialize_wake = true;
  state_.ServeWaiters(state_.clock->NowMs());
  return response;
}

std::string ClientApi::DeterministicBytes(const google::protobuf::Message& spec) {
  std::string out;
  google::protobuf::io::StringOutputStream stream(&out);
  google::protobuf::io::CodedOutputStream coded(&stream);
  coded.SetSerializationDeterministic(true);
  spec.SerializeToCodedStream(&coded);
  coded.Trim();
  return out;
}

absl::StatusOr<v1::SubmitSweepResponse> ClientApi::Replay(const std::string& request_id,
                                                          const std::pair<int64_t, std::string>& seen,
                                                          const std::string& request_bytes) {
  if (seen.second != request_bytes) {
    return absl::AlreadyExistsError(
        absl::StrCat("request_id '", request_id, "' was already used for a different spec; use a new request_id"));
  }
  storage::SweepRecord rec;
  RETURN_IF_ERROR(state_.ReaderCall([&](JobStore& s) -> absl::Status {
    ASSIGN_OR_RETURN(rec, s.GetSweep(seen.first));
    return absl::OkStatus();
  }));
  v1::SubmitSweepResponse response;
  response.set_sweep_id(rec.sweep_id);
  response.set_job_count(rec.job_count);
  return response;
}

absl::StatusOr<v1::SweepInfo> ClientApi::GetSweep(int64_t sweep_id, const auth::Caller& caller) {
  RETURN_IF_ERROR(auth::Authorize(caller, auth::Action::kRead));
  storage::JobCounts counts;
  int state = 0;
  bool in_memory = false;
  v1::SweepInfo live;
  {
    absl::MutexLock lock(&state_.mu);
    if (auto it = state_.sweeps.find(sweep_id); it != state_.sweeps.end()) {
      counts = it->second.counts;  // memory is ahead of the database by < one batch
      state = it->second.state;
      in_memory = true;
      state_.LiveProgressOf(it->second, state_.clock->NowMs(), &live);
    }
  }
  storage::SweepRecord rec;
  RETURN_IF_ERROR(state_.ReaderCall([&](JobStore& s) -> absl::Status {
    ASSIGN_OR_RETURN(rec, s.GetSweep(sweep_id));
    if (!caller.CanSee(rec.tenant)) return NoSweep(sweep_id);
    if (!in_memory) {
      ASSIGN_OR_RETURN(counts, s.CountJobs(sweep_id));
    }
    return absl::OkStatus();
  }));
  if (in_memory) rec.state = state;
  v1::SweepInfo info = SweepInfoOf(rec, counts);
  if (in_memory) {
    info.MergeFrom(live);
  } else {
    info.set_eta_ms(0);
  }
  return info;
}

absl::StatusOr<v1::ListSweepsResponse> ClientApi::ListSweeps(const v1::ListSweepsRequest& request,
                                                             const auth::Caller& caller) {
  RETURN_IF_ERROR(auth::Authorize(caller, auth::Action::kRead));
  const std::string tenant = caller.admin() ? "" : caller.tenant;
  // Pages of at most page_size sweeps and about max_reply_bytes (a page ends
  // after the sweep that crosses it), read from the store in small batches.
  constexpr int kBatch = 64;
  const int page = std::min(request.page_size() > 0 ? request.page_size() : kMaxSweepPage, kMaxSweepPage);
  int64_t after = request.after_sweep_id();
  int64_t bytes = 0;
  bool more = false;
  v1::ListSweepsResponse response;
  while (!more) {
    std::vector<storage::SweepRecord> recs;
    RETURN_IF_ERROR(state_.ReaderCall([&](JobStore& s) -> absl::Status {
      ASSIGN_OR_RETURN(recs, s.ListSweeps(/*include_finished=*/true, /*with_spec=*/true, tenant, after, kBatch));
      return absl::OkStatus();
    }));
    for (storage::SweepRecord& rec : recs) {
      after = rec.sweep_id;
      storage::JobCounts c;
      bool in_memory = false;
      LiveProgress live;
      {
        absl::MutexLock lock(&state_.mu);
        if (auto it = state_.sweeps.find(rec.sweep_id); it != state_.sweeps.end()) {
          c = it->second.counts;
          rec.state = it->second.state;
          in_memory = true;
          live = state_.LiveProgressOf(it->second, state_.clock->NowMs(), nullptr);
        }
      }
      const bool finished = !in_memory;
      if (finished && !request.include_finished()) continue;
      if (!in_memory) {
        RETURN_IF_ERROR(state_.ReaderCall([&](JobStore& s) -> absl::Status {
          ASSIGN_OR_RETURN(c, s.CountJobs(rec.sweep_id));
          return absl::OkStatus();
        }));
      }
      v1::SweepInfo* info = response.add_sweeps();
      *info = SweepInfoOf(rec, c);
      info->set_jobs_per_second(in_memory ? live.jobs_per_second : 0);
      info->set_eta_ms(in_memory ? live.eta_ms : 0);
      bytes += static_cast<int64_t>(info->ByteSizeLong());
      if (response.sweeps_size() >= page || bytes >= state_.options.limits.max_reply_bytes) {
        more = true;
        break;
      }
    }
    if (static_cast<int>(recs.size()) < kBatch) break;
  }
  if (more) response.set_next_after_sweep_id(after);
  return response;
}

void ClientApi::CancelSweep(const v1::CancelSweepRequest& request, Callback<v1::CancelSweepResponse> done,
                            const auth::Caller& caller) {
  const int64_t sweep_id = request.sweep_id();
  auto audit = [this, caller, sweep_id](const absl::StatusOr<v1::CancelSweepResponse>& r) {
    storage::AuditRecord a;
    a.subject = caller.subject;
    a.tenant = caller.tenant;
    a.rpc = "CancelSweep";
    a.sweep_id = sweep_id;
    a.outcome = r.ok() ? "ok" : CodeName(r.status());
    a.detail = r.ok() ? absl::StrCat(r->cancelled_jobs(), " jobs cancelled") : std::string(r.status().message());
    state_.Audit(std::move(a));
  };
  done = [audit, done = std::move(done)](absl::StatusOr<v1::CancelSweepResponse> r) {
    audit(r);
    done(std::move(r));
  };
  if (absl::Status s = auth::Authorize(caller, auth::Action::kCancel); !s.ok()) return done(s);
  const int64_t now = state_.clock->NowMs();
  std::vector<Op> ops;
  v1::CancelSweepResponse response;
  bool known = true;
  {
    absl::MutexLock lock(&state_.mu);
    auto it = state_.sweeps.find(sweep_id);
    if (it != state_.sweeps.end() && !caller.CanSee(it->second.tenant)) {
      state_.mu.Unlock();
      done(NoSweep(sweep_id));
      state_.mu.Lock();
      return;
    }
    if (it == state_.sweeps.end()) {
      known = false;  // finished or unknown: look it up below
    } else {
      SweepState& sw = it->second;
      int64_t cancelled = 0;
      if (sw.state != storage::kSweepCancelled) {
        // Jobs not created yet are cancelled with the sweep (never created);
        // the materializer stops.
        sw.counts.queued -= sw.uncreated();
        sw.counts.cancelled += sw.uncreated();
        cancelled += sw.uncreated();
      }
      sw.state = storage::kSweepCancelled;
      // Queued jobs: state and finished time only, written by one statement
      // (writes are applied in order, so the rows queued then are exactly
      // these); cancel-pending ones row by row.
      std::vector<storage::JobStateUpdate> updates;
      for (int64_t id : sw.job_ids) {
        JobEntry& e = state_.jobs.at(id);
        if (e.state == storage::kJobQueued) {
          e.finished_ms = now;  // attempt_end kept: a lost attempt may still report
          state_.SetState(e, storage::kJobCancelled);
        } else if (e.state == storage::kJobLeased && !e.cancel_requested) {
          e.cancel_requested = true;  // reaches the worker through Heartbeat
          updates.push_back(state_.UpdateOf(e));
        } else {
          continue;
        }
        ++cancelled;
      }
      response.set_cancelled_jobs(cancelled);
      ops.push_back([sweep_id, now, cancelled, updates = std::move(updates)](JobStore& s) {
        RETURN_IF_ERROR(s.UpdateSweepState(sweep_id, storage::kSweepCancelled, 0));
        RETURN_IF_ERROR(s.CancelQueuedJobs(sweep_id, now).status());
        for (const auto& u : updates) RETURN_IF_ERROR(s.UpdateJob(u));
        return s.InsertEvent(
            {now, sweep_id, 0, "", "sweep_cancelled", absl::StrCat(cancelled, " jobs cancelled or cancel-pending")});
      });
      state_.MaybeFinishSweep(sweep_id, now, &ops);
    }
    if (known) {
      // Queued under the lock: the bulk cancel of queued rows sees exactly
      // the writes memory made before it.
      state_.Commit(std::move(ops), AnswerWhenStored(response, std::move(done)));
      return;
    }
  }
  // Finished or unknown: nothing to change, only who may know it exists.
  absl::Status s = state_.ReaderCall([&](JobStore& store) -> absl::Status {
    ASSIGN_OR_RETURN(storage::SweepRecord rec, store.GetSweep(sweep_id));
    return caller.CanSee(rec.tenant) ? absl::OkStatus() : NoSweep(sweep_id);
  });
  if (!s.ok()) return done(s);
  absl::MutexLock lock(&state_.mu);
  state_.Commit({}, AnswerWhenStored(response, std::move(done)));  // answered once what was queued before is durable
}

absl::StatusOr<v1::ListJobsResponse> ClientApi::ListJobs(const v1::ListJobsRequest& request,
                                                         const auth::Caller& caller) {
  RETURN_IF_ERROR(auth::Authorize(caller, auth::Action::kRead));
  const PageScope scope{caller.admin() ? "" : caller.tenant, state_.options.limits.max_reply_bytes};
  v1::ListJobsResponse response;
  RETURN_IF_ERROR(state_.ReaderCall([&](JobStore& s) -> absl::Status {
    ASSIGN_OR_RETURN(response, ListJobsPage(s, request, scope));
    return absl::OkStatus();
  }));
  return response;
}

absl::StatusOr<v1::QueryResultsResponse> ClientApi::QueryResults(const v1::QueryResultsRequest& request,
                                                                 const auth::Caller& caller) {
  RETURN_IF_ERROR(auth::Authorize(caller, auth::Action::kRead));
  const PageScope scope{caller.admin() ? "" : caller.tenant, state_.options.limits.max_reply_bytes};
  v1::QueryResultsResponse response;
  RETURN_IF_ERROR(state_.ReaderCall([&](JobStore& s) -> absl::Status {
    ASSIGN_OR_RETURN(response, QueryResultsPage(s, request, scope));
    return absl::OkStatus();
  }));
  return response;
}

v1::ListWorkersResponse ClientApi::ListWorkers() {
  return *ListWorkers(auth::Caller::Local());  // the local admin may always list
}

absl::StatusOr<v1::ListWorkersResponse> ClientApi::ListWorkers(const auth::Caller& caller) {
  RETURN_IF_ERROR(auth::Authorize(caller, auth::Action::kRead));
  const int64_t now = state_.clock->NowMs();
  v1::ListWorkersResponse response;
  absl::MutexLock lock(&state_.mu);
  std::vector<WorkerState*> shown;
  for (auto& [id, w] : state_.workers) {
    if (!caller.CanSee(w.tenant)) continue;
    if (w.alive || !w.leases.empty() || now - w.last_seen_ms < state_.options.list_dead_workers_ms) {
      shown.push_back(&w);
    }
  }
  std::sort(shown.begin(), shown.end(),
            [](const WorkerState* a, const WorkerState* b) { return a->worker_id < b->worker_id; });
  for (WorkerState* w : shown) {
    v1::WorkerStatus* s = response.add_workers();
    s->set_worker_id(w->worker_id);
    s->set_host(w->host);
    s->set_device(w->device);
    s->set_last_seen_unix_ms(w->last_seen_ms);
    s->set_active_leases(static_cast<int32_t>(w->leases.size()));
    s->set_alive(w->alive && now - w->last_seen_ms < state_.options.worker_timeout_ms);
    for (const auto& m : w->loaded_models) s->add_loaded_models(m);
    std::vector<int64_t> held(w->leases.begin(), w->leases.end());
    std::sort(held.begin(), held.end());
    for (int64_t job_id : held) {
      if (auto j = state_.jobs.find(job_id); j != state_.jobs.end()) *s->add_jobs() = state_.ProgressOf(j->second);
    }
    s->set_tokens_done(w->tokens_done);
    s->set_tokens_per_second(w->token_rate.Rate(now));
  }
  return response;
}

absl::StatusOr<v1::SweepEvent> ClientApi::SweepSnapshot(int64_t sweep_id, const auth::Caller& caller) {
  RETURN_IF_ERROR(auth::Authorize(caller, auth::Action::kRead));
  v1::SweepEvent event;
  event.set_sweep_id(sweep_id);
  event.set_unix_ms(state_.clock->NowMs());
  {
    absl::MutexLock lock(&state_.mu);
    if (auto it = state_.sweeps.find(sweep_id); it != state_.sweeps.end()) {
      if (!caller.CanSee(it->second.tenant)) return NoSweep(sweep_id);
      *event.mutable_counts() = CountsOf(it->second.counts);
      event.set_state(static_cast<v1::SweepState>(it->second.state));
      const LiveProgress live = state_.LiveProgressOf(it->second, event.unix_ms(), nullptr);
      event.set_jobs_per_second(live.jobs_per_second);
      event.set_eta_ms(live.eta_ms);
      event.set_running_fraction(live.running_fraction);
      return event;
    }
  }
  storage::SweepRecord rec;
  storage::JobCounts counts;
  RETURN_IF_ERROR(state_.ReaderCall([&](JobStore& s) -> absl::Status {
    ASSIGN_OR_RETURN(rec, s.GetSweep(sweep_id));
    if (!caller.CanSee(rec.tenant)) return NoSweep(sweep_id);
    ASSIGN_OR_RETURN(counts, s.CountJobs(sweep_id));
    return absl::OkStatus();
  }));
  *event.mutable_counts() = CountsOf(counts);
  // Not in memory: every job has ended (the row may lag by one commit batch).
  event.set_eta_ms(0);
  event.set_state(rec.state == storage::kSweepCancelled ? v1::SWEEP_CANCELLED : v1::SWEEP_DONE);
  return event;
}

absl::StatusOr<std::vector<storage::AuditRecord>> ClientApi::ListAudit(int64_t after_audit_id, int limit,
                                                                       const auth::Caller& caller) {
  RETURN_IF_ERROR(auth::Authorize(caller, auth::Action::kAdmin));
  limit = std::clamp(limit > 0 ? limit : 1000, 1, kMaxAuditPage);
  std::vector<storage::AuditRecord> rows;
  RETURN_IF_ERROR(state_.ReaderCall([&](JobStore& s) -> absl::Status {
    ASSIGN_OR_RETURN(rows, s.ListAudit(after_audit_id, limit));
    return absl::OkStatus();
  }));
  return rows;
}

}  // namespace ablate::coordinator
