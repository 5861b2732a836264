// windows.cc: see windows.h. The rolling protocol is written as lm-eval's three
// steps (rolling windows, make_disjoint_window, left truncation) rather than a
// closed form, so it can be compared with the Python line by line.
#include "worker/eval/windows.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace ablate::eval {
namespace {

using Tokens = std::vector<int64_t>;

Tokens Slice(const Tokens& v, int64_t begin, int64_t end) {
  begin = std::clamp<int64_t>(begin, 0, static_cast<int64_t>(v.size()));
  end = std::clamp<int64_t>(end, begin, static_cast<int64_t>(v.size()));
  return Tokens(v.begin() + begin, v.begin() + end);
}

// lm-eval `_loglikelihood_tokens`: inp = (context + continuation)[-(L+1):][:-1];
// the last len(continuation) logits are scored.
ScoringWindow TruncatedPair(const Tokens& context, const Tokens& continuation, int64_t max_length) {
  Tokens whole = context;
  whole.insert(whole.end(), continuation.begin(), continuation.end());
  const int64_t n = static_cast<int64_t>(whole.size());
  ScoringWindow w;
  w.input = Slice(whole, std::max<int64_t>(0, n - (max_length + 1)), n - 1);
  w.targets = continuation;
  w.score_begin = static_cast<int64_t>(w.input.size()) - static_cast<int64_t>(continuation.size());
  return w;
}

}  // namespace

absl::StatusOr<std::vector<ScoringWindow>> RollingWindows(const Tokens& tokens, int64_t prefix_token,
                                                          int64_t max_length) {
  if (max_length < 1) {
    return absl::InvalidArgumentError(absl::StrCat("max_length must be >= 1, got ", max_length));
  }
  std::vector<ScoringWindow> out;
  const int64_t n = static_cast<int64_t>(tokens.size());
  if (n == 0) return out;
  // get_rolling_token_windows(token_list, prefix_token, max_seq_len=L, context_len=1).
  const int64_t pred_len = max_length;  // max_seq_len - context_len + 1
  std::vector<std::pair<Tokens, Tokens>> raw;
  const int64_t first_len = std::min(max_length, n);
  Tokens first_ctx = {prefix_token};
  Tokens head = Slice(tokens, 0, first_len - 1);
  first_ctx.insert(first_ctx.end(), head.begin(), head.end());
  raw.emplace_back(std::move(first_ctx), Slice(tokens, 0, first_len));
  int64_t predicted = first_len;
  while (predicted < n) {
    const int64_t window_pred_len = std::min(n - predicted, pred_len);
    const int64_t window_end = predicted + window_pred_len;
    raw.emplace_back(Slice(tokens, window_end - max_length - 1, window_end - 1),
                     Slice(tokens, window_end - window_pred_len, window_end));
    predicted += window_pred_len;
  }
  // make_disjoint_window: context[: len(context) - (len(continuation) - 1)].
  for (auto& [ctx, cont] : raw) {
    const int64_t keep = static_cast<int64_t>(ctx.size()) - (static_cast<int64_t>(cont.size()) - 1);
    out.push_back(TruncatedPair(Slice(ctx, 0, keep), cont, max_length));
  }
  return out;
}

absl::StatusOr<std::vector<ScoringWindow>> SlidingWindows(const Tokens& tokens, int64_t max_length, int64_t stride) {
  if (max_length < 1 || stride < 1 || stride > max_length) {
    return absl::InvalidArgumentError(absl::StrCat("sliding window needs 1 <= stride <= max_length, got stride ",
                                                   stride, ", max_length ", max_length));
  }
  std::vector<ScoringWindow> out;
  const int64_t n = static_cast<int64_t>(tokens.size());
  int64_t prev_end = 0;
  for (int64_t begin = 0; begin < n; begin += stride) {
    const int64_t end = std::min(begin + max_length, n);
    const int64_t first_scored = std::max(prev_end, begin + 1);
    if (first_scored < end) {
      ScoringWindow w;
      w.input = Slice(tokens, begin, end - 1);  // the last token only serves as a target
      w.score_begin = first_scored - 1 - begin;
      w.targets = Slice(tokens, first_scored, end);
      out.push_back(std::move(w));
    }
    prev_end = end;
    if (end == n) break;
  }
  return out;
}

absl::StatusOr<ScoringWindow> FirstNWindow(const Tokens& tokens, int64_t num_tokens) {
  const int64_t n = std::min<int64_t>(num_tokens, static_cast<int64_t>(tokens.size()));
  if (n < 2) {
    return absl::InvalidArgumentError(absl::StrCat("first-N perplexity needs at least 2 tokens, have ", n,
                                                   " (num_tokens ", num_tokens, ", text has ", tokens.size(), ")"));
  }
  ScoringWindow w;
  w.input = Slice(tokens, 0, n - 1);
  w.score_begin = 0;
  w.targets = Slice(tokens, 1, n);
  return w;
}

absl::StatusOr<ScoringWindow> ContinuationWindow(const Tokens& context, const Tokens& continuation,
                                                 int64_t prefix_token, int64_t max_length) {
  if (continuation.empty()) return absl::InvalidArgumentError("continuation is empty");
  if (static_cast<int64_t>(continuation.size()) > max_length) {
    return absl::InvalidArgumentError(
        absl::StrCat("continuation has ", continuation.size(), " tokens, more than max_length ", max_length));
  }
  if (context.empty()) return TruncatedPair({prefix_token}, continuation, max_length);
  return TruncatedPair(context, continuation, max_length);
}

}  // namespace ablate::eval
