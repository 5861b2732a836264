// schema.cc: the migrations, and the views derived from common/vocabulary.h.
// Never edit a released migration; append a new one. The name columns of the
// views (kind_name, component_name) come from the vocabulary tables: Migrate()
// recreates a view whenever its stored SQL differs from CurrentViews(), so a new
// vocabulary value reaches existing databases without a migration. Migrations 2
// and 4 keep the hand-written CASE maps they were released with (history; their
// views are replaced by the generated ones on the same Migrate()).
#include "storage/schema.h"

#include <chrono>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/vocabulary.h"

namespace ablate::storage {
namespace {

// Migration 1: the tables.
constexpr char kTables[] = R"sql(
CREATE TABLE sweeps (
  sweep_id          INTEGER PRIMARY KEY,
  name              TEXT    NOT NULL,
  state             INTEGER NOT NULL,            -- v1.SweepState
  priority          INTEGER NOT NULL DEFAULT 0,
  max_attempts      INTEGER NOT NULL,
  lease_ttl_seconds INTEGER NOT NULL,
  device            TEXT    NOT NULL DEFAULT '',
  job_count         INTEGER NOT NULL,
  created_unix_ms   INTEGER NOT NULL,
  finished_unix_ms  INTEGER NOT NULL DEFAULT 0,
  spec_text         TEXT    NOT NULL DEFAULT '',
  spec_proto        BLOB    NOT NULL             -- serialized v1.SweepSpec (defaults applied)
);

CREATE TABLE jobs (
  job_id                INTEGER PRIMARY KEY,
  sweep_id              INTEGER NOT NULL REFERENCES sweeps(sweep_id),
  job_index             INTEGER NOT NULL,        -- position in the expansion
  state                 INTEGER NOT NULL,        -- v1.JobState
  priority              INTEGER NOT NULL DEFAULT 0,
  model_name            TEXT    NOT NULL,
  model_path            TEXT    NOT NULL,
  model_family          TEXT    NOT NULL DEFAULT '',
  kind                  INTEGER NOT NULL,        -- v1.AblationKind
  condition_label       TEXT    NOT NULL,
  ablation_name         TEXT    NOT NULL DEFAULT '',
  component             INTEGER NOT NULL DEFAULT 0,  -- v1.Component
  layer                 INTEGER NOT NULL DEFAULT -1,
  evaluation            TEXT    NOT NULL,
  seed                  INTEGER NOT NULL DEFAULT 0,  -- uint64 stored as its int64 bit pattern
  spec_proto            BLOB    NOT NULL,        -- serialized v1.JobSpec
  attempt               INTEGER NOT NULL DEFAULT 0,  -- last attempt number issued (fencing token)
  counted_attempts      INTEGER NOT NULL DEFAULT 0,  -- attempts counted against max_attempts
  lost_leases           INTEGER NOT NULL DEFAULT 0,  -- expired / worker lost (not releases)
  lease_id              TEXT    NOT NULL DEFAULT '',  -- the last lease granted
  worker_id             TEXT    NOT NULL DEFAULT '',
  lease_expires_unix_ms INTEGER NOT NULL DEFAULT 0,
  cancel_requested      INTEGER NOT NULL DEFAULT 0,
  last_error            TEXT    NOT NULL DEFAULT '',
  finished_unix_ms      INTEGER NOT NULL DEFAULT 0,
  UNIQUE (sweep_id, job_index)
);
CREATE INDEX jobs_by_sweep_state ON jobs (sweep_id, state, job_id);
CREATE INDEX jobs_by_state ON jobs (state, job_id);
CREATE INDEX jobs_by_baseline_key ON jobs (sweep_id, model_name, evaluation, seed, kind);

CREATE TABLE attempts (
  job_id          INTEGER NOT NULL REFERENCES jobs(job_id),
  attempt         INTEGER NOT NULL,
  lease_id        TEXT    NOT NULL,
  worker_id       TEXT    NOT NULL,
  leased_unix_ms  INTEGER NOT NULL,
  ended_unix_ms   INTEGER NOT NULL DEFAULT 0,
  outcome         TEXT    NOT NULL DEFAULT 'running',
  error           TEXT    NOT NULL DEFAULT '',
  PRIMARY KEY (job_id, attempt)
) WITHOUT ROWID;

CREATE TABLE job_results (
  job_id                 INTEGER PRIMARY KEY REFERENCES jobs(job_id),
  sweep_id               INTEGER NOT NULL,
  attempt                INTEGER NOT NULL,
  worker_id              TEXT    NOT NULL,
  checkpoint_fingerprint TEXT    NOT NULL DEFAULT '',
  dataset_fingerprint    TEXT    NOT NULL DEFAULT '',
  wall_seconds           REAL    NOT NULL DEFAULT 0,
  tokens_evaluated       INTEGER NOT NULL DEFAULT 0,
  code_version           TEXT    NOT NULL DEFAULT '',
  device                 TEXT    NOT NULL DEFAULT '',
  completed_unix_ms      INTEGER NOT NULL
);

CREATE TABLE results (
  result_id   INTEGER PRIMARY KEY,
  job_id      INTEGER NOT NULL REFERENCES job_results(job_id),
  sweep_id    INTEGER NOT NULL,
  metric      TEXT    NOT NULL,
  value       REAL,
  detail_json TEXT    NOT NULL DEFAULT '',
  UNIQUE (job_id, metric)
);
CREATE INDEX results_by_sweep_metric ON results (sweep_id, metric, result_id);

CREATE TABLE workers (
  worker_id          TEXT PRIMARY KEY,
  host               TEXT NOT NULL DEFAULT '',
  name               TEXT NOT NULL DEFAULT '',
  devices_json       TEXT NOT NULL DEFAULT '[]',
  loaded_models_json TEXT NOT NULL DEFAULT '[]',
  code_version       TEXT NOT NULL DEFAULT '',
  registered_unix_ms INTEGER NOT NULL,
  last_seen_unix_ms  INTEGER NOT NULL
);

CREATE TABLE events (
  event_id  INTEGER PRIMARY KEY,
  unix_ms   INTEGER NOT NULL,
  sweep_id  INTEGER NOT NULL DEFAULT 0,
  job_id    INTEGER NOT NULL DEFAULT 0,
  worker_id TEXT    NOT NULL DEFAULT '',
  kind      TEXT    NOT NULL,
  detail    TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX events_by_sweep ON events (sweep_id, event_id);
)sql";

// Migration 2: views a dashboard reads directly.
constexpr char kViews[] = R"sql(
CREATE VIEW job_keys AS
SELECT j.job_id, j.sweep_id, j.job_index, j.state,
       CASE j.state WHEN 1 THEN 'queued' WHEN 2 THEN 'leased' WHEN 3 THEN 'succeeded'
                    WHEN 4 THEN 'failed' WHEN 5 THEN 'cancelled' ELSE 'unspecified' END AS state_name,
       j.model_name AS model, j.model_path, j.model_family AS family,
       j.kind,
       CASE j.kind WHEN 1 THEN 'baseline' WHEN 2 THEN 'group' WHEN 3 THEN 'layer_sweep'
                   WHEN 4 THEN 'positional' WHEN 5 THEN 'progressive' WHEN 6 THEN 'random'
                   WHEN 7 THEN 'explicit' ELSE '' END AS kind_name,
       j.condition_label AS condition, j.ablation_name,
       j.component,
       CASE j.component WHEN 1 THEN 'attention' WHEN 2 THEN 'linear_attention' WHEN 3 THEN 'ssm'
                        WHEN 4 THEN 'mlp' WHEN 5 THEN 'layer' ELSE '' END AS component_name,
       j.layer, j.evaluation, j.seed, j.attempt, j.counted_attempts, j.last_error, j.worker_id
FROM jobs j;

CREATE VIEW result_rows AS
SELECT r.result_id, r.job_id, r.sweep_id, k.model, k.model_path, k.family, k.kind, k.kind_name,
       k.condition, k.component, k.component_name, k.layer, k.evaluation, k.seed,
       r.metric, r.value, r.detail_json
FROM results r JOIN job_keys k ON k.job_id = r.job_id;

-- Each metric next to the same model's baseline on the same evaluation and seed
-- in the same sweep (the first baseline job if a sweep has several).
CREATE VIEW result_vs_baseline AS
SELECT x.*,
       CASE WHEN x.baseline_value IS NULL OR x.baseline_value = 0 THEN NULL
            ELSE x.value / x.baseline_value END AS ratio
FROM (
  SELECT r.result_id, r.job_id, r.sweep_id, j.model_name AS model, j.kind,
         CASE j.kind WHEN 1 THEN 'baseline' WHEN 2 THEN 'group' WHEN 3 THEN 'layer_sweep'
                     WHEN 4 THEN 'positional' WHEN 5 THEN 'progressive' WHEN 6 THEN 'random'
                     WHEN 7 THEN 'explicit' ELSE '' END AS kind_name,
         j.condition_label AS condition, j.component,
         CASE j.component WHEN 1 THEN 'attention' WHEN 2 THEN 'linear_attention' WHEN 3 THEN 'ssm'
                          WHEN 4 THEN 'mlp' WHEN 5 THEN 'layer' ELSE '' END AS component_name,
         j.layer, j.evaluation, j.seed, r.metric, r.value, r.detail_json,
         (SELECT br.value FROM jobs bj JOIN results br ON br.job_id = bj.job_id
           WHERE bj.sweep_id = j.sweep_id AND bj.model_name = j.model_name
             AND bj.evaluation = j.evaluation AND bj.seed = j.seed AND bj.kind = 1
             AND br.metric = r.metric
           ORDER BY bj.job_id LIMIT 1) AS baseline_value
  FROM results r JOIN jobs j ON j.job_id = r.job_id
) x;

CREATE VIEW sweep_progress AS
SELECT s.sweep_id, s.name,
       CASE s.state WHEN 1 THEN 'running' WHEN 2 THEN 'done' WHEN 3 THEN 'cancelled' ELSE '' END
         AS state,
       s.job_count AS total,
       COALESCE(SUM(j.state = 1), 0) AS queued,
       COALESCE(SUM(j.state = 2), 0) AS leased,
       COALESCE(SUM(j.state = 3), 0) AS succeeded,
       COALESCE(SUM(j.state = 4), 0) AS failed,
       COALESCE(SUM(j.state = 5), 0) AS cancelled,
       CASE WHEN s.job_count = 0 THEN 1.0
            ELSE CAST(COALESCE(SUM(j.state >= 3), 0) AS REAL) / s.job_count END AS fraction_done,
       s.created_unix_ms, s.finished_unix_ms
FROM sweeps s LEFT JOIN jobs j ON j.sweep_id = s.sweep_id
GROUP BY s.sweep_id;

CREATE VIEW worker_activity AS
SELECT w.worker_id, w.host, w.name, w.last_seen_unix_ms,
       (SELECT COUNT(*) FROM jobs j WHERE j.state = 2 AND j.worker_id = w.worker_id) AS active_leases,
       (SELECT COUNT(*) FROM job_results jr WHERE jr.worker_id = w.worker_id) AS completed_jobs
FROM workers w;
)sql";

// Migration 3: tenants. Every sweep belongs to a tenant (rows from before get
// 'default'); a worker id belongs to the subject (token / certificate) that
// registered it; the audit table records who did what.
constexpr char kTenants[] = R"sql(
ALTER TABLE sweeps ADD COLUMN tenant TEXT NOT NULL DEFAULT 'default';
CREATE INDEX sweeps_by_tenant ON sweeps (tenant, sweep_id);
ALTER TABLE workers ADD COLUMN owner TEXT NOT NULL DEFAULT 'local';
ALTER TABLE workers ADD COLUMN tenant TEXT NOT NULL DEFAULT 'default';

CREATE TABLE audit (
  audit_id  INTEGER PRIMARY KEY,
  unix_ms   INTEGER NOT NULL,
  subject   TEXT    NOT NULL DEFAULT '',   -- 'token:<name>', 'cert:<CN>', 'local', '' (unknown)
  tenant    TEXT    NOT NULL DEFAULT '',
  rpc       TEXT    NOT NULL,              -- 'SubmitSweep', 'CancelSweep', 'auth', ...
  sweep_id  INTEGER NOT NULL DEFAULT 0,
  outcome   TEXT    NOT NULL,              -- 'ok', 'unauthenticated', 'permission_denied', 'quota:<name>', ...
  detail    TEXT    NOT NULL DEFAULT ''
);
)sql";

