// job_store.cc: see job_store.h.
#include "storage/job_store.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "common/vocabulary.h"
#include "storage/schema.h"

namespace ablate::storage {
namespace {

int64_t SeedToColumn(uint64_t seed) {
  int64_t v;
  std::memcpy(&v, &seed, sizeof(v));
  return v;
}
uint64_t SeedFromColumn(int64_t v) {
  uint64_t seed;
  std::memcpy(&seed, &v, sizeof(seed));
  return seed;
}

constexpr char kJobColumns[] =
    "job_id, sweep_id, job_index, state, priority, model_name, model_path, model_family, kind, "
    "condition_label, ablation_name, component, layer, evaluation, seed, attempt, "
    "counted_attempts, lost_leases, lease_id, worker_id, lease_expires_unix_ms, cancel_requested, "
    "last_error, finished_unix_ms";
constexpr int kJobColumnCount = 24;

JobRecord ReadJob(const Statement& st) {
  JobRecord j;
  j.job_id = st.ColumnInt64(0);
  j.sweep_id = st.ColumnInt64(1);
  j.job_index = static_cast<int32_t>(st.ColumnInt64(2));
  j.state = static_cast<int>(st.ColumnInt64(3));
  j.priority = static_cast<int>(st.ColumnInt64(4));
  j.keys.model_name = st.ColumnText(5);
  j.keys.model_path = st.ColumnText(6);
  j.keys.model_family = st.ColumnText(7);
  j.keys.kind = static_cast<int>(st.ColumnInt64(8));
  j.keys.condition_label = st.ColumnText(9);
  j.keys.ablation_name = st.ColumnText(10);
  j.keys.component = static_cast<int>(st.ColumnInt64(11));
  j.keys.layer = static_cast<int>(st.ColumnInt64(12));
  j.keys.evaluation = st.ColumnText(13);
  j.keys.seed = SeedFromColumn(st.ColumnInt64(14));
  j.attempt = static_cast<int>(st.ColumnInt64(15));
  j.counted_attempts = static_cast<int>(st.ColumnInt64(16));
  j.lost_leases = static_cast<int>(st.ColumnInt64(17));
  j.lease_id = st.ColumnText(18);
  j.worker_id = st.ColumnText(19);
  j.lease_expires_unix_ms = st.ColumnInt64(20);
  j.cancel_requested = st.ColumnInt64(21) != 0;
  j.last_error = st.ColumnText(22);
  j.finished_unix_ms = st.ColumnInt64(23);
  return j;
}

constexpr char kSweepColumns[] =
    "sweep_id, name, state, priority, max_attempts, lease_ttl_seconds, device, job_count, "
    "created_unix_ms, finished_unix_ms, tenant, materialized_jobs, spec_text";

// kJobColumns as "j.job_id, j.sweep_id, ..." (for joins).
std::string QualifiedJobColumns() {
  std::string cols;
  for (absl::string_view c : absl::StrSplit(kJobColumns, ", ")) {
    absl::StrAppend(&cols, cols.empty() ? "" : ", ", "j.", c);
  }
  return cols;
}

SweepRecord ReadSweep(const Statement& st, bool with_spec) {
  SweepRecord s;
  s.sweep_id = st.ColumnInt64(0);
  s.name = st.ColumnText(1);
  s.state = static_cast<int>(st.ColumnInt64(2));
  s.priority = static_cast<int>(st.ColumnInt64(3));
  s.max_attempts = static_cast<int>(st.ColumnInt64(4));
  s.lease_ttl_seconds = static_cast<int>(st.ColumnInt64(5));
  s.device = st.ColumnText(6);
  s.job_count = st.ColumnInt64(7);
  s.created_unix_ms = st.ColumnInt64(8);
  s.finished_unix_ms = st.ColumnInt64(9);
  s.tenant = st.ColumnText(10);
  s.materialized_jobs = st.ColumnInt64(11);
  if (with_spec) {
    s.spec_text = st.ColumnText(12);
    s.spec_proto = st.ColumnBlob(13);
  }
  return s;
}

}  // namespace

absl::StatusOr<std::unique_ptr<JobStore>> JobStore::Open(const std::string& path, const DatabaseOptions& options) {
  ASSIGN_OR_RETURN(std::unique_ptr<Database> db, Database::Open(path, options));
  if (!options.read_only) RETURN_IF_ERROR(Migrate(db.get()));
  return std::unique_ptr<JobStore>(new JobStore(std::move(db)));
}

absl::Status JobStore::RunInTransaction(const std::function<absl::Status()>& body) {
  Transaction tx(db_.get());
  RETURN_IF_ERROR(tx.Begin());
  RETURN_IF_ERROR(body());
  return tx.Commit();
}

absl::Status JobStore::InsertSweep(SweepRecord* sweep, std::vector<JobRecord>* jobs) {
  const int64_t created = static_cast<int64_t>(jobs->size());
  sweep->job_count = std::max(sweep->job_count, created);
  ASSIGN_OR_RETURN(Statement * ins,
                   db_->Prepare("INSERT INTO sweeps (name, state, priority, max_attempts, lease_ttl_seconds, device, "
                                "job_count, created_unix_ms, finished_unix_ms, spec_text, spec_proto, tenant, "
                                "materialized_jobs, layouts_proto) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  ins->BindText(1, sweep->name)
      .Bind(2, sweep->state)
      .Bind(3, sweep->priority)
      .Bind(4, sweep->max_attempts)
      .Bind(5, sweep->lease_ttl_seconds)
      .BindText(6, sweep->device)
      .Bind(7, sweep->job_count)
      .Bind(8, sweep->created_unix_ms)
      .Bind(9, sweep->finished_unix_ms)
      .BindText(10, sweep->spec_text)
      .BindBlob(11, sweep->spec_proto)
      .BindText(12, sweep->tenant)
      .Bind(13, created)
      .BindBlob(14, sweep->layouts_proto);
  RETURN_IF_ERROR(ins->Run());
  sweep->sweep_id = db_->LastInsertRowId();
  sweep->materialized_jobs = created;
  return InsertJobRows(sweep->sweep_id, jobs);
}

absl::Status JobStore::AppendJobs(int64_t sweep_id, int64_t from, std::vector<JobRecord>* jobs) {
  const int64_t to = from + static_cast<int64_t>(jobs->size());
  ASSIGN_OR_RETURN(
      Statement * st,
      db_->Prepare("UPDATE sweeps SET materialized_jobs = ?1 WHERE sweep_id = ?2 AND materialized_jobs = ?3 "
                   "AND job_count >= ?1"));
  st->Bind(1, to).Bind(2, sweep_id).Bind(3, from);
  RETURN_IF_ERROR(st->Run());
  if (db_->Changes() == 0) {
    return absl::AbortedError(
        absl::StrCat("sweep ", sweep_id, ": jobs from ", from, " are not the next ones to create"));
  }
  return InsertJobRows(sweep_id, jobs);
}

absl::Status JobStore::InsertJobRows(int64_t sweep_id, std::vector<JobRecord>* jobs) {
  ASSIGN_OR_RETURN(
      Statement * job,
      db_->Prepare("INSERT INTO jobs (sweep_id, job_index, state, priority, model_name, model_path, "
                   "model_family, kind, condition_label, ablation_name, component, layer, evaluation, seed, "
                   "spec_proto) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  for (JobRecord& j : *jobs) {
    j.sweep_id = sweep_id;
    job->Bind(1, j.sweep_id)
        .Bind(2, j.job_index)
        .Bind(3, j.state)
        .Bind(4, j.priority)
        .BindText(5, j.keys.model_name)
        .BindText(6, j.keys.model_path)
        .BindText(7, j.keys.model_family)
        .Bind(8, j.keys.kind)
        .BindText(9, j.keys.condition_label)
        .BindText(10, j.keys.ablation_name)
        .Bind(11, j.keys.component)
        .Bind(12, j.keys.layer)
        .BindText(13, j.keys.evaluation)
        .Bind(14, SeedToColumn(j.keys.seed))
        .BindBlob(15, j.spec_proto);
    RETURN_IF_ERROR(job->Run());
    j.job_id = db_->LastInsertRowId();
  }
  return absl::OkStatus();
}

absl::Status JobStore::UpdateSweepState(int64_t sweep_id, int state, int64_t finished_unix_ms) {
  ASSIGN_OR_RETURN(Statement * st,
                   db_->Prepare("UPDATE sweeps SET state = ?, finished_unix_ms = ? WHERE sweep_id = ?"));
  st->Bind(1, state).Bind(2, finished_unix_ms).Bind(3, sweep_id);
  RETURN_IF_ERROR(st->Run());
  if (db_->Changes() == 0) return absl::NotFoundError(absl::StrCat("no sweep ", sweep_id));
  return absl::OkStatus();
}

absl::Status JobStore::UpdateJob(const JobStateUpdate& u) {
  ASSIGN_OR_RETURN(Statement * st,
                   db_->Prepare("UPDATE jobs SET state = ?, attempt = ?, counted_attempts = ?, lost_leases = ?, "
                                "lease_id = ?, worker_id = ?, lease_expires_unix_ms = ?, cancel_requested = ?, "
                                "last_error = ?, finished_unix_ms = ? WHERE job_id = ?"));
  st->Bind(1, u.state)
      .Bind(2, u.attempt)
      .Bind(3, u.counted_attempts)
      .Bind(4, u.lost_leases)
      .BindText(5, u.lease_id)
      .BindText(6, u.worker_id)
      .Bind(7, u.lease_expires_unix_ms)
      .Bind(8, u.cancel_requested ? 1 : 0)
      .BindText(9, u.last_error)
      .Bind(10, u.finished_unix_ms)
      .Bind(11, u.job_id);
  RETURN_IF_ERROR(st->Run());
  if (db_->Changes() == 0) return absl::NotFoundError(absl::StrCat("no job ", u.job_id));
  return absl::OkStatus();
}

absl::StatusOr<int64_t> JobStore::CancelQueuedJobs(int64_t sweep_id, int64_t finished_unix_ms) {
  ASSIGN_OR_RETURN(
      Statement * st,
      db_->Prepare("UPDATE jobs SET state = ?1, finished_unix_ms = ?2 WHERE sweep_id = ?3 AND state = ?4"));
  st->Bind(1, kJobCancelled).Bind(2, finished_unix_ms).Bind(3, sweep_id).Bind(4, kJobQueued);
  RETURN_IF_ERROR(st->Run());
  return static_cast<int64_t>(db_->Changes());
}

absl::Status JobStore::InsertAttempt(const AttemptRecord& a) {
  ASSIGN_OR_RETURN(Statement * st,
                   db_->Prepare("INSERT INTO attempts (job_id, attempt, lease_id, worker_id, leased_unix_ms) "
                                "VALUES (?, ?, ?, ?, ?)"));
  st->Bind(1, a.job_id).Bind(2, a.attempt).BindText(3, a.lease_id).BindText(4, a.worker_id).Bind(5, a.leased_unix_ms);
  return st->Run();
}

absl::Status JobStore::EndAttempt(int64_t job_id, int attempt, const std::string& outcome, const std::string& error,
                                  int64_t ended_unix_ms) {
  ASSIGN_OR_RETURN(Statement * st, db_->Prepare("UPDATE attempts SET outcome = ?, error = ?, ended_unix_ms = ? "
                                                "WHERE job_id = ? AND attempt = ?"));
  st->BindText(1, outcome).BindText(2, error).Bind(3, ended_unix_ms).Bind(4, job_id).Bind(5, attempt);
  return st->Run();
}

absl::Status JobStore::InsertResult(const ResultRecord& r) {
  ASSIGN_OR_RETURN(
      Statement * st,
      db_->Prepare("INSERT INTO job_results (job_id, sweep_id, attempt, worker_id, checkpoint_fingerprint, "
                   "dataset_fingerprint, wall_seconds, tokens_evaluated, code_version, device, "
                   "completed_unix_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  st->Bind(1, r.job_id)
      .Bind(2, r.sweep_id)
      .Bind(3, r.attempt)
      .BindText(4, r.worker_id)
      .BindText(5, r.checkpoint_fingerprint)
      .BindText(6, r.dataset_fingerprint)
      .Bind(7, r.wall_seconds)
      .Bind(8, r.tokens_evaluated)
      .BindText(9, r.code_version)
      .BindText(10, r.device)
      .Bind(11, r.completed_unix_ms);
  RETURN_IF_ERROR(st->Run());
  ASSIGN_OR_RETURN(Statement * keys,
                   db_->Prepare("SELECT model_name, evaluation, seed, kind, condition_label, component, layer "
                                "FROM jobs WHERE job_id = ?"));
  keys->Bind(1, r.job_id);
  ASSIGN_OR_RETURN(bool found, keys->Step());
  if (!found) {
    keys->Finish();
    return absl::NotFoundError(absl::StrCat("no job ", r.job_id));
  }
  const std::string model = keys->ColumnText(0);
  const std::string evaluation = keys->ColumnText(1);
  const int64_t seed = keys->ColumnInt64(2);
  const int64_t kind = keys->ColumnInt64(3);
  const std::string condition = keys->ColumnText(4);
  const int64_t component = keys->ColumnInt64(5);
  const int64_t layer = keys->ColumnInt64(6);
  keys->Finish();

  ASSIGN_OR_RETURN(Statement * mt, db_->Prepare("INSERT INTO results (job_id, sweep_id, metric, value, detail_json) "
                                                "VALUES (?, ?, ?, ?, ?)"));
  // Welford's update of result_summary (schema.cc, migration 5). In DO UPDATE
  // every unqualified column is the stored row's value before the update.
  ASSIGN_OR_RETURN(
      Statement * summary,
      db_->Prepare(
          "INSERT INTO result_summary (sweep_id, model_name, evaluation, kind, condition_label, component, "
          "layer, metric, results, finite, mean, m2, min_value, max_value) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1, ?9, ?10, ?11, ?10, ?10) "
          "ON CONFLICT DO UPDATE SET results = results + 1, finite = finite + excluded.finite, "
          "mean = CASE WHEN excluded.finite = 0 THEN mean WHEN finite = 0 THEN excluded.mean "
          "ELSE mean + (excluded.mean - mean) / (finite + 1) END, "
          "m2 = CASE WHEN excluded.finite = 0 THEN m2 WHEN finite = 0 THEN 0.0 "
          "ELSE m2 + (excluded.mean - mean) * (excluded.mean - (mean + (excluded.mean - mean) / (finite + 1))) END, "
          "min_value = CASE WHEN excluded.finite = 0 THEN min_value "
          "ELSE min(coalesce(min_value, excluded.mean), excluded.mean) END, "
          "max_value = CASE WHEN excluded.finite = 0 THEN max_value "
          "ELSE max(coalesce(max_value, excluded.mean), excluded.mean) END"));
  for (const MetricRecord& m : r.metrics) {
    mt->Bind(1, r.job_id).Bind(2, r.sweep_id).BindText(3, m.name);
    if (std::isnan(m.value)) {
      mt->BindNull(4);  // SQLite stores NaN as NULL anyway; make it explicit
    } else {
      mt->Bind(4, m.value);
    }
    mt->BindText(5, m.detail_json);
    RETURN_IF_ERROR(mt->Run());

    const bool finite = std::isfinite(m.value);
    summary->Bind(1, r.sweep_id)
        .BindText(2, model)
        .BindText(3, evaluation)
        .Bind(4, kind)
        .BindText(5, condition)
        .Bind(6, component)
        .Bind(7, layer)
        .BindText(8, m.name)
        .Bind(9, finite ? 1 : 0);
    if (finite) {
      summary->Bind(10, m.value).Bind(11, 0.0);
    } else {
      summary->BindNull(10).BindNull(11);
    }
    RETURN_IF_ERROR(summary->Run());

    if (kind == v1::BASELINE) {
      ASSIGN_OR_RETURN(
          Statement * baseline,
          db_->Prepare("INSERT INTO baseline_values (sweep_id, model_name, evaluation, seed, metric, job_id, value) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET job_id = excluded.job_id, "
                       "value = excluded.value WHERE excluded.job_id < baseline_values.job_id"));
      baseline->Bind(1, r.sweep_id)
          .BindText(2, model)
          .BindText(3, evaluation)
          .Bind(4, seed)
          .BindText(5, m.name)
          .Bind(6, r.job_id);
      if (std::isnan(m.value)) {
        baseline->BindNull(7);
      } else {
        baseline->Bind(7, m.value);
      }
      RETURN_IF_ERROR(baseline->Run());
    }
  }
  return absl::OkStatus();
}

absl::Status JobStore::UpsertWorker(const WorkerRecord& w) {
  ASSIGN_OR_RETURN(
      Statement * st,
      db_->Prepare("INSERT INTO workers (worker_id, host, name, devices_json, loaded_models_json, "
                   "code_version, registered_unix_ms, last_seen_unix_ms, owner, tenant) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                   "ON CONFLICT(worker_id) DO UPDATE SET host = excluded.host, name = excluded.name, "
                   "devices_json = excluded.devices_json, loaded_models_json = excluded.loaded_models_json, "
                   "code_version = excluded.code_version, last_seen_unix_ms = excluded.last_seen_unix_ms"));
  st->BindText(1, w.worker_id)
      .BindText(2, w.host)
      .BindText(3, w.name)
      .BindText(4, w.devices_json)
      .BindText(5, w.loaded_models_json)
      .BindText(6, w.code_version)
      .Bind(7, w.registered_unix_ms)
      .Bind(8, w.last_seen_unix_ms)
      .BindText(9, w.owner)
      .BindText(10, w.tenant);
  return st->Run();
}

absl::Status JobStore::TouchWorker(const std::string& worker_id, int64_t last_seen_unix_ms,
                                   const std::string& loaded_models_json) {
  ASSIGN_OR_RETURN(
      Statement * st,
      db_->Prepare("UPDATE workers SET last_seen_unix_ms = ?, loaded_models_json = ? WHERE worker_id = ?"));
  st->Bind(1, last_seen_unix_ms).BindText(2, loaded_models_json).BindText(3, worker_id);
  return st->Run();
}

absl::Status JobStore::InsertEvent(const EventRecord& e) {
  ASSIGN_OR_RETURN(Statement * st,
                   db_->Prepare("INSERT INTO events (unix_ms, sweep_id, job_id, worker_id, kind, detail) "
                                "VALUES (?, ?, ?, ?, ?, ?)"));
  st->Bind(1, e.unix_ms)
      .Bind(2, e.sweep_id)
      .Bind(3, e.job_id)
      .BindText(4, e.worker_id)
      .BindText(5, e.kind)
      .BindText(6, e.detail);
  return st->Run();
}

absl::StatusOr<std::vector<SweepRecord>> JobStore::ListSweeps(bool include_finished, bool with_spec,
                                                              const std::string& tenant, int64_t after_sweep_id,
                                                              int limit) {
  std::string sql =
      absl::StrCat("SELECT ", kSweepColumns, with_spec ? ", spec_proto" : "", " FROM sweeps WHERE sweep_id > ?1");
  if (!include_finished) absl::StrAppend(&sql, " AND state = ", kSweepRunning);
  if (!tenant.empty()) absl::StrAppend(&sql, " AND tenant = ?3");
  absl::StrAppend(&sql, " ORDER BY sweep_id LIMIT ?2");
  ASSIGN_OR_RETURN(Statement * st, db_->Prepare(sql));
  st->Bind(1, after_sweep_id).Bind(2, static_cast<int64_t>(limit));
  if (!tenant.empty()) st->BindText(3, tenant);
  std::vector<SweepRecord> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    out.push_back(ReadSweep(*st, with_spec));
  }
  return out;
}

absl::Status JobStore::InsertSweepRequest(const std::string& tenant, const std::string& request_id, int64_t sweep_id,
                                          const std::string& spec_bytes) {
  ASSIGN_OR_RETURN(
      Statement * st,
      db_->Prepare("INSERT INTO sweep_requests (tenant, request_id, sweep_id, spec_proto) VALUES (?, ?, ?, ?)"));
  st->BindText(1, tenant).BindText(2, request_id).Bind(3, sweep_id).BindBlob(4, spec_bytes);
  absl::Status s = st->Run();
  if (absl::IsAlreadyExists(s)) {
    return absl::AlreadyExistsError("request_id: already used");
  }
  return s;
}

absl::StatusOr<std::pair<int64_t, std::string>> JobStore::FindSweepRequest(const std::string& tenant,
                                                                           const std::string& request_id) {
  ASSIGN_OR_RETURN(Statement * st,
                   db_->Prepare("SELECT sweep_id, spec_proto FROM sweep_requests WHERE tenant = ? AND request_id = ?"));
  st->BindText(1, tenant).BindText(2, request_id);
  ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) return absl::NotFoundError("request_id: unknown");
  std::pair<int64_t, std::string> out(st->ColumnInt64(0), st->ColumnBlob(1));
  st->Finish();
  return out;
}

absl::StatusOr<std::vector<SweepRecord>> JobStore::ListSweepsNamed(const std::string& name, const std::string& tenant) {
  ASSIGN_OR_RETURN(Statement * st, db_->Prepare(absl::StrCat("SELECT ", kSweepColumns,
                                                             ", spec_proto FROM sweeps WHERE name = ?1 AND tenant = ?2 "
                                                             "ORDER BY sweep_id DESC")));
  st->BindText(1, name);
  st->BindText(2, tenant);
  std::vector<SweepRecord> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    out.push_back(ReadSweep(*st, /*with_spec=*/true));
  }
  return out;
}

absl::StatusOr<SweepRecord> JobStore::GetSweep(int64_t sweep_id) {
  ASSIGN_OR_RETURN(Statement * st,
                   db_->Prepare(absl::StrCat("SELECT ", kSweepColumns, ", spec_proto FROM sweeps WHERE sweep_id = ?")));
  st->Bind(1, sweep_id);
  ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) return absl::NotFoundError(absl::StrCat("no sweep ", sweep_id));
  SweepRecord s = ReadSweep(*st, /*with_spec=*/true);
  st->Finish();  // hold no read snapshot
  return s;
}

absl::StatusOr<std::string> JobStore::GetSweepLayouts(int64_t sweep_id) {
  ASSIGN_OR_RETURN(Statement * st, db_->Prepare("SELECT layouts_proto FROM sweeps WHERE sweep_id = ?"));
  st->Bind(1, sweep_id);
  ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) return absl::NotFoundError(absl::StrCat("no sweep ", sweep_id));
  std::string layouts = st->ColumnBlob(0);
  st->Finish();
  return layouts;
}

absl::StatusOr<JobCounts> JobStore::CountJobs(int64_t sweep_id) {
  ASSIGN_OR_RETURN(Statement * st, db_->Prepare("SELECT state, COUNT(*) FROM jobs WHERE sweep_id = ? GROUP BY state"));
  st->Bind(1, sweep_id);
  JobCounts c;
  while (true) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    int64_t n = st->ColumnInt64(1);
    c.total += n;
    switch (st->ColumnInt64(0)) {
      case kJobQueued:
        c.queued += n;
        break;
      case kJobLeased:
        c.leased += n;
        break;
      case kJobSucceeded:
        c.succeeded += n;
        break;
      case kJobFailed:
        c.failed += n;
        break;
      case kJobCancelled:
        c.cancelled += n;
        break;
      default:
        break;
    }
  }
  // Jobs not created yet.
  ASSIGN_OR_RETURN(Statement * sw,
                   db_->Prepare("SELECT job_count - materialized_jobs, state FROM sweeps WHERE sweep_id = ?"));
  sw->Bind(1, sweep_id);
  ASSIGN_OR_RETURN(bool row, sw->Step());
  const int64_t uncreated = row ? std::max<int64_t>(0, sw->ColumnInt64(0)) : 0;
  const bool cancelled = row && sw->ColumnInt64(1) == kSweepCancelled;
  sw->Finish();
  c.total += uncreated;
  (cancelled ? c.cancelled : c.queued) += uncreated;
  return c;
}

