// worker_api.cc: the worker calls of the coordinator core: register, lease
// (answered at once or parked as a long poll; the grant is lease_grant.cc),
// heartbeat (extends and re-claims leases, carries progress and cancels),
// complete and fail (fenced by attempt and lease id).
#include "coordinator/worker_api.h"

#include <algorithm>
#include <iostream>
#include <memory>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "auth/permissions.h"
#include "common/status_macros.h"
#include "coordinator/scheduler_convert.h"

namespace ablate::coordinator {

using storage::JobStore;
using Op = storage::GroupCommitter::Op;

void WorkerApi::RegisterWorker(const v1::RegisterWorkerRequest& request, Callback<v1::RegisterWorkerResponse> done,
                               const auth::Caller& caller) {
  if (absl::Status s = auth::Authorize(caller, auth::Action::kWork); !s.ok()) return done(s);
  const int64_t now = state_.clock->NowMs();
  storage::WorkerRecord rec;
  rec.owner = caller.subject;
  rec.tenant = caller.tenant;
  {
    absl::MutexLock lock(&state_.mu);
    std::string base = !request.name().empty()   ? request.name()
                       : !request.host().empty() ? request.host()
                                                 : std::string("worker");
    rec.worker_id = absl::StrCat(base, "-", state_.lease_nonce, "-", state_.next_worker++);
    {
      absl::MutexLock owners(&state_.owners_mu);
      state_.owners[rec.worker_id] = caller.subject;
    }
    WorkerState& w = state_.TouchWorker(rec.worker_id, now, &caller);
    w.host = request.host();
    std::vector<std::string> names;
    for (const auto& d : request.devices()) names.push_back(d.name());
    w.device = absl::StrJoin(names, ",");
    w.has_gpu = request.devices().empty() || absl::StrContains(w.device, "cuda");
    w.loaded_models.assign(request.loaded_models().begin(), request.loaded_models().end());
    rec.host = request.host();
    rec.name = request.name();
    rec.devices_json = DevicesToJson(request.devices());
    rec.loaded_models_json =
        ModelsToJson(std::vector<std::string>(request.loaded_models().begin(), request.loaded_models().end()));
    rec.code_version = request.code_version();
    rec.registered_unix_ms = now;
    rec.last_seen_unix_ms = now;
    v1::RegisterWorkerResponse response;
    response.set_worker_id(rec.worker_id);
    response.set_heartbeat_interval_ms(state_.options.heartbeat_interval_ms);
    state_.Commit({[rec](JobStore& s) {
                    RETURN_IF_ERROR(s.UpsertWorker(rec));
                    return s.InsertEvent({rec.registered_unix_ms, 0, 0, rec.worker_id, "worker_registered", rec.host});
                  }},
                  AnswerWhenStored(response, std::move(done)));
  }
}

uint64_t WorkerApi::LeaseJobs(const v1::LeaseJobsRequest& request, Callback<v1::LeaseJobsResponse> done,
                              const auth::Caller& caller) {
  absl::Status allowed = auth::Authorize(caller, auth::Action::kWork);
  if (allowed.ok()) allowed = state_.CheckWorkerOwner(request.worker_id(), caller);
  if (!allowed.ok()) {
    done(allowed);
    return 0;
  }
  const int64_t now = state_.clock->NowMs();
  absl::MutexLock lock(&state_.mu);
  if (state_.shutting_down) {
    v1::LeaseJobsResponse r;
    r.set_shutting_down(true);
    state_.mu.Unlock();
    done(r);
    state_.mu.Lock();
    return 0;
  }
  WorkerState& worker = state_.TouchWorker(request.worker_id(), now, &caller);
  if (!request.loaded_models().empty()) {
    worker.loaded_models.assign(request.loaded_models().begin(), request.loaded_models().end());
  }
  Waiter w;
  w.worker_id = request.worker_id();
  w.max_jobs = std::clamp(request.max_jobs(), 1, std::max(1, state_.options.max_jobs_per_lease));
  for (const std::string& m : worker.loaded_models) {
    if (auto it = state_.model_ids.find(m); it != state_.model_ids.end()) w.models.push_back(it->second);
  }
  w.has_gpu = worker.has_gpu;
  w.arrived_ms = now;
  w.done = std::move(done);
  const int32_t wait_ms = std::min(request.wait_ms(), state_.options.max_long_poll_ms);
  // Earlier waiters are served first: only jump the line when none is parked.
  if (state_.waiters.empty() && state_.TryGrant(w, now)) return 0;
  if (wait_ms <= 0) {
    auto cb = std::move(w.done);
    state_.mu.Unlock();
    cb(v1::LeaseJobsResponse());
    state_.mu.Lock();
    return 0;
  }
  w.deadline_ms = now + wait_ms;
  w.token = state_.next_token++;
  const uint64_t token = w.token;
  state_.waiters.push_back(std::move(w));
  state_.ServeWaiters(now);
  return token;
}

void WorkerApi::CancelLeaseWait(uint64_t token) {
  Callback<v1::LeaseJobsResponse> cb;
  {
    absl::MutexLock lock(&state_.mu);
    for (auto it = state_.waiters.begin(); it != state_.waiters.end(); ++it) {
      if (it->token == token) {
        cb = std::move(it->done);
        state_.waiters.erase(it);
        break;
      }
    }
  }
  if (cb) cb(absl::CancelledError("the lease request was cancelled"));
}

void WorkerApi::Heartbeat(const v1::HeartbeatRequest& request, Callback<v1::HeartbeatResponse> done,
                          const auth::Caller& caller) {
  absl::Status allowed = auth::Authorize(caller, auth::Action::kWork);
  if (allowed.ok()) allowed = state_.CheckWorkerOwner(request.worker_id(), caller);
  if (!allowed.ok()) return done(allowed);
  const int64_t now = state_.clock->NowMs();
  auto response = std::make_shared<v1::HeartbeatResponse>();
  std::vector<Op> ops;
  {
    absl::MutexLock lock(&state_.mu);
    // Every lease named must be this worker's (or its subject's): check all
    // before anything changes.
    for (const v1::LeaseProgress& p : request.leases()) {
      auto it = state_.jobs.find(p.job_id());
      if (it == state_.jobs.end() || it->second.lease_id != p.lease_id() ||
          it->second.worker_id == request.worker_id()) {
        continue;
      }
      if (absl::Status s = state_.CheckLeaseOwner(it->second.worker_id, caller); !s.ok()) {
        state_.mu.Unlock();
        done(s);
        state_.mu.Lock();
        return;
      }
    }
    WorkerState& worker = state_.TouchWorker(request.worker_id(), now, &caller);
    if (!request.loaded_models().empty()) {
      worker.loaded_models.assign(request.loaded_models().begin(), request.loaded_models().end());
    }
    int64_t min_expiry = 0;
    for (const v1::LeaseProgress& p : request.leases()) {
      auto it = state_.jobs.find(p.job_id());
      if (it == state_.jobs.end() || it->second.lease_id != p.lease_id()) {
        response->add_lost_job_ids(p.job_id());
        continue;
      }
      JobEntry& e = it->second;
      const SweepState& sw = state_.sweeps.at(e.sweep_id);
      if (e.state == storage::kJobQueued && e.attempt_end == AttemptEnd::kExpired) {
        // Lost by expiry or a coordinator restart, not leased again: re-claim it.
        e.worker_id = request.worker_id();
        e.expires_ms = now + sw.lease_ttl_ms;
        e.attempt_end = AttemptEnd::kRunning;
        state_.SetState(e, storage::kJobLeased);
        ops.push_back([u = state_.UpdateOf(e)](JobStore& s) {
          RETURN_IF_ERROR(s.UpdateJob(u));
          return s.EndAttempt(u.job_id, u.attempt, "running", "", 0);
        });
      } else if (e.state == storage::kJobLeased) {
        state_.expiries.erase({e.expires_ms, e.job_id});
        e.expires_ms = now + sw.lease_ttl_ms;
        state_.expiries.insert({e.expires_ms, e.job_id});
        if (e.worker_id != request.worker_id()) {
          // Same lease reported by another worker id (re-registered): follow it.
          state_.workers[e.worker_id].leases.erase(e.job_id);
          e.worker_id = request.worker_id();
          worker.leases.insert(e.job_id);
        }
        state_.RecordProgress(worker, e, p, now);
      } else if (e.state == storage::kJobCancelled) {
        response->add_cancelled_job_ids(e.job_id);
        continue;
      } else {
        response->add_lost_job_ids(e.job_id);
        continue;
      }
      if (e.cancel_requested) response->add_cancelled_job_ids(e.job_id);
      min_expiry = min_expiry == 0 ? e.expires_ms : std::min(min_expiry, e.expires_ms);
    }
    response->set_lease_expires_unix_ms(min_expiry);
    ops.push_back([id = request.worker_id(), now, models = ModelsToJson(worker.loaded_models)](JobStore& s) {
      return s.TouchWorker(id, now, models);
    });
    state_.Commit(std::move(ops), [response, done = std::move(done)](absl::Status s) {
      if (s.ok()) {
        done(std::move(*response));
      } else {
        done(s);
      }
    });
  }
}

namespace {

// The size limits of one CompleteJob (request_limits.h), checked before any
// write or lock.
absl::Status CheckResultLimits(const v1::CompleteJobRequest& request, const RequestLimits& limits) {
  RETURN_IF_ERROR(CheckBytes("CompleteJob request", static_cast<int64_t>(request.ByteSizeLong()),
                             limits.max_result_bytes, "max-result-bytes"));
  const v1::JobResult& r = request.result();
  RETURN_IF_ERROR(
      CheckCount("result.metrics", r.metrics_size(), limits.max_metrics_per_result, "max-metrics-per-result"));
  for (int i = 0; i < r.metrics_size(); ++i) {
    const v1::Metric& m = r.metrics(i);
    RETURN_IF_ERROR(CheckCount(absl::StrCat("result.metrics[", i, "].name bytes"),
                               static_cast<int64_t>(m.name().size()), limits.max_metric_name_bytes,
                               "max-metric-name-bytes"));
    RETURN_IF_ERROR(CheckBytes(absl::StrCat("result.metrics[", i, "].detail_json"),
                               static_cast<int64_t>(m.detail_json().size()), limits.max_detail_bytes,
                               "max-detail-bytes"));
  }
  return absl::OkStatus();
}

}  // namespace

void WorkerApi::CompleteJob(const v1::CompleteJobRequest& request, Callback<v1::CompleteJobResponse> done,
                            const auth::Caller& caller) {
  absl::Status allowed = auth::Authorize(caller, auth::Action::kWork);
  if (allowed.ok()) allowed = state_.CheckWorkerOwner(request.worker_id(), caller);
  if (!allowed.ok()) return done(allowed);
  if (absl::Status s = CheckResultLimits(request, state_.options.limits); !s.ok()) {
    done(s);
    return;
  }
  const int64_t now = state_.clock->NowMs();
  std::vector<Op> ops;
  Completion c;
  {
    absl::MutexLock lock(&state_.mu);
    CompleteLocked(request, request.worker_id(), caller, now, &ops, &c);
    if (c.answer->ok()) {
      // Queued under the lock: the store sees writes in the order they were
      // made in memory (a concurrent heartbeat's write cannot land after this).
      const bool serve = c.serve_waiters;
      state_.Commit(std::move(ops), [c = std::move(c), done = std::move(done)](absl::Status s) {
        if (!s.ok() && c.on_fail) c.on_fail(s);
        done(s.ok() ? *c.answer : absl::StatusOr<v1::CompleteJobResponse>(s));
      });
      if (serve) state_.ServeWaiters(now);
      return;
    }
  }
  done(*c.answer);  // refused before anything changed
}

void WorkerApi::CompleteJobs(const v1::CompleteJobsRequest& request, Callback<v1::CompleteJobsResponse> done,
                             const auth::Caller& caller) {
  absl::Status allowed = auth::Authorize(caller, auth::Action::kWork);
  if (allowed.ok()) allowed = state_.CheckWorkerOwner(request.worker_id(), caller);
  if (!allowed.ok()) return done(allowed);
  // The count first: nothing below allocates per completion before this.
  if (absl::Status s = CheckCount("CompleteJobs completions", request.completions_size(),
                                  state_.options.max_completions_per_request, "max-completions-per-request");
      !s.ok()) {
    return done(s);
  }
  if (absl::Status s = CheckBytes("CompleteJobs request", static_cast<int64_t>(request.ByteSizeLong()),
                                  state_.options.limits.max_receive_message_bytes, "max-receive-message-bytes");
      !s.ok()) {
    return done(s);
  }
  const int n = request.completions_size();
  std::vector<Completion> items(static_cast<size_t>(n));
  // Checks of each completion alone, outside the lock.
  std::vector<bool> valid(static_cast<size_t>(n), false);
  for (int i = 0; i < n; ++i) {
    const v1::CompleteJobRequest& one = request.completions(i);
    Completion& c = items[static_cast<size_t>(i)];
    if (!one.worker_id().empty() && one.worker_id() != request.worker_id()) {
      *c.answer = absl::InvalidArgumentError(
          absl::StrCat("completions[", i, "].worker_id: not the request's worker_id (leave it empty)"));
    } else if (absl::Status s = CheckResultLimits(one, state_.options.limits); !s.ok()) {
      *c.answer = s;
    } else {
      valid[static_cast<size_t>(i)] = true;
    }
  }
  std::vector<int64_t> job_ids;
  job_ids.reserve(static_cast<size_t>(n));
  for (const v1::CompleteJobRequest& one : request.completions()) job_ids.push_back(one.job_id());
  const int64_t now = state_.clock->NowMs();
  std::vector<Op> ops;
  absl::MutexLock lock(&state_.mu);
  for (int i = 0; i < n; ++i) {
    if (!valid[static_cast<size_t>(i)]) continue;
    CompleteLocked(request.completions(i), request.worker_id(), caller, now, &ops, &items[static_cast<size_t>(i)]);
  }
  // One operation, so one transaction: every completion is durable before
  // any is acknowledged. Queued under the lock, in the order of the memory
  // changes.
  const bool serve = std::any_of(items.begin(), items.end(), [](const Completion& c) { return c.serve_waiters; });
  state_.Commit(std::move(ops),
                [job_ids = std::move(job_ids), items = std::move(items), done = std::move(done)](absl::Status s) {
                  if (!s.ok()) {
                    for (const Completion& c : items) {
                      if (c.on_fail) c.on_fail(s);
                    }
                    return done(s);
                  }
                  v1::CompleteJobsResponse response;
                  for (size_t i = 0; i < items.size(); ++i) {
                    v1::CompleteJobOutcome* o = response.add_outcomes();
                    o->set_job_id(job_ids[i]);
                    const absl::StatusOr<v1::CompleteJobResponse>& a = *items[i].answer;
                    if (a.ok()) {
                      *o->mutable_response() = *a;
                    } else {
                      o->set_code(static_cast<int32_t>(a.status().code()));
                      o->set_message(std::string(a.status().message()));
                    }
                  }
                  done(std::move(response));
                });
  if (serve) state_.ServeWaiters(now);
}

void WorkerApi::CompleteLocked(const v1::CompleteJobRequest& request, const std::string& worker_id,
                               const auth::Caller& caller, int64_t now, std::vector<Op>* ops, Completion* out) {
  *out->answer = v1::CompleteJobResponse();
  auto it = state_.jobs.find(request.job_id());
  if (it != state_.jobs.end() && it->second.worker_id != worker_id && it->second.lease_id == request.lease_id()) {
    // The current lease named by a worker it was not granted to.
    if (absl::Status s = state_.CheckLeaseOwner(it->second.worker_id, caller); !s.ok()) {
      *out->answer = s;
      return;
    }
  }
  state_.TouchWorker(worker_id, now, &caller);
  if (it == state_.jobs.end()) {
    // Not in memory: unknown, or its sweep is over. Decide from the database,
    // in commit order (after every write queued before this report).
    std::shared_ptr<absl::StatusOr<v1::CompleteJobResponse>> answer = out->answer;
    ops->push_back([this, request, worker_id, answer, caller](JobStore& s) -> absl::Status {
      absl::StatusOr<storage::JobRecord> job = s.GetJob(request.job_id(), false);
      if (!job.ok()) {
        *answer = job.status();
        return absl::OkStatus();
      }
      if (job->worker_id != worker_id && job->lease_id == request.lease_id()) {
        if (absl::Status st = state_.CheckLeaseOwner(job->worker_id, caller); !st.ok()) {
          *answer = st;
          return absl::OkStatus();
        }
      }
      v1::CompleteJobResponse r;
      if (job->attempt == request.attempt() && job->lease_id == request.lease_id()) {
        ASSIGN_OR_RETURN(int64_t n, s.CountResults(request.job_id()));
        r.set_accepted(n > 0);
        r.set_duplicate(n > 0);
      }
      *answer = r;
      return absl::OkStatus();
    });
    return;
  }
  JobEntry& e = it->second;
  const bool current = e.attempt == request.attempt() && e.lease_id == request.lease_id();
  if (!current || e.state == storage::kJobFailed) {
    out->answer->value().set_accepted(false);  // stale attempt (or contradicts a final failure)
  } else if (e.has_result) {
    out->answer->value().set_accepted(true);
    out->answer->value().set_duplicate(true);
  } else if (e.state != storage::kJobLeased && e.attempt_end != AttemptEnd::kExpired) {
    out->answer->value().set_accepted(false);  // this attempt already ended with FailJob
  } else {
    // LEASED, QUEUED after a lost lease, or CANCELLED: store the result.
    const JobEntry before = e;
    const int new_state =
        (e.cancel_requested || e.state == storage::kJobCancelled) ? storage::kJobCancelled : storage::kJobSucceeded;
    e.has_result = true;
    e.attempt_end = AttemptEnd::kNone;
    if (e.state != storage::kJobCancelled) e.finished_ms = now;
    if (e.state != new_state) state_.SetState(e, new_state);
    storage::ResultRecord result = ResultFromProto(request, e.sweep_id, now);
    result.worker_id = worker_id;  // a batch's completions may leave theirs empty
    int64_t bytes = 0;
    for (const auto& m : result.metrics) bytes += m.name.size() + m.detail_json.size() + 8;
    if (auto sw = state_.sweeps.find(e.sweep_id); sw != state_.sweeps.end()) {
      state_.result_bytes[sw->second.tenant] += bytes;
    }
    ops->push_back([u = state_.UpdateOf(e), result, now,
                    outcome = new_state == storage::kJobSucceeded ? "succeeded" : "cancelled"](JobStore& s) {
      RETURN_IF_ERROR(s.InsertResult(result));
      RETURN_IF_ERROR(s.UpdateJob(u));
      return s.EndAttempt(u.job_id, u.attempt, outcome, "", now);
    });
    out->answer->value().set_accepted(true);
    if (state_.options.observer != nullptr && e.leased_ms > 0) {
      state_.options.observer->JobCompleted(static_cast<double>(now - e.leased_ms) / 1000.0);
    }
    const int64_t sweep_id = e.sweep_id;
    state_.MaybeFinishSweep(sweep_id, now, ops);         // may erase e
    out->serve_waiters = state_.auth_config != nullptr;  // a tenant may be back under leased_jobs
    out->on_fail = [this, before](absl::Status s) {
      // Not stored: put the job back as it was so the worker's retry lands.
      absl::MutexLock lock(&state_.mu);
      auto it = state_.jobs.find(before.job_id);
      if (it == state_.jobs.end() || it->second.attempt != before.attempt || !it->second.has_result) {
        return;
      }
      JobEntry& e = it->second;
      state_.SetState(e, before.state);
      e = before;
      std::cerr << "ablate-coordinator: storing the result of job " << before.job_id << " failed: " << s << "\n";
    };
  }
}

void WorkerApi::FailJob(const v1::FailJobRequest& request, Callback<v1::FailJobResponse> done,
                        const auth::Caller& caller) {
  absl::Status allowed = auth::Authorize(caller, auth::Action::kWork);
  if (allowed.ok()) allowed = state_.CheckWorkerOwner(request.worker_id(), caller);
  if (!allowed.ok()) return done(allowed);
  const int64_t now = state_.clock->NowMs();
  v1::FailJobResponse response;
  std::vector<Op> ops;
  {
    absl::MutexLock lock(&state_.mu);
    auto it = state_.jobs.find(request.job_id());
    if (it != state_.jobs.end() && it->second.worker_id != request.worker_id() &&
        it->second.lease_id == request.lease_id()) {
      if (absl::Status s = state_.CheckLeaseOwner(it->second.worker_id, caller); !s.ok()) {
        state_.mu.Unlock();
        done(s);
        state_.mu.Lock();
        return;
      }
    }
    state_.TouchWorker(request.worker_id(), now, &caller);
    if (it == state_.jobs.end()) {
      auto answer = std::make_shared<absl::StatusOr<v1::FailJobResponse>>();
      ops.push_back([this, request, answer, caller](JobStore& s) -> absl::Status {
        absl::StatusOr<storage::JobRecord> job = s.GetJob(request.job_id(), false);
        if (!job.ok()) {
          *answer = job.status();
          return absl::OkStatus();
        }
        if (job->worker_id != request.worker_id() && job->lease_id == request.lease_id()) {
          if (absl::Status st = state_.CheckLeaseOwner(job->worker_id, caller); !st.ok()) {
            *answer = st;
            return absl::OkStatus();
          }
        }
        v1::FailJobResponse r;
        // The job ended: a repeat of its last attempt's report is acknowledged.
        r.set_accepted(job->attempt == request.attempt() && job->lease_id == request.lease_id());
        *answer = r;
        return absl::OkStatus();
      });
      state_.Commit(std::move(ops), [answer, done = std::move(done)](absl::Status s) {
        done(s.ok() ? *answer : absl::StatusOr<v1::FailJobResponse>(s));
      });
      return;
    }
    JobEntry& e = it->second;
    const SweepState& sw = state_.sweeps.at(e.sweep_id);
    const bool current = e.attempt == request.attempt() && e.lease_id == request.lease_id();
    if (!current) {
      response.set_accepted(false);
    } else if (e.state == storage::kJobSucceeded || e.state == storage::kJobFailed ||
               e.state == storage::kJobCancelled || e.has_result) {
      response.set_accepted(true);  // already final; nothing changes
    } else if (e.state == storage::kJobQueued &&
               (e.attempt_end == AttemptEnd::kFailed || e.attempt_end == AttemptEnd::kReleased)) {
      response.set_accepted(true);  // the same report again
      response.set_will_retry(true);
    } else {
      // LEASED, or QUEUED after this attempt's lease was lost.
      std::string outcome;
      if (e.cancel_requested) {
        outcome = "cancelled";
        e.finished_ms = now;
        state_.SetState(e, storage::kJobCancelled);
      } else if (request.release()) {
        outcome = "released";
        e.attempt_end = AttemptEnd::kReleased;
        if (e.state != storage::kJobQueued) state_.SetState(e, storage::kJobQueued);
        response.set_will_retry(true);
      } else {
        outcome = "failed";
        e.counted += 1;
        e.last_error = request.error();
        e.attempt_end = AttemptEnd::kFailed;
        if (e.counted >= sw.max_attempts) {
          e.finished_ms = now;
          state_.SetState(e, storage::kJobFailed);
        } else {
          if (e.state != storage::kJobQueued) state_.SetState(e, storage::kJobQueued);
          response.set_will_retry(true);
        }
      }
      response.set_accepted(true);
      const bool failed = e.state == storage::kJobFailed;
      ops.push_back([u = state_.UpdateOf(e), outcome, error = request.error(), now, failed, sweep = e.sweep_id,
                     worker = request.worker_id()](JobStore& s) {
        RETURN_IF_ERROR(s.UpdateJob(u));
        RETURN_IF_ERROR(s.EndAttempt(u.job_id, u.attempt, outcome, error, now));
        if (outcome != "failed") return absl::OkStatus();
        return s.InsertEvent({now, sweep, u.job_id, worker, failed ? "job_failed" : "job_error", error});
      });
      if (!response.will_retry()) state_.MaybeFinishSweep(e.sweep_id, now, &ops);
    }
    state_.Commit(std::move(ops), AnswerWhenStored(response, std::move(done)));
    // After the requeue is queued for the store: a lease of the same job
    // (granted here) must be written after it, not before.
    if (response.will_retry()) state_.ServeWaiters(now);
  }
}

}  // namespace ablate::coordinator
