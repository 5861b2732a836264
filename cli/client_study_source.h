// client_study_source.h: the report's StudySource over a running
// coordinator: the same GetSweep / ListJobs / QueryResults / ListWorkers
// RPCs as `ablate status` and `ablate results` (cli/sweep_client.h), paged
// there.
//
// Thread-safety: as SweepClient (thread-safe).
//
//   ClientStudySource source("127.0.0.1:50051");
//   ASSIGN_OR_RETURN(report::StudyData data, report::LoadStudy(source, 3));
#ifndef ABLATE_CLI_CLIENT_STUDY_SOURCE_H_
#define ABLATE_CLI_CLIENT_STUDY_SOURCE_H_

#include <string>
#include <vector>

#include "cli/sweep_client.h"
#include "report/study_source.h"

namespace ablate::cli {

class ClientStudySource : public report::StudySource {
 public:
  explicit ClientStudySource(const std::string& address) : client_(address) {}

  absl::StatusOr<v1::SweepInfo> GetSweep(int64_t sweep_id) override { return client_.GetSweep(sweep_id); }
  absl::StatusOr<std::vector<v1::Job>> ListJobs(int64_t sweep_id) override {
    return client_.ListJobs(sweep_id, v1::JOB_STATE_UNSPECIFIED);
  }
  absl::StatusOr<std::vector<v1::ResultRow>> QueryResults(int64_t sweep_id) override {
    v1::QueryResultsRequest filter;
    filter.set_sweep_id(sweep_id);
    return client_.QueryResults(filter);
  }
  absl::StatusOr<std::vector<v1::WorkerStatus>> ListWorkers() override { return client_.ListWorkers(); }

 private:
  SweepClient client_;
};

}  // namespace ablate::cli

#endif  // ABLATE_CLI_CLIENT_STUDY_SOURCE_H_
