// e2e_http_test.cc: the coordinator's HTTP front end and health service end to
// end, with real processes on loopback: the ablate-coordinator binary with
// --http-listen 127.0.0.1:0 (it prints the bound address), ablate-test-worker
// processes, a real sweep. Checks every JSON API route, scrapes /metrics and
// validates it with `promtool check metrics`, asks grpc.health.v1 on the gRPC
// port, and loads the live dashboard in headless Chromium (dashboard_cdp.py)
// to see its done-count rise without a reload. Missing tools skip their part
// with a message.
#include <grpcpp/grpcpp.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <regex>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "auth/token.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/e2e_cluster.h"

namespace ablate::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using json = nlohmann::json;

// Runs a shell command; returns its exit status and output.
std::pair<int, std::string> Shell(const std::string& command) {
  std::string out;
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return {-1, "popen failed"};
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

class E2eHttpTest : public ::testing::Test {
 protected:
  E2eHttpTest() : cluster_(::testing::UnitTest::GetInstance()->current_test_info()->name()) {}

  void StartWithHttp(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> flags = {"--http-listen", "127.0.0.1:0"};
    flags.insert(flags.end(), extra.begin(), extra.end());
    ASSERT_TRUE(cluster_.StartCoordinator(flags).ok()) << cluster_.Logs();
    // "ablate-coordinator http on 127.0.0.1:PORT" on stdout. The gRPC port
    // answers (StartCoordinator's readiness check) a moment before main()
    // prints that line, so wait for it.
    std::smatch m;
    std::string log;
    static const std::regex kLine("ablate-coordinator http on 127\\.0\\.0\\.1:(\\d+)");
    const absl::Time until = absl::Now() + absl::Seconds(20);
    bool found = false;
    while (!(found = std::regex_search(log = cluster_.coordinator()->Log(), m, kLine)) && absl::Now() < until) {
      absl::SleepFor(absl::Milliseconds(20));
    }
    ASSERT_TRUE(found) << log;
    http_port_ = std::stoi(m[1].str());
    http_ = std::make_unique<httplib::Client>("127.0.0.1", http_port_);
    http_->set_read_timeout(10);
  }

  json GetJson(const std::string& path, int status = 200, const std::string& token = "") {
    httplib::Headers headers;
    if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
    auto r = http_->Get(path.c_str(), headers);
    EXPECT_TRUE(r) << path;
    if (!r) return json();
    EXPECT_EQ(r->status, status) << path << ": " << r->body;
    EXPECT_THAT(r->get_header_value("Content-Type"), HasSubstr("application/json")) << path;
    return json::parse(r->body, nullptr, /*allow_exceptions=*/false);
  }

  std::string Url(const std::string& path) const { return absl::StrCat("http://127.0.0.1:", http_port_, path); }

  E2eCluster cluster_;
  int http_port_ = 0;
  std::unique_ptr<httplib::Client> http_;
};

TEST_F(E2eHttpTest, ApiMetricsAndHealthOfARealSweep) {
  ASSERT_NO_FATAL_FAILURE(StartWithHttp());
  ASSERT_TRUE(cluster_.StartWorker({"--sleep-ms", "5", "--metric", "perplexity"}).ok());
  absl::StatusOr<int64_t> sweep = cluster_.Submit(cluster_.SmallSpec({"ppl", "fail-eval"}));
  ASSERT_TRUE(sweep.ok()) << sweep.status();
  v1::SweepInfo info;
  ASSERT_TRUE(cluster_.WaitForSweepEnd(*sweep, absl::Seconds(60), &info)) << cluster_.Logs();
  const std::string id = std::to_string(*sweep);

  json sweeps = GetJson("/api/v1/sweeps");
  ASSERT_EQ(sweeps["sweeps"].size(), 1u);
  EXPECT_EQ(sweeps["sweeps"][0]["sweep_id"], id);
  json one = GetJson("/api/v1/sweeps/" + id);
  EXPECT_EQ(one["name"], "e2e-small");
  EXPECT_EQ(one["state"], "SWEEP_DONE");
  EXPECT_EQ(one["counts"]["total"], std::to_string(info.counts().total()));
  EXPECT_EQ(one["counts"]["failed"], std::to_string(info.counts().failed()));
  EXPECT_GT(info.counts().failed(), 0);

  // Every result, page by page, matches what the gRPC API returns.
  absl::StatusOr<std::vector<v1::ResultRow>> grpc_rows = cluster_.QueryResults(*sweep);
  ASSERT_TRUE(grpc_rows.ok());
  size_t seen = 0;
  std::string after;
  for (int pages = 0; pages < 100; ++pages) {
    json page = GetJson("/api/v1/sweeps/" + id + "/results?page_size=7" + (after.empty() ? "" : "&after=" + after));
    for (const auto& row : page["rows"]) {
      ASSERT_LT(seen, grpc_rows->size());
      EXPECT_EQ(row["result_id"], std::to_string((*grpc_rows)[seen].result_id()));
      EXPECT_EQ(row["metric"], (*grpc_rows)[seen].metric());
      ++seen;
    }
    after = page["next_after_result_id"].get<std::string>();
    if (after == "0") break;
  }
  EXPECT_EQ(seen, grpc_rows->size());
  json filtered = GetJson("/api/v1/sweeps/" + id + "/results?kind=baseline&evaluation=ppl");
  ASSERT_EQ(filtered["rows"].size(), 1u);
  EXPECT_EQ(filtered["rows"][0]["kind"], "BASELINE");

  json failed = GetJson("/api/v1/sweeps/" + id + "/jobs?state=failed&page_size=5");
  ASSERT_EQ(failed["jobs"].size(), 5u);
  EXPECT_THAT(failed["jobs"][0]["last_error"].get<std::string>(), HasSubstr("always fails"));

  json workers = GetJson("/api/v1/workers");
  ASSERT_EQ(workers["workers"].size(), 1u);
  EXPECT_TRUE(workers["workers"][0]["alive"].get<bool>());

  json bad = GetJson("/api/v1/sweeps/0", 400);
  EXPECT_EQ(bad["error"]["code"], "INVALID_ARGUMENT");
  GetJson("/api/v1/sweeps/424242", 404);
  GetJson("/api/v1/sweeps/" + id + "/results?page_size=nope", 400);

  auto page = http_->Get(("/sweeps/" + id).c_str());
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  auto figures = http_->Get(("/sweeps/" + id + "/figures").c_str());
  ASSERT_TRUE(figures);
  // The report's figures: a heatmap cell per layer-sweep result of "ppl".
  int layer_rows = 0;
  for (const v1::ResultRow& r : *grpc_rows) layer_rows += r.kind() == v1::LAYER_SWEEP ? 1 : 0;
  ASSERT_GT(layer_rows, 0);
  EXPECT_THAT(figures->body, HasSubstr("data-figure=\"heatmap\""));
  int cells = 0;
  for (size_t at = figures->body.find("data-mark=\"heatmap\""); at != std::string::npos;
       at = figures->body.find("data-mark=\"heatmap\"", at + 1)) {
    ++cells;
  }
  EXPECT_EQ(cells, layer_rows);

  // /metrics: the exposition format, checked by Prometheus' own linter.
  auto metrics = http_->Get("/metrics");
  ASSERT_TRUE(metrics);
  ASSERT_EQ(metrics->status, 200);
  for (const char* name :
       {"ablate_leases_granted_total", "ablate_jobs_ended_total{state=\"succeeded\"}",
        "ablate_lease_latency_seconds_bucket", "ablate_job_completion_seconds_count",
        "ablate_commit_latency_seconds_sum", "ablate_expansion_seconds_count 1", "ablate_workers_alive 1",
        "ablate_worker_loaded_models{worker=", "ablate_worker_tokens_per_second{worker="}) {
    EXPECT_THAT(metrics->body, HasSubstr(name));
  }
  if (Shell("command -v promtool").first != 0) {
    GTEST_LOG_(WARNING) << "promtool not installed (Debian package prometheus): exposition not linted";
  } else {
    const std::string file = cluster_.dir() + "/metrics.txt";
    std::ofstream(file) << metrics->body;
    auto [code, out] = Shell("promtool check metrics < " + file);
    EXPECT_EQ(code, 0) << out << "\n" << metrics->body;
    EXPECT_EQ(out, "") << "promtool lint findings";
  }

  // Every metric the Grafana dashboard queries is exported.
  std::ifstream dashboard(std::string(ABLATE_SOURCE_DIR) + "/deploy/grafana/ablate-coordinator.json");
  const std::string panels((std::istreambuf_iterator<char>(dashboard)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(panels.empty());
  static const std::regex kName("ablate_[a-z_]+");
  int names = 0;
  for (auto it = std::sregex_iterator(panels.begin(), panels.end(), kName); it != std::sregex_iterator();
       ++it, ++names) {
    std::string name = it->str();
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      if (absl::EndsWith(name, suffix) && !absl::StrContains(metrics->body, "# TYPE " + name + " ")) {
        name = name.substr(0, name.size() - strlen(suffix));
      }
    }
    if (name == "ablate_coordinator") continue;  // the dashboard's uid
    EXPECT_THAT(metrics->body, HasSubstr("# TYPE " + name + " ")) << "deploy/grafana uses " << it->str();
  }
  EXPECT_GT(names, 15);

  auto healthz = http_->Get("/healthz");
  ASSERT_TRUE(healthz);
  EXPECT_EQ(healthz->status, 200);

  // grpc.health.v1 on the gRPC port.
  auto stub =
      grpc::health::v1::Health::NewStub(grpc::CreateChannel(cluster_.address(), grpc::InsecureChannelCredentials()));
  grpc::health::v1::HealthCheckRequest req;
  grpc::health::v1::HealthCheckResponse resp;
  auto ctx = Ctx(absl::Seconds(5));
  grpc::Status hs = stub->Check(ctx.get(), req, &resp);
  ASSERT_TRUE(hs.ok()) << hs.error_message();
  EXPECT_EQ(resp.status(), grpc::health::v1::HealthCheckResponse::SERVING);

  cluster_.StopCoordinator(SIGTERM);
  EXPECT_FALSE(http_->Get("/healthz")) << "HTTP still answers after shutdown";
}

TEST_F(E2eHttpTest, DashboardUpdatesWithoutReloadInHeadlessChromium) {
  const std::string python = "/usr/bin/python3";
  if (Shell(python + " -c 'import websocket'").first != 0 || Shell("command -v chromium").first != 0) {
    GTEST_SKIP() << "needs Debian chromium and python3-websocket";
  }
  ASSERT_NO_FATAL_FAILURE(StartWithHttp());
  // Slow jobs: ~25 jobs of 400 ms, one at a time, so the page sees them land.
  ASSERT_TRUE(cluster_.StartWorker({"--sleep-ms", "400", "--max-jobs-per-lease", "1", "--metric", "perplexity"}).ok());
  absl::StatusOr<int64_t> sweep = cluster_.Submit(cluster_.SmallSpec({"ppl"}, 30));
  ASSERT_TRUE(sweep.ok()) << sweep.status();
  absl::StatusOr<v1::SweepInfo> submitted = cluster_.GetSweep(*sweep);
  ASSERT_TRUE(submitted.ok()) << submitted.status();
  // Every layer of the sweep (all jobs but the baseline) becomes a heatmap
  // cell on the open page, drawn by the report library under the page's CSP.
  const int64_t layers = submitted->counts().total() - 1;
  auto [code, out] = Shell(absl::StrCat(
      python, " ", ABLATE_SOURCE_DIR, "/tests/dashboard_cdp.py", " --chromium chromium --timeout 60 --marks ", layers,
      " --mark-selector '#figures [data-mark=\"heatmap\"]' --url ", Url("/sweeps/" + std::to_string(*sweep))));
  if (code == 77) GTEST_SKIP() << out;
  ASSERT_EQ(code, 0) << out << cluster_.Logs();
  std::cout << "dashboard_cdp.py: " << out;
  json r = json::parse(out.substr(out.rfind('{')), nullptr, false);
  EXPECT_GT(r["last"].get<int>(), r["first"].get<int>()) << out;
  EXPECT_TRUE(r["same_page"].get<bool>()) << out;
  EXPECT_EQ(r["marks"].get<int64_t>(), layers) << out;
  EXPECT_TRUE(r["errors"].empty()) << out;
  v1::SweepInfo info;
  EXPECT_TRUE(cluster_.WaitForSweepEnd(*sweep, absl::Seconds(60), &info));
  // Heartbeats carried the test evaluator's work (10 items x 100 tokens per
  // 400 ms job, heartbeats every 100 ms): stored and shown per worker.
  json workers = GetJson("/api/v1/workers");
  ASSERT_EQ(workers["workers"].size(), 1u);
  EXPECT_GT(std::stoll(workers["workers"][0]["tokens_done"].get<std::string>()), 0) << workers.dump();
}

// The HTTP front end under a real --auth-file: the JSON API, the figures and
// /metrics answer per token (tenant scope, roles), and the dashboard in
// headless Chromium asks for a token, keeps it for the tab, and then updates
// and draws the figures like the open one.
TEST_F(E2eHttpTest, AuthFileScopesEveryRouteAndTheDashboardSignsIn) {
  const std::string admin = "http-admin-token-0123456789";
  const std::string alice = "http-alice-token-0123456789";
  const std::string bob = "http-bob-token-0123456789";
  const std::string worker = "http-worker-token-012345678";
  const std::string auth_file = cluster_.dir() + "/auth.yaml";
  {
    std::ofstream f(auth_file);
    f << "tokens:\n";
    for (const auto& [token, tenant, role] : std::vector<std::array<std::string, 3>>{{admin, "ops", "admin"},
                                                                                     {alice, "team-a", "submitter"},
                                                                                     {bob, "team-b", "submitter"},
                                                                                     {worker, "ops", "worker"}}) {
      f << "  - {sha256: " << auth::Sha256Hex(token) << ", tenant: " << tenant << ", role: " << role << "}\n";
    }
  }
  const std::string worker_token_file = cluster_.dir() + "/worker.token";
  std::ofstream(worker_token_file) << worker << "\n";
  ASSERT_NO_FATAL_FAILURE(StartWithHttp({"--auth-file", auth_file}));
  ASSERT_TRUE(cluster_
                  .StartWorker({"--token-file", worker_token_file, "--sleep-ms", "300", "--max-jobs-per-lease", "1",
                                "--metric", "perplexity"})
                  .ok());
  auto submit = [&](const std::string& token, const std::string& name) -> int64_t {
    v1::SubmitSweepRequest req;
    *req.mutable_spec() = cluster_.SmallSpec({"ppl"}, 30);
    req.mutable_spec()->set_name(name);
    v1::SubmitSweepResponse resp;
    auto ctx = Ctx(absl::Seconds(30));
    ctx->AddMetadata("authorization", "Bearer " + token);
    grpc::Status s = cluster_.client().SubmitSweep(ctx.get(), req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return resp.sweep_id();
  };
  const int64_t a = submit(alice, "alice-sweep");
  const int64_t b = submit(bob, "bob-sweep");
  ASSERT_GT(a, 0);
  ASSERT_GT(b, 0);
  const std::string ida = std::to_string(a), idb = std::to_string(b);

  // No token: the shell loads, every data route is 401.
  auto shell = http_->Get(("/sweeps/" + ida).c_str());
  ASSERT_TRUE(shell);
  EXPECT_EQ(shell->status, 200);
  EXPECT_THAT(shell->body, HasSubstr("id=\"token-input\""));
  for (const std::string& path : std::vector<std::string>{
           "/api/v1/sweeps", "/api/v1/sweeps/" + ida, "/sweeps/" + ida + "/figures", "/api/v1/workers", "/metrics"}) {
    auto r = http_->Get(path.c_str());
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 401) << path;
    auto wrong = http_->Get(path.c_str(), {{"Authorization", "Bearer not-a-token"}});
    ASSERT_TRUE(wrong) << path;
    EXPECT_EQ(wrong->status, 401) << path;
  }
  // Alice sees her sweep only; Bob's is 404 everywhere, as if it did not exist.
  json mine = GetJson("/api/v1/sweeps", 200, alice);
  ASSERT_EQ(mine["sweeps"].size(), 1u) << mine.dump();
  EXPECT_EQ(mine["sweeps"][0]["name"], "alice-sweep");
  GetJson("/api/v1/sweeps/" + idb, 404, alice);
  GetJson("/api/v1/sweeps/" + idb + "/results", 404, alice);
  auto other_figures = http_->Get(("/sweeps/" + idb + "/figures").c_str(), {{"Authorization", "Bearer " + alice}});
  ASSERT_TRUE(other_figures);
  EXPECT_EQ(other_figures->status, 404);
  EXPECT_THAT(other_figures->body, Not(HasSubstr("bob")));
  // Workers belong to the operators' tenant: the admin sees them, Alice does not.
  EXPECT_EQ(GetJson("/api/v1/workers", 200, alice)["workers"].size(), 0u);
  ASSERT_TRUE(E2eCluster::WaitFor([&] { return GetJson("/api/v1/workers", 200, admin)["workers"].size() == 1u; },
                                  absl::Seconds(10)));
  // /metrics shows every tenant: admin only.
  auto m_alice = http_->Get("/metrics", {{"Authorization", "Bearer " + alice}});
  ASSERT_TRUE(m_alice);
  EXPECT_EQ(m_alice->status, 403);
  auto m_admin = http_->Get("/metrics", {{"Authorization", "Bearer " + admin}});
  ASSERT_TRUE(m_admin);
  EXPECT_EQ(m_admin->status, 200);
  // A worker token reads nothing.
  GetJson("/api/v1/sweeps", 403, worker);

  // The dashboard in a real browser: asks for a token, then works.
  const std::string python = "/usr/bin/python3";
  if (Shell(python + " -c 'import websocket'").first != 0 || Shell("command -v chromium").first != 0) {
    GTEST_SKIP() << "needs Debian chromium and python3-websocket for the browser part";
  }
  const std::string alice_file = cluster_.dir() + "/alice.token";
  std::ofstream(alice_file) << alice << "\n";
  absl::StatusOr<v1::SweepInfo> info = cluster_.GetSweep(a);  // the cluster's stub has no token
  EXPECT_FALSE(info.ok());
  auto [code, out] = Shell(absl::StrCat(
      python, " ", ABLATE_SOURCE_DIR, "/tests/dashboard_cdp.py", " --chromium chromium --timeout 60 --token-file ",
      alice_file, " --marks 24 --mark-selector '#figures [data-mark=\"heatmap\"]' --url ", Url("/sweeps/" + ida)));
  if (code == 77) GTEST_SKIP() << out;
  ASSERT_EQ(code, 0) << out << cluster_.Logs();
  std::cout << "dashboard_cdp.py: " << out;
  json r = json::parse(out.substr(out.rfind('{')), nullptr, false);
  EXPECT_TRUE(r["asked_for_token"].get<bool>()) << out;
  EXPECT_EQ(r["marks"].get<int64_t>(), 24) << out;
}

}  // namespace
}  // namespace ablate::testing
