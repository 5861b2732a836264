// perplexity_metrics_test.cc: lm-eval's corpus-level perplexity definitions.
#include "worker/eval/perplexity_metrics.h"

#include <cmath>

#include "gtest/gtest.h"

namespace ablate::eval {
namespace {

TEST(CountWords, MatchesPythonReSplit) {
  EXPECT_EQ(CountWords("a b c"), 3);       // ['a','b','c']
  EXPECT_EQ(CountWords(" a b "), 4);       // ['', 'a', 'b', '']
  EXPECT_EQ(CountWords("a \n\t b"), 2);    // one whitespace run
  EXPECT_EQ(CountWords(""), 1);            // ['']
  EXPECT_EQ(CountWords("x\xc2\xa0y"), 2);  // NO-BREAK SPACE is \s in a str
  EXPECT_EQ(CountWords("caf\xc3\xa9 ok"), 2);
}

TEST(CountCodePoints, CountsUtf8CodePoints) {
  EXPECT_EQ(CountCodePoints(" caf\xc3\xa9"), 5);
  EXPECT_EQ(CountCodePoints("\xe4\xb8\xad\xf0\x9f\x98\x80"), 2);
}

TEST(ComputePerplexity, CorpusLevelSums) {
  LogLikelihoodTotals t;
  t.Add(-10.0, 5, 2, 8);
  t.Add(-6.0, 3, 2, 8);
  const PerplexityMetrics m = ComputePerplexity(t);
  EXPECT_DOUBLE_EQ(m.nll_mean, 2.0);
  EXPECT_DOUBLE_EQ(m.perplexity, std::exp(2.0));
  EXPECT_DOUBLE_EQ(m.word_perplexity, std::exp(4.0));
  EXPECT_DOUBLE_EQ(m.byte_perplexity, std::exp(1.0));
  EXPECT_DOUBLE_EQ(m.bits_per_byte, 1.0 / std::log(2.0));
}

TEST(ClampedPerplexity, ClampsMeanNll) {
  EXPECT_DOUBLE_EQ(ClampedPerplexity(3.0, 0.0), std::exp(3.0));
  EXPECT_DOUBLE_EQ(ClampedPerplexity(30.0, 10.0), std::exp(10.0));
  EXPECT_DOUBLE_EQ(ClampedPerplexity(3.0, 10.0), std::exp(3.0));
}

}  // namespace
}  // namespace ablate::eval
