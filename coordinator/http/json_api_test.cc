// json_api_test.cc: the JSON API adapter over a real scheduler (SQLite file):
// every route's JSON, paging, and the errors for bad ids, routes and params.
#include "coordinator/http/json_api.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/scheduler_harness.h"

namespace ablate::coordinator::http {
namespace {

using ::ablate::testing::FakeSpec;
using ::ablate::testing::SchedulerHarness;
using ::testing::HasSubstr;
using json = nlohmann::json;

class JsonApiTest : public ::testing::Test {
 protected:
  JsonApiTest() : h_(::testing::UnitTest::GetInstance()->current_test_info()->name()), api_(h_.core()) {}

  json Get(const std::string& path, const QueryParams& params = {}, int status = 200) {
    HttpReply r = api_.Handle(path, params, auth::Caller::Local());
    EXPECT_EQ(r.status, status) << path << ": " << r.body;
    EXPECT_EQ(r.content_type, "application/json");
    return json::parse(r.body);
  }

  SchedulerHarness h_;
  JsonApi api_;
};

TEST_F(JsonApiTest, RoutesAnswerJson) {
  const int64_t sweep = h_.Submit(FakeSpec("demo", 1, 1));  // 4 jobs
  const std::string w = h_.Register("w1");
  std::vector<v1::Lease> leases = h_.Lease(w, 4);
  ASSERT_EQ(leases.size(), 4u);
  h_.Beat(w, leases, {SchedulerHarness::Progress(0.5, 1, 2, 64, "half")});
  h_.Complete(w, leases[0], 2.0);
  h_.Complete(w, leases[1], 3.0);
  h_.Fail(w, leases[2], "out of memory");

  json sweeps = Get("/api/v1/sweeps");
  ASSERT_EQ(sweeps["sweeps"].size(), 1u);
  EXPECT_EQ(sweeps["sweeps"][0]["name"], "demo");
  EXPECT_EQ(sweeps["sweeps"][0]["counts"]["total"], "4");  // int64 as a string (proto3 JSON)

  json one = Get("/api/v1/sweeps/" + std::to_string(sweep));
  EXPECT_EQ(one["state"], "SWEEP_RUNNING");
  EXPECT_EQ(one["counts"]["succeeded"], "2");
  ASSERT_EQ(one["running"].size(), 1u);  // leases[3]; leases[2] was requeued
  EXPECT_EQ(one["running"][0]["job_id"], std::to_string(leases[3].job().job_id()));

  json results = Get("/api/v1/sweeps/" + std::to_string(sweep) + "/results", {{"page_size", "1"}});
  ASSERT_EQ(results["rows"].size(), 1u);
  EXPECT_EQ(results["rows"][0]["metric"], "perplexity");
  const std::string next = results["next_after_result_id"];
  json page2 = Get("/api/v1/sweeps/" + std::to_string(sweep) + "/results", {{"page_size", "1"}, {"after", next}});
  ASSERT_EQ(page2["rows"].size(), 1u);
  EXPECT_NE(page2["rows"][0]["result_id"], results["rows"][0]["result_id"]);
  json filtered =
      Get("/api/v1/sweeps/" + std::to_string(sweep) + "/results", {{"kind", "baseline"}, {"metric", "perplexity"}});
  for (const auto& row : filtered["rows"]) EXPECT_EQ(row["kind"], "BASELINE");

  json workers = Get("/api/v1/workers");
  ASSERT_EQ(workers["workers"].size(), 1u);
  EXPECT_EQ(workers["workers"][0]["worker_id"], w);
  EXPECT_EQ(workers["workers"][0]["tokens_done"], "64");

  json jobs = Get("/api/v1/sweeps/" + std::to_string(sweep) + "/jobs", {{"state", "queued"}});
  ASSERT_EQ(jobs["jobs"].size(), 1u);
  EXPECT_EQ(jobs["jobs"][0]["last_error"], "out of memory");
}

TEST_F(JsonApiTest, BadInputGetsJsonErrors) {
  json e = Get("/api/v1/sweeps/0", {}, 400);
  EXPECT_EQ(e["error"]["code"], "INVALID_ARGUMENT");
  Get("/api/v1/sweeps/-1", {}, 400);
  Get("/api/v1/sweeps/..", {}, 400);
  Get("/api/v1/sweeps/../workers", {}, 400);
  Get("/api/v1/sweeps/99999999999999999999", {}, 400);
  e = Get("/api/v1/sweeps/12345", {}, 404);
  EXPECT_EQ(e["error"]["code"], "NOT_FOUND");
  Get("/api/v1/sweeps/12345/results", {}, 404);
  Get("/api/v1/sweeps/1/nothing", {}, 404);
  Get("/api/v1/sweeps/1/results/x", {}, 404);
  Get("/api/v1/", {}, 404);
  Get("/api/v1/etc/passwd", {}, 404);
  e = Get("/api/v1/sweeps/1/results", {{"page_size", "-1"}}, 400);
  EXPECT_THAT(e["error"]["message"].get<std::string>(), HasSubstr("page_size"));
  Get("/api/v1/workers", {{"x", "1"}}, 400);
}

}  // namespace
}  // namespace ablate::coordinator::http
