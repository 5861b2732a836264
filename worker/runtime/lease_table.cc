// lease_table.cc: see lease_table.h.
#include "worker/runtime/lease_table.h"

namespace ablate::worker {

void LeaseTable::Add(const v1::Lease& lease) {
  absl::MutexLock lock(&mu_);
  Held& held = held_[lease.job().job_id()];
  held.lease = lease;
  held.context = std::make_shared<RunningJobContext>();
  held.started = false;
}

std::shared_ptr<RunningJobContext> LeaseTable::Start(int64_t job_id) {
  absl::MutexLock lock(&mu_);
  auto it = held_.find(job_id);
  if (it == held_.end()) return nullptr;
  it->second.started = true;
  return it->second.context;
}

StopReason LeaseTable::Finish(int64_t job_id) {
  absl::MutexLock lock(&mu_);
  auto it = held_.find(job_id);
  if (it == held_.end()) return StopReason::kNone;
  it->second.finished = true;
  return it->second.context->stop_reason();
}

std::shared_ptr<RunningJobContext> LeaseTable::Context(int64_t job_id) const {
  absl::MutexLock lock(&mu_);
  auto it = held_.find(job_id);
  return it == held_.end() ? nullptr : it->second.context;
}

void LeaseTable::Remove(int64_t job_id) {
  absl::MutexLock lock(&mu_);
  held_.erase(job_id);
}

void LeaseTable::Remove(const v1::Lease& lease) {
  absl::MutexLock lock(&mu_);
  auto it = held_.find(lease.job().job_id());
  if (it != held_.end() && it->second.lease.lease_id() == lease.lease_id()) held_.erase(it);
}

std::vector<v1::LeaseProgress> LeaseTable::Progress() const {
  absl::MutexLock lock(&mu_);
  std::vector<v1::LeaseProgress> out;
  out.reserve(held_.size());
  for (const auto& [job_id, held] : held_) {
    v1::LeaseProgress p;
    p.set_job_id(job_id);
    p.set_lease_id(held.lease.lease_id());
    p.set_fraction(held.context->fraction());
    p.set_message(held.started ? held.context->message() : "waiting");
    const RunningJobContext::Work work = held.context->work();
    p.set_items_done(work.items_done);
    p.set_items_total(work.items_total);
    p.set_tokens_done(work.tokens_done);
    out.push_back(std::move(p));
  }
  return out;
}

int LeaseTable::Apply(const v1::HeartbeatResponse& response) {
  absl::MutexLock lock(&mu_);
  int affected = 0;
  // Runs under the lock above (clang's analysis does not see into lambdas).
  auto stop = [&](int64_t job_id, StopReason reason) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto it = held_.find(job_id);
    if (it == held_.end()) return;
    it->second.context->Stop(reason);
    ++affected;
  };
  for (int64_t id : response.cancelled_job_ids()) stop(id, StopReason::kCancelled);
  for (int64_t id : response.lost_job_ids()) stop(id, StopReason::kLost);
  return affected;
}

std::vector<v1::Lease> LeaseTable::StopRunningForDrain() {
  absl::MutexLock lock(&mu_);
  std::vector<v1::Lease> out;
  for (auto& [job_id, held] : held_) {
    if (held.started && !held.finished && held.context->Stop(StopReason::kDrain)) {
      out.push_back(held.lease);
    }
  }
  return out;
}

int LeaseTable::size() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(held_.size());
}

}  // namespace ablate::worker
