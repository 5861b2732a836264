// request_limits.h: the size limits every request is checked against, for
// every caller, before anything proportional to the request is allocated.
//
// One struct, defined here and nowhere else: the coordinator's flags fill it
// (coordinator/main.cc), the core enforces it (SubmitSweep, CompleteJob,
// list replies), the expander and the config.json parser take it (layers,
// grid, trials), and `ablate expand` uses the same defaults. docs/limits.md
// lists every field with its flag and default.
//
// A request over a limit is InvalidArgument (a count or a shape) or
// ResourceExhausted (a size in bytes); the message names the limit, its value
// and the flag that raises it. LimitError builds that message.
//
// Thread-safety: a plain value; copy it freely.
//
//   RequestLimits limits;            // defaults
//   limits.max_layers_per_model = 8192;
//   RETURN_IF_ERROR(CheckCount("models", spec.models_size(), limits.max_models, "max-models"));
#ifndef ABLATE_COMMON_REQUEST_LIMITS_H_
#define ABLATE_COMMON_REQUEST_LIMITS_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace ablate {

struct RequestLimits {
  // ---- sweeps (SubmitSweep, ablate expand) ----
  int64_t max_spec_bytes = 1 << 20;          // serialized SweepSpec, and spec_text, each
  int64_t max_name_bytes = 256;              // sweep, model, evaluation and ablation names
  int64_t max_label_bytes = 1024;            // a condition label (name + kind + component + index)
  int64_t max_path_bytes = 4096;             // a model / tokenizer / dataset path
  int64_t max_models = 64;                   // models per spec
  int64_t max_evaluations = 64;              // evaluations per spec
  int64_t max_ablations = 1024;              // ablation entries per spec
  int64_t max_seeds = 1024;                  // seeds per spec
  int64_t max_layers_per_model = 4096;       // num_hidden_layers in a config.json
  int64_t max_random_trials = 100000;        // trials of one random / progressive ablation
  int64_t max_jobs_per_sweep = 1000000;      // grid size, whatever execution.max_jobs says
  int64_t max_targets_per_sweep = 20000000;  // sum over jobs of explicit targets (memory of a grid)
  int64_t max_config_bytes = 4 << 20;        // one config.json file
  int64_t expansion_timeout_ms = 60000;      // an expansion running longer is cancelled
  // ---- what one job may ask of a worker (the worker's memory per forward) ----
  int64_t max_eval_tokens = 65536;  // a sequence: perplexity max_length / num_tokens, diagnostics
                                    // num_tokens, generation max_new_tokens
  int64_t max_eval_batch = 64;      // batch_size of any evaluation (sequences per forward)
  int64_t max_fewshot = 64;         // num_fewshot of a multiple-choice or generation evaluation
  // ---- results (CompleteJob) ----
  int64_t max_metrics_per_result = 1024;  // metrics in one JobResult
  int64_t max_metric_name_bytes = 256;    // one metric name
  int64_t max_detail_bytes = 1 << 20;     // detail_json of one metric
  int64_t max_result_bytes = 8 << 20;     // all of one CompleteJob request
  // ---- replies and messages ----
  int64_t max_reply_bytes = 16 << 20;            // a list page stops growing past this (ListSweeps,
                                                 // ListJobs, QueryResults); one row always fits
  int64_t max_receive_message_bytes = 32 << 20;  // gRPC server receive limit (whole request)
};

// The limit a client needs on its receive side so that every legal reply fits:
// a full page plus the one row that may overshoot it, with room to spare.
inline constexpr int kClientMaxReceiveBytes = 64 << 20;

// InvalidArgument "<what>: <value> is more than the limit of <limit> (<flag>)".
absl::Status LimitError(absl::string_view what, int64_t value, int64_t limit, absl::string_view flag);
// ResourceExhausted, same message, for sizes in bytes.
absl::Status SizeLimitError(absl::string_view what, int64_t bytes, int64_t limit, absl::string_view flag);

// OK when value <= limit, else LimitError.
absl::Status CheckCount(absl::string_view what, int64_t value, int64_t limit, absl::string_view flag);
// OK when bytes <= limit, else SizeLimitError.
absl::Status CheckBytes(absl::string_view what, int64_t bytes, int64_t limit, absl::string_view flag);

}  // namespace ablate

#endif  // ABLATE_COMMON_REQUEST_LIMITS_H_
