// api_params.h: validation of what an HTTP caller controls (path ids and
// query parameters) before anything is read or allocated for it. Every
// function rejects hostile input with InvalidArgument naming the parameter:
// non-decimal or non-positive ids, oversized values, unknown enum names,
// page sizes beyond the cap (clamped, not rejected), duplicate parameters.
//
// Thread-safe: pure functions.
//
//   ASSIGN_OR_RETURN(int64_t id, ParseId("sweep id", "42"));
//   ASSIGN_OR_RETURN(v1::QueryResultsRequest q, ParseResultsQuery(id, params));
#ifndef ABLATE_COORDINATOR_HTTP_API_PARAMS_H_
#define ABLATE_COORDINATOR_HTTP_API_PARAMS_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "ablate/v1/coordinator.pb.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ablate::coordinator::http {

// Query parameters as received (name, value), in order; may repeat names.
using QueryParams = std::vector<std::pair<std::string, std::string>>;

inline constexpr int32_t kDefaultResultPage = 100;
inline constexpr int32_t kMaxResultPage = 1000;
inline constexpr int32_t kDefaultJobPage = 20;
inline constexpr int32_t kMaxJobPage = 200;
inline constexpr size_t kMaxParamValueBytes = 256;
inline constexpr size_t kMaxParams = 16;

// A positive decimal id of at most 18 digits (no sign, no spaces).
absl::StatusOr<int64_t> ParseId(absl::string_view what, absl::string_view text);

// The results filters: model, kind, component, evaluation, metric, layer,
// page_size (clamped to kMaxResultPage; default kDefaultResultPage), after
// (a result id cursor). Unknown parameter names are rejected.
absl::StatusOr<v1::QueryResultsRequest> ParseResultsQuery(int64_t sweep_id, const QueryParams& params);

// The jobs listing: state (queued, leased, succeeded, failed, cancelled),
// page_size (clamped to kMaxJobPage; default kDefaultJobPage), after.
absl::StatusOr<v1::ListJobsRequest> ParseJobsQuery(int64_t sweep_id, const QueryParams& params);

// include_finished=true|false (default true).
absl::StatusOr<v1::ListSweepsRequest> ParseSweepsQuery(const QueryParams& params);

}  // namespace ablate::coordinator::http

#endif  // ABLATE_COORDINATOR_HTTP_API_PARAMS_H_
