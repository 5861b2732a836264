// perplexity_eval.cc: RunPerplexity (see evaluations.h) and the helpers every
// evaluation shares. Protocols: ROLLING (lm-eval loglikelihood_rolling over
// the corpus as one document), DOCUMENTS (lm-eval's `wikitext` task: the
// file's articles, detokenized, each scored with loglikelihood_rolling),
// SLIDING (HF strided windows), FIRST_N (the study's first N tokens, optional
// clamp). Optional drift against the
// un-ablated model on the same scored positions.
#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"
#include "worker/eval/evaluations.h"
#include "worker/eval/forward_batches.h"
#include "worker/eval/perplexity_metrics.h"
#include "worker/eval/token_scoring.h"
#include "worker/eval/wikitext_documents.h"
#include "worker/eval/window_logits.h"
#include "worker/eval/windows.h"

namespace ablate::eval {

v1::Metric MakeMetric(const std::string& name, double value, const std::string& detail_json) {
  v1::Metric m;
  m.set_name(name);
  m.set_value(value);
  if (!detail_json.empty()) m.set_detail_json(detail_json);
  return m;
}

absl::StatusOr<TokenIds> EncodeText(const text::Tokenizer& tok, absl::string_view text) {
  ASSIGN_OR_RETURN(std::vector<int32_t> ids, tok.Encode(text));
  return TokenIds(ids.begin(), ids.end());
}

absl::StatusOr<int64_t> PrefixToken(const text::Tokenizer& tok, const ModelConfig& config) {
  if (auto bos = tok.bos_id()) return *bos;
  if (auto eos = tok.eos_id()) return *eos;
  if (config.eos_token_id >= 0) return config.eos_token_id;
  if (config.bos_token_id >= 0) return config.bos_token_id;
  return absl::FailedPreconditionError(
      "no prefix token: the tokenizer has no bos/eos token (tokenizer_config.json) and config.json no "
      "eos_token_id/bos_token_id");
}

namespace {

absl::Status CheckPerplexitySpec(const v1::PerplexityEval& spec) {
  if (spec.dataset().empty()) return absl::InvalidArgumentError("perplexity.dataset is empty");
  if (spec.max_length() < 0) return absl::InvalidArgumentError("perplexity.max_length must be >= 0");
  if (spec.stride() < 0) return absl::InvalidArgumentError("perplexity.stride must be >= 0");
  if (spec.num_tokens() < 0) return absl::InvalidArgumentError("perplexity.num_tokens must be >= 0");
  if (spec.batch_size() < 0) return absl::InvalidArgumentError("perplexity.batch_size must be >= 0");
  if (!(spec.clamp() >= 0.0)) return absl::InvalidArgumentError("perplexity.clamp must be >= 0");
  if (spec.protocol() == v1::DOCUMENTS && spec.num_tokens() != 0)
    return absl::InvalidArgumentError("perplexity.num_tokens does not apply to protocol documents");
  return absl::OkStatus();
}

const char* ProtocolName(v1::PerplexityProtocol p) {
  switch (p) {
    case v1::SLIDING:
      return "sliding";
    case v1::FIRST_N:
      return "first_n";
    case v1::DOCUMENTS:
      return "documents";
    default:
      return "rolling";
  }
}

}  // namespace

absl::StatusOr<EvalOutput> RunPerplexity(const EvalEnv& env, const v1::PerplexityEval& spec) {
  RETURN_IF_ERROR(CheckPerplexitySpec(spec));
  const v1::PerplexityProtocol protocol = spec.protocol() == v1::PROTOCOL_UNSPECIFIED ? v1::ROLLING : spec.protocol();
  const int64_t max_length = spec.max_length() > 0 ? spec.max_length() : 512;
  ASSIGN_OR_RETURN(text::TextCorpus corpus, text::LoadTextCorpus(spec.dataset()));

  std::vector<ScoringWindow> windows;
  // The token stream actually scored (ROLLING/SLIDING honour the num_tokens
  // cap); DOCUMENTS tokenizes each detokenized document on its own instead.
  std::shared_ptr<const TokenIds> all_ids;
  const TokenIds* ids = nullptr;
  TokenIds capped;
  bool is_capped = false;
  int64_t corpus_tokens = 0;
  LogLikelihoodTotals document_counts;  // DOCUMENTS: words and bytes of the pages
  size_t documents = 0;
  if (protocol == v1::DOCUMENTS) {
    ASSIGN_OR_RETURN(int64_t prefix, PrefixToken(*env.tokenizer, env.lm->config()));
    for (const WikiTextDocument& d : WikiTextDocuments(corpus.text)) {
      ASSIGN_OR_RETURN(TokenIds doc_ids, EncodeText(*env.tokenizer, d.detokenized));
      ASSIGN_OR_RETURN(std::vector<ScoringWindow> w, RollingWindows(doc_ids, prefix, max_length));
      windows.insert(windows.end(), std::make_move_iterator(w.begin()), std::make_move_iterator(w.end()));
      corpus_tokens += static_cast<int64_t>(doc_ids.size());
      document_counts.words += d.words;
      document_counts.bytes += d.bytes;
      ++documents;
    }
  } else {
    ASSIGN_OR_RETURN(all_ids, env.tokenize_corpus(corpus));
    ids = all_ids.get();
    corpus_tokens = static_cast<int64_t>(all_ids->size());
    is_capped =
        protocol != v1::FIRST_N && spec.num_tokens() > 0 && static_cast<size_t>(spec.num_tokens()) < all_ids->size();
    if (is_capped) {
      capped.assign(all_ids->begin(), all_ids->begin() + spec.num_tokens());
      ids = &capped;
    }
  }

  if (protocol == v1::DOCUMENTS) {
    // Windows built above.
  } else if (protocol == v1::ROLLING) {
    ASSIGN_OR_RETURN(int64_t prefix, PrefixToken(*env.tokenizer, env.lm->config()));
    ASSIGN_OR_RETURN(windows, RollingWindows(*ids, prefix, max_length));
  } else if (protocol == v1::SLIDING) {
    const int64_t stride = spec.stride() > 0 ? spec.stride() : std::max<int64_t>(1, max_length / 2);
    ASSIGN_OR_RETURN(windows, SlidingWindows(*ids, max_length, stride));
  } else if (protocol == v1::FIRST_N) {
    const int64_t n = spec.num_tokens() > 0 ? spec.num_tokens() : max_length;
    ASSIGN_OR_RETURN(ScoringWindow w, FirstNWindow(*ids, n));
    windows.push_back(std::move(w));
  } else {
    return absl::InvalidArgumentError(absl::StrCat("perplexity.protocol: unknown value ", spec.protocol()));
  }
  if (windows.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(spec.dataset(), ": no tokens to score"));
  }

