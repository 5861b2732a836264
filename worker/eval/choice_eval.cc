// choice_eval.cc: RunMultipleChoice (see evaluations.h). Every choice of
// every item is one (context, continuation) log-likelihood request, encoded
// as lm-eval's `_encode_pair` does (trailing context whitespace moves to the
// continuation; the continuation's tokens are those of encode(context +
// continuation) after encode(context)). Requests run in right-padded batches.
// With `bootstrap`, the un-ablated model scores the same requests and paired
// bootstrap intervals of the accuracy differences are reported.
#include <cmath>
#include <map>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"
#include "worker/eval/bootstrap.h"
#include "worker/eval/choice_metrics.h"
#include "worker/eval/evaluations.h"
#include "worker/eval/forward_batches.h"
#include "worker/eval/perplexity_metrics.h"
#include "worker/eval/token_scoring.h"
#include "worker/eval/windows.h"

namespace ablate::eval {
namespace {

bool IsAsciiSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

struct EncodedPair {
  TokenIds context;
  TokenIds continuation;
};

// lm-eval HFLM._encode_pair, plus its empty-context rule ([prefix] as context).
absl::StatusOr<EncodedPair> EncodePair(const text::Tokenizer& tok, const std::string& context,
                                       const std::string& continuation, int64_t prefix) {
  size_t n_spaces = 0;
  while (n_spaces < context.size() && IsAsciiSpace(context[context.size() - 1 - n_spaces])) ++n_spaces;
  const std::string ctx = context.substr(0, context.size() - n_spaces);
  const std::string cont = context.substr(context.size() - n_spaces) + continuation;
  EncodedPair p;
  if (ctx.empty()) {
    p.context = {prefix};
    ASSIGN_OR_RETURN(p.continuation, EncodeText(tok, cont));
    return p;
  }
  ASSIGN_OR_RETURN(TokenIds whole, EncodeText(tok, ctx + cont));
  ASSIGN_OR_RETURN(p.context, EncodeText(tok, ctx));
  if (whole.size() > p.context.size()) p.continuation.assign(whole.begin() + p.context.size(), whole.end());
  return p;
}

// lm-eval normalises by the choice text without its target delimiter (" ").
absl::string_view ChoiceText(const std::string& continuation) {
  absl::string_view s(continuation);
  if (!s.empty() && s[0] == ' ') s.remove_prefix(1);
  return s;
}

struct Request {
  size_t item = 0;
  size_t choice = 0;
};

}  // namespace

v1::Metric BootstrapMetric(const std::string& name, const std::vector<double>& ablated,
                           const std::vector<double>& baseline, uint64_t seed) {
  absl::StatusOr<BootstrapInterval> ci = PairedBootstrap(ablated, baseline, {.resamples = 1000, .seed = seed});
  if (!ci.ok()) return MakeMetric(name, std::nan(""), nlohmann::json{{"error", ci.status().ToString()}}.dump());
  return MakeMetric(name, ci->diff,
                    nlohmann::json{{"ablated", ci->ablated},
                                   {"baseline", ci->baseline},
                                   {"ci_low", ci->low},
                                   {"ci_high", ci->high},
                                   {"confidence", 0.95},
                                   {"resamples", ci->resamples},
                                   {"seed", seed},
                                   {"rng", "splitmix64"}}
                        .dump());
}

absl::StatusOr<EvalOutput> RunMultipleChoice(const EvalEnv& env, const v1::MultipleChoiceEval& spec) {
  if (spec.batch_size() < 0) return absl::InvalidArgumentError("multiple_choice.batch_size must be >= 0");
  ASSIGN_OR_RETURN(text::MultipleChoiceDataset ds, text::LoadMultipleChoice(spec));
  if (ds.items.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(spec.path(), ": no items to evaluate"));
  }
  ASSIGN_OR_RETURN(int64_t prefix, PrefixToken(*env.tokenizer, env.lm->config()));

