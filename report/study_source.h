// study_source.h: where a report reads a sweep from. The seam has the shape
// of the coordinator's read API (GetSweep, ListJobs, QueryResults,
// ListWorkers with ablate.v1 messages), so both implementations go through
// the same query code: ClientStudySource (cli/client_study_source.h) asks a
// running coordinator over gRPC; DbStudySource (report/db_study_source.h)
// opens the SQLite file read-only and runs the coordinator's store queries
// (coordinator/store_queries.h) on it.
//
// Thread-safety: implementations are used from one thread.
//
//   DbStudySource source(path);
//   ASSIGN_OR_RETURN(StudyData data, LoadStudy(source, sweep_id));
#ifndef ABLATE_REPORT_STUDY_SOURCE_H_
#define ABLATE_REPORT_STUDY_SOURCE_H_

#include <cstdint>
#include <vector>

#include "ablate/v1/coordinator.pb.h"
#include "absl/status/statusor.h"
#include "report/study_data.h"

namespace ablate::report {

class StudySource {
 public:
  virtual ~StudySource() = default;
  // NotFound for an unknown sweep; Unavailable when the source cannot be read.
  virtual absl::StatusOr<v1::SweepInfo> GetSweep(int64_t sweep_id) = 0;
  // Every job of the sweep (all pages), with its result's provenance.
  virtual absl::StatusOr<std::vector<v1::Job>> ListJobs(int64_t sweep_id) = 0;
  // Every result row of the sweep (all pages).
  virtual absl::StatusOr<std::vector<v1::ResultRow>> QueryResults(int64_t sweep_id) = 0;
  virtual absl::StatusOr<std::vector<v1::WorkerStatus>> ListWorkers() = 0;
};

// The sweep, its jobs, its results and the workers that produced them.
absl::StatusOr<StudyData> LoadStudy(StudySource& source, int64_t sweep_id);

}  // namespace ablate::report

#endif  // ABLATE_REPORT_STUDY_SOURCE_H_
