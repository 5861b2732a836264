// mixer.h: the interface every token mixer block implements (attention, Gated
// DeltaNet, Mamba-2), plus the per-call inputs they share.
//
// A mixer maps a normed hidden state [B, T, H] to its branch output [B, T, H].
// With a MixerState it also consumes/extends the incremental-decoding state
// (KV cache, conv and recurrent states), so that feeding a sequence in pieces
// gives the same outputs as feeding it whole.
//
// Thread-safety: a mixer is immutable after loading; Forward may run on several
// threads at once if each uses its own MixerState.
#ifndef ABLATE_WORKER_MODELS_BLOCKS_MIXER_H_
#define ABLATE_WORKER_MODELS_BLOCKS_MIXER_H_

#include <torch/nn/module.h>
#include <torch/types.h>

#include <cstdint>

namespace ablate::models {

// Per-layer, per-mixer incremental state; tensors are undefined until first use.
struct MixerState {
  torch::Tensor key, value;  // attention: [B, Hkv, S, D] (after RoPE)
  torch::Tensor conv;        // GDN / Mamba-2: last K-1 conv inputs [B, C, K-1]
  torch::Tensor recurrent;   // GDN: [B, Hv, Dk, Dv] f32; Mamba-2: [B, H, P, N] f32
};

// What every mixer of a forward call shares.
struct MixerInputs {
  torch::Tensor cos, sin;  // RoPE tables for this call's positions [T, rotary_dim] (model dtype)
  int64_t offset = 0;      // absolute position of the first token
};

class MixerImpl : public torch::nn::Module {
 public:
  // x: [B, T, H] in the model dtype. state: nullptr for a stateless full forward.
  virtual torch::Tensor Forward(const torch::Tensor& x, const MixerInputs& in, MixerState* state) = 0;
  // Fills the parameters like Hugging Face's _init_weights (normal(0, std) for
  // projections; block-specific constants elsewhere). CPU parameters.
  virtual void Initialize(double std, at::Generator& gen) = 0;
};

}  // namespace ablate::models

#endif  // ABLATE_WORKER_MODELS_BLOCKS_MIXER_H_
