// windows.h: how a token stream is cut into model inputs whose logits are
// scored. Pure functions over token ids (no LibTorch), one per protocol:
//
//   RollingWindows     lm-evaluation-harness `loglikelihood_rolling`: disjoint
//                      windows of max_length; the first token is predicted from
//                      a prefix token (EOT/BOS); every token is scored once.
//   SlidingWindows     Hugging Face "perplexity of fixed-length models": windows
//                      of max_length every `stride` tokens; each window scores
//                      only the tokens not scored by an earlier window.
//   FirstNWindow       the reference study: the first N tokens as one sequence,
//                      tokens 1..N-1 scored.
//   ContinuationWindow lm-eval `_loglikelihood_tokens` for one (context,
//                      continuation) pair, left-truncated to max_length.
//
// Invariant of every ScoringWindow: score_begin + targets.size() <= input.size(),
// and the logits at input position score_begin + i predict targets[i].
// Thread-safety: pure functions.
//
//   auto windows = RollingWindows(ids, /*prefix_token=*/eot, /*max_length=*/512);
//   for (const ScoringWindow& w : windows) { logits = Forward(w.input); ... }
#ifndef ABLATE_WORKER_EVAL_WINDOWS_H_
#define ABLATE_WORKER_EVAL_WINDOWS_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"

namespace ablate::eval {

struct ScoringWindow {
  std::vector<int64_t> input;    // tokens fed to the model
  int64_t score_begin = 0;       // first input position whose logits are scored
  std::vector<int64_t> targets;  // logits at score_begin + i predict targets[i]
};

// lm-eval's get_rolling_token_windows(context_len=1) followed by
// make_disjoint_window and _loglikelihood_tokens' `(ctx + cont)[-(L+1):][:-1]`.
// The first window is [prefix, t0..t_{L-2}] predicting t0..t_{L-1}; later full
// windows predict the next L tokens from the L tokens before each; the last,
// partial window keeps max_length tokens of input, the earlier ones as context.
// Empty `tokens`: no windows. InvalidArgument if max_length < 1.
absl::StatusOr<std::vector<ScoringWindow>> RollingWindows(const std::vector<int64_t>& tokens, int64_t prefix_token,
                                                          int64_t max_length);

// HF guide semantics: windows start at 0, stride, 2*stride, ... and end at
// min(begin + max_length, n); a window scores the tokens in [max(prev_end,
// begin + 1), end) with everything from `begin` as context. Stops after the
// window that reaches the end. Token 0 is never scored (no prefix token).
// InvalidArgument unless 1 <= stride <= max_length.
absl::StatusOr<std::vector<ScoringWindow>> SlidingWindows(const std::vector<int64_t>& tokens, int64_t max_length,
                                                          int64_t stride);

// tokens[0..n) as input, scoring tokens 1..n-1 (n = min(num_tokens, size)).
// InvalidArgument if fewer than 2 tokens are available.
absl::StatusOr<ScoringWindow> FirstNWindow(const std::vector<int64_t>& tokens, int64_t num_tokens);

// Scores `continuation` given `context` (empty context: [prefix_token]), keeping
// the last max_length input tokens as lm-eval does. InvalidArgument if the
// continuation is empty or longer than max_length.
absl::StatusOr<ScoringWindow> ContinuationWindow(const std::vector<int64_t>& context,
                                                 const std::vector<int64_t>& continuation, int64_t prefix_token,
                                                 int64_t max_length);

}  // namespace ablate::eval

#endif  // ABLATE_WORKER_EVAL_WINDOWS_H_
