// generation_eval.cc: RunGeneration (see evaluations.h). GSM8K: each item's
// few-shot prompt is decoded greedily (incremental state) until a stop
// sequence, EOS or max_new_tokens; the text is cut at the earliest stop
// sequence and its answer (after "####", else the last number) must equal the
// reference's final answer exactly. With batch_size > 1, items are decoded
// in batches of similar prompt length (GreedyGenerateBatch: no pad tokens,
// same outputs as batch 1). With `bootstrap`, the un-ablated model decodes the
// same prompts and a paired bootstrap interval of the exact-match difference
// is reported.
#include <algorithm>
#include <numeric>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"
#include "worker/eval/answer_extraction.h"
#include "worker/eval/evaluations.h"
#include "worker/eval/generation.h"

namespace ablate::eval {
namespace {

constexpr int64_t kDefaultMaxNewTokens = 256;
constexpr size_t kSamplesInDetail = 3;

absl::StatusOr<std::string> DecodeIds(const text::Tokenizer& tok, const TokenIds& ids) {
  std::vector<int32_t> v(ids.begin(), ids.end());
  text::DecodeOptions d;
  d.skip_unknown_ids = true;  // a model's embedding may be larger than its tokenizer
  return tok.Decode(v, d);
}

// Greedy generations of every prompt under `plan`, in item order, decoded
// `batch` at a time (batch 1: GreedyGenerate, one prompt per call). Reports
// progress and checks cancellation between batches when `report` is set.
absl::StatusOr<std::vector<TokenIds>> GenerateAll(const EvalEnv& env, const std::vector<TokenIds>& prompts,
                                                  const std::vector<std::string>& stops, GreedyOptions go,
                                                  const models::AblationPlan* plan, int64_t batch,
                                                  const std::string& task, bool report) {
  go.plan = plan;
  absl::Status decode_error;
  go.should_stop = [&](const TokenIds& gen) {
    absl::StatusOr<std::string> t = DecodeIds(*env.tokenizer, gen);
    if (!t.ok()) {
      decode_error = t.status();
      return true;
    }
    return FindStop(*t, stops) != absl::string_view::npos;
  };
  // Batches of neighbours in prompt length, so rows share most of the prefill.
  std::vector<size_t> order(prompts.size());
  std::iota(order.begin(), order.end(), size_t{0});
  if (batch > 1) {
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return prompts[a].size() < prompts[b].size(); });
  }
  std::vector<TokenIds> out(prompts.size());
  const size_t step = static_cast<size_t>(std::max<int64_t>(1, batch));
  for (size_t begin = 0; begin < order.size(); begin += step) {
    if (report && env.ctx != nullptr) {
      if (env.ctx->Cancelled()) return absl::CancelledError("job cancelled");
      env.ctx->ReportProgress(static_cast<double>(begin) / static_cast<double>(order.size()),
                              absl::StrCat(task, " items ", begin, "/", order.size()));
    }
    const size_t end = std::min(order.size(), begin + step);
    if (end - begin == 1) {
      out[order[begin]] = GreedyGenerate(*env.lm, prompts[order[begin]], go);
    } else {
      std::vector<TokenIds> rows;
      for (size_t k = begin; k < end; ++k) rows.push_back(prompts[order[k]]);
      std::vector<TokenIds> gen = GreedyGenerateBatch(*env.lm, rows, go);
      for (size_t k = begin; k < end; ++k) out[order[k]] = std::move(gen[k - begin]);
    }
    RETURN_IF_ERROR(decode_error);
    if (report && env.ctx != nullptr) {
      int64_t tokens = 0;
      for (size_t k = begin; k < end; ++k)
        tokens += static_cast<int64_t>(prompts[order[k]].size() + out[order[k]].size());
      env.ctx->AddWork(static_cast<int64_t>(end - begin), tokens);
    }
  }
  return out;
}

struct Scored {
  std::string answer_text;  // the generation cut at the earliest stop sequence
  std::string extracted;
  bool stopped = false;  // a stop sequence appeared
  bool correct = false;
};

absl::StatusOr<Scored> Score(const text::Tokenizer& tok, const TokenIds& gen, const std::vector<std::string>& stops,
                             const std::string& reference) {
  ASSIGN_OR_RETURN(std::string text, DecodeIds(tok, gen));
  Scored s;
  s.stopped = FindStop(text, stops) != absl::string_view::npos;
  s.answer_text = TruncateAtStop(text, stops);
  s.extracted = ExtractGsm8kAnswer(s.answer_text);
  s.correct = !s.extracted.empty() && s.extracted == reference;
  return s;
}

}  // namespace

