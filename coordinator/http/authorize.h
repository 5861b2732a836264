// authorize.h: the one authorization hook every HTTP request passes through
// before it is routed (the dashboard, the JSON API, /metrics and /healthz
// alike). The hook sees the method, path and Authorization header and either
// names the caller or refuses (Unauthenticated -> 401, PermissionDenied ->
// 403). Today no tokens exist and AllowAll admits everyone as an anonymous
// reader; the auth module plugs its bearer-token check in here (a
// "Authorization: Bearer <token>" header mapped to a caller with a tenant and
// a role), the same check the gRPC API will use.
//
// Thread-safety: a hook is called concurrently from the server's threads and
// must be thread-safe.
#ifndef ABLATE_COORDINATOR_HTTP_AUTHORIZE_H_
#define ABLATE_COORDINATOR_HTTP_AUTHORIZE_H_

#include <functional>
#include <string>

#include "absl/status/statusor.h"

namespace ablate::coordinator::http {

// What the hook is told about a request.
struct HttpRequestInfo {
  std::string method;         // "GET"
  std::string path;           // decoded path, without the query
  std::string authorization;  // the Authorization header ("" if absent)
  std::string remote_addr;
};

// Who is calling, as the hook resolved it.
struct HttpCaller {
  std::string tenant;         // "" while tenants do not exist
  std::string role = "reader";
  bool authenticated = false;  // false: anonymous
};

using AuthorizeFn = std::function<absl::StatusOr<HttpCaller>(const HttpRequestInfo&)>;

// Today's policy (no tokens yet): every request is an anonymous reader.
inline absl::StatusOr<HttpCaller> AllowAll(const HttpRequestInfo&) { return HttpCaller{}; }

}  // namespace ablate::coordinator::http

#endif  // ABLATE_COORDINATOR_HTTP_AUTHORIZE_H_
