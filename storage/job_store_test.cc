// job_store_test.cc: migrations, sweep insertion, job transitions, result
// queries and the dashboard views on a real SQLite file.
#include "storage/job_store.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <tuple>

#include "common/vocabulary.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/schema.h"
#include "tests/testing/status_matchers.h"

namespace ablate::storage {
namespace {

using ::ablate::testing::IsOk;
using ::ablate::testing::StatusIs;
using ::testing::HasSubstr;

std::string TempDb(const std::string& name) {
  std::string dir = ::testing::TempDir() + "/storage_test_" + std::to_string(::getpid());
  std::filesystem::create_directories(dir);
  std::string path = dir + "/" + name + ".db";
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
  return path;
}

JobRecord MakeJob(int index, const std::string& model, int kind, const std::string& eval, int layer = -1) {
  JobRecord j;
  j.job_index = index;
  j.keys.model_name = model;
  j.keys.model_path = "/ckpt/" + model;
  j.keys.model_family = "qwen2";
  j.keys.kind = kind;
  j.keys.condition_label = kind == 1 ? "baseline" : "layer_sweep/attention/L" + std::to_string(layer);
  j.keys.component = kind == 1 ? 0 : 1;
  j.keys.layer = layer;
  j.keys.evaluation = eval;
  j.keys.seed = 0xFFFFFFFFFFFFFFFFull;  // survives the int64 column
  j.spec_proto = std::string("\x0a\x03job\x00", 6);
  return j;
}

TEST(SchemaTest, MigratesFreshDatabaseAndIsIdempotent) {
  std::string path = TempDb("schema");
  { ASSERT_OK(JobStore::Open(path)); }
  auto db = Database::Open(path, {});
  ASSERT_OK(db);
  EXPECT_THAT(SchemaVersion(db->get()), ::ablate::testing::IsOkAndHolds(LatestSchemaVersion()));
  EXPECT_OK(Migrate(db->get()));  // nothing to do
  EXPECT_THAT(SchemaVersion(db->get()), ::ablate::testing::IsOkAndHolds(LatestSchemaVersion()));
  auto st = (*db)->Prepare("PRAGMA journal_mode");
  ASSERT_OK(st);
  ASSERT_THAT((*st)->Step(), ::ablate::testing::IsOkAndHolds(true));
  EXPECT_EQ((*st)->ColumnText(0), "wal");
}

// The views' name maps are generated from common/vocabulary.h; Migrate()
// rewrites a view only when its stored SQL differs (an older binary's, or a
// vocabulary that grew), and leaves the schema alone otherwise.
TEST(SchemaTest, ViewsComeFromTheVocabularyAndAreRefreshedOnlyWhenStale) {
  std::string path = TempDb("views");
  { ASSERT_OK(JobStore::Open(path)); }
  auto db = Database::Open(path, {});
  ASSERT_OK(db);
  auto text_of = [&](const std::string& sql) -> std::string {
    auto st = (*db)->Prepare(sql);
    EXPECT_OK(st);
    if (!st.ok()) return "";
    auto row = (*st)->Step();
    std::string out = row.ok() && *row ? (*st)->ColumnText(0) : "";
    (*st)->Finish();
    return out;
  };
  auto view_sql = [&](const std::string& name) {
    return text_of("SELECT sql FROM sqlite_master WHERE type = 'view' AND name = '" + name + "'");
  };
  for (const std::string name : {"job_keys", "result_vs_baseline"}) {
    EXPECT_THAT(view_sql(name), HasSubstr(ComponentNameSql("j.component"))) << name;
    EXPECT_THAT(view_sql(name), HasSubstr(KindNameSql("j.kind"))) << name;
  }
  EXPECT_THAT(view_sql("condition_summary"), HasSubstr(KindNameSql("s.kind")));
  const std::string cookie = text_of("PRAGMA schema_version");
  ASSERT_OK(Migrate(db->get()));
  EXPECT_EQ(text_of("PRAGMA schema_version"), cookie) << "an up-to-date database was rewritten";

  // A stale job_keys (as an older vocabulary would have left it) is replaced.
  ASSERT_OK(
      (*db)->Exec("DROP VIEW result_rows; DROP VIEW job_keys; "
                  "CREATE VIEW job_keys AS SELECT job_id, 'old' AS component_name FROM jobs"));
  ASSERT_OK(Migrate(db->get()));
  EXPECT_THAT(view_sql("job_keys"), HasSubstr(ComponentNameSql("j.component")));
  EXPECT_THAT(view_sql("result_rows"), HasSubstr("FROM results r JOIN job_keys k"));
  const std::string refreshed = text_of("PRAGMA schema_version");
  EXPECT_NE(refreshed, cookie);
  ASSERT_OK(Migrate(db->get()));
  EXPECT_EQ(text_of("PRAGMA schema_version"), refreshed);
}

TEST(SchemaTest, RefusesNewerDatabase) {
  std::string path = TempDb("newer");
  {
    ASSERT_OK(JobStore::Open(path));
    auto db = Database::Open(path, {});
    ASSERT_OK(db);
    ASSERT_OK((*db)->Exec("INSERT INTO schema_version VALUES (999, 0)"));
  }
  EXPECT_THAT(JobStore::Open(path).status(), StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("999")));
}

TEST(JobStoreTest, InsertSweepAssignsIdsAndRoundTrips) {
  auto store_or = JobStore::Open(TempDb("insert"));
  ASSERT_OK(store_or);
  JobStore& store = **store_or;
  SweepRecord sweep;
  sweep.name = "demo";
  sweep.spec_text = "name: demo";
  sweep.spec_proto = std::string("\x0a\x04\x64\x65\x6d\x6f", 6);
  std::vector<JobRecord> jobs = {MakeJob(0, "m", 1, "wiki"), MakeJob(1, "m", 3, "wiki", 4)};
  ASSERT_OK(store.RunInTransaction([&] { return store.InsertSweep(&sweep, &jobs); }));
  EXPECT_GT(sweep.sweep_id, 0);
  EXPECT_EQ(jobs[0].sweep_id, sweep.sweep_id);
  EXPECT_LT(jobs[0].job_id, jobs[1].job_id);

  auto got = store.GetSweep(sweep.sweep_id);
  ASSERT_OK(got);
  EXPECT_EQ(got->name, "demo");
  EXPECT_EQ(got->job_count, 2);
  EXPECT_EQ(got->spec_proto, sweep.spec_proto);
  EXPECT_EQ(got->spec_text, "name: demo");

  auto job = store.GetJob(jobs[1].job_id, /*with_spec=*/true);
  ASSERT_OK(job);
  EXPECT_EQ(job->keys.layer, 4);
  EXPECT_EQ(job->keys.seed, 0xFFFFFFFFFFFFFFFFull);
  EXPECT_EQ(job->spec_proto, jobs[1].spec_proto);
  EXPECT_EQ(job->state, kJobQueued);

  EXPECT_THAT(store.GetSweep(12345).status(), StatusIs(absl::StatusCode::kNotFound, HasSubstr("12345")));
  EXPECT_THAT(store.GetJob(12345, false).status(), StatusIs(absl::StatusCode::kNotFound, HasSubstr("12345")));
}

TEST(JobStoreTest, FailedTransactionLeavesNoHalfInsertedSweep) {
  auto store_or = JobStore::Open(TempDb("atomic"));
  ASSERT_OK(store_or);
  JobStore& store = **store_or;
  SweepRecord sweep;
  sweep.name = "dup";
  // Two jobs with the same index violate UNIQUE(sweep_id, job_index).
  std::vector<JobRecord> jobs = {MakeJob(0, "m", 1, "wiki"), MakeJob(0, "m", 1, "wiki")};
  EXPECT_THAT(store.RunInTransaction([&] { return store.InsertSweep(&sweep, &jobs); }),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("UNIQUE")));
  auto sweeps = store.ListSweeps(true, false);
  ASSERT_OK(sweeps);
  EXPECT_TRUE(sweeps->empty());
}