absl::StatusOr<std::vector<JobRecord>> JobStore::LoadJobs(int64_t sweep_id) {
  ASSIGN_OR_RETURN(Statement * st,
                   db_->Prepare(absl::StrCat("SELECT ", QualifiedJobColumns(),
                                             ", COALESCE(a.outcome, ''), jr.job_id IS NOT NULL FROM jobs j "
                                             "LEFT JOIN attempts a ON a.job_id = j.job_id AND a.attempt = j.attempt "
                                             "LEFT JOIN job_results jr ON jr.job_id = j.job_id "
                                             "WHERE j.sweep_id = ? ORDER BY j.job_id")));
  st->Bind(1, sweep_id);
  std::vector<JobRecord> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    out.push_back(ReadJob(*st));
    out.back().attempt_outcome = st->ColumnText(kJobColumnCount);
    out.back().has_result = st->ColumnInt64(kJobColumnCount + 1) != 0;
  }
  return out;
}

absl::StatusOr<JobRecord> JobStore::GetJob(int64_t job_id, bool with_spec) {
  ASSIGN_OR_RETURN(Statement * st,
                   db_->Prepare(absl::StrCat("SELECT ", kJobColumns, ", spec_proto FROM jobs WHERE job_id = ?")));
  st->Bind(1, job_id);
  ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) return absl::NotFoundError(absl::StrCat("no job ", job_id));
  JobRecord j = ReadJob(*st);
  if (with_spec) j.spec_proto = st->ColumnBlob(kJobColumnCount);
  st->Finish();
  return j;
}

