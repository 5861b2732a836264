// records.h: plain rows of the job store (no proto, no gRPC). Enum-valued
// fields hold the numeric values of the ablate.v1 proto enums (see schema.h);
// *_proto fields hold serialized proto messages that storage never parses.
#ifndef ABLATE_STORAGE_RECORDS_H_
#define ABLATE_STORAGE_RECORDS_H_

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace ablate::storage {

// v1.JobState / v1.SweepState values, repeated here so storage needs no proto.
inline constexpr int kJobQueued = 1;
inline constexpr int kJobLeased = 2;
inline constexpr int kJobSucceeded = 3;
inline constexpr int kJobFailed = 4;
inline constexpr int kJobCancelled = 5;
inline constexpr int kSweepRunning = 1;
inline constexpr int kSweepDone = 2;
inline constexpr int kSweepCancelled = 3;

struct SweepRecord {
  int64_t sweep_id = 0;  // assigned by InsertSweep
  std::string name;
  std::string tenant = "default";  // the owner's tenant
  int state = kSweepRunning;
  int priority = 0;
  int max_attempts = 3;
  int lease_ttl_seconds = 120;
  std::string device;
  int64_t job_count = 0;          // jobs of the sweep, created or not
  int64_t materialized_jobs = 0;  // jobs created so far: rows for job_index < this exist
                                  // (== job_count once the expansion is fully stored)
  int64_t created_unix_ms = 0;
  int64_t finished_unix_ms = 0;
  std::string spec_text;
  std::string spec_proto;  // serialized v1.SweepSpec
  // Written by InsertSweep only (read with JobStore::GetSweepLayouts): what the
  // coordinator needs, besides the spec, to resume creating the jobs.
  std::string layouts_proto;
};

// The columns a job is queried by (copied out of its JobSpec).
struct JobKeys {
  std::string model_name;
  std::string model_path;
  std::string model_family;
  int kind = 0;
  std::string condition_label;
  std::string ablation_name;
  int component = 0;
  int layer = -1;
  std::string evaluation;
  uint64_t seed = 0;
};

// The job_results row of a job (provenance of its stored result).
struct JobResultInfo {
  bool present = false;  // false: the job has no stored result
  std::string worker_id;
  int attempt = 0;
  std::string checkpoint_fingerprint;
  std::string dataset_fingerprint;
  double wall_seconds = 0;
  int64_t tokens_evaluated = 0;
  std::string code_version;
  std::string device;
  int64_t completed_unix_ms = 0;
};

struct JobRecord {
  int64_t job_id = 0;  // assigned by InsertSweep
  int64_t sweep_id = 0;
  int32_t job_index = 0;
  int state = kJobQueued;
  int priority = 0;
  JobKeys keys;
  std::string spec_proto;  // serialized v1.JobSpec (empty when loaded without it)
  int attempt = 0;
  int counted_attempts = 0;
  int lost_leases = 0;
  std::string lease_id;
  std::string worker_id;
  int64_t lease_expires_unix_ms = 0;
  bool cancel_requested = false;
  std::string last_error;
  int64_t finished_unix_ms = 0;
  // Filled by LoadJobs only: the outcome of the job's latest attempt
  // ("running", "expired", "released", "failed", ... or "" if never leased)
  // and whether the job has a stored result.
  std::string attempt_outcome;
  bool has_result = false;
  // Filled by ListJobs only.
  JobResultInfo result;
};

// The mutable part of a job row, written on every transition.
struct JobStateUpdate {
  int64_t job_id = 0;
  int state = kJobQueued;
  int attempt = 0;
  int counted_attempts = 0;
  int lost_leases = 0;
  std::string lease_id;
  std::string worker_id;
  int64_t lease_expires_unix_ms = 0;
  bool cancel_requested = false;
  std::string last_error;
  int64_t finished_unix_ms = 0;
};

struct AttemptRecord {
  int64_t job_id = 0;
  int attempt = 0;
  std::string lease_id;
  std::string worker_id;
  int64_t leased_unix_ms = 0;
};

struct MetricRecord {
  std::string name;
  double value = 0;
  std::string detail_json;
};

struct ResultRecord {
  int64_t job_id = 0;
  int64_t sweep_id = 0;
  int attempt = 0;
  std::string worker_id;
  std::vector<MetricRecord> metrics;
  std::string checkpoint_fingerprint;
  std::string dataset_fingerprint;
  double wall_seconds = 0;
  int64_t tokens_evaluated = 0;
  std::string code_version;
  std::string device;
  int64_t completed_unix_ms = 0;
};

struct WorkerRecord {
  std::string worker_id;
  std::string host;
  std::string name;
  std::string devices_json = "[]";
  std::string loaded_models_json = "[]";
  std::string code_version;
  int64_t registered_unix_ms = 0;
  int64_t last_seen_unix_ms = 0;
  std::string owner = "local";     // subject that registered it (token / certificate)
  std::string tenant = "default";  // that subject's tenant
};

// One row of the audit table: who did what, when, with what outcome.
struct AuditRecord {
  int64_t audit_id = 0;  // assigned on insert
  int64_t unix_ms = 0;
  std::string subject;
  std::string tenant;
  std::string rpc;
  int64_t sweep_id = 0;
  std::string outcome;
  std::string detail;
};

struct EventRecord {
  int64_t unix_ms = 0;
  int64_t sweep_id = 0;
  int64_t job_id = 0;
  std::string worker_id;
  std::string kind;  // "sweep_submitted", "job_failed", "lease_expired", ...
  std::string detail;
};

struct JobCounts {
  int64_t total = 0;
  int64_t queued = 0;
  int64_t leased = 0;
  int64_t succeeded = 0;
  int64_t failed = 0;
  int64_t cancelled = 0;
};

// QueryResults filters; empty / zero / has_layer=false mean "any".
struct ResultFilter {
  int64_t sweep_id = 0;
  std::string tenant;  // only sweeps of this tenant ("" any)
  std::string model;
  int kind = 0;
  int component = 0;
  bool has_layer = false;
  int layer = 0;
  std::string evaluation;
  std::string metric;
  int64_t after_result_id = 0;
  int limit = 1000;
};

struct ResultView {
  int64_t result_id = 0;
  int64_t job_id = 0;
  int64_t sweep_id = 0;
  JobKeys keys;
  std::string metric;
  double value = 0;
  double baseline_value = std::numeric_limits<double>::quiet_NaN();  // NaN: no baseline
  double ratio_to_baseline = std::numeric_limits<double>::quiet_NaN();
  std::string detail_json;
};

}  // namespace ablate::storage

#endif  // ABLATE_STORAGE_RECORDS_H_
