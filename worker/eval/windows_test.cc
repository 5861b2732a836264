// windows_test.cc: the scoring windows of each perplexity protocol, checked
// against examples worked out by hand (and lm-eval's own unit-test gold).
#include "worker/eval/windows.h"

#include <numeric>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

#define ASSERT_OK_AND_ASSIGN(lhs, expr)            \
  auto lhs##_or = (expr);                          \
  ASSERT_TRUE(lhs##_or.ok()) << lhs##_or.status(); \
  auto lhs = std::move(lhs##_or).value()

namespace ablate::eval {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

std::vector<int64_t> Range(int64_t begin, int64_t end) {
  std::vector<int64_t> v(end - begin);
  std::iota(v.begin(), v.end(), begin);
  return v;
}

// lm-eval test_get_rolling_token_windows_v1 (34 tokens, L=10, prefix -100),
// then make_disjoint_window and the (ctx + cont)[-(L+1):][:-1] truncation:
//   W1 input [P,0..8]   scores 0..9 from position 0
//   W2 input [9..18]    scores 10..19
//   W3 input [19..28]   scores 20..29
//   W4 input [23..32]   scores 30..33 from position 6 (6 tokens of context)
TEST(RollingWindows, MatchesLmEvalExample) {
  ASSERT_OK_AND_ASSIGN(w, RollingWindows(Range(0, 34), -100, 10));
  ASSERT_EQ(w.size(), 4u);
  std::vector<int64_t> first = {-100};
  for (int64_t i = 0; i <= 8; ++i) first.push_back(i);
  EXPECT_THAT(w[0].input, ElementsAreArray(first));
  EXPECT_EQ(w[0].score_begin, 0);
  EXPECT_THAT(w[0].targets, ElementsAreArray(Range(0, 10)));
  EXPECT_THAT(w[1].input, ElementsAreArray(Range(9, 19)));
  EXPECT_EQ(w[1].score_begin, 0);
  EXPECT_THAT(w[1].targets, ElementsAreArray(Range(10, 20)));
  EXPECT_THAT(w[2].input, ElementsAreArray(Range(19, 29)));
  EXPECT_THAT(w[2].targets, ElementsAreArray(Range(20, 30)));
  EXPECT_THAT(w[3].input, ElementsAreArray(Range(23, 33)));
  EXPECT_EQ(w[3].score_begin, 6);
  EXPECT_THAT(w[3].targets, ElementsAre(30, 31, 32, 33));
}

// Hand-worked small case: 7 tokens (ids 10..16), L=3, prefix 0.
//   W1 input [0,10,11] predicts 10,11,12 (first window: prefix token first).
//   W2 window_end=6: input tokens[2..5) = [12,13,14] predicts 13,14,15.
//   W3 window_end=7: raw context tokens[3..6) = [13,14,15], prediction [16];
//      make_disjoint keeps 3 - (1 - 1) = 3 context tokens, so the input is
//      [13,14,15] and position 2 predicts 16.
TEST(RollingWindows, SmallHandExample) {
  ASSERT_OK_AND_ASSIGN(w, RollingWindows({10, 11, 12, 13, 14, 15, 16}, 0, 3));
  ASSERT_EQ(w.size(), 3u);
  EXPECT_THAT(w[0].input, ElementsAre(0, 10, 11));
  EXPECT_THAT(w[0].targets, ElementsAre(10, 11, 12));
  EXPECT_THAT(w[1].input, ElementsAre(12, 13, 14));
  EXPECT_EQ(w[1].score_begin, 0);
  EXPECT_THAT(w[1].targets, ElementsAre(13, 14, 15));
  EXPECT_THAT(w[2].input, ElementsAre(13, 14, 15));
  EXPECT_EQ(w[2].score_begin, 2);
  EXPECT_THAT(w[2].targets, ElementsAre(16));
}

TEST(RollingWindows, EveryTokenScoredOnceAndInvariantHolds) {
  for (int64_t n : {1, 2, 5, 9, 10, 11, 64, 100}) {
    for (int64_t len : {1, 2, 3, 8, 16, 200}) {
      ASSERT_OK_AND_ASSIGN(w, RollingWindows(Range(0, n), -1, len));
      std::vector<int64_t> all;
      for (const auto& x : w) {
        EXPECT_LE(static_cast<int64_t>(x.input.size()), len);
        ASSERT_LE(x.score_begin + x.targets.size(), x.input.size());
        // Causality: the token before each target is the input at its position.
        for (size_t i = 0; i < x.targets.size(); ++i) {
          const int64_t pos = x.score_begin + static_cast<int64_t>(i);
          EXPECT_EQ(x.input[pos], x.targets[i] == 0 ? -1 : x.targets[i] - 1) << "n=" << n << " L=" << len;
        }
        all.insert(all.end(), x.targets.begin(), x.targets.end());
      }
      EXPECT_THAT(all, ElementsAreArray(Range(0, n))) << "n=" << n << " L=" << len;
    }
  }
}

TEST(RollingWindows, EmptyAndBadLength) {
  ASSERT_OK_AND_ASSIGN(w, RollingWindows({}, 0, 4));
  EXPECT_TRUE(w.empty());
  EXPECT_THAT(RollingWindows({1}, 0, 0), ::ablate::testing::StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
}

// 10 tokens, max_length 4, stride 2: windows [0,4) [2,6) [4,8) [6,10).
// First scores 1..3, then only new tokens: 4..5, 6..7, 8..9.
TEST(SlidingWindows, ScoresOnlyNewTokens) {
  ASSERT_OK_AND_ASSIGN(w, SlidingWindows(Range(0, 10), 4, 2));
  ASSERT_EQ(w.size(), 4u);
  EXPECT_THAT(w[0].input, ElementsAre(0, 1, 2));
  EXPECT_EQ(w[0].score_begin, 0);
  EXPECT_THAT(w[0].targets, ElementsAre(1, 2, 3));
  EXPECT_THAT(w[1].input, ElementsAre(2, 3, 4));
  EXPECT_EQ(w[1].score_begin, 1);
  EXPECT_THAT(w[1].targets, ElementsAre(4, 5));
  EXPECT_THAT(w[3].input, ElementsAre(6, 7, 8));
  EXPECT_THAT(w[3].targets, ElementsAre(8, 9));
}

TEST(SlidingWindows, StrideEqualToLengthIsDisjointWithoutPrefix) {
  ASSERT_OK_AND_ASSIGN(w, SlidingWindows(Range(0, 7), 3, 3));
  ASSERT_EQ(w.size(), 2u);  // [6,7) holds only token 6, which has no context there
  EXPECT_THAT(w[0].targets, ElementsAre(1, 2));
  EXPECT_THAT(w[1].input, ElementsAre(3, 4));
  EXPECT_EQ(w[1].score_begin, 0);
  EXPECT_THAT(w[1].targets, ElementsAre(4, 5));
  EXPECT_THAT(SlidingWindows(Range(0, 7), 3, 4),
              ::ablate::testing::StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
}

TEST(FirstNWindow, ScoresTokensOneToNMinusOne) {
  ASSERT_OK_AND_ASSIGN(w, FirstNWindow(Range(0, 10), 4));
  EXPECT_THAT(w.input, ElementsAre(0, 1, 2));
  EXPECT_THAT(w.targets, ElementsAre(1, 2, 3));
  EXPECT_THAT(FirstNWindow({5}, 4), ::ablate::testing::StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
}

TEST(ContinuationWindow, TruncatesLeftAndUsesPrefixForEmptyContext) {
  ASSERT_OK_AND_ASSIGN(w, ContinuationWindow({1, 2, 3, 4}, {5, 6}, 0, 4));
  EXPECT_THAT(w.input, ElementsAre(2, 3, 4, 5));
  EXPECT_EQ(w.score_begin, 2);
  EXPECT_THAT(w.targets, ElementsAre(5, 6));
  ASSERT_OK_AND_ASSIGN(e, ContinuationWindow({}, {7}, 99, 4));
  EXPECT_THAT(e.input, ElementsAre(99));
  EXPECT_EQ(e.score_begin, 0);
  EXPECT_THAT(ContinuationWindow({1}, {}, 0, 4),
              ::ablate::testing::StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
  EXPECT_THAT(ContinuationWindow({1}, {1, 2, 3}, 0, 2),
              ::ablate::testing::StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
}

}  // namespace
}  // namespace ablate::eval
