// answer_extraction_test.cc: stop sequences and GSM8K answer extraction.
#include "worker/eval/answer_extraction.h"

#include "gtest/gtest.h"

namespace ablate::eval {
namespace {

TEST(TruncateAtStop, EarliestStopWins) {
  EXPECT_EQ(TruncateAtStop("abc\n\nQuestion: x", {"Question:", "\n\n"}), "abc");
  EXPECT_EQ(TruncateAtStop("no stop here", {"</s>", ""}), "no stop here");
  EXPECT_EQ(FindStop("xyQ", {"Q"}), 2u);
}

TEST(ExtractGsm8kAnswer, AfterMarkerElseLastNumber) {
  EXPECT_EQ(ExtractGsm8kAnswer("She pays 3*400=<<3*400=1200>>1200.\n#### 1,200"), "1200");
  EXPECT_EQ(ExtractGsm8kAnswer("So the answer is $18.00."), "18");
  EXPECT_EQ(ExtractGsm8kAnswer("2 apples and 3 pears make 5."), "5");
  EXPECT_EQ(ExtractGsm8kAnswer("It drops to -7 degrees"), "-7");
  EXPECT_EQ(ExtractGsm8kAnswer("#### 0.50"), "0.5");
  EXPECT_EQ(ExtractGsm8kAnswer("no numbers"), "");
  EXPECT_EQ(ExtractGsm8kAnswer("1-2 pages"), "-2");  // a dash before digits reads as a sign
}

TEST(Gsm8kExactMatch, ComparesNormalisedAnswers) {
  EXPECT_TRUE(Gsm8kExactMatch("The total is 1200 dollars.", "work...\n#### 1200"));
  EXPECT_TRUE(Gsm8kExactMatch("#### 1,200", "#### 1200"));
  EXPECT_FALSE(Gsm8kExactMatch("The total is 120.", "#### 1200"));
  EXPECT_FALSE(Gsm8kExactMatch("nothing", "#### 0"));
}

}  // namespace
}  // namespace ablate::eval
