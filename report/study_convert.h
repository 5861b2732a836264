// study_convert.h: the API's ablate.v1 messages (what QueryResults, ListJobs,
// GetSweep and ListWorkers return, over gRPC or from the database through the
// coordinator's query code) as the report's plain StudyData.
//
// Pure functions; thread-safe.
//
//   StudyData d = StudyDataOf(info, jobs, rows, workers);
#ifndef ABLATE_REPORT_STUDY_CONVERT_H_
#define ABLATE_REPORT_STUDY_CONVERT_H_

#include <vector>

#include "ablate/v1/coordinator.pb.h"
#include "ablate/v1/job.pb.h"
#include "report/study_data.h"

namespace ablate::report {

Sweep SweepOf(const v1::SweepInfo& info);
Job JobOf(const v1::Job& job);
ResultRow RowOf(const v1::ResultRow& row);
Worker WorkerOf(const v1::WorkerStatus& worker);

// Jobs and rows are sorted by id.
StudyData StudyDataOf(const v1::SweepInfo& info, const std::vector<v1::Job>& jobs,
                      const std::vector<v1::ResultRow>& rows, const std::vector<v1::WorkerStatus>& workers);

}  // namespace ablate::report

#endif  // ABLATE_REPORT_STUDY_CONVERT_H_