// Migration 4: SubmitSweep idempotency keys (per tenant), and NaN / Inf metric values
// flagged in the result views (a value is stored as is: +-Inf as REAL
// infinities, NaN as NULL, which SQLite cannot store otherwise).
constexpr char kRequestsAndFiniteFlags[] = R"sql(
CREATE TABLE sweep_requests (
  tenant     TEXT    NOT NULL,                  -- the submitter's tenant: ids are per tenant
  request_id TEXT    NOT NULL,                  -- SubmitSweepRequest.request_id
  sweep_id   INTEGER NOT NULL REFERENCES sweeps(sweep_id),
  spec_proto BLOB    NOT NULL,                  -- fingerprint of the request (as sent)
  PRIMARY KEY (tenant, request_id)
) WITHOUT ROWID;

DROP VIEW result_vs_baseline;
DROP VIEW result_rows;

CREATE VIEW result_rows AS
SELECT r.result_id, r.job_id, r.sweep_id, k.model, k.model_path, k.family, k.kind, k.kind_name,
       k.condition, k.component, k.component_name, k.layer, k.evaluation, k.seed,
       r.metric, r.value, r.detail_json,
       (r.value IS NOT NULL AND r.value NOT IN (9e999, -9e999)) AS is_finite,
       CASE WHEN r.value IS NULL THEN 'nan' WHEN r.value = 9e999 THEN 'inf'
            WHEN r.value = -9e999 THEN '-inf' ELSE NULL END AS value_class