TEST(JobStoreTest, JobsCreatedInChunksAdvanceTheCursorOnceEach) {
  auto store_or = JobStore::Open(TempDb("chunks"));
  ASSERT_OK(store_or);
  JobStore& store = **store_or;
  SweepRecord sweep;
  sweep.name = "big";
  sweep.job_count = 5;  // none created yet
  sweep.layouts_proto = "layouts";
  std::vector<JobRecord> none;
  ASSERT_OK(store.RunInTransaction([&] { return store.InsertSweep(&sweep, &none); }));
  EXPECT_EQ(sweep.materialized_jobs, 0);
  EXPECT_THAT(store.GetSweepLayouts(sweep.sweep_id), ::ablate::testing::IsOkAndHolds("layouts"));
  auto counts = store.CountJobs(sweep.sweep_id);
  ASSERT_OK(counts);
  EXPECT_EQ(counts->total, 5);
  EXPECT_EQ(counts->queued, 5);  // not created yet: queued

  std::vector<JobRecord> first = {MakeJob(0, "m", 1, "wiki"), MakeJob(1, "m", 3, "wiki", 0)};
  ASSERT_OK(store.RunInTransaction([&] { return store.AppendJobs(sweep.sweep_id, 0, &first); }));
  EXPECT_GT(first[1].job_id, first[0].job_id);
  // The same chunk again (a retry after a crash) is refused and writes nothing.
  std::vector<JobRecord> again = {MakeJob(0, "m", 1, "wiki"), MakeJob(1, "m", 3, "wiki", 0)};
  EXPECT_THAT(store.RunInTransaction([&] { return store.AppendJobs(sweep.sweep_id, 0, &again); }),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("not the next")));
  // Past the job count: refused.
  std::vector<JobRecord> over = {MakeJob(2, "m", 3, "wiki", 1), MakeJob(3, "m", 3, "wiki", 2),
                                 MakeJob(4, "m", 3, "wiki", 3), MakeJob(5, "m", 3, "wiki", 4)};
  EXPECT_THAT(store.RunInTransaction([&] { return store.AppendJobs(sweep.sweep_id, 2, &over); }),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("not the next")));
  auto got = store.GetSweep(sweep.sweep_id);
  ASSERT_OK(got);
  EXPECT_EQ(got->materialized_jobs, 2);
  EXPECT_EQ(got->job_count, 5);
  // The dashboard view counts as CountJobs does: jobs not created are queued.
  auto progress = [&] {
    auto st = store.db()->Prepare("SELECT total, queued, cancelled, fraction_done FROM sweep_progress");
    EXPECT_OK(st);
    if (!st.ok()) return std::make_tuple(int64_t{-1}, int64_t{-1}, int64_t{-1}, -1.0);
    EXPECT_THAT((*st)->Step(), ::ablate::testing::IsOkAndHolds(true));
    return std::make_tuple((*st)->ColumnInt64(0), (*st)->ColumnInt64(1), (*st)->ColumnInt64(2), (*st)->ColumnDouble(3));
  };
  EXPECT_EQ(progress(), std::make_tuple(int64_t{5}, int64_t{5}, int64_t{0}, 0.0));

  ASSERT_OK(store.RunInTransaction([&] { return store.UpdateSweepState(sweep.sweep_id, kSweepCancelled, 0); }));
  counts = store.CountJobs(sweep.sweep_id);
  ASSERT_OK(counts);
  EXPECT_EQ(counts->total, 5);
  EXPECT_EQ(counts->queued, 2);     // created
  EXPECT_EQ(counts->cancelled, 3);  // never created: cancelled with the sweep
  EXPECT_EQ(progress(), std::make_tuple(int64_t{5}, int64_t{2}, int64_t{3}, 0.6));
}

