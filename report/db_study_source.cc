// db_study_source.cc: see db_study_source.h.
#include "report/db_study_source.h"

#include <sys/stat.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "coordinator/store_queries.h"

namespace ablate::report {
namespace {
constexpr int64_t kAliveWindowMs = 30000;  // the coordinator's default worker timeout
}  // namespace

absl::StatusOr<std::unique_ptr<DbStudySource>> DbStudySource::Open(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return absl::NotFoundError(absl::StrCat("no database file '", path, "'"));
  ASSIGN_OR_RETURN(std::unique_ptr<storage::JobStore> store, storage::JobStore::Open(path, {.read_only = true}));
  return std::unique_ptr<DbStudySource>(new DbStudySource(std::move(store)));
}

absl::StatusOr<v1::SweepInfo> DbStudySource::GetSweep(int64_t sweep_id) {
  return coordinator::StoredSweep(*store_, sweep_id);
}

absl::StatusOr<std::vector<v1::Job>> DbStudySource::ListJobs(int64_t sweep_id) {
  std::vector<v1::Job> out;
  v1::ListJobsRequest req;
  req.set_sweep_id(sweep_id);
  req.set_page_size(1000);
  while (true) {
    ASSIGN_OR_RETURN(v1::ListJobsResponse page, coordinator::ListJobsPage(*store_, req));
    out.insert(out.end(), page.jobs().begin(), page.jobs().end());
    if (page.next_after_job_id() == 0) break;
    req.set_after_job_id(page.next_after_job_id());
  }
  return out;
}

absl::StatusOr<std::vector<v1::ResultRow>> DbStudySource::QueryResults(int64_t sweep_id) {
  std::vector<v1::ResultRow> out;
  v1::QueryResultsRequest req;
  req.set_sweep_id(sweep_id);
  req.set_page_size(10000);
  while (true) {
    ASSIGN_OR_RETURN(v1::QueryResultsResponse page, coordinator::QueryResultsPage(*store_, req));
    out.insert(out.end(), page.rows().begin(), page.rows().end());
    if (page.next_after_result_id() == 0) break;
    req.set_after_result_id(page.next_after_result_id());
  }
  return out;
}

absl::StatusOr<std::vector<v1::WorkerStatus>> DbStudySource::ListWorkers() {
  return coordinator::StoredWorkers(*store_, absl::ToUnixMillis(absl::Now()), kAliveWindowMs);
}

}  // namespace ablate::report