FROM results r JOIN job_keys k ON k.job_id = r.job_id;

CREATE VIEW result_vs_baseline AS
SELECT x.*,
       CASE WHEN x.baseline_value IS NULL OR x.baseline_value = 0 THEN NULL
            ELSE x.value / x.baseline_value END AS ratio,
       (x.value IS NOT NULL AND x.value NOT IN (9e999, -9e999)) AS is_finite
FROM (
  SELECT r.result_id, r.job_id, r.sweep_id, j.model_name AS model, j.kind,
         CASE j.kind WHEN 1 THEN 'baseline' WHEN 2 THEN 'group' WHEN 3 THEN 'layer_sweep'
                     WHEN 4 THEN 'positional' WHEN 5 THEN 'progressive' WHEN 6 THEN 'random'
                     WHEN 7 THEN 'explicit' ELSE '' END AS kind_name,
         j.condition_label AS condition, j.component,
         CASE j.component WHEN 1 THEN 'attention' WHEN 2 THEN 'linear_attention' WHEN 3 THEN 'ssm'
                          WHEN 4 THEN 'mlp' WHEN 5 THEN 'layer' ELSE '' END AS component_name,
         j.layer, j.evaluation, j.seed, r.metric, r.value, r.detail_json,
         (SELECT br.value FROM jobs bj JOIN results br ON br.job_id = bj.job_id
           WHERE bj.sweep_id = j.sweep_id AND bj.model_name = j.model_name
             AND bj.evaluation = j.evaluation AND bj.seed = j.seed AND bj.kind = 1
             AND br.metric = r.metric
           ORDER BY bj.job_id LIMIT 1) AS baseline_value
  FROM results r JOIN jobs j ON j.job_id = r.job_id
) x;
)sql";

