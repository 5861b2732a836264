// storage_bench.cc: the job database at dashboard scale (issue 11). Fills a
// real SQLite file through JobStore (the coordinator's code: InsertSweep,
// InsertResult with its per-sweep aggregates) with 10^6 or 10^7 result rows,
// then times what dashboards and `QueryResults` ask of it:
//   - a per-condition group-by of one sweep (10^6 results) through
//     `condition_summary` (aggregates kept on insert), through the
//     `result_vs_baseline` and `result_rows` views, and through the
//     correlated-subquery definition `result_vs_baseline` had before
//     migration 5 (the baseline of the ratio, run on the same file);
//   - QueryResults pages of 10,000 rows (first, middle, last page of a sweep;
//     one metric);
//   - the cost of keeping the aggregates: InsertResult against the insert it
//     replaced (job_results + results rows only), on a scratch file.
// Ratios are taken in the same run; no timed assertion anywhere. Single
// threaded; not run in CI.
//
//   build/bench/storage_bench --results 1000000           # one sweep
//   build/bench/storage_bench --results 10000000 --dir /var/tmp
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "storage/job_store.h"
#include "storage/records.h"

namespace {

using ablate::storage::JobRecord;
using ablate::storage::JobStore;
using ablate::storage::ResultFilter;
using ablate::storage::ResultRecord;
using ablate::storage::SweepRecord;

constexpr int kModels = 2;
constexpr int kEvaluations = 4;
constexpr int kConditions = 250;  // per model and evaluation; the first is the baseline
constexpr int kSeeds = 100;
constexpr int kJobsPerSweep = kModels * kEvaluations * kConditions * kSeeds;  // 200k
const char* const kMetrics[] = {"perplexity", "nll", "kl_mean", "top1_agreement", "tokens"};
constexpr int kMetricsPerJob = 5;  // 10^6 results per sweep
constexpr int kJobsPerTransaction = 512;

double Seconds(const std::function<void()>& fn) {
  const auto t0 = std::chrono::steady_clock::now();
  fn();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double Best(const std::function<void()>& fn, int reps) {
  double best = 1e300;
  for (int i = 0; i < reps; ++i) best = std::min(best, Seconds(fn));
  return best;
}

void Check(const absl::Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "storage_bench: %s: %s\n", what, std::string(s.message()).c_str());
    std::exit(1);
  }
}

std::unique_ptr<JobStore> OpenFresh(const std::string& path) {
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  auto store = JobStore::Open(path);
  Check(store.status(), "open");
  return std::move(*store);
}

// The jobs of one sweep: models x evaluations x conditions x seeds, the spec a
// random ~355-byte blob as a real JobSpec is.
std::vector<JobRecord> SweepJobs(std::mt19937_64& rng) {
  std::string spec(355, '\0');
  for (char& c : spec) c = static_cast<char>(rng());
  std::vector<JobRecord> jobs;
  jobs.reserve(kJobsPerSweep);
  for (int m = 0; m < kModels; ++m) {
    for (int e = 0; e < kEvaluations; ++e) {
      for (int c = 0; c < kConditions; ++c) {
        for (int s = 0; s < kSeeds; ++s) {
          JobRecord j;
          j.job_index = static_cast<int32_t>(jobs.size());
          j.keys.model_name = absl::StrCat("model-", m);
          j.keys.model_path = absl::StrCat("/models/model-", m);
          j.keys.model_family = "qwen3_5";
          j.keys.kind = c == 0 ? 1 : 3;
          j.keys.component = c == 0 ? 0 : 1 + c % 3;
          j.keys.layer = c == 0 ? -1 : c;
          j.keys.condition_label = c == 0 ? "baseline" : absl::StrCat("layer_sweep/L", c);
          j.keys.ablation_name = c == 0 ? "baseline" : "layers";
          j.keys.evaluation = absl::StrCat("eval-", e);
          j.keys.seed = static_cast<uint64_t>(s);
          j.spec_proto = spec;
          jobs.push_back(std::move(j));
        }
      }
    }
  }
  return jobs;
}

ResultRecord ResultOf(const JobRecord& j, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> value(1.0, 100.0);
  ResultRecord r;
  r.job_id = j.job_id;
  r.sweep_id = j.sweep_id;
  r.attempt = 1;
  r.worker_id = "bench-worker";
  r.code_version = "bench";
  r.completed_unix_ms = 1;
  for (const char* m : kMetrics) r.metrics.push_back({m, value(rng), ""});
  return r;
}