  std::vector<ScoringWindow> windows;
  std::vector<Request> requests;
  for (size_t i = 0; i < ds.items.size(); ++i) {
    const text::MultipleChoiceItem& item = ds.items[i];
    if (item.choices.empty() || item.gold < 0 || item.gold >= static_cast<int32_t>(item.choices.size())) {
      return absl::InvalidArgumentError(
          absl::StrCat("item ", item.id, ": gold ", item.gold, " outside its ", item.choices.size(), " choices"));
    }
    for (size_t c = 0; c < item.choices.size(); ++c) {
      ASSIGN_OR_RETURN(EncodedPair p,
                       EncodePair(*env.tokenizer, item.choices[c].context, item.choices[c].continuation, prefix));
      if (p.continuation.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat("item ", item.id, " choice ", c, ": continuation encodes to no tokens"));
      }
      absl::StatusOr<ScoringWindow> w = ContinuationWindow(p.context, p.continuation, prefix, env.max_length);
      if (!w.ok())
        return absl::InvalidArgumentError(absl::StrCat("item ", item.id, " choice ", c, ": ", w.status().message()));
      windows.push_back(std::move(*w));
      requests.push_back({i, c});
    }
  }

  // Requests whose model input is identical (e.g. MMLU's " A".." D" after one
  // shared context: single-token continuations) share one forward row; each
  // request still scores its own targets on it (lm-eval groups these too).
  std::map<std::vector<int64_t>, size_t> unique_index;
  std::vector<ScoringWindow> inputs;       // unique inputs (targets unused)
  std::vector<std::vector<size_t>> users;  // unique input -> requests
  for (size_t r = 0; r < windows.size(); ++r) {
    auto [it, inserted] = unique_index.emplace(windows[r].input, inputs.size());
    if (inserted) {
      inputs.push_back(ScoringWindow{windows[r].input, 0, {}});
      users.emplace_back();
    }
    users[it->second].push_back(r);
  }

  std::vector<ChoiceScore> scores(windows.size()), base_scores(windows.size());
  BatchOptions bo;
  bo.batch_size = spec.batch_size() > 0 ? spec.batch_size() : env.default_batch_size;
  bo.plan = &env.plan;
  bo.with_baseline = spec.bootstrap() && !env.plan.empty();
  bo.ctx = env.ctx;
  bo.logits_chunk_bytes = env.logits_chunk_bytes;
  if (env.residual_cache != nullptr && !env.model_key.empty()) {
    bo.residuals = env.residual_cache;
    bo.residual_key = env.model_key;
    bo.reuse_output_state = spec.bootstrap();
  }
  bo.what = absl::StrCat(text::TaskName(ds.task), " sequences");
  BatchStats stats;
  auto to_choice = [&](const TokenScores& s, size_t idx) {
    const std::string& cont = ds.items[requests[idx].item].choices[requests[idx].choice].continuation;
    const absl::string_view text = ChoiceText(cont);
    return ChoiceScore{s.Sum(), static_cast<int64_t>(s.logprobs.size()), CountCodePoints(text),
                       static_cast<int64_t>(text.size()), s.AllGreedy()};
  };
  RETURN_IF_ERROR(ForwardWindows(
      *env.lm, inputs, bo,
      [&](size_t u, const WindowLogits& logits, const WindowLogits& base) {
        for (size_t i : users[u]) {
          scores[i] = to_choice(ScoreTargets(logits, windows[i].score_begin, windows[i].targets), i);
          base_scores[i] =
              base.defined() ? to_choice(ScoreTargets(base, windows[i].score_begin, windows[i].targets), i) : scores[i];
        }
        return absl::OkStatus();
      },
      &stats));

  // Per item decisions, in item order.
  const bool lambada = ds.task == v1::LAMBADA;
  ChoiceTally tally, base_tally;
  std::vector<double> lambada_ll, lambada_greedy, base_lambada_greedy;
  bool any_partial = false;
  std::map<std::string, std::pair<double, int64_t>> groups;  // group -> (correct, n)
  size_t r = 0;
  for (const text::MultipleChoiceItem& item : ds.items) {
    std::vector<ChoiceScore> cs(scores.begin() + r, scores.begin() + r + item.choices.size());
    std::vector<ChoiceScore> bs(base_scores.begin() + r, base_scores.begin() + r + item.choices.size());
    r += item.choices.size();
    any_partial = any_partial || item.partial_scoring;
    if (lambada) {
      lambada_ll.push_back(cs[item.gold].logprob);
      lambada_greedy.push_back(cs[item.gold].greedy);
      base_lambada_greedy.push_back(bs[item.gold].greedy);
      continue;
    }
    tally.Add(DecideChoice(cs), item.gold);
    base_tally.Add(DecideChoice(bs), item.gold);
    if (!item.group.empty()) {
      auto& g = groups[item.group];
      g.first += tally.acc.back();
      g.second += 1;
    }
  }

  EvalOutput out;
  out.dataset_fingerprint = ds.fingerprint.combined_sha256;
  out.tokens_evaluated = stats.tokens;
  nlohmann::json detail = {{"task", text::TaskName(ds.task)},   {"items", ds.items.size()},
                           {"requests", windows.size()},        {"forwarded_sequences", inputs.size()},
                           {"num_fewshot", spec.num_fewshot()}, {"batch_size", stats.final_batch_size},
                           {"oom_retries", stats.oom_retries}};
  if (lambada) {
    double sum = 0.0;
    for (double ll : lambada_ll) sum += ll;
    out.metrics.push_back(MakeMetric("acc", Mean(lambada_greedy), detail.dump()));
    out.metrics.push_back(MakeMetric("perplexity", std::exp(-sum / static_cast<double>(lambada_ll.size()))));
    if (spec.bootstrap())
      out.metrics.push_back(BootstrapMetric("acc_diff", lambada_greedy, base_lambada_greedy, env.seed));
    return out;
  }
  if (!groups.empty()) {
    nlohmann::json g = nlohmann::json::object();
    for (const auto& [name, cn] : groups) g[name] = {{"acc", cn.first / cn.second}, {"n", cn.second}};
    detail["groups"] = g;
  }
  out.metrics.push_back(MakeMetric("acc", Mean(tally.acc), detail.dump()));
  if (!any_partial) {
    out.metrics.push_back(MakeMetric("acc_norm", Mean(tally.acc_norm)));
    out.metrics.push_back(MakeMetric("acc_norm_byte", Mean(tally.acc_norm_byte)));
    out.metrics.push_back(MakeMetric("acc_token_norm", Mean(tally.acc_token_norm)));
  }
  if (spec.bootstrap()) {
    out.metrics.push_back(BootstrapMetric("acc_diff", tally.acc, base_tally.acc, env.seed));
    if (!any_partial) {
      out.metrics.push_back(BootstrapMetric("acc_norm_diff", tally.acc_norm, base_tally.acc_norm, env.seed));
    }
  }
  return out;
}

}  // namespace ablate::eval
