// choice_metrics.cc: see choice_metrics.h.
#include "worker/eval/choice_metrics.h"

#include <algorithm>
#include <limits>
#include <numeric>

namespace ablate::eval {
namespace {

template <typename Score>
int ArgMax(const std::vector<ChoiceScore>& choices, Score score) {
  int best = 0;
  double best_value = score(choices[0]);
  for (int i = 1; i < static_cast<int>(choices.size()); ++i) {
    const double v = score(choices[i]);
    if (v > best_value) {  // strict: ties keep the first, as numpy.argmax
      best = i;
      best_value = v;
    }
  }
  return best;
}

double Per(double ll, int64_t n) { return ll / static_cast<double>(std::max<int64_t>(n, 1)); }

}  // namespace

ChoiceDecision DecideChoice(const std::vector<ChoiceScore>& choices) {
  ChoiceDecision d;
  d.acc_choice = ArgMax(choices, [](const ChoiceScore& c) { return c.logprob; });
  d.norm_choice = ArgMax(choices, [](const ChoiceScore& c) { return Per(c.logprob, c.num_chars); });
  d.byte_choice = ArgMax(choices, [](const ChoiceScore& c) { return Per(c.logprob, c.num_bytes); });
  d.token_choice = ArgMax(choices, [](const ChoiceScore& c) { return Per(c.logprob, c.num_tokens); });
  return d;
}

double Mean(const std::vector<double>& v) {
  if (v.empty()) return std::numeric_limits<double>::quiet_NaN();
  return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

}  // namespace ablate::eval
