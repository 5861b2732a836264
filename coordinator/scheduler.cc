// scheduler.cc: opening, state helpers and the worker API (register, lease,
// heartbeat, complete, fail). Rebuilding state on start, lease expiry and the
// maintenance thread are in scheduler_maintenance.cc; the client API is in
// scheduler_client.cc.
#include "coordinator/scheduler.h"

#include <algorithm>
#include <iostream>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/notification.h"
#include "auth/permissions.h"
#include "auth/token.h"
#include "common/status_macros.h"
#include "coordinator/scheduler_convert.h"

namespace ablate::coordinator {

using storage::GroupCommitter;
using storage::JobStore;
using Op = storage::GroupCommitter::Op;

Scheduler::Scheduler(const SchedulerOptions& options, ExpandFn expand, const Clock* clock)
    : options_(options), expand_(std::move(expand)), clock_(clock) {
  absl::BitGen gen;
  lease_nonce_ = absl::StrFormat("%08x", absl::Uniform<uint32_t>(gen));
}

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
  {
    absl::MutexLock lock(&s->reader_mu_);
    s->reader_ = std::move(reader);
  }
  s->committer_ = std::make_unique<GroupCommitter>(
      std::move(writer),
      storage::GroupCommitOptions{.max_batch = std::max(1, options.group_commit_max_batch),
                                  .max_delay = absl::Milliseconds(options.group_commit_ms),
                                  .on_batch = [obs = options.observer](int ops, absl::Duration took) {
                                    if (obs != nullptr) obs->BatchCommitted(ops, absl::ToDoubleSeconds(took));
                                  }});
  RETURN_IF_ERROR(s->Load());
  if (options.run_maintenance_thread) {
    s->maintenance_ = std::thread([p = s.get()] { p->MaintenanceLoop(); });
  }
  s->materializer_ = std::thread([p = s.get()] { p->MaterializeLoop(); });
  return s;
}

Scheduler::~Scheduler() { Stop(); }

absl::Status Scheduler::ReaderCall(const std::function<absl::Status(JobStore&)>& fn) {
  absl::MutexLock lock(&reader_mu_);
  return fn(*reader_);
}

void Scheduler::Commit(std::vector<Op> ops, std::function<void(absl::Status)> done) {
  committer_->Submit(
      [ops = std::move(ops)](JobStore& store) -> absl::Status {
        for (const Op& op : ops) RETURN_IF_ERROR(op(store));
        return absl::OkStatus();
      },
      std::move(done));
}

// ---------------------------------------------------------------- helpers

Scheduler::AttemptEnd Scheduler::AttemptEndFromOutcome(const std::string& outcome) {
  if (outcome.empty()) return AttemptEnd::kNone;
  if (outcome == "running") return AttemptEnd::kRunning;
  if (outcome == "released") return AttemptEnd::kReleased;
  if (outcome == "failed") return AttemptEnd::kFailed;
  if (outcome == "succeeded" || outcome == "cancelled") return AttemptEnd::kNone;
  return AttemptEnd::kExpired;  // expired, worker_lost, coordinator_restart
}

void Scheduler::LoadSweepState(const storage::SweepRecord& rec, SweepState& sw) {
  sw.sweep_id = rec.sweep_id;
  sw.tenant = rec.tenant;
  sw.state = rec.state;
  sw.priority = rec.priority;
  // Submit stores >= 1 (spec defaults); a stored row is clamped the same way.
  sw.max_attempts = std::max(1, rec.max_attempts);
  sw.lease_ttl_ms = std::max(1, rec.lease_ttl_seconds) * 1000;
  sw.needs_gpu = absl::StartsWith(rec.device, "cuda");
  sw.job_count = rec.job_count;
  sw.materialized = std::min(rec.materialized_jobs, rec.job_count);
}