  const bool drift = spec.drift();
  // Baseline rows from an earlier job on the same model, tokenizer and windows.
  std::shared_ptr<const BaselineCache::Rows> cached;
  std::string cache_key;
  BaselineCache::Rows collected;
  int64_t collected_bytes = 0;
  bool collect = false;
  if (drift && env.baseline_cache != nullptr && !env.model_key.empty()) {
    cache_key = absl::StrCat(env.model_key, "|", corpus.fingerprint.combined_sha256, "|", ProtocolName(protocol), "|",
                             max_length, "|", spec.stride(), "|", spec.num_tokens());
    std::shared_ptr<const BaselineCache::Rows> found = env.baseline_cache->Find(cache_key);
    if (found != nullptr && found->size() != windows.size()) found = nullptr;
    // An un-ablated job never reads the cache (its own logits are the exact
    // baseline); it fills the cache when the entry is missing.
    if (!env.plan.empty()) cached = found;
    collect = found == nullptr;
    if (collect) collected.resize(windows.size());
  }
  const int64_t vocab = env.lm->config().vocab_size;
  const at::Device logits_device = env.lm->device();
  std::vector<double> window_logprob(windows.size(), 0.0);
  int64_t scored = 0;
  DriftTally tally;
  BatchOptions bo;
  bo.batch_size = spec.batch_size() > 0 ? spec.batch_size() : env.default_batch_size;
  bo.plan = &env.plan;
  bo.with_baseline = drift && !env.plan.empty() && cached == nullptr;
  bo.ctx = env.ctx;
  bo.logits_chunk_bytes = env.logits_chunk_bytes;
  if (env.residual_cache != nullptr && !env.model_key.empty()) {
    bo.residuals = env.residual_cache;
    bo.residual_key = env.model_key;
    bo.reuse_output_state = drift;
  }
  bo.what = absl::StrCat("perplexity (", ProtocolName(protocol), ") windows");
  BatchStats stats;
  RETURN_IF_ERROR(ForwardWindows(
      *env.lm, windows, bo,
      [&](size_t i, const WindowLogits& logits, const WindowLogits& base) {
        const ScoringWindow& w = windows[i];
        const TokenScores s = ScoreTargets(logits, w.score_begin, w.targets);
        window_logprob[i] = s.Sum();
        scored += static_cast<int64_t>(w.targets.size());
        if (drift && !w.targets.empty()) {
          const auto k = static_cast<int64_t>(w.targets.size());
          // An un-ablated job is its own baseline: the same logits, KL exactly 0.
          WindowLogits from_cache;
          if (cached != nullptr) {
            from_cache = WindowLogits::FromLogits((*cached)[i].to(logits_device), w.score_begin, logits.chunk_rows());
          }
          const WindowLogits& base_rows = cached != nullptr ? from_cache : base.defined() ? base : logits;
          tally.Add(base_rows, logits, w.score_begin, k);
          if (collect) {
            collected_bytes += k * vocab * static_cast<int64_t>(sizeof(float));
            if (collected_bytes > env.baseline_cache->max_bytes()) {
              collect = false;  // too large to keep: stop copying
              collected.clear();
            } else {
              // Filled chunk by chunk: the cache entry is the only [K, V] copy.
              at::Tensor rows = at::empty({k, vocab}, at::TensorOptions().dtype(at::kFloat));
              for (int64_t b = 0; b < k; b += base_rows.chunk_rows()) {
                const int64_t n = std::min(base_rows.chunk_rows(), k - b);
                rows.narrow(0, b, n).copy_(base_rows.Rows(w.score_begin + b, n));
              }
              collected[i] = std::move(rows);
            }
          }
        }
        return absl::OkStatus();
      },
      &stats));

