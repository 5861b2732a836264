// lease_grant.cc: granting leases, the scheduling policy. A waiter (a
// LeaseJobs call, answered at once or parked) is given up to max_jobs jobs:
// the tenant furthest behind in weighted fair share first (with room under its
// leased_jobs quota), then that tenant's best job by priority, sweep age and
// index, except that a job of a model the worker holds wins within the top
// priority level; the batch is the chosen job's (model, evaluation) jobs in
// queue order. Every lease bumps the job's attempt (the fencing token) and the
// answer is sent once the leases are committed.
//
// Thread-safety: SchedulerState methods called with mu held; the answer runs
// on the committer thread after the commit, never under mu.
#include <algorithm>
#include <iostream>
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "auth/token.h"
#include "common/status_macros.h"
#include "coordinator/scheduler_state.h"

namespace ablate::coordinator {

using storage::JobStore;

void SchedulerState::ServeWaiters(int64_t now) {
  for (auto it = waiters.begin(); it != waiters.end();) {
    if (!AnyQueued()) return;
    if (TryGrant(*it, now)) {
      it = waiters.erase(it);
    } else {
      ++it;
    }
  }
}

bool SchedulerState::TryGrant(Waiter& w, int64_t now) {
  // Fair share: the tenant served least so far (virtual time) among those
  // with a job this worker may run and room under their leased_jobs quota;
  // ties go to the better head job (priority, then age).
  TenantQueues* tenant = nullptr;
  const QueueKey* tenant_head = nullptr;
  int64_t room = w.max_jobs;
  for (auto& [name, t] : tenants) {
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
  // Bundling: more jobs of the (model, evaluation) the worker was leased last
  // win within the top priority level too, so its residual-stream cache
  // (prefixes per model and evaluation input) stays hot; in queue order, so a
  // sweep's baseline (index 0 of its grid) comes before its conditions. Not
  // when the worker says it no longer holds that model.
  WorkerState& worker = workers[w.worker_id];
  const bool holds_last =
      w.models.empty() || std::find(w.models.begin(), w.models.end(), worker.last_model) != w.models.end();
  if (worker.last_model >= 0 && holds_last) {
    for (QueueIndex* q : queues) {
      if (q == nullptr) continue;
      const QueueKey* k = q->BestOfModelEval(worker.last_model, worker.last_eval);
      if (k != nullptr && k->priority >= head->priority && (k->model != head->model || k->eval != head->eval)) {
        head = k;
        head_queue = q;
      }
    }
  }
  std::vector<QueueKey> picked = head_queue->TakeBatch(head->model, head->eval, static_cast<size_t>(room));
  if (picked.empty()) picked.push_back(*head);
  worker.last_model = picked.back().model;
  worker.last_eval = picked.back().eval;
  const std::string tenant_name = sweeps.at(picked.front().sweep_id).tenant;
  tenant->vtime += static_cast<double>(picked.size()) / QuotaOf(tenant_name).weight;

  auto response = std::make_shared<v1::LeaseJobsResponse>();
  std::vector<Op> ops;
  std::vector<int64_t> ids;
  for (size_t i = 0; i < picked.size(); ++i) {
    JobEntry& e = jobs.at(picked[i].job_id);
    const SweepState& sw = sweeps.at(e.sweep_id);
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
  if (options.observer != nullptr) {
    options.observer->LeaseGranted(static_cast<int>(picked.size()), static_cast<double>(now - w.arrived_ms) / 1000.0);
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

}  // namespace ablate::coordinator
