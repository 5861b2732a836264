// scheduler_study_source.cc: see scheduler_study_source.h.
#include "coordinator/http/scheduler_study_source.h"

#include <utility>

#include "coordinator/http/api_params.h"

namespace ablate::coordinator::http {

absl::StatusOr<v1::SweepInfo> SchedulerStudySource::GetSweep(int64_t sweep_id) {
  return core_->GetSweep(sweep_id, caller_);
}

absl::StatusOr<std::vector<v1::Job>> SchedulerStudySource::ListJobs(int64_t sweep_id) {
  std::vector<v1::Job> jobs;
  v1::ListJobsRequest req;
  req.set_sweep_id(sweep_id);
  req.set_page_size(kMaxJobPage);
  while (true) {
    absl::StatusOr<v1::ListJobsResponse> page = core_->ListJobs(req, caller_);
    if (!page.ok()) return page.status();
    for (v1::Job& j : *page->mutable_jobs()) jobs.push_back(std::move(j));
    if (page->next_after_job_id() == 0) return jobs;
    req.set_after_job_id(page->next_after_job_id());
  }
}

absl::StatusOr<std::vector<v1::ResultRow>> SchedulerStudySource::QueryResults(int64_t sweep_id) {
  std::vector<v1::ResultRow> rows;
  v1::QueryResultsRequest req;
  req.set_sweep_id(sweep_id);
  req.set_page_size(kMaxResultPage);
  while (true) {
    absl::StatusOr<v1::QueryResultsResponse> page = core_->QueryResults(req, caller_);
    if (!page.ok()) return page.status();
    for (v1::ResultRow& r : *page->mutable_rows()) rows.push_back(std::move(r));
    if (page->next_after_result_id() == 0) return rows;
    req.set_after_result_id(page->next_after_result_id());
  }
}

absl::StatusOr<std::vector<v1::WorkerStatus>> SchedulerStudySource::ListWorkers() {
  absl::StatusOr<v1::ListWorkersResponse> workers = core_->ListWorkers(caller_);
  if (!workers.ok()) return workers.status();
  return std::vector<v1::WorkerStatus>(workers->workers().begin(), workers->workers().end());
}

}  // namespace ablate::coordinator::http
