// scheduler_study_source.h: the report's StudySource over the coordinator's
// own Scheduler, as one caller: the dashboard draws a sweep's figures with
// the report library (report/html_page.h) from the same GetSweep, ListJobs,
// QueryResults and ListWorkers the JSON API and gRPC serve, scoped to the
// caller's tenant (another tenant's sweep is NotFound).
//
// Thread-safety: one thread at a time (the Scheduler itself is thread-safe).
//
//   SchedulerStudySource source(core, caller);
//   ASSIGN_OR_RETURN(report::StudyData data, report::LoadStudy(source, id));
#ifndef ABLATE_COORDINATOR_HTTP_SCHEDULER_STUDY_SOURCE_H_
#define ABLATE_COORDINATOR_HTTP_SCHEDULER_STUDY_SOURCE_H_

#include <cstdint>
#include <vector>

#include "auth/caller.h"
#include "coordinator/scheduler.h"
#include "report/study_source.h"

namespace ablate::coordinator::http {

class SchedulerStudySource : public report::StudySource {
 public:
  SchedulerStudySource(Scheduler* core, auth::Caller caller) : core_(core), caller_(std::move(caller)) {}

  absl::StatusOr<v1::SweepInfo> GetSweep(int64_t sweep_id) override;
  absl::StatusOr<std::vector<v1::Job>> ListJobs(int64_t sweep_id) override;
  absl::StatusOr<std::vector<v1::ResultRow>> QueryResults(int64_t sweep_id) override;
  absl::StatusOr<std::vector<v1::WorkerStatus>> ListWorkers() override;

 private:
  Scheduler* core_;
  auth::Caller caller_;
};

}  // namespace ablate::coordinator::http

#endif  // ABLATE_COORDINATOR_HTTP_SCHEDULER_STUDY_SOURCE_H_