absl::StatusOr<EvalOutput> RunGeneration(const EvalEnv& env, const v1::GenerationEval& spec) {
  if (spec.max_new_tokens() < 0) return absl::InvalidArgumentError("generation.max_new_tokens must be >= 0");
  if (spec.batch_size() < 0) return absl::InvalidArgumentError("generation.batch_size must be >= 0");
  ASSIGN_OR_RETURN(text::GenerationDataset ds, text::LoadGeneration(spec));
  if (ds.items.empty()) return absl::InvalidArgumentError(absl::StrCat(spec.path(), ": no items to evaluate"));
  const int64_t max_new = spec.max_new_tokens() > 0 ? spec.max_new_tokens() : kDefaultMaxNewTokens;
  if (max_new >= env.max_length) {
    return absl::InvalidArgumentError(absl::StrCat("generation.max_new_tokens ", max_new,
                                                   " leaves no room for the prompt (max_length ", env.max_length, ")"));
  }
  // 0 (specs stored before the field existed) means 1; never more rows than items.
  const int64_t batch = std::min<int64_t>(std::max(1, spec.batch_size()), static_cast<int64_t>(ds.items.size()));
  std::vector<std::string> stops(spec.stop().begin(), spec.stop().end());
  if (stops.empty()) stops = ds.default_stop;
  GreedyOptions go;
  go.max_new_tokens = max_new;
  if (auto eos = env.tokenizer->eos_id()) go.eos_ids.push_back(*eos);
  if (env.lm->config().eos_token_id >= 0) go.eos_ids.push_back(env.lm->config().eos_token_id);

  std::vector<TokenIds> prompts;
  prompts.reserve(ds.items.size());
  for (const text::GenerationItem& item : ds.items) {
    ASSIGN_OR_RETURN(TokenIds prompt, EncodeText(*env.tokenizer, item.prompt));
    if (prompt.empty()) return absl::InvalidArgumentError(absl::StrCat("item ", item.id, ": empty prompt"));
    const auto keep = static_cast<size_t>(env.max_length - max_new);
    if (prompt.size() > keep) prompt.erase(prompt.begin(), prompt.end() - keep);  // keep the question
    prompts.push_back(std::move(prompt));
  }

  if (env.ctx != nullptr) env.ctx->AddWork(0, 0, static_cast<int64_t>(ds.items.size()));
  ASSIGN_OR_RETURN(std::vector<TokenIds> gens,
                   GenerateAll(env, prompts, stops, go, &env.plan, batch, ds.task, /*report=*/true));
  // The un-ablated decode for the bootstrap; an un-ablated job is its own baseline.
  std::vector<TokenIds> base_gens;
  const bool separate_baseline = spec.bootstrap() && !env.plan.empty();
  if (separate_baseline) {
    ASSIGN_OR_RETURN(base_gens, GenerateAll(env, prompts, stops, go, /*plan=*/nullptr, batch, ds.task,
                                            /*report=*/false));
  }

  EvalOutput out;
  out.dataset_fingerprint = ds.fingerprint.combined_sha256;
  std::vector<double> correct, base_correct;
  nlohmann::json samples = nlohmann::json::array();
  int64_t generated_tokens = 0, stopped = 0;
  for (size_t i = 0; i < ds.items.size(); ++i) {
    const text::GenerationItem& item = ds.items[i];
    const std::string reference = NormalizeNumber(item.final_answer);
    ASSIGN_OR_RETURN(Scored s, Score(*env.tokenizer, gens[i], stops, reference));
    if (s.stopped) ++stopped;
    correct.push_back(s.correct ? 1.0 : 0.0);
    if (separate_baseline) {
      ASSIGN_OR_RETURN(Scored b, Score(*env.tokenizer, base_gens[i], stops, reference));
      base_correct.push_back(b.correct ? 1.0 : 0.0);
    }
    generated_tokens += static_cast<int64_t>(gens[i].size());
    out.tokens_evaluated += static_cast<int64_t>(prompts[i].size() + gens[i].size());
    if (samples.size() < kSamplesInDetail) {
      samples.push_back({{"id", item.id},
                         {"generation", s.answer_text},
                         {"extracted", s.extracted},
                         {"reference", reference},
                         {"correct", s.correct}});
    }
  }
  if (spec.bootstrap() && !separate_baseline) base_correct = correct;
  double sum = 0.0;
  for (double c : correct) sum += c;
  const nlohmann::json detail = {{"task", ds.task},
                                 {"items", correct.size()},
                                 {"num_fewshot", spec.num_fewshot()},
                                 {"max_new_tokens", max_new},
                                 {"stop", stops},
                                 {"generated_tokens", generated_tokens},
                                 {"stopped_by_sequence", stopped},
                                 {"samples", samples}};
  out.metrics.push_back(MakeMetric("exact_match", sum / static_cast<double>(correct.size()), detail.dump()));
  if (spec.bootstrap()) out.metrics.push_back(BootstrapMetric("exact_match_diff", correct, base_correct, env.seed));
  return out;
}

}  // namespace ablate::eval
