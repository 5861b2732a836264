// gated_delta_net.h: Qwen3.5's Gated DeltaNet token mixer and the gated delta
// rule in two forms: chunked (prefill; matmuls within chunks, a loop over
// chunks only) and recurrent (one step per token; decode, and the test oracle).
//
// Block: in_proj_qkv -> causal depthwise conv + SiLU over [q|k|v] -> split;
// beta = sigmoid(in_proj_b x); g = -exp(A_log) * softplus(in_proj_a x + dt_bias);
// q, k L2-normalised, q scaled by dk^-0.5, q/k heads repeat_interleave'd up to
// the value heads; out = out_proj(GatedRMSNorm_per_head(core, in_proj_z x)).
// The rule runs in float32 whatever the model dtype. Weight names follow HF
// (in_proj_qkv, in_proj_z, in_proj_b, in_proj_a, conv1d, A_log, dt_bias, norm, out_proj).
//
//   DeltaRuleOutput r = ChunkedGatedDeltaRule(q, k, v, g, beta, /*initial_state=*/{}, 64);
#ifndef ABLATE_WORKER_MODELS_BLOCKS_GATED_DELTA_NET_H_
#define ABLATE_WORKER_MODELS_BLOCKS_GATED_DELTA_NET_H_

#include "worker/models/blocks/causal_conv.h"
#include "worker/models/blocks/linear.h"
#include "worker/models/blocks/mixer.h"
#include "worker/models/blocks/rms_norm.h"

namespace ablate::models {

struct DeltaRuleOutput {
  torch::Tensor out;    // [B, T, Hv, Dv] in q's dtype
  torch::Tensor state;  // [B, Hv, Dk, Dv] float32, the state after the last token
};

// Float32 elements of one [B, heads, T, D] temporary of the chunked rule
// (4 MiB): a long prefill runs the rule over groups of heads this size, so
// its temporaries (about ten such tensors) stay bounded whatever T is. Heads
// are independent, so the grouping changes no number (BlocksTest).
inline constexpr int64_t kDeltaRuleGroupElements = int64_t{1} << 20;

// q, k: [B, T, Hk, Dk]; v: [B, T, Hv, Dv] (Hv a multiple of Hk); g (log decay,
// <= 0), beta: [B, T, Hv]; initial_state: [B, Hv, Dk, Dv] or undefined (zeros).
// q and k are L2-normalised inside (eps 1e-6) and q scaled by Dk^-0.5.
DeltaRuleOutput ChunkedGatedDeltaRule(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                      const torch::Tensor& g, const torch::Tensor& beta,
                                      const torch::Tensor& initial_state, int64_t chunk_size,
                                      int64_t group_elements = kDeltaRuleGroupElements);
// Same contract, one token at a time (the reference recurrence).
DeltaRuleOutput RecurrentGatedDeltaRule(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                        const torch::Tensor& g, const torch::Tensor& beta,
                                        const torch::Tensor& initial_state);

struct GatedDeltaNetOptions {
  int64_t hidden = 0;
  int64_t num_k_heads = 16;
  int64_t num_v_heads = 32;  // multiple of num_k_heads
  int64_t k_head_dim = 128;
  int64_t v_head_dim = 128;
  int64_t conv_kernel = 4;
  int64_t chunk_size = 64;  // fixed in the reference
  double norm_eps = 1e-6;   // gated output norm
};

class GatedDeltaNetImpl : public MixerImpl {
 public:
  explicit GatedDeltaNetImpl(const GatedDeltaNetOptions& options);
  // Chunked rule for prefill (and multi-token steps); recurrent for one-token steps.
  torch::Tensor Forward(const torch::Tensor& x, const MixerInputs& in, MixerState* state) override;
  void Initialize(double std, at::Generator& gen) override;

 private:
  GatedDeltaNetOptions o_;
  Linear in_proj_qkv_{nullptr}, in_proj_z_{nullptr}, in_proj_b_{nullptr}, in_proj_a_{nullptr}, out_proj_{nullptr};
  CausalConv1d conv1d_{nullptr};
  GatedRMSNorm norm_{nullptr};
  torch::Tensor A_log_, dt_bias_;
};

}  // namespace ablate::models

#endif  // ABLATE_WORKER_MODELS_BLOCKS_GATED_DELTA_NET_H_