void Scheduler::LoadJobEntry(const storage::JobRecord& j, JobEntry& e) {
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

int32_t Scheduler::InternModel(const std::string& path) {
  auto [it, inserted] = model_ids_.try_emplace(path, static_cast<int32_t>(model_ids_.size()));
  return it->second;
}

int32_t Scheduler::InternEval(const std::string& name) {
  auto [it, inserted] = eval_ids_.try_emplace(name, static_cast<int32_t>(eval_ids_.size()));
  return it->second;
}

Scheduler::WorkerState& Scheduler::TouchWorker(const std::string& worker_id, int64_t now,
                                               const auth::Caller* claimant) {
  WorkerState& w = workers_[worker_id];
  if (w.worker_id.empty()) {  // implicitly registered (unknown id)
    w.worker_id = worker_id;
    if (claimant != nullptr) w.tenant = claimant->tenant;
  }
  w.last_seen_ms = now;
  w.alive = true;
  return w;
}

QueueKey Scheduler::KeyOf(const JobEntry& e) const {
  return QueueKey{e.priority, e.sweep_id, e.index, e.job_id, e.model, e.eval};
}

Scheduler::TenantQueues& Scheduler::TenantOf(const JobEntry& e) {
  auto it = sweeps_.find(e.sweep_id);
  return tenants_[it != sweeps_.end() ? it->second.tenant : std::string(auth::kDefaultTenant)];
}

QueueIndex& Scheduler::QueueOf(const JobEntry& e) {
  auto it = sweeps_.find(e.sweep_id);
  TenantQueues& t = TenantOf(e);
  return (it != sweeps_.end() && it->second.needs_gpu) ? t.gpu : t.any;
}

bool Scheduler::AnyQueued() const {
  for (const auto& [name, t] : tenants_) {
    if (t.queued() > 0) return true;
  }
  return false;
}

auth::TenantQuota Scheduler::QuotaOf(const std::string& tenant) const {
  return auth_config_ ? auth_config_->QuotaOf(tenant) : auth::TenantQuota{};
}

absl::Status Scheduler::CheckWorkerOwner(const std::string& worker_id, const auth::Caller& caller) {
  absl::MutexLock lock(&owners_mu_);
  auto [it, inserted] = owners_.try_emplace(worker_id, caller.subject);
  if (inserted || it->second == caller.subject) return absl::OkStatus();
  return absl::PermissionDeniedError(absl::StrCat("worker ", worker_id, " was registered by another identity"));
}

absl::Status Scheduler::CheckLeaseOwner(const std::string& lease_worker, const auth::Caller& caller) {
  absl::MutexLock lock(&owners_mu_);
  auto it = owners_.find(lease_worker);
  if (it != owners_.end() && it->second == caller.subject) return absl::OkStatus();
  return absl::PermissionDeniedError("the lease belongs to another worker");
}

void Scheduler::SetAuthConfig(std::shared_ptr<const auth::AuthConfig> config) {
  absl::MutexLock lock(&mu_);
  auth_config_ = std::move(config);
  ServeWaiters(clock_->NowMs());  // a raised leased_jobs quota may free work
}

void Scheduler::Audit(storage::AuditRecord record) {
  if (record.unix_ms == 0) record.unix_ms = clock_->NowMs();
  if (record.detail.size() > 512) record.detail.resize(512);
  Commit({[record](JobStore& s) { return s.InsertAudit(record); }}, [](absl::Status s) {
    if (!s.ok()) std::cerr << "ablate-coordinator: writing an audit row failed: " << s << "\n";
  });
}

void Scheduler::SetState(JobEntry& e, int state) {
  SweepState* sw = nullptr;
  if (auto it = sweeps_.find(e.sweep_id); it != sweeps_.end()) sw = &it->second;
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
      held_.erase({e.held_until_ms, e.job_id});
      e.held_until_ms = 0;
    } else {
      QueueOf(e).Remove(KeyOf(e));
    }
  }
  if (e.state == storage::kJobLeased) {
    expiries_.erase({e.expires_ms, e.job_id});
    if (auto w = workers_.find(e.worker_id); w != workers_.end()) w->second.leases.erase(e.job_id);
    TenantOf(e).leased -= 1;
  }
  e.state = state;
  count(state, +1);
  if (state == storage::kJobQueued) {
    if (e.held_until_ms != 0) {
      held_.insert({e.held_until_ms, e.job_id});
    } else {
      Enqueue(e);
    }
  } else {
    e.held_until_ms = 0;
  }
  if (state == storage::kJobLeased) {
    expiries_.insert({e.expires_ms, e.job_id});
    workers_[e.worker_id].leases.insert(e.job_id);
    TenantOf(e).leased += 1;
  }
}

