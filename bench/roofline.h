// roofline.h: the forward of one model (a checkpoint, or a full-size config with
// random weights) against a GEMM roofline measured in the same run, for
// bench/models_bench --checkpoint/--config. The roofline is the FLOP/s of one
// [tokens x hidden] x [hidden x intermediate] matmul in the forward's dtype;
// the fraction is tokens/s / (GEMM FLOP/s / forward FLOPs per token).
// Forward FLOPs count every weight matmul (2 x rows x cols per token,
// the LM head included, tied or not) plus causal attention scores and values
// (2 x 2 x heads x head_dim x (T + 1) / 2 per full-attention layer); the
// Gated DeltaNet / Mamba-2 scans and depthwise convs are not counted (a few
// percent at these sizes), so the fraction slightly understates the work done.
// No state; prints to stdout.
//
//   RunRoofline({.config_path = "spec/testdata/qwen2.5-0.5b/config.json", .reps = 3});
#ifndef ABLATE_BENCH_ROOFLINE_H_
#define ABLATE_BENCH_ROOFLINE_H_

#include <torch/types.h>

#include <string>
#include <utility>
#include <vector>

namespace ablate::bench {

struct RooflineOptions {
  std::string checkpoint_dir;  // load these weights, or
  std::string config_path;     // build this config.json with random weights
  // Apply models::ChooseThreadPolicy(0, dtype) per dtype (the product's
  // default); false: leave LibTorch's and OpenBLAS's defaults. (The allocation
  // policy is the caller's: it must be set at process start.)
  bool thread_policy = true;
  int reps = 3;  // timed forwards per case (each after its own GEMM measurement)
  // After a case's timed forwards, one more under LibTorch's operator
  // profiler; prints the operators with the most self time (on the calling
  // thread: an operator's own intra-op threads count in its time).
  bool profile = false;
  // (dtype, sequence length) cases, run in this order, batch 1.
  std::vector<std::pair<torch::ScalarType, int64_t>> cases = {
      {torch::kFloat32, 512}, {torch::kFloat32, 2048}, {torch::kBFloat16, 512}};
};

// Runs the cases and prints one row per case; returns a process exit code.
int RunRoofline(const RooflineOptions& options);

}  // namespace ablate::bench

#endif  // ABLATE_BENCH_ROOFLINE_H_