  if (collect) env.baseline_cache->Insert(cache_key, std::move(collected));

  LogLikelihoodTotals totals;
  for (double lp : window_logprob) totals.sum_logprob += lp;  // window order, batch-size independent
  totals.tokens = scored;
  if (scored == 0) return absl::InvalidArgumentError(absl::StrCat(spec.dataset(), ": no tokens to score"));

  nlohmann::json detail = {{"protocol", ProtocolName(protocol)}, {"max_length", max_length},
                           {"windows", windows.size()},          {"scored_tokens", scored},
                           {"corpus_tokens", corpus_tokens},     {"batch_size", stats.final_batch_size},
                           {"oom_retries", stats.oom_retries}};
  if (protocol == v1::DOCUMENTS) detail["documents"] = documents;
  EvalOutput out;
  out.dataset_fingerprint = corpus.fingerprint.combined_sha256;
  out.tokens_evaluated = scored;
  if (drift) detail["baseline_from_cache"] = cached != nullptr;
  if (protocol == v1::FIRST_N) {
    const double nll = -totals.sum_logprob / static_cast<double>(scored);
    detail["clamp"] = spec.clamp();
    detail["clamped"] = spec.clamp() > 0.0 && nll > spec.clamp();
    out.metrics.push_back(MakeMetric("perplexity", ClampedPerplexity(nll, spec.clamp()), detail.dump()));
    out.metrics.push_back(MakeMetric("nll_mean", nll));
  } else {
    const bool per_word = protocol == v1::ROLLING || protocol == v1::DOCUMENTS;
    if (protocol == v1::DOCUMENTS) {
      totals.words = document_counts.words;
      totals.bytes = document_counts.bytes;
    } else if (protocol == v1::ROLLING) {
      // Word and byte figures need the exact text that was scored.
      std::string scored_text;
      if (is_capped) {
        std::vector<int32_t> kept(ids->begin(), ids->end());
        ASSIGN_OR_RETURN(scored_text, env.tokenizer->Decode(kept));
      }
      const absl::string_view text = is_capped ? absl::string_view(scored_text) : absl::string_view(corpus.text);
      totals.words = CountWords(text);
      totals.bytes = static_cast<int64_t>(text.size());
    }
    const PerplexityMetrics m = ComputePerplexity(totals);
    out.metrics.push_back(MakeMetric("perplexity", m.perplexity, detail.dump()));
    out.metrics.push_back(MakeMetric("nll_mean", m.nll_mean));
    if (per_word) {
      out.metrics.push_back(MakeMetric("word_perplexity", m.word_perplexity));
      out.metrics.push_back(MakeMetric("byte_perplexity", m.byte_perplexity));
      out.metrics.push_back(MakeMetric("bits_per_byte", m.bits_per_byte));
    }
  }
  if (drift) {
    const std::string d = nlohmann::json{{"positions", tally.positions()}}.dump();
    out.metrics.push_back(MakeMetric("kl_mean", tally.kl_mean(), d));
    out.metrics.push_back(MakeMetric("top1_agreement", tally.top1_agreement(), d));
  }
  return out;
}

}  // namespace ablate::eval
