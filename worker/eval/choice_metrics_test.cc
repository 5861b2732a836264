// choice_metrics_test.cc: acc / acc_norm / acc_norm_byte / acc_token_norm decisions.
#include "worker/eval/choice_metrics.h"

#include "gtest/gtest.h"

namespace ablate::eval {
namespace {

TEST(DecideChoice, EachNormalisationPicksItsOwnWinner) {
  // choice 0: ll -4, 2 tokens, 4 chars, 8 bytes (non-ASCII): per char -1, per byte -0.5, per token -2
  // choice 1: ll -3, 1 token, 2 chars, 2 bytes:                per char -1.5, per byte -1.5, per token -3
  // choice 2: ll -6, 4 tokens, 5 chars, 5 bytes:               per char -1.2, per byte -1.2, per token -1.5
  std::vector<ChoiceScore> c = {{-4.0, 2, 4, 8, false}, {-3.0, 1, 2, 2, false}, {-6.0, 4, 5, 5, false}};
  const ChoiceDecision d = DecideChoice(c);
  EXPECT_EQ(d.acc_choice, 1);
  EXPECT_EQ(d.norm_choice, 0);
  EXPECT_EQ(d.byte_choice, 0);
  EXPECT_EQ(d.token_choice, 2);
}

TEST(DecideChoice, TiesGoToFirstLikeNumpyArgmax) {
  const ChoiceDecision d = DecideChoice({{-1.0, 1, 1, 1, false}, {-1.0, 1, 1, 1, false}});
  EXPECT_EQ(d.acc_choice, 0);
  EXPECT_EQ(d.norm_choice, 0);
}

TEST(ChoiceTally, AccumulatesPerItemCorrectness) {
  ChoiceTally t;
  t.Add({1, 0, 0, 1}, 1);
  t.Add({0, 0, 2, 2}, 0);
  EXPECT_DOUBLE_EQ(Mean(t.acc), 1.0);
  EXPECT_DOUBLE_EQ(Mean(t.acc_norm), 0.5);
  EXPECT_DOUBLE_EQ(Mean(t.acc_norm_byte), 0.0);
  EXPECT_DOUBLE_EQ(Mean(t.acc_token_norm), 0.5);
}

}  // namespace
}  // namespace ablate::eval
