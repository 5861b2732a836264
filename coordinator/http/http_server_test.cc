// http_server_test.cc: the HTTP front end on loopback (real sockets, real
// cpp-httplib client): pages and assets, the API through the server, /metrics,
// /healthz, the authorization hook, and hostile requests (other methods, path
// traversal, very long URLs, large bodies).
#include "coordinator/http/http_server.h"

#include <httplib.h>

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/scheduler_harness.h"

namespace ablate::coordinator::http {
namespace {

using ::ablate::testing::FakeSpec;
using ::ablate::testing::SchedulerHarness;
using ::testing::HasSubstr;
using ::testing::Not;

class HttpServerTest : public ::testing::Test {
 protected:
  HttpServerTest() : h_(::testing::UnitTest::GetInstance()->current_test_info()->name(), &metrics_) {}

  void Start(AuthorizeFn authorize = AllowAll) {
    HttpServerOptions o;
    o.listen_address = "127.0.0.1:0";
    o.authorize = std::move(authorize);
    auto s = HttpServer::Start(o, h_.core(), &metrics_);
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = std::move(s).value();
    const std::string& addr = server_->address();
    client_ = std::make_unique<httplib::Client>("127.0.0.1", std::stoi(addr.substr(addr.rfind(':') + 1)));
    client_->set_read_timeout(5);
  }

  metrics::CoordinatorMetrics metrics_;  // observes the core: declared first
  SchedulerHarness h_;
  std::unique_ptr<HttpServer> server_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(HttpServerTest, ServesPagesAssetsApiMetricsAndHealth) {
  Start();
  EXPECT_THAT(server_->address(), HasSubstr("127.0.0.1:"));
  const int64_t sweep = h_.Submit(FakeSpec("s", 1, 1));

  auto index = client_->Get("/");
  ASSERT_TRUE(index);
  EXPECT_EQ(index->status, 200);
  EXPECT_THAT(index->get_header_value("Content-Type"), HasSubstr("text/html"));
  EXPECT_THAT(index->get_header_value("Content-Security-Policy"), HasSubstr("default-src 'none'"));
  EXPECT_THAT(index->body, HasSubstr("/static/dashboard.js"));

  auto page = client_->Get(("/sweeps/" + std::to_string(sweep)).c_str());
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_THAT(page->body, HasSubstr("id=\"done-count\""));

  auto js = client_->Get("/static/dashboard.js");
  ASSERT_TRUE(js);
  EXPECT_EQ(js->status, 200);
  EXPECT_THAT(js->get_header_value("Content-Type"), HasSubstr("javascript"));
  auto css = client_->Get("/static/dashboard.css");
  ASSERT_TRUE(css);
  EXPECT_EQ(css->status, 200);

  auto figures = client_->Get(("/sweeps/" + std::to_string(sweep) + "/figures").c_str());
  ASSERT_TRUE(figures);
  EXPECT_EQ(figures->status, 200);
  EXPECT_THAT(figures->body, HasSubstr("No results yet"));

  auto api = client_->Get("/api/v1/sweeps");
  ASSERT_TRUE(api);
  EXPECT_EQ(api->status, 200);
  EXPECT_THAT(api->get_header_value("Content-Type"), HasSubstr("application/json"));
  EXPECT_THAT(api->body, HasSubstr("\"sweep_id\""));

  auto metrics = client_->Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 200);
  EXPECT_THAT(metrics->get_header_value("Content-Type"), HasSubstr("version=0.0.4"));
  EXPECT_THAT(metrics->body, HasSubstr("ablate_jobs{state=\"queued\"} 4\n"));
  EXPECT_THAT(metrics->body,
              HasSubstr("ablate_sweep_jobs{sweep_id=\"" + std::to_string(sweep) + "\",state=\"queued\"} 4\n"));
  EXPECT_THAT(metrics->body, HasSubstr("ablate_expanded_jobs_total 4\n"));

  auto health = client_->Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  server_->SetServing(false);
  health = client_->Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 503);
}

TEST_F(HttpServerTest, HostileRequestsAreRefused) {
  Start();
  for (const char* path :
       {"/static/../../etc/passwd", "/static/%2e%2e/%2e%2e/etc/passwd", "/static/dashboard.js.map",
        "/static/x/../dashboard.js", "/etc/passwd", "/sweeps/abc", "/sweeps/-1", "/sweeps/1/../../etc/passwd"}) {
    auto r = client_->Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 404) << path;
    EXPECT_THAT(r->body, Not(HasSubstr("root:"))) << path;
  }
  auto traversal = client_->Get("/api/v1/sweeps/..%2f..%2fworkers");
  ASSERT_TRUE(traversal);
  EXPECT_THAT(traversal->status, ::testing::AnyOf(400, 404));