absl::StatusOr<std::string> JobStore::GetJobSpec(int64_t job_id) {
  ASSIGN_OR_RETURN(Statement * st, db_->Prepare("SELECT spec_proto FROM jobs WHERE job_id = ?"));
  st->Bind(1, job_id);
  ASSIGN_OR_RETURN(bool row, st->Step());
  if (!row) return absl::NotFoundError(absl::StrCat("no job ", job_id));
  std::string spec = st->ColumnBlob(0);
  st->Finish();
  return spec;
}

absl::StatusOr<std::vector<JobRecord>> JobStore::ListJobs(int64_t sweep_id, int state, int64_t after_job_id, int limit,
                                                          const std::string& tenant) {
  std::string sql =
      absl::StrCat("SELECT ", QualifiedJobColumns(),
                   ", j.spec_proto, jr.job_id IS NOT NULL, jr.worker_id, jr.attempt, "
                   "jr.checkpoint_fingerprint, jr.dataset_fingerprint, jr.wall_seconds, jr.tokens_evaluated, "
                   "jr.code_version, jr.device, jr.completed_unix_ms "
                   "FROM jobs j LEFT JOIN job_results jr ON jr.job_id = j.job_id WHERE j.job_id > ?1");
  if (sweep_id != 0) absl::StrAppend(&sql, " AND j.sweep_id = ?2");
  if (state != 0) absl::StrAppend(&sql, " AND j.state = ?3");
  if (!tenant.empty()) {
    absl::StrAppend(&sql, " AND j.sweep_id IN (SELECT sweep_id FROM sweeps WHERE tenant = ?5)");
  }
  absl::StrAppend(&sql, " ORDER BY j.job_id LIMIT ?4");
  ASSIGN_OR_RETURN(Statement * st, db_->Prepare(sql));
  st->Bind(1, after_job_id);
  if (sweep_id != 0) st->Bind(2, sweep_id);
  if (state != 0) st->Bind(3, state);
  st->Bind(4, limit);
  if (!tenant.empty()) st->BindText(5, tenant);
  std::vector<JobRecord> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    out.push_back(ReadJob(*st));
    out.back().spec_proto = st->ColumnBlob(kJobColumnCount);
    JobResultInfo& r = out.back().result;
    r.present = st->ColumnInt64(kJobColumnCount + 1) != 0;
    if (r.present) {
      r.worker_id = st->ColumnText(kJobColumnCount + 2);
      r.attempt = static_cast<int>(st->ColumnInt64(kJobColumnCount + 3));
      r.checkpoint_fingerprint = st->ColumnText(kJobColumnCount + 4);
      r.dataset_fingerprint = st->ColumnText(kJobColumnCount + 5);
      r.wall_seconds = st->ColumnDouble(kJobColumnCount + 6);
      r.tokens_evaluated = st->ColumnInt64(kJobColumnCount + 7);
      r.code_version = st->ColumnText(kJobColumnCount + 8);
      r.device = st->ColumnText(kJobColumnCount + 9);
      r.completed_unix_ms = st->ColumnInt64(kJobColumnCount + 10);
    }
  }
  return out;
}

