// causal_lm.h: the model zoo's public interface. A loaded Hugging Face
// checkpoint (Qwen2-style transformer, Qwen3.5 hybrid, Falcon-H1) as a causal
// language model whose forward pass can apply an ablation plan.
//
// Invariants: weights are never modified by a plan (one resident model serves
// every job); Forward/Step are const and may run on several threads at once
// only if each thread uses its own DecodeState. Inputs are right-padded when
// batched: causal models never look ahead, so padding after a sequence never
// changes its logits and no attention mask is needed.
//
// No exception leaves this module through the Status-returning functions;
// Forward/Step may throw c10::Error on misuse (the worker's evaluation
// boundary catches it).
//
//   ASSIGN_OR_RETURN(auto lm, LoadCausalLM(dir, {.device = torch::kCPU}));
//   AblationPlan plan = {{.layer = 3, .component = v1::ATTENTION, .mode = v1::ZERO}};
//   RETURN_IF_ERROR(ValidatePlan(lm->config(), plan));
//   torch::Tensor logits = lm->Forward(ids, {.plan = &plan});  // [B, T, V] float32
//   torch::Tensor h = lm->ForwardHidden(ids, {.plan = &plan});  // [B, T, H]; LmHead(h[.., t0:t1, :]) per chunk
#ifndef ABLATE_WORKER_MODELS_CAUSAL_LM_H_
#define ABLATE_WORKER_MODELS_CAUSAL_LM_H_

#include <torch/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "ablate/v1/spec.pb.h"
#include "absl/status/statusor.h"
#include "common/model_config.h"

namespace ablate::models {

// One ablation target inside the forward pass.
struct AblationTarget {
  int64_t layer = 0;
  v1::Component component = v1::LAYER;  // LAYER only with SKIP_LAYER
  v1::AblationMode mode = v1::ZERO;     // SKIP_LAYER ignores component
  double scale = 0.0;                   // SCALE only
};
using AblationPlan = std::vector<AblationTarget>;

// OK if every target names an existing layer and a component that layer has.
// InvalidArgument naming the offending target otherwise.
absl::Status ValidatePlan(const ModelConfig& config, const AblationPlan& plan);

// What a forward pass may record for the diagnostics (all on the model's device).
struct ForwardTrace {
  std::vector<torch::Tensor> layer_inputs;   // [B, T, H] per layer (residual stream in)
  std::vector<torch::Tensor> layer_outputs;  // [B, T, H] per layer (residual stream out)
  // Raw branch output (before any Falcon-H1 out-multiplier), keyed by (layer, component).
  std::map<std::pair<int64_t, v1::Component>, torch::Tensor> branch_outputs;
  torch::Tensor final_hidden;  // [B, T, H] after the final norm
};

struct ForwardOptions {
  const AblationPlan* plan = nullptr;  // nullptr or empty: un-ablated
  ForwardTrace* trace = nullptr;       // non-null: fill it
  bool capture_branches = false;       // also fill trace->branch_outputs
  // Residual-stream reuse (full-sequence Forward/ForwardHidden only, no trace).
  // start_layer > 0: skip the embedding and layers [0, start_layer) and feed
  // start_hidden ([B, T, H], model dtype) into layer start_layer; it must be
  // the un-ablated hidden state entering that layer for these input_ids (a
  // `residuals` entry of an earlier call). start_layer == num_layers is allowed
  // (start_hidden is then the stack's output). For a full-sequence forward the
  // hidden state entering a layer is all that layer and the ones after it need
  // (rotary tables come from positions; multipliers and layer kinds are per layer).
  int64_t start_layer = 0;
  torch::Tensor start_hidden;
  // Non-null: resized to num_layers + 1; entry i is set, for start_layer <= i <=
  // FirstAblatedLayer(plan), to the hidden state entering layer i (entry
  // num_layers: the stack's output before the final norm). Those entries equal
  // the un-ablated model's, so any later plan that leaves layers < i alone may
  // start from them. Other entries stay undefined.
  std::vector<torch::Tensor>* residuals = nullptr;
};

// The first layer a plan touches (any target, even a scale of 1); num_layers
// when the plan is empty. Layers before it compute exactly the un-ablated model.
int64_t FirstAblatedLayer(const ModelConfig& config, const AblationPlan& plan);

// Incremental decoding state: KV cache, conv and recurrent states. Opaque.
class DecodeState {
 public:
  virtual ~DecodeState() = default;
  virtual int64_t position() const = 0;  // tokens consumed so far
};

struct LoadOptions {
  torch::Device device = torch::kCPU;
  torch::ScalarType dtype = torch::kFloat32;  // kFloat32, kBFloat16, kHalf
  // Forward/Step/FinalNorm/LmHead run under c10::InferenceMode and parameters
  // do not require grad. false: plain autograd mode (training, issue 5).
  bool inference = true;
};

class CausalLM {
 public:
  virtual ~CausalLM() = default;

