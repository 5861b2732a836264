// authorize.h: the one authorization hook every HTTP request passes through
// before it is routed (the dashboard, the JSON API, /metrics and /healthz
// alike). The hook sees the method, path and Authorization header and either
// names the caller or refuses (Unauthenticated -> 401, PermissionDenied ->
// 403). Without an auth file AllowAll admits everyone as the local admin (as
// the gRPC API does); with one, the coordinator installs the auth module's
// bearer-token check ("Authorization: Bearer <token>" -> auth::Caller with a
// tenant and a role), the same check the gRPC API uses, and the routes scope
// what they answer by that caller.
//
// Thread-safety: a hook is called concurrently from the server's threads and
// must be thread-safe.
#ifndef ABLATE_COORDINATOR_HTTP_AUTHORIZE_H_
#define ABLATE_COORDINATOR_HTTP_AUTHORIZE_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "auth/caller.h"

namespace ablate::coordinator::http {

// What the hook is told about a request.
struct HttpRequestInfo {
  std::string method;         // "GET"
  std::string path;           // decoded path, without the query
  std::string authorization;  // the Authorization header ("" if absent)
  std::string remote_addr;
};

// Who is calling, as the hook resolved it: the core scopes every query by it.
using HttpCaller = auth::Caller;

using AuthorizeFn = std::function<absl::StatusOr<HttpCaller>(const HttpRequestInfo&)>;

// The policy without an auth file: every request is the local admin.
inline absl::StatusOr<HttpCaller> AllowAll(const HttpRequestInfo&) { return auth::Caller::Local(); }

}  // namespace ablate::coordinator::http

#endif  // ABLATE_COORDINATOR_HTTP_AUTHORIZE_H_
