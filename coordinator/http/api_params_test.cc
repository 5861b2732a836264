// api_params_test.cc: validation of caller-controlled ids and query
// parameters, including hostile input (huge page sizes, negative or oversized
// ids, path tricks, unknown or repeated parameters, very long values).
#include "coordinator/http/api_params.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace ablate::coordinator::http {
namespace {

using ::ablate::testing::IsOkAndHolds;
using ::ablate::testing::StatusIs;
using ::testing::HasSubstr;

constexpr auto kBad = absl::StatusCode::kInvalidArgument;

TEST(ApiParamsTest, IdsArePositiveDecimals) {
  EXPECT_THAT(ParseId("sweep id", "42"), IsOkAndHolds(42));
  EXPECT_THAT(ParseId("sweep id", "999999999999999999"), IsOkAndHolds(999999999999999999));
  for (const char* bad : {"", "0", "-1", "+1", " 1", "1 ", "1e3", "0x10", "..", "%2e%2e", "9999999999999999999",
                          "1234567890123456789012", "abc", "1/2"}) {
    EXPECT_THAT(ParseId("sweep id", bad), StatusIs(kBad, HasSubstr("sweep id"))) << bad;
  }
}

TEST(ApiParamsTest, ResultsFiltersAndPaging) {
  auto q = ParseResultsQuery(3, {{"model", "m1"},
                                 {"kind", "layer_sweep"},
                                 {"component", "ATTENTION"},
                                 {"evaluation", "wiki"},
                                 {"metric", "perplexity"},
                                 {"layer", "7"},
                                 {"page_size", "50"},
                                 {"after", "120"}});
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(q->sweep_id(), 3);
  EXPECT_EQ(q->model(), "m1");
  EXPECT_EQ(q->kind(), v1::LAYER_SWEEP);
  EXPECT_EQ(q->component(), v1::ATTENTION);
  EXPECT_EQ(q->evaluation(), "wiki");
  EXPECT_EQ(q->metric(), "perplexity");
  EXPECT_TRUE(q->has_layer());
  EXPECT_EQ(q->layer(), 7);
  EXPECT_EQ(q->page_size(), 50);
  EXPECT_EQ(q->after_result_id(), 120);
  auto d = ParseResultsQuery(3, {});
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->page_size(), kDefaultResultPage);
  EXPECT_FALSE(d->has_layer());
}

TEST(ApiParamsTest, HugePageSizeIsClampedAndBadOnesRejected) {
  auto q = ParseResultsQuery(1, {{"page_size", "100000000"}});
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->page_size(), kMaxResultPage);
  auto j = ParseJobsQuery(1, {{"page_size", "999999999999999999"}});
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(j->page_size(), kMaxJobPage);
  for (const char* bad : {"0", "-5", "1.5", "99999999999999999999999", "ten", " 5"}) {
    EXPECT_THAT(ParseResultsQuery(1, {{"page_size", bad}}).status(), StatusIs(kBad, HasSubstr("page_size"))) << bad;
  }
  EXPECT_THAT(ParseResultsQuery(1, {{"after", "-3"}}).status(), StatusIs(kBad, HasSubstr("after")));
  EXPECT_THAT(ParseResultsQuery(1, {{"layer", "-1"}}).status(), StatusIs(kBad, HasSubstr("layer")));
}

TEST(ApiParamsTest, UnknownEnumsAndParametersAreRejected) {
  EXPECT_THAT(ParseResultsQuery(1, {{"kind", "kind_unspecified"}}).status(), StatusIs(kBad, HasSubstr("kind")));
  EXPECT_THAT(ParseResultsQuery(1, {{"kind", "../../etc/passwd"}}).status(), StatusIs(kBad, HasSubstr("kind")));
  EXPECT_THAT(ParseResultsQuery(1, {{"component", "gpu"}}).status(), StatusIs(kBad, HasSubstr("component")));
  EXPECT_THAT(ParseResultsQuery(1, {{"sql", "1; DROP TABLE results"}}).status(),
              StatusIs(kBad, HasSubstr("unknown query parameter 'sql'")));
  // A hostile name is not echoed back.
  EXPECT_THAT(ParseResultsQuery(1, {{"<script>", "x"}}).status(),
              StatusIs(kBad, ::testing::Not(HasSubstr("<script>"))));
  EXPECT_THAT(ParseResultsQuery(1, {{"model", "a"}, {"model", "b"}}).status(),
              StatusIs(kBad, HasSubstr("more than once")));
  EXPECT_THAT(ParseJobsQuery(1, {{"state", "sleeping"}}).status(), StatusIs(kBad, HasSubstr("state")));
  EXPECT_THAT(ParseSweepsQuery({{"include_finished", "maybe"}}).status(),
              StatusIs(kBad, HasSubstr("include_finished")));
}

TEST(ApiParamsTest, LongValuesAndManyParametersAreRejected) {
  EXPECT_THAT(ParseResultsQuery(1, {{"model", std::string(100000, 'a')}}).status(),
              StatusIs(kBad, HasSubstr("model: longer than")));
  QueryParams many;
  for (int i = 0; i < 1000; ++i) many.push_back({"model", "x"});
  EXPECT_THAT(ParseResultsQuery(1, many).status(), StatusIs(kBad, HasSubstr("too many")));
}

TEST(ApiParamsTest, JobsQueryParsesStates) {
  auto q = ParseJobsQuery(9, {{"state", "failed"}, {"after", "5"}});
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->sweep_id(), 9);
  EXPECT_EQ(q->state(), v1::FAILED);
  EXPECT_EQ(q->after_job_id(), 5);
  EXPECT_EQ(q->page_size(), kDefaultJobPage);
  auto s = ParseSweepsQuery({{"include_finished", "false"}});
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(s->include_finished());
}

}  // namespace
}  // namespace ablate::coordinator::http