// Migration 5: per-sweep aggregates maintained on insert, so dashboards group
// 10^6 results without scanning them (issue 11). JobStore::InsertResult keeps
// both tables in the transaction that stores the result; this migration fills
// them from the results already stored.
//   baseline_values: the baseline (kind 1) value each ablated result is compared
//     with: per (sweep, model, evaluation, seed, metric), the value of the
//     lowest job id that has it (what result_vs_baseline always meant).
//   result_summary: per condition and metric, the count of results, of finite
//     ones, and the mean (Welford), sum of squared deviations (m2), min and max
//     of the finite values (NaN, +-Inf counted, not averaged).
constexpr char kResultSummaries[] = R"sql(
CREATE TABLE baseline_values (
  sweep_id   INTEGER NOT NULL,
  model_name TEXT    NOT NULL,
  evaluation TEXT    NOT NULL,
  seed       INTEGER NOT NULL,
  metric     TEXT    NOT NULL,
  job_id     INTEGER NOT NULL,
  value      REAL,
  PRIMARY KEY (sweep_id, model_name, evaluation, seed, metric)
) WITHOUT ROWID;

CREATE TABLE result_summary (
  sweep_id        INTEGER NOT NULL,
  model_name      TEXT    NOT NULL,
  evaluation      TEXT    NOT NULL,
  kind            INTEGER NOT NULL,
  condition_label TEXT    NOT NULL,
  component       INTEGER NOT NULL,
  layer           INTEGER NOT NULL,
  metric          TEXT    NOT NULL,
  results         INTEGER NOT NULL,  -- results stored for this condition and metric
  finite          INTEGER NOT NULL,  -- of them finite (the rest NaN or +-Inf)
  mean            REAL,              -- of the finite values; NULL when there are none
  m2              REAL,              -- sum of squared deviations from the mean (finite values)
  min_value       REAL,
  max_value       REAL,
  PRIMARY KEY (sweep_id, model_name, evaluation, kind, condition_label, component, layer, metric)
) WITHOUT ROWID;

