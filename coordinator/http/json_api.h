// json_api.h: the read-only JSON API for dashboards (GET /api/v1/...), a thin
// adapter over the scheduling core: it validates the path and query
// (api_params.h), calls the same core methods as the gRPC service and prints
// their proto answers with protobuf's JSON printer (snake_case field names,
// zero values included, int64 as strings, enums by name). It knows no HTTP
// library: the server hands it the path and query and sends what it returns.
// docs/api.md documents the routes.
//
// Errors are {"error": {"code": "NOT_FOUND", "message": "..."}} with the HTTP
// status of the canonical code; internal errors do not echo their message.
//
// Thread-safe: Handle may be called from any thread (the core is thread-safe).
//
//   JsonApi api(core);
//   HttpReply r = api.Handle("/api/v1/sweeps/3", {{"page_size", "10"}});
#ifndef ABLATE_COORDINATOR_HTTP_JSON_API_H_
#define ABLATE_COORDINATOR_HTTP_JSON_API_H_

#include <string>

#include "absl/status/status.h"
#include "auth/caller.h"
#include "coordinator/http/api_params.h"
#include "coordinator/scheduler.h"
#include "google/protobuf/message.h"

namespace ablate::coordinator::http {

// What the server sends back.
struct HttpReply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

// A JSON error reply for `status` (its HTTP code and canonical code name).
HttpReply ErrorReply(const absl::Status& status);
// The HTTP status code of a canonical error code.
int HttpStatusOf(absl::StatusCode code);
// `message` printed as JSON (or an error reply if it cannot be).
HttpReply JsonReply(const google::protobuf::Message& message);

class JsonApi {
 public:
  // `core` must outlive the API.
  explicit JsonApi(Scheduler* core) : core_(core) {}

  // GET `path` (which starts with "/api/v1/") with `params`. 404 for an
  // unknown route or sweep, 400 for bad ids or parameters.
  // Everything is scoped by `caller` (another tenant's sweep is 404).
  HttpReply Handle(const std::string& path, const QueryParams& params, const auth::Caller& caller);

 private:
  Scheduler* const core_;
};

}  // namespace ablate::coordinator::http

#endif  // ABLATE_COORDINATOR_HTTP_JSON_API_H_
