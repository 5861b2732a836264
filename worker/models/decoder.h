// decoder.h: the generic decoder-only stack every family is wired into.
//
// A layer is: h = input_norm(x); x = x + sum_m out_mult_m * mixer_m(h * in_mult_m)
// (one mixer for Qwen2/Qwen3.5, Mamba-2 + attention in parallel for Falcon-H1);
// x = x + mlp(post_norm(x)). The model is embed (x embedding multiplier) ->
// layers -> final norm -> lm_head (x lm_head multiplier; tied to the embedding
// when the config says so). Families only fill a DecoderSpec (families/*.cc).
//
// Module names equal the Hugging Face weight names: the module tree is the
// weight-name table ("model.layers.3.self_attn.q_proj.weight", "lm_head.weight").
//
// Ablation happens here, never in the weights: a LayerPlan may skip the layer
// (output = input) or scale/zero a branch's output (factor 0 = zero; residual
// and other branches still run).
//
// Thread-safety: immutable after loading; concurrent forwards are fine as long
// as each uses its own state vectors.
#ifndef ABLATE_WORKER_MODELS_DECODER_H_
#define ABLATE_WORKER_MODELS_DECODER_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ablate/v1/spec.pb.h"
#include "worker/models/blocks/linear.h"
#include "worker/models/blocks/mixer.h"
#include "worker/models/blocks/mlp.h"
#include "worker/models/blocks/rms_norm.h"
#include "worker/models/blocks/rotary.h"
#include "worker/models/causal_lm.h"

namespace ablate::models {

struct MixerSlot {
  std::string name;                         // module name in the layer ("self_attn", "linear_attn", "mamba")
  v1::Component component = v1::ATTENTION;  // what a plan calls this branch
  std::shared_ptr<MixerImpl> module;
  double in_multiplier = 1.0;   // applied to the normed input (Falcon-H1)
  double out_multiplier = 1.0;  // applied to the branch output (Falcon-H1)
};

struct DecoderLayerSpec {
  std::vector<MixerSlot> mixers;  // parallel, summed in this order
  std::string input_norm_name = "input_layernorm";
  std::string post_norm_name = "post_attention_layernorm";
  std::string mlp_name = "mlp";
  RMSNormOptions norm;  // both layer norms
  MlpOptions mlp;
};

struct DecoderSpec {
  int64_t vocab = 0;
  int64_t hidden = 0;
  std::vector<DecoderLayerSpec> layers;
  RMSNormOptions final_norm;
  std::string final_norm_name = "norm";
  bool tie_embeddings = false;
  double embedding_multiplier = 1.0;
  double lm_head_multiplier = 1.0;
  bool has_rotary = false;  // some layer uses RoPE tables
  RotaryOptions rotary;
  double initializer_range = 0.02;
};

// What a plan does to one layer.
struct LayerPlan {
  bool skip = false;
  std::map<v1::Component, double> factor;  // branch output multiplier; absent = 1
};

// Per-call arguments of one layer.
struct LayerCall {
  int64_t index = 0;
  const MixerInputs* inputs = nullptr;
  std::vector<MixerState>* states = nullptr;  // one per mixer, or nullptr (stateless)
  const LayerPlan* plan = nullptr;            // nullptr: un-ablated
  ForwardTrace* trace = nullptr;
  bool capture_branches = false;
};

// Per-call arguments of the layer stack (DecoderModelImpl::Hidden).
struct StackCall {
  const std::vector<LayerPlan>* plans = nullptr;  // one per layer, or nullptr (un-ablated)
  ForwardTrace* trace = nullptr;
  bool capture_branches = false;
  // Start at this layer with start_hidden as its input (see ForwardOptions);
  // 0: from the embedding. Only without states and trace.
  int64_t start_layer = 0;
  torch::Tensor start_hidden;
  // Non-null: entries [start_layer, residuals_until] of the hidden state
  // entering each layer (index num_layers: the stack's output).
  std::vector<torch::Tensor>* residuals = nullptr;
  int64_t residuals_until = 0;
};

class DecoderLayerImpl : public torch::nn::Module {
 public:
  explicit DecoderLayerImpl(DecoderLayerSpec spec);
  torch::Tensor forward(const torch::Tensor& x, const LayerCall& call);
  void Initialize(double std, at::Generator& gen);
  const DecoderLayerSpec& spec() const { return spec_; }

 private:
  DecoderLayerSpec spec_;
  RMSNorm input_norm_{nullptr}, post_norm_{nullptr};
  Mlp mlp_{nullptr};
};
TORCH_MODULE(DecoderLayer);

// A torch::nn::Module holding one weight called "weight" (embeddings).
class WeightHolderImpl : public torch::nn::Module {
 public:
  explicit WeightHolderImpl(std::vector<int64_t> shape) { weight = register_parameter("weight", torch::empty(shape)); }
  torch::Tensor weight;
};
TORCH_MODULE(WeightHolder);

// The whole network: "model" {embed_tokens, layers, <final norm>} and "lm_head".
class DecoderModelImpl : public torch::nn::Module {
 public:
  explicit DecoderModelImpl(DecoderSpec spec);

  // ids: int64 [B, T] on the model's device; offset: position of ids[:, 0].
  // states: one vector per layer (or nullptr). Returns the final hidden state
  // BEFORE the final norm [B, T, H] in the model dtype; fills call.trace and
  // call.residuals if given.
  torch::Tensor Hidden(const torch::Tensor& ids, int64_t offset, std::vector<std::vector<MixerState>>* states,
                       const StackCall& call);
  torch::Tensor FinalNorm(const torch::Tensor& h);    // model dtype in and out
  torch::Tensor LmHead(const torch::Tensor& normed);  // float32 logits
  void Initialize(uint64_t seed);                     // CPU, before moving to a device

  const DecoderSpec& spec() const { return spec_; }
  int64_t num_layers() const { return static_cast<int64_t>(layers_.size()); }
  const DecoderLayerImpl& layer(int64_t i) const { return *layers_[i]; }

 private:
  DecoderSpec spec_;
  std::shared_ptr<torch::nn::Module> inner_;  // "model"
  WeightHolder embed_{nullptr};
  std::vector<DecoderLayer> layers_;
  RMSNorm final_norm_{nullptr};
  Linear lm_head_{nullptr};  // null when tied
  std::unique_ptr<RotaryEmbedding> rotary_;
};
TORCH_MODULE(DecoderModel);

}  // namespace ablate::models

#endif  // ABLATE_WORKER_MODELS_DECODER_H_