TEST(SchemaTest, OldDatabasesHaveAllTheirJobsCreated) {
  const std::string path = TempDb("old");
  int64_t sweep_id = 0;
  {
    auto store = JobStore::Open(path);
    ASSERT_OK(store);
    SweepRecord sweep;
    sweep.name = "old";
    std::vector<JobRecord> jobs = {MakeJob(0, "m", 1, "wiki"), MakeJob(1, "m", 3, "wiki", 0)};
    ASSERT_OK((*store)->RunInTransaction([&] { return (*store)->InsertSweep(&sweep, &jobs); }));
    sweep_id = sweep.sweep_id;
    // Back to schema 5, as a database written before migration 6.
    Database* db = (*store)->db();
    // (sweep_progress reads materialized_jobs now; Open recreates it.)
    ASSERT_OK(db->Exec("DROP VIEW sweep_progress"));
    ASSERT_OK(db->Exec("ALTER TABLE sweeps DROP COLUMN materialized_jobs"));
    ASSERT_OK(db->Exec("ALTER TABLE sweeps DROP COLUMN layouts_proto"));
    ASSERT_OK(db->Exec("DELETE FROM schema_version WHERE version = 6"));
  }
  auto store = JobStore::Open(path);
  ASSERT_OK(store);
  auto got = (*store)->GetSweep(sweep_id);
  ASSERT_OK(got);
  EXPECT_EQ(got->materialized_jobs, 2);
  EXPECT_EQ(got->job_count, 2);
  auto counts = (*store)->CountJobs(sweep_id);
  ASSERT_OK(counts);
  EXPECT_EQ(counts->total, 2);
}