// Inserts a sweep and a result for every job, kJobsPerTransaction per commit
// (as the group committer batches completions). `insert` stores one result.
double FillSweep(JobStore& store, std::mt19937_64& rng, int64_t* sweep_id,
                 const std::function<absl::Status(const ResultRecord&)>& insert) {
  std::vector<JobRecord> jobs = SweepJobs(rng);
  SweepRecord sweep;
  sweep.name = "bench";
  sweep.job_count = static_cast<int64_t>(jobs.size());
  sweep.spec_proto = "x";
  Check(store.RunInTransaction([&] { return store.InsertSweep(&sweep, &jobs); }), "insert sweep");
  *sweep_id = sweep.sweep_id;
  return Seconds([&] {
    for (size_t begin = 0; begin < jobs.size(); begin += kJobsPerTransaction) {
      const size_t end = std::min(jobs.size(), begin + kJobsPerTransaction);
      Check(store.RunInTransaction([&]() -> absl::Status {
        for (size_t i = begin; i < end; ++i) {
          absl::Status s = insert(ResultOf(jobs[i], rng));
          if (!s.ok()) return s;
        }
        return absl::OkStatus();
      }),
            "insert results");
    }
  });
}

// Rows of `sql` (one bound sweep id), stepped through.
int64_t CountRows(JobStore& store, const std::string& sql, int64_t sweep_id) {
  auto st = store.db()->Prepare(sql);
  Check(st.status(), "prepare");
  (*st)->Bind(1, sweep_id);
  int64_t n = 0;
  while (true) {
    auto row = (*st)->Step();
    Check(row.status(), "step");
    if (!*row) break;
    ++n;
  }
  return n;
}

// The insert InsertResult did before migration 5: job_results and results only.
absl::Status PlainInsert(JobStore& store, const ResultRecord& r) {
  auto jr = store.db()->Prepare(
      "INSERT INTO job_results (job_id, sweep_id, attempt, worker_id, code_version, completed_unix_ms) "
      "VALUES (?, ?, ?, ?, ?, ?)");
  if (!jr.ok()) return jr.status();
  (*jr)
      ->Bind(1, r.job_id)
      .Bind(2, r.sweep_id)
      .Bind(3, r.attempt)
      .BindText(4, r.worker_id)
      .BindText(5, r.code_version)
      .Bind(6, r.completed_unix_ms);
  absl::Status s = (*jr)->Run();
  if (!s.ok()) return s;
  auto mt =
      store.db()->Prepare("INSERT INTO results (job_id, sweep_id, metric, value, detail_json) VALUES (?, ?, ?, ?, ?)");
  if (!mt.ok()) return mt.status();
  for (const auto& m : r.metrics) {
    (*mt)->Bind(1, r.job_id).Bind(2, r.sweep_id).BindText(3, m.name).Bind(4, m.value).BindText(5, m.detail_json);
    s = (*mt)->Run();
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

constexpr char kGroupByVsBaseline[] =
    "SELECT model, evaluation, condition, metric, AVG(value), AVG(ratio), COUNT(*) FROM result_vs_baseline "
    "WHERE sweep_id = ?1 GROUP BY model, evaluation, condition, metric";
constexpr char kGroupByRows[] =
    "SELECT model, evaluation, condition, metric, AVG(value), COUNT(*) FROM result_rows "
    "WHERE sweep_id = ?1 GROUP BY model, evaluation, condition, metric";
constexpr char kSummary[] =
    "SELECT model, evaluation, condition, metric, mean, ratio_of_means, results FROM condition_summary "
    "WHERE sweep_id = ?1";
// result_vs_baseline as migration 4 defined it (a correlated subquery per row).
constexpr char kGroupByOldView[] = R"sql(
SELECT x.model, x.evaluation, x.condition, x.metric, AVG(x.value),
       AVG(CASE WHEN x.baseline_value IS NULL OR x.baseline_value = 0 THEN NULL
                ELSE x.value / x.baseline_value END), COUNT(*)
FROM (
  SELECT j.model_name AS model, j.evaluation, j.condition_label AS condition, r.metric, r.value,
         (SELECT br.value FROM jobs bj JOIN results br ON br.job_id = bj.job_id
           WHERE bj.sweep_id = j.sweep_id AND bj.model_name = j.model_name
             AND bj.evaluation = j.evaluation AND bj.seed = j.seed AND bj.kind = 1
             AND br.metric = r.metric
           ORDER BY bj.job_id LIMIT 1) AS baseline_value
  FROM results r JOIN jobs j ON j.job_id = r.job_id WHERE r.sweep_id = ?1
) x GROUP BY x.model, x.evaluation, x.condition, x.metric)sql";

}  // namespace

