// lm_evaluator.h: the product Evaluator: job -> model from a bounded cache
// (loaded once, reused across jobs) -> evaluation with the job's ablation
// targets -> metrics. LibTorch errors become a failed attempt with the
// message; out-of-memory lowers the batch and retries once.
//
//   ASSIGN_OR_RETURN(auto evaluator, CreateLmEvaluator({.device = "cpu"}));
//   WorkerRuntime runtime(options, std::move(evaluator));
#ifndef ABLATE_WORKER_EVAL_LM_EVALUATOR_H_
#define ABLATE_WORKER_EVAL_LM_EVALUATOR_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "worker/evaluator.h"

namespace ablate::eval {

struct LmEvaluatorOptions {
  std::string device = "cpu";      // "cpu" or "cuda:N"
  int32_t max_cached_models = 2;   // models kept resident (LRU)
  int64_t max_cache_bytes = 0;     // 0: no byte bound beyond max_cached_models
  int32_t num_threads = 0;         // CPU threads per job, split by models::ChooseThreadPolicy; 0: the available cores
  int64_t max_length = 2048;       // context cap (tokens) for multiple choice and generation
  int64_t default_batch_size = 1;  // when an evaluation's batch_size is 0
  int32_t max_cached_tokenizers = 4;                      // tokenizers kept loaded (LRU)
  int32_t max_cached_corpora = 4;                         // tokenized perplexity/diagnostics corpora kept (LRU)
  std::string code_version;                               // stored with results; empty: the build's version
  int64_t max_baseline_cache_bytes = int64_t{512} << 20;  // un-ablated logits kept for drift; 0: off
  // Residual-stream reuse across jobs (residual_cache.h): on, a job that
  // ablates only layers >= L starts its forward at L from the un-ablated
  // states an earlier job on the same model and input computed. Same numbers
  // either way (--reuse off is for comparison and debugging).
  bool reuse = true;
  int64_t max_reuse_cache_bytes = int64_t{1} << 30;  // hidden states kept (model's device memory)
  int64_t logits_chunk_bytes = int64_t{64} << 20;    // float32 logits alive at once per forward pass
};

// InvalidArgument for a bad device string; Unavailable if CUDA is requested but absent.
absl::StatusOr<std::unique_ptr<worker::Evaluator>> CreateLmEvaluator(const LmEvaluatorOptions& options);

}  // namespace ablate::eval

#endif  // ABLATE_WORKER_EVAL_LM_EVALUATOR_H_
