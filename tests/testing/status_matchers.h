// status_matchers.h: IsOk / StatusIs / IsOkAndHolds for absl::Status(Or), until
// Abseil >= 2024 (which ships absl/status/status_matchers.h) is available.
//
//   EXPECT_THAT(store.Open(path), IsOk());
//   EXPECT_THAT(ParseSpec(bad), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("layer")));
#ifndef ABLATE_TESTS_TESTING_STATUS_MATCHERS_H_
#define ABLATE_TESTS_TESTING_STATUS_MATCHERS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"

namespace ablate::testing {

inline const absl::Status& GetStatus(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& s) {
  return s.status();
}

MATCHER(IsOk, "is OK") {
  const absl::Status& s = GetStatus(arg);
  if (!s.ok()) *result_listener << "status is " << s;
  return s.ok();
}

MATCHER_P(IsOkAndHolds, m, "is OK and holds a matching value") {
  if (!arg.ok()) {
    *result_listener << "status is " << arg.status();
    return false;
  }
  return ::testing::ExplainMatchResult(m, *arg, result_listener);
}

MATCHER_P2(StatusIs, code, msg_matcher, "has the given code and message") {
  const absl::Status& s = GetStatus(arg);
  if (s.code() != code) {
    *result_listener << "status is " << s;
    return false;
  }
  return ::testing::ExplainMatchResult(msg_matcher, std::string(s.message()), result_listener);
}

}  // namespace ablate::testing

#define ASSERT_OK(expr) ASSERT_THAT((expr), ::ablate::testing::IsOk())
#define EXPECT_OK(expr) EXPECT_THAT((expr), ::ablate::testing::IsOk())

#endif  // ABLATE_TESTS_TESTING_STATUS_MATCHERS_H_