absl::StatusOr<std::vector<ResultView>> JobStore::QueryResults(const ResultFilter& f) {
  std::string sql =
      "SELECT v.result_id, v.job_id, v.sweep_id, j.model_name, j.model_path, j.model_family, "
      "j.kind, j.condition_label, j.ablation_name, j.component, j.layer, j.evaluation, j.seed, "
      "v.metric, v.value, v.baseline_value, v.ratio, v.detail_json "
      "FROM result_vs_baseline v JOIN jobs j ON j.job_id = v.job_id WHERE v.result_id > ?1";
  if (f.sweep_id != 0) absl::StrAppend(&sql, " AND v.sweep_id = ?2");
  if (!f.model.empty()) absl::StrAppend(&sql, " AND v.model = ?3");
  if (f.kind != 0) absl::StrAppend(&sql, " AND v.kind = ?4");
  if (f.component != 0) absl::StrAppend(&sql, " AND v.component = ?5");
  if (f.has_layer) absl::StrAppend(&sql, " AND v.layer = ?6");
  if (!f.evaluation.empty()) absl::StrAppend(&sql, " AND v.evaluation = ?7");
  if (!f.metric.empty()) absl::StrAppend(&sql, " AND v.metric = ?8");
  if (!f.tenant.empty()) {
    absl::StrAppend(&sql, " AND v.sweep_id IN (SELECT sweep_id FROM sweeps WHERE tenant = ?10)");
  }
  absl::StrAppend(&sql, " ORDER BY v.result_id LIMIT ?9");
  ASSIGN_OR_RETURN(Statement * st, db_->Prepare(sql));
  st->Bind(1, f.after_result_id);
  if (f.sweep_id != 0) st->Bind(2, f.sweep_id);
  if (!f.model.empty()) st->BindText(3, f.model);
  if (f.kind != 0) st->Bind(4, f.kind);
  if (f.component != 0) st->Bind(5, f.component);
  if (f.has_layer) st->Bind(6, f.layer);
  if (!f.evaluation.empty()) st->BindText(7, f.evaluation);
  if (!f.metric.empty()) st->BindText(8, f.metric);
  st->Bind(9, f.limit);
  if (!f.tenant.empty()) st->BindText(10, f.tenant);
  std::vector<ResultView> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    ResultView r;
    r.result_id = st->ColumnInt64(0);
    r.job_id = st->ColumnInt64(1);
    r.sweep_id = st->ColumnInt64(2);
    r.keys.model_name = st->ColumnText(3);
    r.keys.model_path = st->ColumnText(4);
    r.keys.model_family = st->ColumnText(5);
    r.keys.kind = static_cast<int>(st->ColumnInt64(6));
    r.keys.condition_label = st->ColumnText(7);
    r.keys.ablation_name = st->ColumnText(8);
    r.keys.component = static_cast<int>(st->ColumnInt64(9));
    r.keys.layer = static_cast<int>(st->ColumnInt64(10));
    r.keys.evaluation = st->ColumnText(11);
    r.keys.seed = SeedFromColumn(st->ColumnInt64(12));
    r.metric = st->ColumnText(13);
    r.value = st->ColumnIsNull(14) ? std::nan("") : st->ColumnDouble(14);
    if (!st->ColumnIsNull(15)) r.baseline_value = st->ColumnDouble(15);
    if (!st->ColumnIsNull(16)) r.ratio_to_baseline = st->ColumnDouble(16);
    r.detail_json = st->ColumnText(17);
    out.push_back(std::move(r));
  }
  return out;
}

