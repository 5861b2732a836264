// svg_test.cc: escaping, marks and scales of the SVG writer.
#include "report/svg.h"

#include <cmath>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ablate::report {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(SvgTest, EscapesTextAndAttributes) {
  EXPECT_EQ(EscapeXml("<script>alert(\"x\" & 'y')</script>"),
            "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;");
  EXPECT_EQ(EscapeXml(std::string("a\x01"
                                  "b\n",
                                  4)),
            "ab\n");
  Svg svg(100, 50, "<b>label</b>");
  Mark mark{"bar", "</title><script>alert(1)</script>", {{"model", "\"><script>"}}};
  svg.Rect(0, 0, 10, 10, "red", &mark);
  svg.Text(0, 0, "<img src=x onerror=alert(1)>");
  const std::string out = svg.Finish();
  EXPECT_THAT(out, Not(HasSubstr("<script")));
  EXPECT_THAT(out, Not(HasSubstr("<img")));
  EXPECT_THAT(out, HasSubstr("data-mark=\"bar\""));
  EXPECT_THAT(out, HasSubstr("data-model=\"&quot;&gt;&lt;script&gt;\""));
  EXPECT_THAT(out, HasSubstr("<title>&lt;/title&gt;&lt;script&gt;"));
  EXPECT_THAT(out, HasSubstr("aria-label=\"&lt;b&gt;label&lt;/b&gt;\""));
}

TEST(SvgTest, LogScaleMapsDecadesEvenly) {
  const LogScale s{1, 100, 0, 200};
  EXPECT_DOUBLE_EQ(s(1), 0);
  EXPECT_DOUBLE_EQ(s(10), 100);
  EXPECT_DOUBLE_EQ(s(100), 200);
  EXPECT_DOUBLE_EQ(s(0), 0);  // non-positive values sit on the axis
  EXPECT_THAT(s.Ticks(), ::testing::ElementsAre(1, 2, 5, 10, 20, 50, 100));
  const LogScale d = LogDomain({0.5, 4, NAN, -1}, {1}, 0, 1);
  EXPECT_LT(d.lo, 0.5);
  EXPECT_GT(d.hi, 4);
}

TEST(SvgTest, LinearTicksAreRound) {
  const LinearScale s{-0.3, 0.1, 0, 100};
  EXPECT_THAT(s.Ticks(4), ::testing::Pointwise(::testing::DoubleNear(1e-12), {-0.3, -0.2, -0.1, 0.0, 0.1}));
}

TEST(SvgTest, ColourScaleIsDivergingAndSaturates) {
  EXPECT_EQ(LogRatioColor(0, 1), "#f7f7f7");
  EXPECT_EQ(LogRatioColor(5, 1), "#b2182b");
  EXPECT_EQ(LogRatioColor(-5, 1), "#2166ac");
  EXPECT_EQ(LogRatioColor(NAN, 1), "#bdbdbd");
  EXPECT_EQ(RatioLabel(1.5), "1.5x");
  EXPECT_EQ(RatioLabel(NAN), "-");
}

}  // namespace
}  // namespace ablate::report
