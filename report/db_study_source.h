// db_study_source.h: a StudySource over a job database file, opened
// read-only: no migration, no writes, and not the coordinator's "<db>.lock",
// so a report can be written while a coordinator serves the same file (WAL
// lets a reader run beside the writer). Reads go through the coordinator's
// store queries (coordinator/store_queries.h), the code behind ListJobs and
// QueryResults.
//
// Thread-safety: one thread at a time.
//
//   ASSIGN_OR_RETURN(auto source, DbStudySource::Open("ablate.db"));
//   ASSIGN_OR_RETURN(StudyData data, LoadStudy(*source, 1));
#ifndef ABLATE_REPORT_DB_STUDY_SOURCE_H_
#define ABLATE_REPORT_DB_STUDY_SOURCE_H_

#include <memory>
#include <string>

#include "report/study_source.h"
#include "storage/job_store.h"

namespace ablate::report {

class DbStudySource : public StudySource {
 public:
  // NotFound if the file does not exist (nothing is created); Unavailable if
  // it cannot be opened as a database.
  static absl::StatusOr<std::unique_ptr<DbStudySource>> Open(const std::string& path);

  absl::StatusOr<v1::SweepInfo> GetSweep(int64_t sweep_id) override;
  absl::StatusOr<std::vector<v1::Job>> ListJobs(int64_t sweep_id) override;
  absl::StatusOr<std::vector<v1::ResultRow>> QueryResults(int64_t sweep_id) override;
  absl::StatusOr<std::vector<v1::WorkerStatus>> ListWorkers() override;

 private:
  explicit DbStudySource(std::unique_ptr<storage::JobStore> store) : store_(std::move(store)) {}
  std::unique_ptr<storage::JobStore> store_;
};

}  // namespace ablate::report

#endif  // ABLATE_REPORT_DB_STUDY_SOURCE_H_
