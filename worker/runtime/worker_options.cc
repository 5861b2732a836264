// worker_options.cc: see worker_options.h.
#include "worker/runtime/worker_options.h"

#include "absl/strings/str_cat.h"
#include "worker/runtime/device_probe.h"

namespace ablate::worker {
namespace {

absl::Status Positive(const char* field, int64_t value) {
  if (value > 0) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(field, ": must be > 0, got ", value));
}

}  // namespace

absl::Status ValidateWorkerOptions(const WorkerOptions& o) {
  if (o.coordinator_address.empty()) {
    return absl::InvalidArgumentError("coordinator_address: empty (expected host:port)");
  }
  if (o.device == "auto") {
    return absl::InvalidArgumentError("device: 'auto' must be resolved before the runtime starts");
  }
  if (absl::Status s = ValidateDevice(o.device); !s.ok()) return s;
  for (const auto& [field, value] : {std::pair<const char*, int64_t>{"max_jobs_per_lease", o.max_jobs_per_lease},
                                     {"rpc_timeout_ms", o.rpc_timeout_ms},
                                     {"backoff_initial_ms", o.backoff_initial_ms},
                                     {"backoff_max_ms", o.backoff_max_ms}}) {
    if (absl::Status s = Positive(field, value); !s.ok()) return s;
  }
  if (o.lease_wait_ms < 0 || o.heartbeat_interval_ms < 0 || o.drain_grace_ms < 0 || o.report_retry_ms < 0 ||
      o.idle_exit_ms < 0 || o.startup_timeout_ms < 0) {
    return absl::InvalidArgumentError(
        "lease_wait_ms, heartbeat_interval_ms, drain_grace_ms, report_retry_ms, idle_exit_ms, "
        "startup_timeout_ms: must be >= 0");
  }
  if (o.backoff_multiplier < 1.0) {
    return absl::InvalidArgumentError(absl::StrCat("backoff_multiplier: must be >= 1, got ", o.backoff_multiplier));
  }
  if (o.backoff_jitter < 0.0 || o.backoff_jitter > 1.0) {
    return absl::InvalidArgumentError(absl::StrCat("backoff_jitter: must be in [0, 1], got ", o.backoff_jitter));
  }
  return absl::OkStatus();
}

}  // namespace ablate::worker