  virtual const ModelConfig& config() const = 0;
  virtual torch::Device device() const = 0;
  virtual int64_t parameter_count() const = 0;

  // Full-sequence forward. input_ids: int64 [B, T]. Returns float32 logits
  // [B, T, V] (Falcon-H1: lm_head_multiplier included).
  virtual torch::Tensor Forward(const torch::Tensor& input_ids, const ForwardOptions& options = {}) const = 0;

  // The same forward up to the final norm: [B, T, H] in the model dtype, with
  // Forward(ids, o) == LmHead(ForwardHidden(ids, o)) bit for bit. Lets callers
  // apply the LM head to a few positions at a time instead of holding [B, T, V].
  virtual torch::Tensor ForwardHidden(const torch::Tensor& input_ids, const ForwardOptions& options = {}) const = 0;

  // Incremental decoding: feed T_new >= 1 tokens, get their logits [B, T_new, V].
  // Equal (within float rounding) to the matching rows of Forward on the concatenation
  // with the same plan. Use one plan for every Step on a state: a skipped layer
  // does not extend its cache.
  virtual std::unique_ptr<DecodeState> NewState(int64_t batch) const = 0;
  virtual torch::Tensor Step(const torch::Tensor& input_ids, DecodeState* state,
                             const ForwardOptions& options = {}) const = 0;

  // Pieces for the logit lens: final norm of a hidden state, and the LM head
  // (with its multiplier) applied to a normed hidden state. Both float32 out.
  virtual torch::Tensor FinalNorm(const torch::Tensor& hidden) const = 0;
  virtual torch::Tensor LmHead(const torch::Tensor& normed_hidden) const = 0;

  // The parameters (the live tensors, not copies) under their checkpoint names
  // ("model.layers.0.mlp.up_proj.weight", "lm_head.weight" unless tied), e.g.
  // for an optimizer or WriteSafetensors. Empty for models without parameters.
  virtual std::vector<std::pair<std::string, torch::Tensor>> NamedParameters() const { return {}; }
};

// Loads <dir>/config.json and its safetensors (single or sharded). Errors name
// the file and tensor: missing/unexpected tensors, shape mismatches, bad files.
absl::StatusOr<std::unique_ptr<CausalLM>> LoadCausalLM(const std::string& dir, const LoadOptions& options = {});

// A model of `config`'s architecture with fresh weights drawn like Hugging
// Face's _init_weights (normal(0, initializer_range) projections/embeddings,
// norm weights 1 (0 for zero-centred norms), block-specific SSM constants),
// deterministic in `seed` whatever the device. InvalidArgument on a bad config.
absl::StatusOr<std::unique_ptr<CausalLM>> CreateCausalLM(const ModelConfig& config, const LoadOptions& options,
                                                         uint64_t seed);

}  // namespace ablate::models

#endif  // ABLATE_WORKER_MODELS_CAUSAL_LM_H_
