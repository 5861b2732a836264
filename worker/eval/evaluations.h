// evaluations.h: the four evaluation kinds of an EvaluationSpec, each run on
// a resident model with the job's ablation plan. The Evaluator (lm_evaluator.cc)
// resolves model, tokenizer and plan, then calls exactly one of these.
//
// Every Run* returns metrics (named as in docs/metrics.md), the dataset
// fingerprint, and the number of tokens it fed the model. Errors: the
// loaders' InvalidArgument/NotFound (naming file and line), Cancelled when
// the job is cancelled. LibTorch may throw c10::Error; the caller catches it.
// Inference mode is the caller's business (it holds c10::InferenceMode).
//
// Thread-safety: pure functions of their inputs; the model is used const.
//
//   ASSIGN_OR_RETURN(EvalOutput out, RunPerplexity(env, spec.perplexity()));
#ifndef ABLATE_WORKER_EVAL_EVALUATIONS_H_
#define ABLATE_WORKER_EVAL_EVALUATIONS_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ablate/v1/job.pb.h"
#include "ablate/v1/spec.pb.h"
#include "absl/status/statusor.h"
#include "worker/eval/baseline_cache.h"
#include "worker/eval/residual_cache.h"
#include "worker/evaluator.h"
#include "worker/models/causal_lm.h"
#include "worker/text/dataset.h"
#include "worker/text/tokenizer.h"

namespace ablate::eval {

using TokenIds = std::vector<int64_t>;

// Tokenizes a corpus, possibly from a cache keyed by tokenizer and data fingerprints.
using CorpusTokenizer = std::function<absl::StatusOr<std::shared_ptr<const TokenIds>>(const text::TextCorpus& corpus)>;

struct EvalEnv {
  const models::CausalLM* lm = nullptr;
  const text::Tokenizer* tokenizer = nullptr;
  models::AblationPlan plan;  // validated
  worker::JobContext* ctx = nullptr;
  CorpusTokenizer tokenize_corpus;  // required by perplexity and diagnostics
  int64_t max_length = 2048;        // context cap for multiple choice and generation
  int64_t default_batch_size = 1;   // when the spec leaves batch_size at 0
  uint64_t seed = 0;                // the job's seed (bootstrap)
  // Optional: un-ablated logits shared across jobs (perplexity drift). With
  // it, model_key must name the weights, dtype and tokenizer.
  BaselineCache* baseline_cache = nullptr;
  std::string model_key;
  // Optional: residual-stream prefixes shared across jobs (perplexity and
  // multiple choice; needs model_key). Results are the same with or without.
  ResidualCache* residual_cache = nullptr;
  // float32 logits alive at once per forward pass (perplexity, drift, multiple choice).
  int64_t logits_chunk_bytes = int64_t{64} << 20;
};

struct EvalOutput {
  std::vector<v1::Metric> metrics;
  std::string dataset_fingerprint;
  int64_t tokens_evaluated = 0;
};

absl::StatusOr<EvalOutput> RunPerplexity(const EvalEnv& env, const v1::PerplexityEval& spec);
absl::StatusOr<EvalOutput> RunMultipleChoice(const EvalEnv& env, const v1::MultipleChoiceEval& spec);
absl::StatusOr<EvalOutput> RunGeneration(const EvalEnv& env, const v1::GenerationEval& spec);
absl::StatusOr<EvalOutput> RunDiagnostics(const EvalEnv& env, const v1::DiagnosticsEval& spec);

// Helpers shared by the Run* files.
v1::Metric MakeMetric(const std::string& name, double value, const std::string& detail_json = "");
absl::StatusOr<TokenIds> EncodeText(const text::Tokenizer& tok, absl::string_view text);
// The token that precedes a document for rolling / empty-context scoring, as
// lm-eval's prefix_token_id: BOS if the tokenizer has one, else EOS, else the
// model config's eos/bos. FailedPrecondition if none is known.
absl::StatusOr<int64_t> PrefixToken(const text::Tokenizer& tok, const ModelConfig& config);

}  // namespace ablate::eval

#endif  // ABLATE_WORKER_EVAL_EVALUATIONS_H_