TEST(JobStoreTest, TransitionsCountsAndListJobs) {
  auto store_or = JobStore::Open(TempDb("transitions"));
  ASSERT_OK(store_or);
  JobStore& store = **store_or;
  SweepRecord sweep;
  sweep.name = "s";
  std::vector<JobRecord> jobs;
  for (int i = 0; i < 5; ++i) jobs.push_back(MakeJob(i, "m", 3, "wiki", i));
  ASSERT_OK(store.RunInTransaction([&] { return store.InsertSweep(&sweep, &jobs); }));

  ASSERT_OK(store.RunInTransaction([&]() -> absl::Status {
    JobStateUpdate u;
    u.job_id = jobs[0].job_id;
    u.state = kJobLeased;
    u.attempt = 1;
    u.lease_id = "L1";
    u.worker_id = "w";
    absl::Status s = store.UpdateJob(u);
    if (!s.ok()) return s;
    s = store.InsertAttempt({jobs[0].job_id, 1, "L1", "w", 10});
    if (!s.ok()) return s;
    u.job_id = jobs[1].job_id;
    u.state = kJobFailed;
    u.last_error = "boom";
    return store.UpdateJob(u);
  }));
  auto counts = store.CountJobs(sweep.sweep_id);
  ASSERT_OK(counts);
  EXPECT_EQ(counts->total, 5);
  EXPECT_EQ(counts->queued, 3);
  EXPECT_EQ(counts->leased, 1);
  EXPECT_EQ(counts->failed, 1);

  auto queued = store.ListJobs(sweep.sweep_id, kJobQueued, 0, 2);
  ASSERT_OK(queued);
  ASSERT_EQ(queued->size(), 2u);
  EXPECT_EQ((*queued)[0].job_id, jobs[2].job_id);
  auto next = store.ListJobs(sweep.sweep_id, kJobQueued, (*queued)[1].job_id, 2);
  ASSERT_OK(next);
  ASSERT_EQ(next->size(), 1u);
  EXPECT_EQ((*next)[0].job_id, jobs[4].job_id);

  JobStateUpdate missing;
  missing.job_id = 999;
  EXPECT_THAT(store.RunInTransaction([&] { return store.UpdateJob(missing); }),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("999")));
}

