// http_server.cc: see http_server.h. Routes:
//   GET /                       dashboard (index.html)           } the app shell: no data,
//   GET /sweeps/{id}            sweep page (sweep.html)          } no token needed; the
//   GET /static/{file}          embedded JS/CSS                  } script sends the token
//   GET /sweeps/{id}/figures    figures fragment (HTML; figures_fragment.h)
//   GET /api/v1/...             JSON API (json_api.h)
//   GET /metrics                Prometheus text format
//   GET /healthz                200 while serving, 503 otherwise
//   GET /favicon.ico            204 (browsers ask; there is none)
#include "coordinator/http/http_server.h"

#include <httplib.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "auth/permissions.h"
#include "coordinator/http/api_params.h"
#include "coordinator/http/assets.h"
#include "coordinator/http/figures_fragment.h"
#include "coordinator/http/json_api.h"
#include "coordinator/metrics/exposition.h"

namespace ablate::coordinator::http {
namespace {

// Pages load only what the coordinator itself serves.
constexpr char kCsp[] =
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

// The dashboard's pages and assets: no data, served without authorization.
bool IsAppShell(const std::string& path) {
  if (path == "/" || path == "/favicon.ico" || absl::StartsWith(path, "/static/")) return true;
  constexpr absl::string_view kSweeps = "/sweeps/";
  if (!absl::StartsWith(path, kSweeps)) return false;
  const absl::string_view id = absl::string_view(path).substr(kSweeps.size());
  return !id.empty() && id.size() <= 18 &&
         std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; });
}

void Send(const HttpReply& reply, httplib::Response& res) {
  res.status = reply.status;
  res.set_content(reply.body, reply.content_type.c_str());
}

void SendAsset(absl::string_view name, httplib::Response& res) {
  const Asset* a = FindAsset(name);
  if (a == nullptr) {
    res.status = 404;
    res.set_content("not found\n", "text/plain");
    return;
  }
  res.set_header("Cache-Control", "no-cache");
  res.set_content(std::string(a->bytes), std::string(a->content_type).c_str());
}

HttpRequestInfo InfoOf(const httplib::Request& req) {
  return HttpRequestInfo{req.method, req.path, req.get_header_value("Authorization"), req.remote_addr};
}

QueryParams ParamsOf(const httplib::Request& req) { return QueryParams(req.params.begin(), req.params.end()); }

// The figures fragment: the report's figures of the sweep as the caller sees it.
HttpReply Figures(FiguresFragments& figures, const std::string& id_text, const auth::Caller& caller) {
  absl::StatusOr<int64_t> id = ParseId("sweep id", id_text);
  if (!id.ok()) return ErrorReply(id.status());
  absl::StatusOr<std::string> html = figures.Render(*id, caller);
  if (!html.ok()) return ErrorReply(html.status());
  HttpReply reply;
  reply.content_type = "text/html; charset=utf-8";
  reply.body = std::move(*html);
  return reply;
}

}  // namespace

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const HttpServerOptions& options, Scheduler* core,
                                                              metrics::CoordinatorMetrics* metrics) {
  const size_t colon = options.listen_address.rfind(':');
  int port = -1;
  if (colon == std::string::npos || colon == 0 || !absl::SimpleAtoi(options.listen_address.substr(colon + 1), &port) ||
      port < 0 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("--http-listen '", options.listen_address, "': expected host:port"));
  }
  std::string host = options.listen_address.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);

  std::unique_ptr<HttpServer> s(new HttpServer());
  s->server_ = std::make_unique<httplib::Server>();
  httplib::Server& svr = *s->server_;
  const int threads = std::max(1, options.threads);
  svr.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  svr.set_payload_max_length(options.max_request_bytes);
  svr.set_read_timeout(options.timeout_s);
  svr.set_write_timeout(options.timeout_s);
  svr.set_keep_alive_max_count(100);
  svr.set_keep_alive_timeout(1);  // idle keep-alive connections must not delay Stop()
  // SO_REUSEADDR only: cpp-httplib's default adds SO_REUSEPORT, which would let
  // a second coordinator share the port.
  svr.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  s->Routes(options, core, metrics);

  const int bound = port == 0 ? svr.bind_to_any_port(host) : (svr.bind_to_port(host, port) ? port : -1);
  if (bound <= 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on '", options.listen_address, "' (address in use or invalid?)"));
  }
  s->address_ = absl::StrCat(options.listen_address.substr(0, colon), ":", bound);
  s->serving_.store(true);
  s->listener_ = std::thread([p = s.get()] { p->server_->listen_after_bind(); });
  // httplib's stop() does nothing before the accept loop runs, so a Stop()
  // right after Start() would leave the listener running forever: return only
  // once it accepts (bounded: a listener that never starts is an error).
  const absl::Time until = absl::Now() + absl::Seconds(10);
  while (!svr.is_running()) {
    if (absl::Now() > until) {
      return absl::UnavailableError(absl::StrCat("the HTTP listener on '", options.listen_address, "' did not start"));
    }
    absl::SleepFor(absl::Milliseconds(1));
  }
  return s;
}

