// scheduler_convert.h: conversions between ablate.v1 proto messages and the
// storage rows, used by the coordinator core (no gRPC, no policy).
//
//   storage::JobKeys keys = JobKeysOf(job_spec);
#ifndef ABLATE_COORDINATOR_SCHEDULER_CONVERT_H_
#define ABLATE_COORDINATOR_SCHEDULER_CONVERT_H_

#include <string>
#include <vector>

#include "ablate/v1/coordinator.pb.h"
#include "ablate/v1/job.pb.h"
#include "ablate/v1/worker.pb.h"
#include "google/protobuf/repeated_field.h"
#include "storage/records.h"

namespace ablate::coordinator {

// The query columns of a job, copied out of its spec.
storage::JobKeys JobKeysOf(const v1::JobSpec& spec);

// The row of a new (QUEUED) job: index, keys and serialized spec.
storage::JobRecord QueuedJobRowOf(const v1::JobSpec& spec, int32_t priority);

// The stored result of a completion.
storage::ResultRecord ResultFromProto(const v1::CompleteJobRequest& request, int64_t sweep_id, int64_t now_ms);

// A job row as the API's Job (spec parsed when present; result_info when
// the record has its result's provenance).
v1::Job JobOf(const storage::JobRecord& record);
// A sweep row as the API's SweepInfo (spec parsed when loaded with it).
v1::SweepInfo SweepInfoOf(const storage::SweepRecord& record, const storage::JobCounts& counts);

v1::ResultRow ResultRowOf(const storage::ResultView& view);
v1::SweepCounts CountsOf(const storage::JobCounts& counts);

// Worker rows keep device and model lists as JSON arrays.
std::string DevicesToJson(const google::protobuf::RepeatedPtrField<v1::DeviceInfo>& devices);
std::string DeviceNamesFromJson(const std::string& json);  // "cuda:0,cuda:1"
std::string ModelsToJson(const std::vector<std::string>& models);
std::vector<std::string> ModelsFromJson(const std::string& json);

}  // namespace ablate::coordinator

#endif  // ABLATE_COORDINATOR_SCHEDULER_CONVERT_H_