absl::StatusOr<int64_t> JobStore::CountResults(int64_t job_id) {
  ASSIGN_OR_RETURN(Statement * st, db_->Prepare("SELECT COUNT(*) FROM job_results WHERE job_id = ?"));
  st->Bind(1, job_id);
  ASSIGN_OR_RETURN(bool row, st->Step());
  int64_t n = row ? st->ColumnInt64(0) : 0;
  st->Finish();
  return n;
}

absl::StatusOr<std::vector<WorkerRecord>> JobStore::ListWorkers() {
  ASSIGN_OR_RETURN(
      Statement * st,
      db_->Prepare("SELECT worker_id, host, name, devices_json, loaded_models_json, code_version, "
                   "registered_unix_ms, last_seen_unix_ms, owner, tenant FROM workers ORDER BY worker_id"));
  std::vector<WorkerRecord> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    WorkerRecord w;
    w.worker_id = st->ColumnText(0);
    w.host = st->ColumnText(1);
    w.name = st->ColumnText(2);
    w.devices_json = st->ColumnText(3);
    w.loaded_models_json = st->ColumnText(4);
    w.code_version = st->ColumnText(5);
    w.registered_unix_ms = st->ColumnInt64(6);
    w.last_seen_unix_ms = st->ColumnInt64(7);
    w.owner = st->ColumnText(8);
    w.tenant = st->ColumnText(9);
    out.push_back(std::move(w));
  }
  return out;
}

