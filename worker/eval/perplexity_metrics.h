// perplexity_metrics.h: corpus-level perplexity figures from summed
// log-likelihoods, with lm-evaluation-harness definitions:
//   perplexity       exp(-sum ll / tokens)       (token level)
//   nll_mean         -sum ll / tokens
//   word_perplexity  exp(-sum ll / words)        words = len(re.split(r"\s+", doc))
//   byte_perplexity  exp(-sum ll / bytes)        bytes = len(doc.encode("utf-8"))
//   bits_per_byte    -sum ll / bytes / ln 2
// Sums run over every document first (lm-eval's weighted_perplexity), never
// as a mean of per-document perplexities. Pure functions; thread-safe.
//
//   LogLikelihoodTotals t;
//   t.Add(doc_ll, doc_tokens, CountWords(doc), doc.size());
//   PerplexityMetrics m = ComputePerplexity(t);
#ifndef ABLATE_WORKER_EVAL_PERPLEXITY_METRICS_H_
#define ABLATE_WORKER_EVAL_PERPLEXITY_METRICS_H_

#include <cstdint>

#include "absl/strings/string_view.h"

namespace ablate::eval {

struct LogLikelihoodTotals {
  double sum_logprob = 0.0;  // natural log, <= 0
  int64_t tokens = 0;        // scored tokens
  int64_t words = 0;
  int64_t bytes = 0;

  void Add(double logprob, int64_t n_tokens, int64_t n_words, int64_t n_bytes) {
    sum_logprob += logprob;
    tokens += n_tokens;
    words += n_words;
    bytes += n_bytes;
  }
};

struct PerplexityMetrics {
  double perplexity = 0.0;
  double nll_mean = 0.0;
  double word_perplexity = 0.0;  // NaN when words == 0
  double byte_perplexity = 0.0;  // NaN when bytes == 0
  double bits_per_byte = 0.0;    // NaN when bytes == 0
};

// REQUIRES: totals.tokens > 0.
PerplexityMetrics ComputePerplexity(const LogLikelihoodTotals& totals);

// Python's len(re.split(r"\s+", text)) on a str: 1 + the number of maximal runs
// of Unicode whitespace (so leading/trailing whitespace count as empty words,
// exactly as lm-eval counts them). `text` is UTF-8; invalid bytes count as
// non-space characters.
int64_t CountWords(absl::string_view text);

// Number of Unicode code points (Python len(str)); invalid bytes count one each.
int64_t CountCodePoints(absl::string_view text);

// The study's first-N figure: exp(min(mean_nll, clamp)); clamp <= 0 means none.
double ClampedPerplexity(double mean_nll, double clamp);

}  // namespace ablate::eval

#endif  // ABLATE_WORKER_EVAL_PERPLEXITY_METRICS_H_
