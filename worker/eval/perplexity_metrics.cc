// perplexity_metrics.cc: see perplexity_metrics.h.
#include "worker/eval/perplexity_metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace ablate::eval {
namespace {

// Decodes one UTF-8 code point at text[*i], advancing *i. Invalid: one byte.
uint32_t NextCodePoint(absl::string_view text, size_t* i) {
  const auto b0 = static_cast<unsigned char>(text[*i]);
  int len = b0 < 0x80 ? 1 : (b0 >> 5) == 0x6 ? 2 : (b0 >> 4) == 0xE ? 3 : (b0 >> 3) == 0x1E ? 4 : 0;
  if (len == 0 || *i + len > text.size()) {
    ++*i;
    return 0xFFFD;
  }
  uint32_t cp = len == 1 ? b0 : len == 2 ? (b0 & 0x1F) : len == 3 ? (b0 & 0x0F) : (b0 & 0x07);
  for (int k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(text[*i + k]);
    if ((b >> 6) != 0x2) {
      ++*i;
      return 0xFFFD;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  *i += len;
  return cp;
}

// Python str.isspace(), which is what `\s` matches in a str pattern.
bool IsPythonSpace(uint32_t c) {
  return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

}  // namespace

PerplexityMetrics ComputePerplexity(const LogLikelihoodTotals& t) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  PerplexityMetrics m;
  m.nll_mean = -t.sum_logprob / static_cast<double>(t.tokens);
  m.perplexity = std::exp(m.nll_mean);
  m.word_perplexity = t.words > 0 ? std::exp(-t.sum_logprob / static_cast<double>(t.words)) : nan;
  m.byte_perplexity = t.bytes > 0 ? std::exp(-t.sum_logprob / static_cast<double>(t.bytes)) : nan;
  m.bits_per_byte = t.bytes > 0 ? -t.sum_logprob / static_cast<double>(t.bytes) / std::log(2.0) : nan;
  return m;
}

int64_t CountWords(absl::string_view text) {
  int64_t runs = 0;
  bool in_space = false;
  for (size_t i = 0; i < text.size();) {
    const bool space = IsPythonSpace(NextCodePoint(text, &i));
    if (space && !in_space) ++runs;
    in_space = space;
  }
  return runs + 1;
}

int64_t CountCodePoints(absl::string_view text) {
  int64_t n = 0;
  for (size_t i = 0; i < text.size(); ++n) NextCodePoint(text, &i);
  return n;
}

double ClampedPerplexity(double mean_nll, double clamp) {
  return std::exp(clamp > 0.0 ? std::min(mean_nll, clamp) : mean_nll);
}

}  // namespace ablate::eval