TEST(JobStoreTest, OneResultPerJobAndBaselineRatios) {
  auto store_or = JobStore::Open(TempDb("results"));
  ASSERT_OK(store_or);
  JobStore& store = **store_or;
  SweepRecord sweep;
  sweep.name = "r";
  std::vector<JobRecord> jobs = {MakeJob(0, "a", 1, "wiki"), MakeJob(1, "a", 3, "wiki", 2),
                                 MakeJob(2, "b", 3, "wiki", 2)};
  ASSERT_OK(store.RunInTransaction([&] { return store.InsertSweep(&sweep, &jobs); }));
  auto result = [&](int i, double ppl) {
    ResultRecord r;
    r.job_id = jobs[i].job_id;
    r.sweep_id = sweep.sweep_id;
    r.attempt = 1;
    r.worker_id = "w";
    r.metrics = {{"perplexity", ppl, "{\"n\":1}"}, {"acc", 0.5, ""}};
    return r;
  };
  ASSERT_OK(store.RunInTransaction([&] { return store.InsertResult(result(0, 10.0)); }));
  ASSERT_OK(store.RunInTransaction([&] { return store.InsertResult(result(1, 25.0)); }));
  ASSERT_OK(store.RunInTransaction([&] { return store.InsertResult(result(2, 7.0)); }));
  EXPECT_THAT(store.RunInTransaction([&] { return store.InsertResult(result(1, 99.0)); }),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("UNIQUE")));
  EXPECT_THAT(store.CountResults(jobs[1].job_id), ::ablate::testing::IsOkAndHolds(1));

  ResultFilter f;
  f.sweep_id = sweep.sweep_id;
  f.metric = "perplexity";
  auto rows = store.QueryResults(f);
  ASSERT_OK(rows);
  ASSERT_EQ(rows->size(), 3u);
  EXPECT_DOUBLE_EQ((*rows)[1].value, 25.0);
  EXPECT_DOUBLE_EQ((*rows)[1].baseline_value, 10.0);
  EXPECT_DOUBLE_EQ((*rows)[1].ratio_to_baseline, 2.5);
  EXPECT_EQ((*rows)[1].detail_json, "{\"n\":1}");
  EXPECT_TRUE(std::isnan((*rows)[2].baseline_value));  // model b has no baseline
  EXPECT_TRUE(std::isnan((*rows)[2].ratio_to_baseline));

  f.model = "a";
  f.kind = 3;
  f.has_layer = true;
  f.layer = 2;
  rows = store.QueryResults(f);
  ASSERT_OK(rows);
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ((*rows)[0].job_id, jobs[1].job_id);

  // Paging by result id.
  ResultFilter all;
  all.limit = 4;
  rows = store.QueryResults(all);
  ASSERT_OK(rows);
  ASSERT_EQ(rows->size(), 4u);
  all.after_result_id = rows->back().result_id;
  rows = store.QueryResults(all);
  ASSERT_OK(rows);
  EXPECT_EQ(rows->size(), 2u);

  // The dashboard views read directly.
  auto st = store.db()->Prepare(
      "SELECT ratio, kind_name, component_name FROM result_vs_baseline WHERE model='a' AND "
      "metric='perplexity' AND kind=3");
  ASSERT_OK(st);
  ASSERT_THAT((*st)->Step(), ::ablate::testing::IsOkAndHolds(true));
  EXPECT_DOUBLE_EQ((*st)->ColumnDouble(0), 2.5);
  EXPECT_EQ((*st)->ColumnText(1), "layer_sweep");
  EXPECT_EQ((*st)->ColumnText(2), "attention");
  st = store.db()->Prepare("SELECT total, queued, fraction_done FROM sweep_progress");
  ASSERT_OK(st);
  ASSERT_THAT((*st)->Step(), ::ablate::testing::IsOkAndHolds(true));
  EXPECT_EQ((*st)->ColumnInt64(0), 3);
  EXPECT_EQ((*st)->ColumnInt64(1), 3);
}

// result_vs_baseline as it was defined before migration 5: a correlated
// subquery per row. The baseline_values table must give the same answers.
constexpr char kOldResultVsBaseline[] = R"sql(
SELECT r.result_id,
       (SELECT br.value FROM jobs bj JOIN results br ON br.job_id = bj.job_id
         WHERE bj.sweep_id = j.sweep_id AND bj.model_name = j.model_name
           AND bj.evaluation = j.evaluation AND bj.seed = j.seed AND bj.kind = 1
           AND br.metric = r.metric
         ORDER BY bj.job_id LIMIT 1) AS baseline_value
FROM results r JOIN jobs j ON j.job_id = r.job_id ORDER BY r.result_id)sql";

// One row of condition_summary, read by (model, condition, metric).
struct SummaryRow {
  int64_t results = 0;
  int64_t finite = 0;
  double mean = NAN, stddev = NAN, min = NAN, max = NAN, baseline_mean = NAN, ratio = NAN;
};

SummaryRow ReadSummary(Database* db, const std::string& model, const std::string& condition,
                       const std::string& metric) {
  SummaryRow out;
  auto st = db->Prepare(
      "SELECT results, finite, mean, stddev, min_value, max_value, baseline_mean, ratio_of_means "
      "FROM condition_summary WHERE model = ? AND condition = ? AND metric = ?");
  EXPECT_OK(st);
  if (!st.ok()) return out;
  (*st)->BindText(1, model).BindText(2, condition).BindText(3, metric);
  auto row = (*st)->Step();
  EXPECT_TRUE(row.ok() && *row) << model << " " << condition << " " << metric;
  if (!row.ok() || !*row) return out;
  auto col = [&](int i) { return (*st)->ColumnIsNull(i) ? NAN : (*st)->ColumnDouble(i); };
  out = {(*st)->ColumnInt64(0), (*st)->ColumnInt64(1), col(2), col(3), col(4), col(5), col(6), col(7)};
  EXPECT_THAT((*st)->Step(), ::ablate::testing::IsOkAndHolds(false)) << "one row per condition and metric";
  (*st)->Finish();
  return out;
}