-- QueryResults of one sweep in result_id order, any metric: (sweep_id, rowid).
CREATE INDEX results_by_sweep ON results (sweep_id);

INSERT INTO baseline_values (sweep_id, model_name, evaluation, seed, metric, job_id, value)
  SELECT j.sweep_id, j.model_name, j.evaluation, j.seed, r.metric, r.job_id, r.value
  FROM results r JOIN jobs j ON j.job_id = r.job_id
  WHERE j.kind = 1
  ON CONFLICT DO UPDATE SET job_id = excluded.job_id, value = excluded.value
    WHERE excluded.job_id < baseline_values.job_id;

WITH rows AS (
  SELECT j.sweep_id, j.model_name, j.evaluation, j.kind, j.condition_label, j.component, j.layer,
         r.metric, r.value AS v, (r.value IS NOT NULL AND r.value NOT IN (9e999, -9e999)) AS f
  FROM results r JOIN jobs j ON j.job_id = r.job_id),
means AS (
  SELECT sweep_id, model_name, evaluation, kind, condition_label, component, layer, metric,
         AVG(CASE WHEN f THEN v END) AS mean
  FROM rows GROUP BY sweep_id, model_name, evaluation, kind, condition_label, component, layer, metric)
INSERT INTO result_summary (sweep_id, model_name, evaluation, kind, condition_label, component, layer, metric,
                            results, finite, mean, m2, min_value, max_value)
  SELECT rows.sweep_id, rows.model_name, rows.evaluation, rows.kind, rows.condition_label, rows.component,
         rows.layer, rows.metric, COUNT(*), SUM(rows.f), means.mean,
         CASE WHEN SUM(rows.f) > 0
              THEN SUM(CASE WHEN rows.f THEN (rows.v - means.mean) * (rows.v - means.mean) ELSE 0.0 END) END,
         MIN(CASE WHEN rows.f THEN rows.v END), MAX(CASE WHEN rows.f THEN rows.v END)
  FROM rows JOIN means USING (sweep_id, model_name, evaluation, kind, condition_label, component, layer, metric)
  GROUP BY rows.sweep_id, rows.model_name, rows.evaluation, rows.kind, rows.condition_label, rows.component,
           rows.layer, rows.metric;
)sql";

// Migration 6: jobs created in the background. A big sweep is stored with its
// spec and job_count first; its jobs are created in chunks, each advancing
// materialized_jobs in the same transaction (the resume point after a
// restart). Sweeps from before have all their jobs. layouts_proto keeps the
// model layouts the client sent, so the expansion can resume without them.
constexpr char kMaterialization[] = R"sql(
ALTER TABLE sweeps ADD COLUMN materialized_jobs INTEGER NOT NULL DEFAULT 0;
UPDATE sweeps SET materialized_jobs = job_count;
ALTER TABLE sweeps ADD COLUMN layouts_proto BLOB NOT NULL DEFAULT x'';
)sql";

const std::vector<const char*>& Migrations() {
  static const auto* const kMigrations = new std::vector<const char*>{
      kTables, kViews, kTenants, kRequestsAndFiniteFlags, kResultSummaries, kMaterialization};
  return *kMigrations;
}

// The dashboard views as this binary defines them, in dependency order. Each
// is the latest released definition (job_keys: migration 2; result_rows:
// migration 4; result_vs_baseline and condition_summary: migration 5;
// sweep_progress: migration 2, counting jobs not created yet since migration 6)
// with the CASE maps generated.
struct View {
  const char* name;
  std::string sql;  // exactly as sqlite_master stores it (no trailing ';')
};

