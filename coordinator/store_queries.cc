// store_queries.cc: see store_queries.h.
#include "coordinator/store_queries.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "coordinator/scheduler_convert.h"

namespace ablate::coordinator {
namespace {
constexpr int kDefaultJobPage = 100;
constexpr int kMaxJobPage = 1000;
constexpr int kDefaultResultPage = 1000;
constexpr int kMaxResultPage = 10000;
}  // namespace

// OK if the sweep exists and `tenant` ("" any) owns it; the same NotFound otherwise.
absl::Status CheckSweep(storage::JobStore& store, int64_t sweep_id, const std::string& tenant) {
  absl::StatusOr<storage::SweepRecord> rec = store.GetSweep(sweep_id);
  if (rec.ok() && (tenant.empty() || rec->tenant == tenant)) return absl::OkStatus();
  if (!rec.ok() && !absl::IsNotFound(rec.status())) return rec.status();
  return absl::NotFoundError(absl::StrCat("no sweep ", sweep_id));
}

absl::StatusOr<v1::ListJobsResponse> ListJobsPage(storage::JobStore& store, const v1::ListJobsRequest& request,
                                                  const PageScope& scope) {
  const int page = std::min(request.page_size() > 0 ? request.page_size() : kDefaultJobPage, kMaxJobPage);
  if (request.sweep_id() != 0) RETURN_IF_ERROR(CheckSweep(store, request.sweep_id(), scope.tenant));
  ASSIGN_OR_RETURN(std::vector<storage::JobRecord> rows,
                   store.ListJobs(request.sweep_id(), request.state(), request.after_job_id(), page, scope.tenant));
  v1::ListJobsResponse response;
  int64_t bytes = 0;
  for (const auto& r : rows) {
    v1::Job* job = response.add_jobs();
    *job = JobOf(r);
    bytes += static_cast<int64_t>(job->ByteSizeLong());
    if (scope.max_reply_bytes > 0 && bytes >= scope.max_reply_bytes &&
        response.jobs_size() < static_cast<int>(rows.size())) {
      response.set_next_after_job_id(r.job_id);  // the page ends early at the byte budget
      return response;
    }
  }
  if (static_cast<int>(rows.size()) == page) response.set_next_after_job_id(rows.back().job_id);
  return response;
}

absl::StatusOr<v1::QueryResultsResponse> QueryResultsPage(storage::JobStore& store,
                                                          const v1::QueryResultsRequest& request,
                                                          const PageScope& scope) {
  storage::ResultFilter f;
  f.sweep_id = request.sweep_id();
  f.tenant = scope.tenant;
  f.model = request.model();
  f.kind = request.kind();
  f.component = request.component();
  f.has_layer = request.has_layer() && request.layer() >= 0;
  f.layer = request.layer();
  f.evaluation = request.evaluation();
  f.metric = request.metric();
  f.after_result_id = request.after_result_id();
  f.limit = std::min(request.page_size() > 0 ? request.page_size() : kDefaultResultPage, kMaxResultPage);
  if (f.sweep_id != 0) RETURN_IF_ERROR(CheckSweep(store, f.sweep_id, scope.tenant));
  ASSIGN_OR_RETURN(std::vector<storage::ResultView> rows, store.QueryResults(f));
  v1::QueryResultsResponse response;
  int64_t bytes = 0;
  for (const auto& r : rows) {
    v1::ResultRow* row = response.add_rows();
    *row = ResultRowOf(r);
    bytes += static_cast<int64_t>(row->ByteSizeLong());
    if (scope.max_reply_bytes > 0 && bytes >= scope.max_reply_bytes &&
        response.rows_size() < static_cast<int>(rows.size())) {
      response.set_next_after_result_id(r.result_id);  // the page ends early at the byte budget
      return response;
    }
  }
  if (static_cast<int>(rows.size()) == f.limit) response.set_next_after_result_id(rows.back().result_id);
  return response;
}

absl::StatusOr<v1::SweepInfo> StoredSweep(storage::JobStore& store, int64_t sweep_id) {
  ASSIGN_OR_RETURN(storage::SweepRecord rec, store.GetSweep(sweep_id));
  ASSIGN_OR_RETURN(storage::JobCounts counts, store.CountJobs(sweep_id));
  return SweepInfoOf(rec, counts);
}

absl::StatusOr<std::vector<v1::WorkerStatus>> StoredWorkers(storage::JobStore& store, int64_t now_unix_ms,
                                                            int64_t alive_window_ms) {
  ASSIGN_OR_RETURN(std::vector<storage::WorkerRecord> rows, store.ListWorkers());
  std::vector<v1::WorkerStatus> out;
  for (const auto& w : rows) {
    v1::WorkerStatus s;
    s.set_worker_id(w.worker_id);
    s.set_host(w.host);
    s.set_device(DeviceNamesFromJson(w.devices_json));
    s.set_last_seen_unix_ms(w.last_seen_unix_ms);
    s.set_alive(now_unix_ms - w.last_seen_unix_ms < alive_window_ms);
    for (const auto& m : ModelsFromJson(w.loaded_models_json)) s.add_loaded_models(m);
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(),
            [](const v1::WorkerStatus& a, const v1::WorkerStatus& b) { return a.worker_id() < b.worker_id(); });
  return out;
}

}  // namespace ablate::coordinator
