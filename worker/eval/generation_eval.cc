// generation_eval.cc: RunGeneration (see evaluations.h). GSM8K: each item's
// few-shot prompt is decoded greedily (batch 1, incremental state) until a
// stop sequence, EOS or max_new_tokens; the text is cut at the earliest stop
// sequence and its answer (after "####", else the last number) must equal the
// reference's final answer exactly.
#include <algorithm>

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

}  // namespace

absl::StatusOr<EvalOutput> RunGeneration(const EvalEnv& env, const v1::GenerationEval& spec) {
  if (spec.max_new_tokens() < 0) return absl::InvalidArgumentError("generation.max_new_tokens must be >= 0");
  ASSIGN_OR_RETURN(text::GenerationDataset ds, text::LoadGeneration(spec));
  if (ds.items.empty()) return absl::InvalidArgumentError(absl::StrCat(spec.path(), ": no items to evaluate"));
  const int64_t max_new = spec.max_new_tokens() > 0 ? spec.max_new_tokens() : kDefaultMaxNewTokens;
  if (max_new >= env.max_length) {
    return absl::InvalidArgumentError(absl::StrCat("generation.max_new_tokens ", max_new,
                                                   " leaves no room for the prompt (max_length ", env.max_length, ")"));
  }
  std::vector<std::string> stops(spec.stop().begin(), spec.stop().end());
  if (stops.empty()) stops = ds.default_stop;
  GreedyOptions go;
  go.max_new_tokens = max_new;
  go.plan = &env.plan;
  if (auto eos = env.tokenizer->eos_id()) go.eos_ids.push_back(*eos);
  if (env.lm->config().eos_token_id >= 0) go.eos_ids.push_back(env.lm->config().eos_token_id);

  EvalOutput out;
  out.dataset_fingerprint = ds.fingerprint.combined_sha256;
  std::vector<double> correct;
  nlohmann::json samples = nlohmann::json::array();
  int64_t generated_tokens = 0, stopped = 0;
  if (env.ctx != nullptr) env.ctx->AddWork(0, 0, static_cast<int64_t>(ds.items.size()));
  for (size_t i = 0; i < ds.items.size(); ++i) {
    if (env.ctx != nullptr) {
      if (env.ctx->Cancelled()) return absl::CancelledError("job cancelled");
      env.ctx->ReportProgress(static_cast<double>(i) / static_cast<double>(ds.items.size()),
                              absl::StrCat(ds.task, " items ", i, "/", ds.items.size()));
    }
    const text::GenerationItem& item = ds.items[i];
    ASSIGN_OR_RETURN(TokenIds prompt, EncodeText(*env.tokenizer, item.prompt));
    if (prompt.empty()) return absl::InvalidArgumentError(absl::StrCat("item ", item.id, ": empty prompt"));
    const auto keep = static_cast<size_t>(env.max_length - max_new);
    if (prompt.size() > keep) prompt.erase(prompt.begin(), prompt.end() - keep);  // keep the question

    absl::Status decode_error;
    go.should_stop = [&](const TokenIds& gen) {
      absl::StatusOr<std::string> t = DecodeIds(*env.tokenizer, gen);
      if (!t.ok()) {
        decode_error = t.status();
        return true;
      }
      return FindStop(*t, stops) != absl::string_view::npos;
    };
    const TokenIds gen = GreedyGenerate(*env.lm, prompt, go);
    RETURN_IF_ERROR(decode_error);
    ASSIGN_OR_RETURN(std::string text, DecodeIds(*env.tokenizer, gen));
    if (FindStop(text, stops) != absl::string_view::npos) ++stopped;
    const std::string answer_text = TruncateAtStop(text, stops);
    const std::string extracted = ExtractGsm8kAnswer(answer_text);
    const std::string reference = NormalizeNumber(item.final_answer);
    const bool ok = !extracted.empty() && extracted == reference;
    correct.push_back(ok ? 1.0 : 0.0);
    generated_tokens += static_cast<int64_t>(gen.size());
    out.tokens_evaluated += static_cast<int64_t>(prompt.size() + gen.size());
    if (env.ctx != nullptr) env.ctx->AddWork(1, static_cast<int64_t>(prompt.size() + gen.size()));
    if (samples.size() < kSamplesInDetail) {
      samples.push_back({{"id", item.id},
                         {"generation", answer_text},
                         {"extracted", extracted},
                         {"reference", reference},
                         {"correct", ok}});
    }
  }
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
  return out;
}

}  // namespace ablate::eval
