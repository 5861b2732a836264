// json_api.cc: see json_api.h.
#include "coordinator/http/json_api.h"

#include <iostream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/json_util.h"
#include "nlohmann/json.hpp"

namespace ablate::coordinator::http {
namespace {

const char* CodeName(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kInvalidArgument:
      return "INVALID_ARGUMENT";
    case absl::StatusCode::kNotFound:
      return "NOT_FOUND";
    case absl::StatusCode::kPermissionDenied:
      return "PERMISSION_DENIED";
    case absl::StatusCode::kUnauthenticated:
      return "UNAUTHENTICATED";
    case absl::StatusCode::kResourceExhausted:
      return "RESOURCE_EXHAUSTED";
    case absl::StatusCode::kUnavailable:
      return "UNAVAILABLE";
    case absl::StatusCode::kFailedPrecondition:
      return "FAILED_PRECONDITION";
    case absl::StatusCode::kUnimplemented:
      return "UNIMPLEMENTED";
    default:
      return "INTERNAL";
  }
}

template <typename T>
HttpReply Reply(const absl::StatusOr<T>& r) {
  return r.ok() ? JsonReply(*r) : ErrorReply(r.status());
}

}  // namespace

int HttpStatusOf(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kInvalidArgument:
      return 400;
    case absl::StatusCode::kFailedPrecondition:
      return 400;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kUnimplemented:
      return 501;
    case absl::StatusCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

HttpReply ErrorReply(const absl::Status& status) {
  HttpReply r;
  r.status = HttpStatusOf(status.code());
  // Internal errors (database, bugs) are not the caller's business: logged, not sent.
  if (r.status == 500) std::cerr << "ablate-coordinator: http: " << status << std::endl;
  const std::string message = r.status == 500 ? "internal error" : std::string(status.message());
  nlohmann::json j = {{"error", {{"code", CodeName(status.code())}, {"message", message}}}};
  r.body = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

HttpReply JsonReply(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  HttpReply r;
  if (!google::protobuf::util::MessageToJsonString(message, &r.body, options).ok()) {
    return ErrorReply(absl::InternalError("JSON printing failed"));
  }
  return r;
}

HttpReply JsonApi::Handle(const std::string& path, const QueryParams& params, const auth::Caller& caller) {
  // "/api/v1/sweeps/3/results" -> {"sweeps", "3", "results"}
  const std::vector<absl::string_view> parts =
      absl::StrSplit(absl::string_view(path).substr(sizeof("/api/v1/") - 1), '/');
  const auto not_found = [] { return ErrorReply(absl::NotFoundError("no such API route")); };
  if (parts.size() == 1 && parts[0] == "workers") {
    if (!params.empty()) return ErrorReply(absl::InvalidArgumentError("workers: takes no parameters"));
    return Reply(core_->ListWorkers(caller));
  }
  if (parts.empty() || parts[0] != "sweeps" || parts.size() > 3) return not_found();
  if (parts.size() == 1) {
    absl::StatusOr<v1::ListSweepsRequest> q = ParseSweepsQuery(params);
    if (!q.ok()) return ErrorReply(q.status());
    return Reply(core_->ListSweeps(*q, caller));
  }
  absl::StatusOr<int64_t> id = ParseId("sweep id", parts[1]);
  if (!id.ok()) return ErrorReply(id.status());
  if (parts.size() == 2) {
    if (!params.empty()) return ErrorReply(absl::InvalidArgumentError("sweep: takes no parameters"));
    return Reply(core_->GetSweep(*id, caller));
  }
  if (parts[2] == "results") {
    absl::StatusOr<v1::QueryResultsRequest> q = ParseResultsQuery(*id, params);
    if (!q.ok()) return ErrorReply(q.status());
    if (absl::Status s = core_->GetSweep(*id, caller).status(); !s.ok()) return ErrorReply(s);
    return Reply(core_->QueryResults(*q, caller));
  }
  if (parts[2] == "jobs") {
    absl::StatusOr<v1::ListJobsRequest> q = ParseJobsQuery(*id, params);
    if (!q.ok()) return ErrorReply(q.status());
    return Reply(core_->ListJobs(*q, caller));
  }
  return not_found();
}

}  // namespace ablate::coordinator::http