  auto post = client_->Post("/api/v1/sweeps", "{}", "application/json");
  ASSERT_TRUE(post);
  EXPECT_EQ(post->status, 405);
  auto del = client_->Delete("/api/v1/sweeps/1");
  ASSERT_TRUE(del);
  EXPECT_EQ(del->status, 405);

  // A very long query string is refused by the server before routing.
  auto long_url = client_->Get(("/api/v1/sweeps/1/results?model=" + std::string(20000, 'a')).c_str());
  ASSERT_TRUE(long_url);
  EXPECT_EQ(long_url->status, 414);
  // A long-but-accepted URL is refused by parameter validation.
  auto long_value = client_->Get(("/api/v1/sweeps/1/results?model=" + std::string(3000, 'a')).c_str());
  ASSERT_TRUE(long_value);
  EXPECT_EQ(long_value->status, 400);
  auto huge_page = client_->Get("/api/v1/sweeps/1/results?page_size=99999999999999999999999");
  ASSERT_TRUE(huge_page);
  EXPECT_EQ(huge_page->status, 400);

  // A body over the cap is refused (413) without being buffered.
  auto big = client_->Post("/api/v1/sweeps", std::string(1 << 20, 'x'), "text/plain");
  if (big) {
    EXPECT_THAT(big->status, ::testing::AnyOf(405, 413));
  }
}

TEST_F(HttpServerTest, EveryRequestPassesTheAuthorizationHook) {
  std::atomic<int> calls{0};
  Start([&calls](const HttpRequestInfo& info) -> absl::StatusOr<HttpCaller> {
    ++calls;
    if (info.authorization == "Bearer good") {
      HttpCaller viewer;
      viewer.tenant = "lab";
      viewer.role = auth::Role::kViewer;
      viewer.subject = "token:good";
      return viewer;
    }
    if (info.authorization.empty()) return absl::UnauthenticatedError("a bearer token is required");
    return absl::PermissionDeniedError("not allowed");
  });
  // The app shell (pages, script, style: no data) loads without a token;
  // its script then asks for one.
  for (const char* path : {"/", "/sweeps/1", "/static/dashboard.js", "/static/dashboard.css"}) {
    auto anon = client_->Get(path);
    ASSERT_TRUE(anon) << path;
    EXPECT_EQ(anon->status, 200) << path;
  }
  // Under /static/ only the embedded assets exist.
  auto escape = client_->Get("/static/../api/v1/sweeps");
  ASSERT_TRUE(escape);
  EXPECT_EQ(escape->status, 404);
  EXPECT_EQ(calls.load(), 0);
  for (const char* path : {"/api/v1/sweeps", "/metrics", "/sweeps/1/figures", "/sweeps/1x", "/no/such/route"}) {
    auto anon = client_->Get(path);
    ASSERT_TRUE(anon) << path;
    EXPECT_EQ(anon->status, 401) << path;
    EXPECT_EQ(anon->get_header_value("WWW-Authenticate"), "Bearer");
    EXPECT_THAT(anon->body, HasSubstr("UNAUTHENTICATED"));
    auto bad = client_->Get(path, {{"Authorization", "Bearer bad"}});
    ASSERT_TRUE(bad);
    EXPECT_EQ(bad->status, 403) << path;
  }
  auto ok = client_->Get("/api/v1/sweeps", {{"Authorization", "Bearer good"}});
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
  // /metrics shows every tenant: a viewer is refused.
  auto metrics = client_->Get("/metrics", {{"Authorization", "Bearer good"}});
  ASSERT_TRUE(metrics);
  EXPECT_EQ(metrics->status, 403);
  // Probes need no token (like grpc.health.v1).
  auto health = client_->Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  // 5 paths x 2 refused at the hook; the API call and /metrics resolve the caller
  // twice (hook, then route).
  EXPECT_EQ(calls.load(), 14);
}

TEST_F(HttpServerTest, BadListenAddressesAreErrors) {
  HttpServerOptions o;
  o.listen_address = "nonsense";
  EXPECT_EQ(HttpServer::Start(o, h_.core(), &metrics_).status().code(), absl::StatusCode::kInvalidArgument);
  Start();
  o.listen_address = server_->address();  // taken
  EXPECT_EQ(HttpServer::Start(o, h_.core(), &metrics_).status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace ablate::coordinator::http