absl::StatusOr<std::vector<EventRecord>> JobStore::ListEvents(int64_t sweep_id, int limit) {
  ASSIGN_OR_RETURN(Statement * st, db_->Prepare("SELECT unix_ms, sweep_id, job_id, worker_id, kind, detail FROM events "
                                                "WHERE sweep_id = ? ORDER BY event_id LIMIT ?"));
  st->Bind(1, sweep_id).Bind(2, limit);
  std::vector<EventRecord> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    EventRecord e;
    e.unix_ms = st->ColumnInt64(0);
    e.sweep_id = st->ColumnInt64(1);
    e.job_id = st->ColumnInt64(2);
    e.worker_id = st->ColumnText(3);
    e.kind = st->ColumnText(4);
    e.detail = st->ColumnText(5);
    out.push_back(std::move(e));
  }
  return out;
}

absl::Status JobStore::InsertAudit(const AuditRecord& a) {
  ASSIGN_OR_RETURN(Statement * st,
                   db_->Prepare("INSERT INTO audit (unix_ms, subject, tenant, rpc, sweep_id, outcome, detail) "
                                "VALUES (?, ?, ?, ?, ?, ?, ?)"));
  st->Bind(1, a.unix_ms)
      .BindText(2, a.subject)
      .BindText(3, a.tenant)
      .BindText(4, a.rpc)
      .Bind(5, a.sweep_id)
      .BindText(6, a.outcome)
      .BindText(7, a.detail);
  return st->Run();
}