void Scheduler::ReleaseHeld(int64_t now) {
  while (!held_.empty() && held_.begin()->first <= now) {
    const int64_t job_id = held_.begin()->second;
    held_.erase(held_.begin());
    auto it = jobs_.find(job_id);
    if (it == jobs_.end() || it->second.state != storage::kJobQueued) continue;
    it->second.held_until_ms = 0;
    Enqueue(it->second);
  }
}

void Scheduler::Enqueue(JobEntry& e) {
  TenantQueues& t = TenantOf(e);
  if (t.queued() == 0) {
    // The tenant (re)joins the line: it gets no credit for its idle time,
    // starting level with the tenant served least among those waiting.
    double floor = -1;
    for (const auto& [name, other] : tenants_) {
      if (&other != &t && other.queued() > 0 && (floor < 0 || other.vtime < floor)) {
        floor = other.vtime;
      }
    }
    if (floor > t.vtime) t.vtime = floor;
  }
  QueueOf(e).Add(KeyOf(e));
}

storage::JobStateUpdate Scheduler::UpdateOf(const JobEntry& e) const {
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

void Scheduler::MaybeFinishSweep(int64_t sweep_id, int64_t now, std::vector<Op>* ops) {
  auto it = sweeps_.find(sweep_id);
  if (it == sweeps_.end()) return;
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
  for (int64_t id : sw.job_ids) jobs_.erase(id);
  sweeps_.erase(it);
}

// ---------------------------------------------------------------- worker API

void Scheduler::RegisterWorker(const v1::RegisterWorkerRequest& request, Callback<v1::RegisterWorkerResponse> done,
                               const auth::Caller& caller) {
  if (absl::Status s = auth::Authorize(caller, auth::Action::kWork); !s.ok()) return done(s);
  const int64_t now = clock_->NowMs();
  storage::WorkerRecord rec;
  rec.owner = caller.subject;
  rec.tenant = caller.tenant;
  {
    absl::MutexLock lock(&mu_);
    std::string base = !request.name().empty()   ? request.name()
                       : !request.host().empty() ? request.host()
                                                 : std::string("worker");
    rec.worker_id = absl::StrCat(base, "-", lease_nonce_, "-", next_worker_++);
    {
      absl::MutexLock owners(&owners_mu_);
      owners_[rec.worker_id] = caller.subject;
    }
    WorkerState& w = TouchWorker(rec.worker_id, now, &caller);
    w.host = request.host();
    std::vector<std::string> names;
    for (const auto& d : request.devices()) names.push_back(d.name());
    w.device = absl::StrJoin(names, ",");
    w.has_gpu = request.devices().empty() || absl::StrContains(w.device, "cuda");
    w.loaded_models.assign(request.loaded_models().begin(), request.loaded_models().end());
  }
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
  response.set_heartbeat_interval_ms(options_.heartbeat_interval_ms);
  Commit({[rec](JobStore& s) {
           RETURN_IF_ERROR(s.UpsertWorker(rec));
           return s.InsertEvent({rec.registered_unix_ms, 0, 0, rec.worker_id, "worker_registered", rec.host});
         }},
         [response, done = std::move(done)](absl::Status s) {
           if (s.ok()) {
             done(response);
           } else {
             done(s);
           }
         });
}

uint64_t Scheduler::LeaseJobs(const v1::LeaseJobsRequest& request, Callback<v1::LeaseJobsResponse> done,
                              const auth::Caller& caller) {
  absl::Status allowed = auth::Authorize(caller, auth::Action::kWork);
  if (allowed.ok()) allowed = CheckWorkerOwner(request.worker_id(), caller);
  if (!allowed.ok()) {
    done(allowed);
    return 0;
  }
  const int64_t now = clock_->NowMs();
  absl::MutexLock lock(&mu_);
  if (shutting_down_) {
    v1::LeaseJobsResponse r;
    r.set_shutting_down(true);
    mu_.Unlock();
    done(r);
    mu_.Lock();
    return 0;
  }
  WorkerState& worker = TouchWorker(request.worker_id(), now, &caller);
  if (!request.loaded_models().empty()) {
    worker.loaded_models.assign(request.loaded_models().begin(), request.loaded_models().end());
  }
  Waiter w;
  w.worker_id = request.worker_id();
  w.max_jobs = std::clamp(request.max_jobs(), 1, std::max(1, options_.max_jobs_per_lease));
  for (const std::string& m : worker.loaded_models) {
    if (auto it = model_ids_.find(m); it != model_ids_.end()) w.models.push_back(it->second);
  }
  w.has_gpu = worker.has_gpu;
  w.arrived_ms = now;
  w.done = std::move(done);
  const int32_t wait_ms = std::min(request.wait_ms(), options_.max_long_poll_ms);
  // Earlier waiters are served first: only jump the line when none is parked.
  if (waiters_.empty() && TryGrant(w, now)) return 0;
  if (wait_ms <= 0) {
    auto cb = std::move(w.done);
    mu_.Unlock();
    cb(v1::LeaseJobsResponse());
    mu_.Lock();
    return 0;
  }
  w.deadline_ms = now + wait_ms;
  w.token = next_token_++;
  const uint64_t token = w.token;
  waiters_.push_back(std::move(w));
  ServeWaiters(now);
  return token;
}

void Scheduler::CancelLeaseWait(uint64_t token) {
  Callback<v1::LeaseJobsResponse> cb;
  {
    absl::MutexLock lock(&mu_);
    for (auto it = waiters_.begin(); it != waiters_.end(); ++it) {
      if (it->token == token) {
        cb = std::move(it->done);
        waiters_.erase(it);
        break;
      }
    }
  }
  if (cb) cb(absl::CancelledError("the lease request was cancelled"));
}

void Scheduler::ServeWaiters(int64_t now) {
  for (auto it = waiters_.begin(); it != waiters_.end();) {
    if (!AnyQueued()) return;
    if (TryGrant(*it, now)) {
      it = waiters_.erase(it);
    } else {
      ++it;
    }
  }
}

bool Scheduler::TryGrant(Waiter& w, int64_t now) {
  // Fair share: the tenant served least so far (virtual time) among those
  // with a job this worker may run and room under their leased_jobs quota;
  // ties go to the better head job (priority, then age).
  TenantQueues* tenant = nullptr;
  const QueueKey* tenant_head = nullptr;
  int64_t room = w.max_jobs;
  for (auto& [name, t] : tenants_) {
    const QueueKey* h = t.any.Best();
    if (w.has_gpu) {
      const QueueKey* g = t.gpu.Best();
      if (g != nullptr && (h == nullptr || *g < *h)) h = g;
    }
    if (h == nullptr) continue;
    const int64_t cap = QuotaOf(name).leased_jobs;
    if (cap > 0 && t.leased >= cap) continue;
    if (tenant == nullptr || t.vtime < tenant->vtime || (t.vtime == tenant->vtime && *h < *tenant_head)) {
      tenant = &t;
      tenant_head = h;
      room = cap > 0 ? std::min<int64_t>(w.max_jobs, cap - t.leased) : w.max_jobs;
    }
  }
  if (tenant == nullptr) return false;
  // Lease ids: 128 bits from the CSPRNG, drawn before anything changes.
  std::vector<std::string> lease_ids;
  for (int64_t i = 0; i < room; ++i) {
    absl::StatusOr<std::string> id = auth::RandomHex(16);
    if (!id.ok()) {
      std::cerr << "ablate-coordinator: " << id.status() << "\n";
      return false;
    }
    lease_ids.push_back(*std::move(id));
  }
  // The best job of that tenant among the queues this worker may run.
  QueueIndex* queues[2] = {&tenant->any, w.has_gpu ? &tenant->gpu : nullptr};
  const QueueKey* head = nullptr;
  QueueIndex* head_queue = nullptr;
  for (QueueIndex* q : queues) {
    if (q == nullptr) continue;
    const QueueKey* k = q->Best();
    if (k != nullptr && (head == nullptr || *k < *head)) {
      head = k;
      head_queue = q;
    }
  }
  if (head == nullptr) return false;
  // Model affinity: a job of a model the worker holds wins within the top
  // priority level (swapping models costs minutes; sweep age does not).
  const QueueKey* affine = nullptr;
  QueueIndex* affine_queue = nullptr;
  for (int32_t m : w.models) {
    for (QueueIndex* q : queues) {
      if (q == nullptr) continue;
      const QueueKey* k = q->BestOfModel(m);
      if (k != nullptr && (affine == nullptr || *k < *affine)) {
        affine = k;
        affine_queue = q;
      }
    }
  }
  if (affine != nullptr && affine->priority >= head->priority) {
    head = affine;
    head_queue = affine_queue;
  }
  std::vector<QueueKey> picked = head_queue->TakeBatch(head->model, head->eval, static_cast<size_t>(room));
  if (picked.empty()) picked.push_back(*head);
  const std::string tenant_name = sweeps_.at(picked.front().sweep_id).tenant;
  tenant->vtime += static_cast<double>(picked.size()) / QuotaOf(tenant_name).weight;

  auto response = std::make_shared<v1::LeaseJobsResponse>();
  std::vector<Op> ops;
  std::vector<int64_t> ids;
  for (size_t i = 0; i < picked.size(); ++i) {
    JobEntry& e = jobs_.at(picked[i].job_id);
    const SweepState& sw = sweeps_.at(e.sweep_id);
    e.attempt += 1;
    e.lease_id = lease_ids[i];
    e.worker_id = w.worker_id;
    e.expires_ms = now + sw.lease_ttl_ms;
    e.attempt_end = AttemptEnd::kRunning;
    e.leased_ms = now;
    SetState(e, storage::kJobLeased);
    v1::Lease* lease = response->add_leases();
    lease->set_lease_id(e.lease_id);
    lease->set_expires_unix_ms(e.expires_ms);
    lease->set_attempt(e.attempt);
    v1::Job* job = lease->mutable_job();
    job->set_job_id(e.job_id);
    job->set_sweep_id(e.sweep_id);
    job->set_state(v1::LEASED);
    job->set_attempts(e.counted);
    job->set_priority(e.priority);
    job->set_last_error(e.last_error);
    job->set_worker_id(e.worker_id);
    ops.push_back([u = UpdateOf(e), now](JobStore& s) {
      RETURN_IF_ERROR(s.UpdateJob(u));
      return s.InsertAttempt({u.job_id, u.attempt, u.lease_id, u.worker_id, now});
    });
  }
  if (options_.observer != nullptr) {
    options_.observer->LeaseGranted(static_cast<int>(picked.size()), static_cast<double>(now - w.arrived_ms) / 1000.0);
  }
  // Read the specs inside the same batch (after the updates) and answer once durable.
  ops.push_back([response](JobStore& s) -> absl::Status {
    for (v1::Lease& lease : *response->mutable_leases()) {
      ASSIGN_OR_RETURN(std::string blob, s.GetJobSpec(lease.job().job_id()));
      if (!lease.mutable_job()->mutable_spec()->ParseFromString(blob)) {
        return absl::DataLossError(absl::StrCat("job ", lease.job().job_id(), ": stored JobSpec does not parse"));
      }
    }
    return absl::OkStatus();
  });
  Commit(std::move(ops), [response, done = std::move(w.done)](absl::Status s) {
    if (s.ok()) {
      done(std::move(*response));
    } else {
      // The leases stay in memory and expire; nothing was handed out.
      done(s);
    }
  });
  return true;
}

void Scheduler::Heartbeat(const v1::HeartbeatRequest& request, Callback<v1::HeartbeatResponse> done,
                          const auth::Caller& caller) {
  absl::Status allowed = auth::Authorize(caller, auth::Action::kWork);
  if (allowed.ok()) allowed = CheckWorkerOwner(request.worker_id(), caller);
  if (!allowed.ok()) return done(allowed);
  const int64_t now = clock_->NowMs();
  auto response = std::make_shared<v1::HeartbeatResponse>();
  std::vector<Op> ops;
  {
    absl::MutexLock lock(&mu_);
    // Every lease named must be this worker's (or its subject's): check all
    // before anything changes.
    for (const v1::LeaseProgress& p : request.leases()) {
      auto it = jobs_.find(p.job_id());
      if (it == jobs_.end() || it->second.lease_id != p.lease_id() || it->second.worker_id == request.worker_id()) {
        continue;
      }
      if (absl::Status s = CheckLeaseOwner(it->second.worker_id, caller); !s.ok()) {
        mu_.Unlock();
        done(s);
        mu_.Lock();
        return;
      }
    }
    WorkerState& worker = TouchWorker(request.worker_id(), now, &caller);
    if (!request.loaded_models().empty()) {
      worker.loaded_models.assign(request.loaded_models().begin(), request.loaded_models().end());
    }
    int64_t min_expiry = 0;
    for (const v1::LeaseProgress& p : request.leases()) {
      auto it = jobs_.find(p.job_id());
      if (it == jobs_.end() || it->second.lease_id != p.lease_id()) {
        response->add_lost_job_ids(p.job_id());
        continue;
      }
      JobEntry& e = it->second;
      const SweepState& sw = sweeps_.at(e.sweep_id);
      if (e.state == storage::kJobQueued && e.attempt_end == AttemptEnd::kExpired) {
        // Lost by expiry or a coordinator restart, not leased again: re-claim it.
        e.worker_id = request.worker_id();
        e.expires_ms = now + sw.lease_ttl_ms;
        e.attempt_end = AttemptEnd::kRunning;
        SetState(e, storage::kJobLeased);
        ops.push_back([u = UpdateOf(e)](JobStore& s) {
          RETURN_IF_ERROR(s.UpdateJob(u));
          return s.EndAttempt(u.job_id, u.attempt, "running", "", 0);
        });
      } else if (e.state == storage::kJobLeased) {
        expiries_.erase({e.expires_ms, e.job_id});
        e.expires_ms = now + sw.lease_ttl_ms;
        expiries_.insert({e.expires_ms, e.job_id});
        if (e.worker_id != request.worker_id()) {
          // Same lease reported by another worker id (re-registered): follow it.
          workers_[e.worker_id].leases.erase(e.job_id);
          e.worker_id = request.worker_id();
          worker.leases.insert(e.job_id);
        }
        RecordProgress(worker, e, p, now);
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
  }
  Commit(std::move(ops), [response, done = std::move(done)](absl::Status s) {
    if (s.ok()) {
      done(std::move(*response));
    } else {
      done(s);
    }
  });
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

void Scheduler::CompleteJob(const v1::CompleteJobRequest& request, Callback<v1::CompleteJobResponse> done,
                            const auth::Caller& caller) {
  absl::Status allowed = auth::Authorize(caller, auth::Action::kWork);
  if (allowed.ok()) allowed = CheckWorkerOwner(request.worker_id(), caller);
  if (!allowed.ok()) return done(allowed);
  if (absl::Status s = CheckResultLimits(request, options_.limits); !s.ok()) {
    done(s);
    return;
  }
  const int64_t now = clock_->NowMs();
  v1::CompleteJobResponse response;
  std::vector<Op> ops;
  std::function<void(absl::Status)> on_commit;
  {
    absl::MutexLock lock(&mu_);
    auto it = jobs_.find(request.job_id());
    if (it != jobs_.end() && it->second.worker_id != request.worker_id() && it->second.lease_id == request.lease_id()) {
      // The current lease named by a worker it was not granted to.
      if (absl::Status s = CheckLeaseOwner(it->second.worker_id, caller); !s.ok()) {
        mu_.Unlock();
        done(s);
        mu_.Lock();
        return;
      }
    }
    TouchWorker(request.worker_id(), now, &caller);
    if (it == jobs_.end()) {
      // Not in memory: unknown, or its sweep is over. Decide from the database,
      // in commit order (after every write queued before this report).
      auto answer = std::make_shared<absl::StatusOr<v1::CompleteJobResponse>>();
      ops.push_back([this, request, answer, caller](JobStore& s) -> absl::Status {
        absl::StatusOr<storage::JobRecord> job = s.GetJob(request.job_id(), false);
        if (!job.ok()) {
          *answer = job.status();
          return absl::OkStatus();
        }
        if (job->worker_id != request.worker_id() && job->lease_id == request.lease_id()) {
          if (absl::Status st = CheckLeaseOwner(job->worker_id, caller); !st.ok()) {
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
      mu_.Unlock();
      Commit(std::move(ops), [answer, done = std::move(done)](absl::Status s) {
        done(s.ok() ? *answer : absl::StatusOr<v1::CompleteJobResponse>(s));
      });
      mu_.Lock();
      return;
    }
    JobEntry& e = it->second;
    const bool current = e.attempt == request.attempt() && e.lease_id == request.lease_id();
    if (!current || e.state == storage::kJobFailed) {
      response.set_accepted(false);  // stale attempt (or contradicts a final failure)
    } else if (e.has_result) {
      response.set_accepted(true);
      response.set_duplicate(true);
    } else if (e.state != storage::kJobLeased && e.attempt_end != AttemptEnd::kExpired) {
      response.set_accepted(false);  // this attempt already ended with FailJob
    } else {
      // LEASED, QUEUED after a lost lease, or CANCELLED: store the result.
      const JobEntry before = e;
      const int new_state =
          (e.cancel_requested || e.state == storage::kJobCancelled) ? storage::kJobCancelled : storage::kJobSucceeded;
      e.has_result = true;
      e.attempt_end = AttemptEnd::kNone;
      if (e.state != storage::kJobCancelled) e.finished_ms = now;
      if (e.state != new_state) SetState(e, new_state);
      storage::ResultRecord result = ResultFromProto(request, e.sweep_id, now);
      int64_t bytes = 0;
      for (const auto& m : result.metrics) bytes += m.name.size() + m.detail_json.size() + 8;
      if (auto sw = sweeps_.find(e.sweep_id); sw != sweeps_.end()) {
        result_bytes_[sw->second.tenant] += bytes;
      }
      ops.push_back([u = UpdateOf(e), result, now,
                     outcome = new_state == storage::kJobSucceeded ? "succeeded" : "cancelled"](JobStore& s) {
        RETURN_IF_ERROR(s.InsertResult(result));
        RETURN_IF_ERROR(s.UpdateJob(u));
        return s.EndAttempt(u.job_id, u.attempt, outcome, "", now);
      });
      response.set_accepted(true);
      if (options_.observer != nullptr && e.leased_ms > 0) {
        options_.observer->JobCompleted(static_cast<double>(now - e.leased_ms) / 1000.0);
      }
      const int64_t sweep_id = e.sweep_id;
      MaybeFinishSweep(sweep_id, now, &ops);  // may erase e
      if (auth_config_) ServeWaiters(now);    // a tenant may be back under leased_jobs
      on_commit = [this, before](absl::Status s) {
        if (s.ok()) return;
        // Not stored: put the job back as it was so the worker's retry lands.
        absl::MutexLock lock(&mu_);
        auto it = jobs_.find(before.job_id);
        if (it == jobs_.end() || it->second.attempt != before.attempt || !it->second.has_result) {
          return;
        }
        JobEntry& e = it->second;
        SetState(e, before.state);
        e = before;
        std::cerr << "ablate-coordinator: storing the result of job " << before.job_id << " failed: " << s << "\n";
      };
    }
  }
  Commit(std::move(ops), [response, done = std::move(done), on_commit](absl::Status s) {
    if (on_commit) on_commit(s);
    if (s.ok()) {
      done(response);
    } else {
      done(s);
    }
  });
}

void Scheduler::FailJob(const v1::FailJobRequest& request, Callback<v1::FailJobResponse> done,
                        const auth::Caller& caller) {
  absl::Status allowed = auth::Authorize(caller, auth::Action::kWork);
  if (allowed.ok()) allowed = CheckWorkerOwner(request.worker_id(), caller);
  if (!allowed.ok()) return done(allowed);
  const int64_t now = clock_->NowMs();
  v1::FailJobResponse response;
  std::vector<Op> ops;
  {
    absl::MutexLock lock(&mu_);
    auto it = jobs_.find(request.job_id());
    if (it != jobs_.end() && it->second.worker_id != request.worker_id() && it->second.lease_id == request.lease_id()) {
      if (absl::Status s = CheckLeaseOwner(it->second.worker_id, caller); !s.ok()) {
        mu_.Unlock();
        done(s);
        mu_.Lock();
        return;
      }
    }
    TouchWorker(request.worker_id(), now, &caller);
    if (it == jobs_.end()) {
      auto answer = std::make_shared<absl::StatusOr<v1::FailJobResponse>>();
      ops.push_back([this, request, answer, caller](JobStore& s) -> absl::Status {
        absl::StatusOr<storage::JobRecord> job = s.GetJob(request.job_id(), false);
        if (!job.ok()) {
          *answer = job.status();
          return absl::OkStatus();
        }
        if (job->worker_id != request.worker_id() && job->lease_id == request.lease_id()) {
          if (absl::Status st = CheckLeaseOwner(job->worker_id, caller); !st.ok()) {
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
      mu_.Unlock();
      Commit(std::move(ops), [answer, done = std::move(done)](absl::Status s) {
        done(s.ok() ? *answer : absl::StatusOr<v1::FailJobResponse>(s));
      });
      mu_.Lock();
      return;
    }
    JobEntry& e = it->second;
    const SweepState& sw = sweeps_.at(e.sweep_id);
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
        SetState(e, storage::kJobCancelled);
      } else if (request.release()) {
        outcome = "released";
        e.attempt_end = AttemptEnd::kReleased;
        if (e.state != storage::kJobQueued) SetState(e, storage::kJobQueued);
        response.set_will_retry(true);
      } else {
        outcome = "failed";
        e.counted += 1;
        e.last_error = request.error();
        e.attempt_end = AttemptEnd::kFailed;
        if (e.counted >= sw.max_attempts) {
          e.finished_ms = now;
          SetState(e, storage::kJobFailed);
        } else {
          if (e.state != storage::kJobQueued) SetState(e, storage::kJobQueued);
          response.set_will_retry(true);
        }
      }
      response.set_accepted(true);
      const bool failed = e.state == storage::kJobFailed;
      ops.push_back([u = UpdateOf(e), outcome, error = request.error(), now, failed, sweep = e.sweep_id,
                     worker = request.worker_id()](JobStore& s) {
        RETURN_IF_ERROR(s.UpdateJob(u));
        RETURN_IF_ERROR(s.EndAttempt(u.job_id, u.attempt, outcome, error, now));
        if (outcome != "failed") return absl::OkStatus();
        return s.InsertEvent({now, sweep, u.job_id, worker, failed ? "job_failed" : "job_error", error});
      });
      const int64_t sweep_id = e.sweep_id;
      if (response.will_retry()) {
        ServeWaiters(now);
      } else {
        MaybeFinishSweep(sweep_id, now, &ops);
      }
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

int64_t Scheduler::MaterializedJobs(int64_t sweep_id) {
  absl::MutexLock lock(&mu_);
  auto it = sweeps_.find(sweep_id);
  return it == sweeps_.end() ? -1 : it->second.materialized;
}

int64_t Scheduler::QueuedJobs() {
  absl::MutexLock lock(&mu_);
  int64_t n = 0;
  for (const auto& [name, t] : tenants_) n += t.queued();
  return n;
}

}  // namespace ablate::coordinator
