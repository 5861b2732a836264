// job_store.h: typed reads and writes of the ablate job database (sweeps,
// jobs, attempts, results, workers, events) over one SQLite connection.
//
// JobStore knows SQL, not scheduling policy: it writes the transitions the
// coordinator core decides and answers queries. Write methods do not open
// transactions themselves; run them inside RunInTransaction (or through the
// GroupCommitter, which batches many into one transaction).
// Thread-safety: none; one thread at a time per JobStore. Open one JobStore for
// writing and another for reading (WAL lets readers run beside the writer).
//
//   ASSIGN_OR_RETURN(auto store, JobStore::Open("/var/lib/ablate/ablate.db"));
//   RETURN_IF_ERROR(store->RunInTransaction([&] { return store->InsertSweep(&s, &jobs); }));
#ifndef ABLATE_STORAGE_JOB_STORE_H_
#define ABLATE_STORAGE_JOB_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "storage/records.h"
#include "storage/sqlite.h"

namespace ablate::storage {

class JobStore {
 public:
  // Opens (creating if needed) and migrates the database. Unavailable if the
  // file cannot be opened, FailedPrecondition if its schema is newer than ours.
  static absl::StatusOr<std::unique_ptr<JobStore>> Open(const std::string& path, const DatabaseOptions& options = {});

  // Runs `body` inside BEGIN IMMEDIATE / COMMIT; rolls back if it fails.
  absl::Status RunInTransaction(const std::function<absl::Status()>& body);

  // ---- writes (inside a transaction) ----

  // Inserts the sweep and its first jobs->size() jobs (job_index 0..); assigns
  // sweep->sweep_id, each job's job_id and sweep_id, and sets
  // sweep->materialized_jobs to jobs->size(). sweep->job_count is the sweep's
  // total (raised to jobs->size() if smaller); the rest are created later by
  // AppendJobs. Call inside one transaction so a sweep is never half-inserted.
  absl::Status InsertSweep(SweepRecord* sweep, std::vector<JobRecord>* jobs);
  // Creates the next jobs of a sweep whose first `from` jobs exist and advances
  // its materialized_jobs to from + jobs->size(), in the caller's transaction
  // (so a crash keeps both or neither). Assigns job_id and sweep_id. Aborted
  // (nothing written) when materialized_jobs is not `from` or the sweep would
  // pass its job_count: a chunk is never stored twice.
  absl::Status AppendJobs(int64_t sweep_id, int64_t from, std::vector<JobRecord>* jobs);
  absl::Status UpdateSweepState(int64_t sweep_id, int state, int64_t finished_unix_ms);
  // Writes the mutable columns of one job. NotFound if the job does not exist.
  absl::Status UpdateJob(const JobStateUpdate& update);
  // Every QUEUED job of the sweep becomes CANCELLED with finished_unix_ms
  // (one statement; CancelSweep). Returns how many.
  absl::StatusOr<int64_t> CancelQueuedJobs(int64_t sweep_id, int64_t finished_unix_ms);
  absl::Status InsertAttempt(const AttemptRecord& attempt);
  // outcome: "succeeded", "failed", "released", "expired", "cancelled", ...
  absl::Status EndAttempt(int64_t job_id, int attempt, const std::string& outcome, const std::string& error,
                          int64_t ended_unix_ms);
  // One job_results row plus one results row per metric. AlreadyExists if the
  // job already has a result (the schema enforces one per job).
  absl::Status InsertResult(const ResultRecord& result);
  absl::Status UpsertWorker(const WorkerRecord& worker);
  absl::Status TouchWorker(const std::string& worker_id, int64_t last_seen_unix_ms,
                           const std::string& loaded_models_json);
  absl::Status InsertEvent(const EventRecord& event);
  absl::Status InsertAudit(const AuditRecord& audit);
  // Remembers which sweep a SubmitSweep request_id of `tenant` created (with a
  // fingerprint of the request, to tell a retry from a reuse). AlreadyExists if
  // the id is already stored for that tenant.
  absl::Status InsertSweepRequest(const std::string& tenant, const std::string& request_id, int64_t sweep_id,
                                  const std::string& spec_bytes);

  // ---- reads ----

  // Sweeps with sweep_id > after_sweep_id, by sweep_id, at most `limit` (< 0:
  // all); tenant "": every tenant's.
  absl::StatusOr<std::vector<SweepRecord>> ListSweeps(bool include_finished, bool with_spec,
                                                      const std::string& tenant = "", int64_t after_sweep_id = 0,
                                                      int limit = -1);
  // The sweep a SubmitSweep request_id of `tenant` created and the request's
  // fingerprint; NotFound if the id is unknown.
  absl::StatusOr<std::pair<int64_t, std::string>> FindSweepRequest(const std::string& tenant,
                                                                   const std::string& request_id);
  // The sweeps named `name` owned by `tenant`, newest first, with their specs.
  absl::StatusOr<std::vector<SweepRecord>> ListSweepsNamed(const std::string& name, const std::string& tenant);
  // NotFound if there is no such sweep.
  absl::StatusOr<SweepRecord> GetSweep(int64_t sweep_id);
  // The stored layouts of a sweep (SweepRecord::layouts_proto). NotFound if
  // there is no such sweep.
  absl::StatusOr<std::string> GetSweepLayouts(int64_t sweep_id);
  // Jobs of the sweep by state. Jobs not created yet (job_count -
  // materialized_jobs) count as QUEUED, or CANCELLED once the sweep is.
  absl::StatusOr<JobCounts> CountJobs(int64_t sweep_id);
  // Every job of the sweep without its spec blob, by job_id, with the latest
  // attempt's outcome and has_result (for rebuilding the in-memory queue).
  absl::StatusOr<std::vector<JobRecord>> LoadJobs(int64_t sweep_id);
  // NotFound if there is no such job.
  absl::StatusOr<JobRecord> GetJob(int64_t job_id, bool with_spec);
  // Serialized v1.JobSpec of a job. NotFound if there is no such job.
  absl::StatusOr<std::string> GetJobSpec(int64_t job_id);
  // Jobs with job_id > after_job_id, by job_id, with their spec and their
  // stored result's provenance (JobRecord::result); state 0 means any state;
  // sweep_id 0 means every sweep; tenant "" every tenant.
  absl::StatusOr<std::vector<JobRecord>> ListJobs(int64_t sweep_id, int state, int64_t after_job_id, int limit,
                                                  const std::string& tenant = "");
  // Result rows by result_id with each metric's baseline value and ratio.
  absl::StatusOr<std::vector<ResultView>> QueryResults(const ResultFilter& filter);
  absl::StatusOr<int64_t> CountResults(int64_t job_id);
  absl::StatusOr<std::vector<WorkerRecord>> ListWorkers();
  absl::StatusOr<std::vector<EventRecord>> ListEvents(int64_t sweep_id, int limit);
  // Audit rows with audit_id > after_audit_id, oldest first.
  absl::StatusOr<std::vector<AuditRecord>> ListAudit(int64_t after_audit_id, int limit);
  // Stored result bytes (metric names + detail JSON + 8 per value) per tenant.
  absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> ResultBytesByTenant();

  Database* db() { return db_.get(); }

 private:
  explicit JobStore(std::unique_ptr<Database> db) : db_(std::move(db)) {}
  // Inserts job rows of `sweep_id` (InsertSweep, AppendJobs).
  absl::Status InsertJobRows(int64_t sweep_id, std::vector<JobRecord>* jobs);
  std::unique_ptr<Database> db_;
};

}  // namespace ablate::storage

#endif  // ABLATE_STORAGE_JOB_STORE_H_
