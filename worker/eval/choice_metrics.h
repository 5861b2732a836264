// choice_metrics.h: multiple-choice decisions from per-choice log-likelihoods,
// with lm-evaluation-harness definitions (argmax ties go to the first choice,
// like numpy.argmax):
//   acc             argmax  sum log p(continuation | context)
//   acc_norm        argmax  ll / len(continuation)            (characters, Python len)
//   acc_norm_byte   argmax  ll / len(continuation.encode())   (lm-eval "acc_bytes")
//   acc_token_norm  argmax  ll / continuation tokens          (the reference study)
// Partial scoring (WinoGrande) and single-continuation cloze (LAMBADA) use the
// same ChoiceScore; LAMBADA accuracy is `greedy` of its only continuation.
// Pure functions; thread-safe.
//
//   ChoiceDecision d = DecideChoice({{-3.1, 2, 7, 7, false}, {-2.0, 3, 9, 9, true}});
//   d.acc_choice == 1
#ifndef ABLATE_WORKER_EVAL_CHOICE_METRICS_H_
#define ABLATE_WORKER_EVAL_CHOICE_METRICS_H_

#include <cstdint>
#include <vector>

namespace ablate::eval {

struct ChoiceScore {
  double logprob = 0.0;    // sum over continuation tokens, natural log
  int64_t num_tokens = 0;  // continuation tokens
  int64_t num_chars = 0;   // continuation code points
  int64_t num_bytes = 0;   // continuation UTF-8 bytes
  bool greedy = false;     // every continuation token was the argmax
};

struct ChoiceDecision {
  int acc_choice = -1;
  int norm_choice = -1;
  int byte_choice = -1;
  int token_choice = -1;
};

// REQUIRES: !choices.empty(). Zero lengths divide as 1 (a guard, never expected).
ChoiceDecision DecideChoice(const std::vector<ChoiceScore>& choices);

// Running accuracy over items; per-item 0/1 vectors are kept for the bootstrap.
struct ChoiceTally {
  std::vector<double> acc, acc_norm, acc_norm_byte, acc_token_norm;

  void Add(const ChoiceDecision& d, int gold) {
    acc.push_back(d.acc_choice == gold);
    acc_norm.push_back(d.norm_choice == gold);
    acc_norm_byte.push_back(d.byte_choice == gold);
    acc_token_norm.push_back(d.token_choice == gold);
  }
};

// Mean of a 0/1 (or any) vector; NaN when empty.
double Mean(const std::vector<double>& v);

}  // namespace ablate::eval

#endif  // ABLATE_WORKER_EVAL_CHOICE_METRICS_H_