HttpServer::~HttpServer() { Stop(); }

void HttpServer::Stop() {
  serving_.store(false);
  if (server_) server_->stop();
  if (listener_.joinable()) listener_.join();
}

void HttpServer::Routes(const HttpServerOptions& options, Scheduler* core, metrics::CoordinatorMetrics* metrics) {
  httplib::Server& svr = *server_;
  // The one authorization hook, before any route; the resolved caller is
  // handed to the route (httplib has no per-request slot, so the routes that
  // need it resolve it again through the same hook: Authorized below).
  svr.set_pre_routing_handler([authorize = options.authorize](const httplib::Request& req, httplib::Response& res) {
    res.set_header("X-Content-Type-Options", "nosniff");
    // Liveness probes carry no token (as grpc.health.v1); /healthz tells nothing else.
    if (req.path == "/healthz" && req.method == "GET") {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    // The dashboard's shell (pages, script, style) holds no data and is the
    // same for everyone: a browser loads it without a token, and its script
    // then sends the token the user enters with every data call.
    const bool shell = IsAppShell(req.path) && (req.method == "GET" || req.method == "HEAD");
    absl::StatusOr<HttpCaller> caller = shell ? absl::StatusOr<HttpCaller>(HttpCaller()) : authorize(InfoOf(req));
    if (!caller.ok()) {
      Send(ErrorReply(caller.status()), res);
      if (res.status == 401) res.set_header("WWW-Authenticate", "Bearer");
      return httplib::Server::HandlerResponse::Handled;
    }
    if (req.method != "GET" && req.method != "HEAD") {
      Send(ErrorReply(absl::InvalidArgumentError("only GET is served")), res);
      res.status = 405;
      res.set_header("Allow", "GET, HEAD");
      return httplib::Server::HandlerResponse::Handled;
    }
    return httplib::Server::HandlerResponse::Unhandled;
  });
  svr.set_error_handler([](const httplib::Request& /*req*/, httplib::Response& res) {
    if (!res.body.empty()) return;
    res.set_content(absl::StrCat(res.status == 404 ? "not found" : "error", "\n"), "text/plain");
  });

  auto page = [](const char* name) {
    return [name](const httplib::Request&, httplib::Response& res) {
      res.set_header("Content-Security-Policy", kCsp);
      SendAsset(name, res);
    };
  };
  svr.Get("/", page("index.html"));
  svr.Get("/favicon.ico", [](const httplib::Request&, httplib::Response& res) { res.status = 204; });
  svr.Get(R"(/sweeps/(\d{1,18}))", page("sweep.html"));
  svr.Get(R"(/static/([a-z0-9_-]{1,64}\.(?:js|css)))",
          [](const httplib::Request& req, httplib::Response& res) { SendAsset(req.matches[1].str(), res); });
  const AuthorizeFn authorize = options.authorize;
  auto figures = std::make_shared<FiguresFragments>(core, FiguresOptions{});
  svr.Get(R"(/sweeps/(\d{1,18})/figures)", [figures, authorize](const httplib::Request& req, httplib::Response& res) {
    res.set_header("Cache-Control", "no-store");
    absl::StatusOr<HttpCaller> caller = authorize(InfoOf(req));
    if (!caller.ok()) return Send(ErrorReply(caller.status()), res);
    Send(Figures(*figures, req.matches[1].str(), *caller), res);
  });
  auto api = std::make_shared<JsonApi>(core);
  svr.Get(R"(/api/v1/.*)", [api, authorize](const httplib::Request& req, httplib::Response& res) {
    res.set_header("Cache-Control", "no-store");
    absl::StatusOr<HttpCaller> caller = authorize(InfoOf(req));
    if (!caller.ok()) return Send(ErrorReply(caller.status()), res);
    Send(api->Handle(req.path, ParamsOf(req), *caller), res);
  });
  svr.Get(R"(/api/.*)", [](const httplib::Request&, httplib::Response& res) {
    Send(ErrorReply(absl::NotFoundError("no such API route")), res);
  });
  svr.Get("/metrics", [core, metrics, authorize](const httplib::Request& req, httplib::Response& res) {
    // Every tenant's sweeps and workers: operators only.
    absl::StatusOr<HttpCaller> caller = authorize(InfoOf(req));
    absl::Status allowed = caller.ok() ? auth::Authorize(*caller, auth::Action::kAdmin) : caller.status();
    if (!allowed.ok()) return Send(ErrorReply(allowed), res);
    res.set_content(metrics->Scrape(*core), std::string(metrics::kExpositionContentType).c_str());
  });
  svr.Get("/healthz", [this](const httplib::Request&, httplib::Response& res) {
    const bool serving = serving_.load();
    res.status = serving ? 200 : 503;
    res.set_content(serving ? "ok\n" : "shutting down\n", "text/plain");
  });
}

}  // namespace ablate::coordinator::http
