// study_source.cc: see study_source.h.
#include "report/study_source.h"

#include <set>

#include "common/status_macros.h"
#include "report/study_convert.h"

namespace ablate::report {

absl::StatusOr<StudyData> LoadStudy(StudySource& source, int64_t sweep_id) {
  ASSIGN_OR_RETURN(v1::SweepInfo info, source.GetSweep(sweep_id));
  ASSIGN_OR_RETURN(std::vector<v1::Job> jobs, source.ListJobs(sweep_id));
  ASSIGN_OR_RETURN(std::vector<v1::ResultRow> rows, source.QueryResults(sweep_id));
  ASSIGN_OR_RETURN(std::vector<v1::WorkerStatus> all_workers, source.ListWorkers());
  // Only the workers that produced a result of this sweep.
  std::set<std::string> ran;
  for (const v1::Job& j : jobs) {
    if (j.has_result_info()) ran.insert(j.result_info().worker_id());
  }
  std::vector<v1::WorkerStatus> workers;
  for (const auto& w : all_workers) {
    if (ran.count(w.worker_id())) workers.push_back(w);
  }
  return StudyDataOf(info, jobs, rows, workers);
}

}  // namespace ablate::report