int main(int argc, char** argv) {
  int64_t target_results = 1000000;
  std::string dir = std::filesystem::temp_directory_path().string();
  int reps = 3;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--results" && i + 1 < argc) {
      target_results = std::atoll(argv[++i]);
    } else if (a == "--dir" && i + 1 < argc) {
      dir = argv[++i];
    } else if (a == "--reps" && i + 1 < argc) {
      reps = std::max(1, std::atoi(argv[++i]));
    } else {
      std::fprintf(stderr, "usage: storage_bench [--results N (10^6 per sweep)] [--dir DIR] [--reps N]\n");
      return 2;
    }
  }
  const int64_t per_sweep = static_cast<int64_t>(kJobsPerSweep) * kMetricsPerJob;
  const int sweeps = static_cast<int>(std::max<int64_t>(1, (target_results + per_sweep - 1) / per_sweep));
  const std::string path = absl::StrCat(dir, "/storage_bench_", getpid(), ".db");
  std::mt19937_64 rng(1);

  // Fill through the product's InsertResult.
  std::unique_ptr<JobStore> store = OpenFresh(path);
  std::vector<int64_t> sweep_ids(sweeps);
  double fill_s = 0;
  for (int s = 0; s < sweeps; ++s) {
    fill_s += FillSweep(*store, rng, &sweep_ids[s], [&](const ResultRecord& r) { return store->InsertResult(r); });
    std::fprintf(stderr, "filled sweep %d/%d\n", s + 1, sweeps);
  }
  const int64_t total = per_sweep * sweeps;
  std::printf("file %s: %d sweep(s), %lld results, %.0f MB; InsertResult %.0f results/s\n", path.c_str(), sweeps,
              static_cast<long long>(total), std::filesystem::file_size(path) / 1e6, total / fill_s);

  // One sweep in the middle of the file.
  const int64_t sweep = sweep_ids[sweeps / 2];
  std::printf("\n%-58s %10s %9s %8s\n", "group-by of one sweep (10^6 results)", "best s", "rows", "ratio");
  int64_t rows = 0;
  const double t_old = Best([&] { rows = CountRows(*store, kGroupByOldView, sweep); }, 1);
  std::printf("%-58s %10.3f %9lld %8s\n", "result_vs_baseline as before (subquery per row)", t_old,
              static_cast<long long>(rows), "1.00");
  struct Query {
    const char* name;
    const char* sql;
  };
  for (const Query& q : {Query{"result_vs_baseline (baseline_values)", kGroupByVsBaseline},
                         Query{"result_rows", kGroupByRows}, Query{"condition_summary (kept on insert)", kSummary}}) {
    const double t = Best([&] { rows = CountRows(*store, q.sql, sweep); }, reps);
    std::printf("%-58s %10.3f %9lld %7.1fx\n", q.name, t, static_cast<long long>(rows), t_old / t);
  }

  // QueryResults pages of 10,000 (the largest page a client may ask for).
  std::printf("\n%-58s %10s %9s\n", "QueryResults, pages of 10,000", "best ms", "rows");
  ResultFilter f;
  f.sweep_id = sweep;
  f.limit = 10000;
  auto first = store->QueryResults(f);
  Check(first.status(), "query");
  const int64_t first_id = first->front().result_id;
  struct Page {
    std::string name;
    int64_t after;
    std::string metric;
  };
  for (const Page& p :
       {Page{"first page of the sweep", 0, ""}, Page{"middle page", first_id + per_sweep / 2, ""},
        Page{"last page", first_id + per_sweep - 10001, ""}, Page{"first page, one metric", 0, "perplexity"},
        Page{"middle page, one metric", first_id + per_sweep / 2, "perplexity"}}) {
    ResultFilter g = f;
    g.after_result_id = p.after;
    g.metric = p.metric;
    size_t n = 0;
    const double t = Best(
        [&] {
          auto page = store->QueryResults(g);
          Check(page.status(), "query");
          n = page->size();
        },
        reps);
    std::printf("%-58s %10.1f %9zu\n", p.name.c_str(), t * 1e3, n);
  }

  // The cost of the aggregates on the write path, on a scratch file.
  {
    const std::string scratch = absl::StrCat(dir, "/storage_bench_insert_", getpid(), ".db");
    std::unique_ptr<JobStore> a = OpenFresh(scratch);
    int64_t id = 0;
    const double t_plain = FillSweep(*a, rng, &id, [&](const ResultRecord& r) { return PlainInsert(*a, r); });
    a.reset();
    a = OpenFresh(scratch);
    const double t_product = FillSweep(*a, rng, &id, [&](const ResultRecord& r) { return a->InsertResult(r); });
    a.reset();
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(scratch + suffix);
    std::printf("\n%-58s %10s %9s\n", "storing 10^6 results (200k jobs, 512 per commit)", "s", "ratio");
    std::printf("%-58s %10.2f %9s\n", "job_results + results only (before migration 5)", t_plain, "1.00");
    std::printf("%-58s %10.2f %8.2fx\n", "InsertResult (+ result_summary, baseline_values)", t_product,
                t_product / t_plain);
  }
  store.reset();
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  return 0;
}
