// registry_test.cc: the metrics registry and its Prometheus text exposition:
// names, escaping, histogram buckets, bounded label cardinality, thread safety.
#include "coordinator/metrics/registry.h"

#include <thread>
#include <vector>

#include "coordinator/metrics/exposition.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace ablate::coordinator::metrics {
namespace {

using ::ablate::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(ExpositionTest, NamesFollowThePrometheusGrammar) {
  EXPECT_TRUE(ValidMetricName("ablate_jobs"));
  EXPECT_TRUE(ValidMetricName("ns:ablate_jobs_total"));
  EXPECT_FALSE(ValidMetricName(""));
  EXPECT_FALSE(ValidMetricName("9jobs"));
  EXPECT_FALSE(ValidMetricName("jobs-total"));
  EXPECT_FALSE(ValidMetricName("jobs total"));
  EXPECT_TRUE(ValidLabelName("state"));
  EXPECT_FALSE(ValidLabelName("__name"));
  EXPECT_FALSE(ValidLabelName("a:b"));
}

TEST(ExpositionTest, ValuesAndEscaping) {
  EXPECT_EQ(FormatValue(12), "12");
  EXPECT_EQ(FormatValue(-3), "-3");
  EXPECT_EQ(FormatValue(0.25), "0.25");
  EXPECT_EQ(FormatValue(1.0 / 0.0), "+Inf");
  EXPECT_EQ(FormatValue(-1.0 / 0.0), "-Inf");
  EXPECT_EQ(FormatValue(std::nan("")), "NaN");
  EXPECT_EQ(EscapeLabelValue("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  EXPECT_EQ(EscapeHelp("x\\y\nz\""), "x\\\\y\\nz\"");
  std::string out;
  AppendSample("m", {"a", "b"}, {"1", "x\"y"}, "le=\"0.5\"", 3, &out);
  EXPECT_EQ(out, "m{a=\"1\",b=\"x\\\"y\",le=\"0.5\"} 3\n");
  out.clear();
  AppendSample("m", {}, {}, "", 0.5, &out);
  EXPECT_EQ(out, "m 0.5\n");
}

TEST(RegistryTest, RejectsBadAndDuplicateNames) {
  Registry r;
  EXPECT_THAT(r.AddCounter("bad-name", "h").status(), StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
  EXPECT_THAT(r.AddGauge("g", "h", {"le"}).status(), StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
  EXPECT_THAT(r.AddGauge("g", "h", {"__x"}).status(), StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
  ASSERT_TRUE(r.AddGauge("g", "h").ok());
  EXPECT_THAT(r.AddCounter("g", "h").status(), StatusIs(absl::StatusCode::kAlreadyExists, ::testing::_));
}

TEST(RegistryTest, RendersCountersGaugesAndHistograms) {
  Registry r;
  Family<Counter>* c = *r.AddCounter("t_requests_total", "Requests\nserved", {"code"});
  Family<Gauge>* g = *r.AddGauge("t_queue", "Queue length");
  Family<Histogram>* h = *r.AddHistogram("t_latency_seconds", "Latency", {0.1, 1, 0.5, INFINITY});
  c->With({"200"})->Inc();
  c->With({"200"})->Inc(2);
  c->With({"500"})->Inc(-5);  // ignored: counters only go up
  g->With({})->Set(7);
  g->With({})->Add(-2);
  for (double v : {0.05, 0.1, 0.7, 3.0}) h->With({})->Observe(v);
  h->With({})->Observe(std::nan(""));  // ignored
  EXPECT_EQ(r.Render(),
            "# HELP t_requests_total Requests\\nserved\n"
            "# TYPE t_requests_total counter\n"
            "t_requests_total{code=\"200\"} 3\n"
            "t_requests_total{code=\"500\"} 0\n"
            "# HELP t_queue Queue length\n"
            "# TYPE t_queue gauge\n"
            "t_queue 5\n"
            "# HELP t_latency_seconds Latency\n"
            "# TYPE t_latency_seconds histogram\n"
            "t_latency_seconds_bucket{le=\"0.1\"} 2\n"
            "t_latency_seconds_bucket{le=\"1\"} 3\n"
            "t_latency_seconds_bucket{le=\"+Inf\"} 4\n"
            "t_latency_seconds_sum 3.85\n"
            "t_latency_seconds_count 4\n");
}

TEST(RegistryTest, LabelCardinalityIsBounded) {
  Registry r;
  Family<Counter>* c = *r.AddCounter("t_by_worker_total", "x", {"worker"}, /*max_series=*/3);
  for (int i = 0; i < 1000; ++i) c->With({"w" + std::to_string(i)})->Inc();
  const auto series = c->Series();
  ASSERT_EQ(series.size(), 4u);  // three named + one overflow
  EXPECT_THAT(r.Render(), HasSubstr("t_by_worker_total{worker=\"_other\"} 997\n"));
  EXPECT_THAT(r.Render(), Not(HasSubstr("w999")));
}

TEST(RegistryTest, ClearDropsSeriesButKeepsHandedOutOnesValid) {
  Registry r;
  Family<Gauge>* g = *r.AddGauge("t_g", "x", {"k"});
  std::shared_ptr<Gauge> held = g->With({"a"});
  g->Clear();
  held->Set(3);  // still valid, no longer exported
  EXPECT_EQ(r.Render(), "# HELP t_g x\n# TYPE t_g gauge\n");
}

TEST(RegistryTest, ConcurrentUpdatesAreNotLost) {
  Registry r;
  Family<Counter>* c = *r.AddCounter("t_c_total", "x", {"k"});
  Family<Histogram>* h = *r.AddHistogram("t_h", "x", {1});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10000; ++i) {
        c->With({t % 2 == 0 ? "even" : "odd"})->Inc();
        h->With({})->Observe(0.5);
        if (i % 1000 == 0) (void)r.Render();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_DOUBLE_EQ(c->With({"even"})->value(), 20000);
  EXPECT_DOUBLE_EQ(c->With({"odd"})->value(), 20000);
  EXPECT_EQ(h->With({})->Snapshot().count, 40000u);
}

}  // namespace
}  // namespace ablate::coordinator::metrics
