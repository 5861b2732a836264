// http_server.h: the coordinator's HTTP front end (cpp-httplib): the live
// dashboard (static pages embedded in the binary, polling the JSON API), the
// read-only JSON API (json_api.h), GET /metrics (Prometheus text format) and
// GET /healthz. Every request passes the one authorization hook (authorize.h)
// before routing. Only GET is served; the server is a thin adapter: it
// translates requests into calls on the scheduling core and never writes.
//
// Bounded cost: a fixed thread pool, request line and headers capped by
// cpp-httplib (8 KiB each, 414/431 beyond), bodies capped at
// max_request_bytes, query parameters validated (api_params.h), pages capped.
//
// Thread-safety: Start/Stop from one thread; SetServing from any.
//
//   ASSIGN_OR_RETURN(auto http, HttpServer::Start({.listen_address = "127.0.0.1:0"},
//                                                  core, metrics));
//   std::cout << http->address();  // "127.0.0.1:41235"
#ifndef ABLATE_COORDINATOR_HTTP_HTTP_SERVER_H_
#define ABLATE_COORDINATOR_HTTP_HTTP_SERVER_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "coordinator/http/authorize.h"
#include "coordinator/metrics/coordinator_metrics.h"
#include "coordinator/scheduler.h"

namespace httplib {
class Server;
}

namespace ablate::coordinator::http {

struct HttpServerOptions {
  std::string listen_address = "127.0.0.1:8080";  // host:port; port 0 picks a free one
  size_t max_request_bytes = 16 << 10;            // request bodies (GET needs none)
  int threads = 4;                                // requests served concurrently
  int timeout_s = 10;                             // read and write timeout per request
  AuthorizeFn authorize = AllowAll;               // the one authorization hook
};

class HttpServer {
 public:
  // Binds and starts serving. `core` and `metrics` must outlive the server.
  // Unavailable if the address cannot be bound, InvalidArgument if malformed.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const HttpServerOptions& options, Scheduler* core,
                                                           metrics::CoordinatorMetrics* metrics);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // "host:port" with the bound port.
  const std::string& address() const { return address_; }
  // /healthz answers 200 while serving, 503 otherwise (set false on shutdown).
  void SetServing(bool serving) { serving_.store(serving); }
  // Stops accepting and waits for the listener thread. Idempotent.
  void Stop();

 private:
  HttpServer() = default;
  void Routes(const HttpServerOptions& options, Scheduler* core, metrics::CoordinatorMetrics* metrics);

  std::unique_ptr<httplib::Server> server_;
  std::string address_;
  std::atomic<bool> serving_{false};
  std::thread listener_;
};

}  // namespace ablate::coordinator::http

#endif  // ABLATE_COORDINATOR_HTTP_HTTP_SERVER_H_