// The aggregates kept on insert (migration 5) equal the statistics computed
// here from the values inserted, NaN and Inf counted but not averaged; the
// per-row baseline is the lowest baseline job id's value, as before; and a
// database migrated from version 4 gets the same tables filled from its results.
TEST(JobStoreTest, ResultSummaryAndBaselinesAreKeptOnInsert) {
  const std::string path = TempDb("summary");
  auto store_or = JobStore::Open(path);
  ASSERT_OK(store_or);
  JobStore& store = **store_or;
  SweepRecord sweep;
  sweep.name = "s";
  // Seeds 0..3: a baseline and layer 2 of model a; model b has only layer 2;
  // seed 0 has a second baseline job (a higher id) that completes first.
  std::vector<JobRecord> jobs;
  const std::vector<double> base = {10.0, 12.0, 11.0, 13.0};
  const std::vector<double> ablated = {20.0, NAN, 26.0, INFINITY};
  const std::vector<double> other = {3.0, 5.0, 4.0, 8.0};
  for (int seed = 0; seed < 4; ++seed) {
    for (auto [model, kind] : {std::pair<const char*, int>{"a", 1}, {"a", 3}, {"b", 3}}) {
      JobRecord j = MakeJob(static_cast<int>(jobs.size()), model, kind, "wiki", kind == 1 ? -1 : 2);
      j.keys.seed = static_cast<uint64_t>(seed);
      jobs.push_back(j);
    }
  }
  JobRecord late = MakeJob(static_cast<int>(jobs.size()), "a", 1, "wiki");
  late.keys.seed = 0;
  jobs.push_back(late);
  ASSERT_OK(store.RunInTransaction([&] { return store.InsertSweep(&sweep, &jobs); }));
  auto insert = [&](size_t i, double ppl) {
    ResultRecord r;
    r.job_id = jobs[i].job_id;
    r.sweep_id = sweep.sweep_id;
    r.attempt = 1;
    r.worker_id = "w";
    r.metrics = {{"perplexity", ppl, ""}, {"acc", 0.25, ""}};
    ASSERT_OK(store.RunInTransaction([&] { return store.InsertResult(r); }));
  };
  insert(jobs.size() - 1, 99.0);           // the later baseline of seed 0 first
  for (int seed = 3; seed >= 0; --seed) {  // completion order differs from job order
    insert(seed * 3 + 1, ablated[seed]);
    insert(seed * 3 + 2, other[seed]);
    insert(seed * 3, base[seed]);
  }
  ResultRecord missing;
  missing.job_id = 12345;
  missing.sweep_id = sweep.sweep_id;
  EXPECT_FALSE(store.RunInTransaction([&] { return store.InsertResult(missing); }).ok());

  auto expect_stats = [](const SummaryRow& row, std::vector<double> values, int64_t results) {
    EXPECT_EQ(row.results, results);
    EXPECT_EQ(row.finite, static_cast<int64_t>(values.size()));
    double mean = 0;
    for (double v : values) mean += v / static_cast<double>(values.size());
    double ss = 0;
    for (double v : values) ss += (v - mean) * (v - mean);
    EXPECT_NEAR(row.mean, mean, 1e-12 * std::abs(mean));
    if (values.size() > 1) {
      EXPECT_NEAR(row.stddev, std::sqrt(ss / static_cast<double>(values.size() - 1)), 1e-9);
    } else {
      EXPECT_TRUE(std::isnan(row.stddev));
    }
    EXPECT_EQ(row.min, *std::min_element(values.begin(), values.end()));
    EXPECT_EQ(row.max, *std::max_element(values.begin(), values.end()));
  };
  auto check = [&](Database* db) {
    SummaryRow b = ReadSummary(db, "a", "baseline", "perplexity");
    expect_stats(b, {10.0, 12.0, 11.0, 13.0, 99.0}, 5);
    SummaryRow a = ReadSummary(db, "a", "layer_sweep/attention/L2", "perplexity");
    expect_stats(a, {20.0, 26.0}, 4);  // NaN and Inf counted, not averaged
    EXPECT_DOUBLE_EQ(a.baseline_mean, b.mean);
    EXPECT_DOUBLE_EQ(a.ratio, a.mean / b.mean);
    SummaryRow o = ReadSummary(db, "b", "layer_sweep/attention/L2", "perplexity");
    expect_stats(o, {3.0, 5.0, 4.0, 8.0}, 4);
    EXPECT_TRUE(std::isnan(o.baseline_mean)) << "model b has no baseline";
    EXPECT_TRUE(std::isnan(o.ratio));
    SummaryRow acc = ReadSummary(db, "a", "layer_sweep/attention/L2", "acc");
    EXPECT_EQ(acc.stddev, 0.0);
    EXPECT_EQ(acc.ratio, 1.0);

    // Per row: the old correlated subquery and the new view agree on every result.
    auto old_rows = db->Prepare(kOldResultVsBaseline);
    auto new_rows = db->Prepare("SELECT result_id, baseline_value FROM result_vs_baseline ORDER BY result_id");
    ASSERT_OK(old_rows);
    ASSERT_OK(new_rows);
    int n = 0;
    while (true) {
      auto o_row = (*old_rows)->Step();
      auto n_row = (*new_rows)->Step();
      ASSERT_OK(o_row);
      ASSERT_OK(n_row);
      ASSERT_EQ(*o_row, *n_row);
      if (!*o_row) break;
      ++n;
      EXPECT_EQ((*old_rows)->ColumnInt64(0), (*new_rows)->ColumnInt64(0));
      EXPECT_EQ((*old_rows)->ColumnIsNull(1), (*new_rows)->ColumnIsNull(1));
      if (!(*old_rows)->ColumnIsNull(1)) {
        EXPECT_EQ((*old_rows)->ColumnDouble(1), (*new_rows)->ColumnDouble(1));
      }
    }
    EXPECT_EQ(n, 26);
  };
  check(store.db());
  ResultFilter f;
  f.sweep_id = sweep.sweep_id;
  f.metric = "perplexity";
  f.model = "a";
  f.kind = 3;
  auto rows = store.QueryResults(f);
  ASSERT_OK(rows);
  ASSERT_EQ(rows->size(), 4u);
  for (const ResultView& r : *rows) {
    const int seed = static_cast<int>(r.keys.seed);
    EXPECT_EQ(r.baseline_value, base[seed]) << "seed " << seed << ": the lowest baseline job id's value";
  }

  // A version-4 database: the tables of migration 5 (and the columns of 6)
  // absent; migrating fills them.
  ASSERT_OK(store.db()->Exec(
      "DROP VIEW condition_summary; DROP VIEW result_vs_baseline; DROP TABLE result_summary; "
      "DROP TABLE baseline_values; DROP INDEX results_by_sweep; DROP VIEW sweep_progress; "
      "ALTER TABLE sweeps DROP COLUMN materialized_jobs; ALTER TABLE sweeps DROP COLUMN layouts_proto; "
      "DELETE FROM schema_version WHERE version >= 5"));
  ASSERT_OK(Migrate(store.db()));
  check(store.db());
}

TEST(JobStoreTest, WorkersAndEvents) {
  auto store_or = JobStore::Open(TempDb("workers"));
  ASSERT_OK(store_or);
  JobStore& store = **store_or;
  WorkerRecord w;
  w.worker_id = "w1";
  w.host = "gpu01";
  w.registered_unix_ms = 1;
  w.last_seen_unix_ms = 1;
  ASSERT_OK(store.RunInTransaction([&] { return store.UpsertWorker(w); }));
  ASSERT_OK(store.RunInTransaction([&] { return store.TouchWorker("w1", 50, "[\"/m\"]"); }));
  ASSERT_OK(store.RunInTransaction([&] { return store.InsertEvent({5, 7, 0, "w1", "sweep_submitted", "x"}); }));
  auto workers = store.ListWorkers();
  ASSERT_OK(workers);
  ASSERT_EQ(workers->size(), 1u);
  EXPECT_EQ((*workers)[0].last_seen_unix_ms, 50);
  EXPECT_EQ((*workers)[0].loaded_models_json, "[\"/m\"]");
  auto events = store.ListEvents(7, 10);
  ASSERT_OK(events);
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].kind, "sweep_submitted");
}

}  // namespace
}  // namespace ablate::storage
