// mamba2.h: the Mamba-2 mixer (Falcon-H1's SSM branch) and its selective
// state-space scan in two forms: chunked SSD (prefill; matmuls within chunks,
// a loop over chunks only) and sequential (one step per token; decode and the
// test oracle).
//
// Block: in_proj -> [z | x | B | C | dt] (each segment times its muP multiplier)
// -> causal depthwise conv + SiLU over [x | B | C] -> dt = clamp(softplus(dt +
// dt_bias), limits), A = -exp(A_log) -> scan (float32) + D * x -> gated RMSNorm
// over n_groups (or y * silu(z)) -> out_proj. Weight names follow HF (in_proj,
// conv1d, dt_bias, A_log, D, norm, out_proj).
//
//   SsdOutput r = ChunkedSsdScan(x, dt, A, B, C, /*initial_state=*/{}, 256);
#ifndef ABLATE_WORKER_MODELS_BLOCKS_MAMBA2_H_
#define ABLATE_WORKER_MODELS_BLOCKS_MAMBA2_H_

#include <array>
#include <limits>

#include "worker/models/blocks/causal_conv.h"
#include "worker/models/blocks/linear.h"
#include "worker/models/blocks/mixer.h"
#include "worker/models/blocks/rms_norm.h"

namespace ablate::models {

struct SsdOutput {
  torch::Tensor out;    // [B, T, H, P] float32 (without the D skip)
  torch::Tensor state;  // [B, H, P, N] float32 after the last token
};

// x: [B, T, H, P]; dt: [B, T, H] (already softplus'ed and clamped); A: [H] (< 0);
// B, C: [B, T, G, N] with G dividing H (head h uses group h / (H/G));
// initial_state: [B, H, P, N] or undefined (zeros). All computed in float32.
SsdOutput ChunkedSsdScan(const torch::Tensor& x, const torch::Tensor& dt, const torch::Tensor& A,
                         const torch::Tensor& B, const torch::Tensor& C, const torch::Tensor& initial_state,
                         int64_t chunk_size);
// Same contract, one token at a time (the reference recurrence).
SsdOutput SequentialSsdScan(const torch::Tensor& x, const torch::Tensor& dt, const torch::Tensor& A,
                            const torch::Tensor& B, const torch::Tensor& C, const torch::Tensor& initial_state);

struct Mamba2Options {
  int64_t hidden = 0;
  int64_t d_ssm = 0;  // n_heads * head_dim
  int64_t n_heads = 0;
  int64_t head_dim = 0;
  int64_t n_groups = 1;
  int64_t d_state = 128;
  int64_t conv_kernel = 4;
  // mamba_chunk_size. Any chunk length gives the same result up to float
  // rounding; the block uses min(chunk_size, kMaxScanChunk) because the
  // intra-chunk work grows with the chunk length (2x faster at 128 than 256 on CPU).
  int64_t chunk_size = 256;
  bool conv_bias = true;
  bool proj_bias = false;  // in_proj bias
  bool out_bias = false;   // out_proj bias (Falcon-H1 projectors_bias)
  bool rms_norm = true;    // gated RMSNorm (else y * silu(z))
  bool norm_before_gate = false;
  double norm_eps = 1e-6;
  double dt_min = 0.0;  // time_step_limit
  double dt_max = std::numeric_limits<double>::infinity();
  std::array<double, 5> segment_multipliers = {1, 1, 1, 1, 1};  // z, x, B, C, dt (muP)
};

class Mamba2Impl : public MixerImpl {
 public:
  static constexpr int64_t kMaxScanChunk = 128;
  explicit Mamba2Impl(const Mamba2Options& options);
  // Chunked scan for prefill (and multi-token steps); sequential for one-token steps.
  torch::Tensor Forward(const torch::Tensor& x, const MixerInputs& in, MixerState* state) override;
  void Initialize(double std, at::Generator& gen) override;

 private:
  Mamba2Options o_;
  Linear in_proj_{nullptr}, out_proj_{nullptr};
  CausalConv1d conv1d_{nullptr};
  GatedRMSNorm norm_{nullptr};
  torch::Tensor dt_bias_, A_log_, D_;
  torch::Tensor mup_vector_;  // buffer [proj_size]; undefined when all multipliers are 1
};

}  // namespace ablate::models

#endif  // ABLATE_WORKER_MODELS_BLOCKS_MAMBA2_H_