std::vector<View> CurrentViews() {
  std::vector<View> v;
  v.push_back({"job_keys", absl::StrCat(R"sql(CREATE VIEW job_keys AS
SELECT j.job_id, j.sweep_id, j.job_index, j.state,
       CASE j.state WHEN 1 THEN 'queued' WHEN 2 THEN 'leased' WHEN 3 THEN 'succeeded'
                    WHEN 4 THEN 'failed' WHEN 5 THEN 'cancelled' ELSE 'unspecified' END AS state_name,
       j.model_name AS model, j.model_path, j.model_family AS family,
       j.kind,
       )sql",
                                        KindNameSql("j.kind"), R"sql( AS kind_name,
       j.condition_label AS condition, j.ablation_name,
       j.component,
       )sql",
                                        ComponentNameSql("j.component"), R"sql( AS component_name,
       j.layer, j.evaluation, j.seed, j.attempt, j.counted_attempts, j.last_error, j.worker_id
FROM jobs j)sql")});
  v.push_back({"result_rows", R"sql(CREATE VIEW result_rows AS
SELECT r.result_id, r.job_id, r.sweep_id, k.model, k.model_path, k.family, k.kind, k.kind_name,
       k.condition, k.component, k.component_name, k.layer, k.evaluation, k.seed,
       r.metric, r.value, r.detail_json,
       (r.value IS NOT NULL AND r.value NOT IN (9e999, -9e999)) AS is_finite,
       CASE WHEN r.value IS NULL THEN 'nan' WHEN r.value = 9e999 THEN 'inf'
            WHEN r.value = -9e999 THEN '-inf' ELSE NULL END AS value_class
FROM results r JOIN job_keys k ON k.job_id = r.job_id)sql"});
  v.push_back({"result_vs_baseline", absl::StrCat(R"sql(CREATE VIEW result_vs_baseline AS
SELECT r.result_id, r.job_id, r.sweep_id, j.model_name AS model, j.kind,
       )sql",
                                                  KindNameSql("j.kind"), R"sql( AS kind_name,
       j.condition_label AS condition, j.component,
       )sql",
                                                  ComponentNameSql("j.component"), R"sql( AS component_name,
       j.layer, j.evaluation, j.seed, r.metric, r.value, r.detail_json,
       b.value AS baseline_value,
       CASE WHEN b.value IS NULL OR b.value = 0 THEN NULL ELSE r.value / b.value END AS ratio,
       (r.value IS NOT NULL AND r.value NOT IN (9e999, -9e999)) AS is_finite
FROM results r JOIN jobs j ON j.job_id = r.job_id
LEFT JOIN baseline_values b ON b.sweep_id = j.sweep_id AND b.model_name = j.model_name
  AND b.evaluation = j.evaluation AND b.seed = j.seed AND b.metric = r.metric)sql")});
  v.push_back({"condition_summary", absl::StrCat(R"sql(CREATE VIEW condition_summary AS
SELECT s.sweep_id, s.model_name AS model, s.evaluation, s.kind,
       )sql",
                                                 KindNameSql("s.kind"), R"sql( AS kind_name,
       s.condition_label AS condition, s.component,
       )sql",
                                                 ComponentNameSql("s.component"), R"sql( AS component_name,
       s.layer, s.metric, s.results, s.finite, s.mean,
       CASE WHEN s.finite > 1 THEN sqrt(s.m2 / (s.finite - 1)) END AS stddev,
       s.min_value, s.max_value, b.mean AS baseline_mean,
       CASE WHEN b.mean IS NULL OR b.mean = 0 THEN NULL ELSE s.mean / b.mean END AS ratio_of_means
FROM result_summary s
LEFT JOIN result_summary b ON b.sweep_id = s.sweep_id AND b.model_name = s.model_name
  AND b.evaluation = s.evaluation AND b.kind = 1 AND b.metric = s.metric)sql")});
  // Jobs of a big sweep not created yet (job_count - materialized_jobs) count
  // as queued, or cancelled once the sweep is, as JobStore::CountJobs does.
  v.push_back({"sweep_progress", R"sql(CREATE VIEW sweep_progress AS
SELECT s.sweep_id, s.name,
       CASE s.state WHEN 1 THEN 'running' WHEN 2 THEN 'done' WHEN 3 THEN 'cancelled' ELSE '' END
         AS state,
       s.job_count AS total,
       COALESCE(SUM(j.state = 1), 0)
         + CASE WHEN s.state = 3 THEN 0 ELSE s.job_count - s.materialized_jobs END AS queued,
       COALESCE(SUM(j.state = 2), 0) AS leased,
       COALESCE(SUM(j.state = 3), 0) AS succeeded,
       COALESCE(SUM(j.state = 4), 0) AS failed,
       COALESCE(SUM(j.state = 5), 0)
         + CASE WHEN s.state = 3 THEN s.job_count - s.materialized_jobs ELSE 0 END AS cancelled,
       CASE WHEN s.job_count = 0 THEN 1.0
            ELSE CAST(COALESCE(SUM(j.state >= 3), 0)
                      + CASE WHEN s.state = 3 THEN s.job_count - s.materialized_jobs ELSE 0 END AS REAL)
                 / s.job_count END AS fraction_done,
       s.created_unix_ms, s.finished_unix_ms
FROM sweeps s LEFT JOIN jobs j ON j.sweep_id = s.sweep_id
GROUP BY s.sweep_id)sql"});
  return v;
}

// Recreates the views of CurrentViews() when any stored definition differs
// (all of them, dependents first, in one transaction); nothing when all match.
absl::Status RefreshViews(Database* db) {
  const std::vector<View> views = CurrentViews();
  Transaction tx(db);
  RETURN_IF_ERROR(tx.Begin());
  bool same = true;
  for (const View& v : views) {
    ASSIGN_OR_RETURN(Statement * st, db->Prepare("SELECT sql FROM sqlite_master WHERE type = 'view' AND name = ?"));
    st->BindText(1, v.name);
    ASSIGN_OR_RETURN(bool row, st->Step());
    const std::string stored = row ? st->ColumnText(0) : "";
    st->Finish();
    if (stored != v.sql) same = false;
  }
  if (same) return tx.Commit();
  for (auto it = views.rbegin(); it != views.rend(); ++it) {
    RETURN_IF_ERROR(db->Exec(absl::StrCat("DROP VIEW IF EXISTS ", it->name)));
  }
  for (const View& v : views) RETURN_IF_ERROR(db->Exec(v.sql));
  return tx.Commit();
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

int LatestSchemaVersion() { return static_cast<int>(Migrations().size()); }

absl::StatusOr<int> SchemaVersion(Database* db) {
  ASSIGN_OR_RETURN(Statement * exists, db->Prepare("SELECT count(*) FROM sqlite_master WHERE type='table' AND "
                                                   "name='schema_version'"));
  ASSIGN_OR_RETURN(bool row, exists->Step());
  const bool has_table = row && exists->ColumnInt64(0) != 0;
  exists->Finish();
  if (!has_table) return 0;
  ASSIGN_OR_RETURN(Statement * st, db->Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_version"));
  ASSIGN_OR_RETURN(row, st->Step());
  const int version = row ? static_cast<int>(st->ColumnInt64(0)) : 0;
  st->Finish();
  return version;
}

absl::Status Migrate(Database* db) {
  RETURN_IF_ERROR(
      db->Exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, "
               "applied_unix_ms INTEGER NOT NULL)"));
  ASSIGN_OR_RETURN(int current, SchemaVersion(db));
  const int latest = LatestSchemaVersion();
  if (current > latest) {
    return absl::FailedPreconditionError(absl::StrCat("database '", db->path(), "' has schema version ", current,
                                                      ", newer than this binary's ", latest, "; upgrade ablate"));
  }
  for (int v = current + 1; v <= latest; ++v) {
    Transaction tx(db);
    RETURN_IF_ERROR(tx.Begin());
    absl::Status s = db->Exec(Migrations()[v - 1]);
    if (!s.ok()) {
      return absl::Status(s.code(), absl::StrCat("migration ", v, ": ", s.message()));
    }
    ASSIGN_OR_RETURN(Statement * ins, db->Prepare("INSERT INTO schema_version VALUES (?, ?)"));
    ins->Bind(1, v).Bind(2, NowMs());
    RETURN_IF_ERROR(ins->Run());
    RETURN_IF_ERROR(tx.Commit());
  }
  return RefreshViews(db);
}

}  // namespace ablate::storage
