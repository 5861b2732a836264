// forward_batches.h: runs scoring windows through a model in right-padded
// batches and hands each window's logits to a callback, as WindowLogits: the
// final hidden states, with the LM head applied a bounded chunk of positions
// at a time (logits_chunk_bytes), so [T, V] logits never exist at once.
//
// With a ResidualCache, each forward starts at the deepest cached un-ablated
// hidden state at or before the plan's first ablated layer and stores the
// un-ablated states it computes (residual_cache.h); the numbers are the same
// bits as without it (the same kernels on the same inputs). When one layer's
// states over all the call's batches, times the layers, exceed the cache's
// budget, only some layers are kept, evenly spread (LayersToKeep), so every
// batch of every later job still starts part way up the stack.
//
// Right padding never changes a row's logits at its real positions (causal
// models never look ahead), so results are the same at any batch size up to
// float rounding of the batched matmuls. Windows are grouped longest first
// (stable, so the grouping is a pure function of the window lengths) and the
// callback is called in that grouped order, which does not depend on the
// batch size either.
//
// Out of memory (CUDA or CPU allocator) at batch size b > 1 halves the batch
// and retries the failed batch; this happens at most once per call, a second
// out-of-memory is thrown. Every other c10::Error propagates to the caller
// (the evaluation boundary turns it into a failed attempt).
// Cancellation is checked before each batch: Cancelled status.
//
// Thread-safety: the model is used const; callbacks run on the calling thread.
//
//   RETURN_IF_ERROR(ForwardWindows(lm, windows, {.batch_size = 8, .plan = &plan},
//       [&](size_t i, const WindowLogits& logits, const WindowLogits& base) { ...; return absl::OkStatus(); }));
#ifndef ABLATE_WORKER_EVAL_FORWARD_BATCHES_H_
#define ABLATE_WORKER_EVAL_FORWARD_BATCHES_H_

#include <ATen/ATen.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "worker/eval/residual_cache.h"
#include "worker/eval/window_logits.h"
#include "worker/eval/windows.h"
#include "worker/evaluator.h"
#include "worker/models/causal_lm.h"

namespace ablate::eval {

struct BatchOptions {
  int64_t batch_size = 1;                      // rows per forward; < 1 means 1
  const models::AblationPlan* plan = nullptr;  // nullptr: un-ablated
  bool with_baseline = false;                  // also run the un-ablated forward per batch
  worker::JobContext* ctx = nullptr;           // progress and cancellation; may be null
  std::string what = "windows";                // progress message prefix
  double progress_begin = 0.0;                 // progress range covered by this call
  double progress_end = 1.0;
  int64_t pad_token = 0;                           // any valid id; never scored
  int64_t logits_chunk_bytes = int64_t{64} << 20;  // float32 logits alive at once per pass (>= 1 row)
  ResidualCache* residuals = nullptr;              // non-null: residual-stream reuse across calls
  std::string residual_key;                        // names the model (weights, dtype); required with residuals
  // The evaluation runs an un-ablated pass per ablated job (drift, bootstrap):
  // when the budget cannot hold every layer's states, the kept ones include
  // the last layer's output (LayersToKeep). Must not vary between the jobs of
  // one evaluation.
  bool reuse_output_state = false;
};

struct BatchStats {
  int64_t forwards = 0;     // model calls (ablated + baseline)
  int64_t tokens = 0;       // real (unpadded) input tokens, ablated pass
  int64_t oom_retries = 0;  // 0 or 1
  int64_t final_batch_size = 0;
  int64_t layers_skipped = 0;  // layer computations saved by residual reuse (all passes)
};

// logits: positions [0, len(window.input)) of the ablated (or only) pass;
// baseline: the same for the un-ablated pass when with_baseline, else undefined.
using WindowCallback =
    std::function<absl::Status(size_t index, const WindowLogits& logits, const WindowLogits& baseline)>;

absl::Status ForwardWindows(const models::CausalLM& lm, const std::vector<ScoringWindow>& windows,
                            const BatchOptions& options, const WindowCallback& callback, BatchStats* stats = nullptr);

// True for CUDA and CPU allocator out-of-memory errors.
bool IsOutOfMemory(const c10::Error& e);

}  // namespace ablate::eval

#endif  // ABLATE_WORKER_EVAL_FORWARD_BATCHES_H_