absl::StatusOr<std::vector<AuditRecord>> JobStore::ListAudit(int64_t after_audit_id, int limit) {
  ASSIGN_OR_RETURN(Statement * st,
                   db_->Prepare("SELECT audit_id, unix_ms, subject, tenant, rpc, sweep_id, outcome, detail FROM audit "
                                "WHERE audit_id > ? ORDER BY audit_id LIMIT ?"));
  st->Bind(1, after_audit_id).Bind(2, limit);
  std::vector<AuditRecord> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    AuditRecord a;
    a.audit_id = st->ColumnInt64(0);
    a.unix_ms = st->ColumnInt64(1);
    a.subject = st->ColumnText(2);
    a.tenant = st->ColumnText(3);
    a.rpc = st->ColumnText(4);
    a.sweep_id = st->ColumnInt64(5);
    a.outcome = st->ColumnText(6);
    a.detail = st->ColumnText(7);
    out.push_back(std::move(a));
  }
  return out;
}

absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> JobStore::ResultBytesByTenant() {
  ASSIGN_OR_RETURN(Statement * st,
                   db_->Prepare("SELECT s.tenant, COALESCE(SUM(LENGTH(r.metric) + LENGTH(r.detail_json) + 8), 0) "
                                "FROM results r JOIN sweeps s ON s.sweep_id = r.sweep_id GROUP BY s.tenant"));
  std::vector<std::pair<std::string, int64_t>> out;
  while (true) {
    ASSIGN_OR_RETURN(bool row, st->Step());
    if (!row) break;
    out.emplace_back(st->ColumnText(0), st->ColumnInt64(1));
  }
  return out;
}

}  // namespace ablate::storage
