// causal_lm.cc: the CausalLM implementation over DecoderModel, plan
// resolution, checkpoint loading and fresh creation (see causal_lm.h).
#include "worker/models/causal_lm.h"

#include <c10/core/InferenceMode.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/allocation_policy.h"
#include "common/status_macros.h"
#include "worker/models/decoder.h"
#include "worker/models/families/registry.h"
#include "worker/models/model_builder.h"
#include "worker/models/safetensors.h"
#include "worker/models/safetensors_torch.h"

namespace ablate::models {
namespace {

std::string ShapeString(c10::IntArrayRef s) { return absl::StrCat("[", absl::StrJoin(s, ", "), "]"); }

class State : public DecodeState {
 public:
  State(int64_t batch, const DecoderModelImpl& model) : batch_(batch) {
    for (int64_t i = 0; i < model.num_layers(); ++i) layers_.emplace_back(model.layer(i).spec().mixers.size());
  }
  int64_t position() const override { return position_; }
  int64_t batch_ = 0;
  int64_t position_ = 0;
  std::vector<std::vector<MixerState>> layers_;
};

// Plan -> per-layer actions. REQUIRES: ValidatePlan(config, plan) is OK.
std::vector<LayerPlan> Resolve(const ModelConfig& config, const AblationPlan& plan) {
  std::vector<LayerPlan> out(config.num_layers);
  for (const AblationTarget& t : plan) {
    LayerPlan& l = out[t.layer];
    if (t.mode == v1::SKIP_LAYER) {
      l.skip = true;
      continue;
    }
    auto [it, inserted] = l.factor.emplace(t.component, 1.0);
    it->second *= t.mode == v1::ZERO ? 0.0 : t.scale;
  }
  return out;
}

class DecoderLM : public CausalLM {
 public:
  DecoderLM(ModelConfig config, DecoderModel model, LoadOptions options)
      : config_(std::move(config)), model_(model.ptr()), options_(options) {
    for (const auto& p : model_->parameters()) parameter_count_ += p.numel();
  }

  const ModelConfig& config() const override { return config_; }
  torch::Device device() const override { return options_.device; }
  int64_t parameter_count() const override { return parameter_count_; }

  torch::Tensor Forward(const torch::Tensor& input_ids, const ForwardOptions& options) const override {
    std::optional<c10::InferenceMode> guard;
    if (options_.inference) guard.emplace();
    return model_->LmHead(NormedHidden(input_ids, options));
  }

  torch::Tensor ForwardHidden(const torch::Tensor& input_ids, const ForwardOptions& options) const override {
    std::optional<c10::InferenceMode> guard;
    if (options_.inference) guard.emplace();
    return NormedHidden(input_ids, options);
  }

  std::unique_ptr<DecodeState> NewState(int64_t batch) const override {
    return std::make_unique<State>(batch, *model_);
  }

  torch::Tensor Step(const torch::Tensor& input_ids, DecodeState* state, const ForwardOptions& options) const override {
    auto* s = dynamic_cast<State*>(state);
    TORCH_CHECK(s != nullptr, "Step: state was not made by this model's NewState");
    TORCH_CHECK(input_ids.dim() == 2 && input_ids.size(0) == s->batch_, "Step: expected input_ids [", s->batch_,
                ", T]");
    std::optional<c10::InferenceMode> guard;
    if (options_.inference) guard.emplace();
    TORCH_CHECK(options.start_layer == 0 && options.residuals == nullptr,
                "Step: residual-stream reuse is for full-sequence forwards only");
    std::vector<LayerPlan> plans = Plans(options);
    StackCall call;
    call.plans = plans.empty() ? nullptr : &plans;
    call.trace = options.trace;
    call.capture_branches = options.capture_branches;
    torch::Tensor h = model_->Hidden(input_ids.to(options_.device), s->position_, &s->layers_, call);
    s->position_ += input_ids.size(1);
    torch::Tensor normed = model_->FinalNorm(h);
    if (options.trace) options.trace->final_hidden = normed;
    return model_->LmHead(normed);
  }

  torch::Tensor FinalNorm(const torch::Tensor& hidden) const override {
    std::optional<c10::InferenceMode> guard;
    if (options_.inference) guard.emplace();
    return model_->FinalNorm(hidden.to(options_.device, options_.dtype)).to(torch::kFloat32);
  }

  torch::Tensor LmHead(const torch::Tensor& normed_hidden) const override {
    std::optional<c10::InferenceMode> guard;
    if (options_.inference) guard.emplace();
    return model_->LmHead(normed_hidden.to(options_.device));
  }

  std::vector<std::pair<std::string, torch::Tensor>> NamedParameters() const override {
    std::vector<std::pair<std::string, torch::Tensor>> out;
    for (const auto& item : model_->named_parameters())
      out.emplace_back(CheckpointName(config_, item.key()), item.value());
    return out;
  }

 private:
  torch::Tensor NormedHidden(const torch::Tensor& input_ids, const ForwardOptions& options) const {
    std::vector<LayerPlan> plans = Plans(options);
    StackCall call;
    call.plans = plans.empty() ? nullptr : &plans;
    call.trace = options.trace;
    call.capture_branches = options.capture_branches;
    call.start_layer = options.start_layer;
    call.start_hidden = options.start_hidden;
    call.residuals = options.residuals;
    if (options.residuals != nullptr)
      call.residuals_until = options.plan ? FirstAblatedLayer(config_, *options.plan) : config_.num_layers;
    torch::Tensor h = model_->Hidden(input_ids.to(options_.device), 0, nullptr, call);
    torch::Tensor normed = model_->FinalNorm(h);
    if (options.trace) options.trace->final_hidden = normed;
    return normed;
  }

  std::vector<LayerPlan> Plans(const ForwardOptions& options) const {
    if (options.plan == nullptr || options.plan->empty()) return {};
    absl::Status s = ValidatePlan(config_, *options.plan);
    TORCH_CHECK(s.ok(), std::string(s.message()));
    return Resolve(config_, *options.plan);
  }

  ModelConfig config_;
  std::shared_ptr<DecoderModelImpl> model_;
  LoadOptions options_;
  int64_t parameter_count_ = 0;
};

absl::Status CheckOptions(const LoadOptions& o) {
  if (o.dtype != torch::kFloat32 && o.dtype != torch::kBFloat16 && o.dtype != torch::kHalf)
    return absl::InvalidArgumentError(
        absl::StrCat("unsupported model dtype ", c10::toString(o.dtype), " (float32, bfloat16, float16)"));
  // Some LibTorch builds lack reduced-precision matmul kernels on some devices
  // (1.13 has no float16 matmul on CPU): probe once instead of failing mid-forward.
  try {
    torch::NoGradGuard ng;
    at::Tensor probe = at::ones({2, 2}, at::TensorOptions().dtype(o.dtype).device(o.device));
    (void)at::linear(probe, probe);
  } catch (const c10::Error& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("dtype ", c10::toString(o.dtype), " on ", o.device.str(),
                     " is not supported by this LibTorch build: ", e.what_without_backtrace()));
  }
  return absl::OkStatus();
}

const FamilyRegistry& FamiliesOf(const LoadOptions& o) {
  return o.families != nullptr ? *o.families : FamilyRegistry::Product();
}

void Finish(DecoderModel& model, const LoadOptions& o) {
  if (o.inference) {
    for (auto& p : model->parameters()) p.set_requires_grad(false);
    model->eval();
  }
}

// Gives every parameter fresh uninitialised storage of the target dtype/device
// (the checkpoint fills it), without reading the float32 skeleton: a model is
// never held twice. Buffers carry values and are converted.
void AllocateFor(DecoderModel& model, const LoadOptions& o) {
  torch::NoGradGuard ng;
  const auto opts = torch::TensorOptions().dtype(o.dtype).device(o.device);
  for (auto& p : model->parameters()) p.set_data(torch::empty(p.sizes(), opts));
  for (auto& b : model->buffers()) b.set_data(b.to(opts));
}

// Copies every parameter from the checkpoint; errors name the tensor and file.
absl::Status LoadWeights(const std::string& dir, const ModelConfig& config, const FamilyTraits& traits,
                         DecoderModel& model) {
  ASSIGN_OR_RETURN(auto ckpt, Checkpoint::Open(dir));
  std::set<std::string> used;
  torch::NoGradGuard ng;
  for (const auto& item : model->named_parameters()) {
    const std::string name = CheckpointName(config, item.key());
    const TensorRef* ref = ckpt->Find(name);
    if (ref == nullptr) return absl::InvalidArgumentError(absl::StrCat(dir, ": missing tensor '", name, "'"));
    const StTensorInfo& info = *ref->info;
    torch::Tensor param = item.value();
    if (info.dtype == StDtype::kI64)
      return absl::InvalidArgumentError(
          absl::StrCat(*ref->file, ": tensor '", name, "' has dtype I64, expected a float type"));
    if (c10::IntArrayRef(info.shape) != param.sizes())
      return absl::InvalidArgumentError(absl::StrCat(*ref->file, ": tensor '", name, "' has shape ",
                                                     ShapeString(info.shape), ", expected ",
                                                     ShapeString(param.sizes())));
    param.copy_(MappedTensor(*ref));
    ReleasePages(*ref);  // the file's pages need not stay resident beside the weights
    used.insert(name);
  }
  for (const auto& [name, ref] : ckpt->tensors()) {
    if (used.count(name)) continue;
    bool ignored =
        absl::EndsWith(name, ".rotary_emb.inv_freq") || (config.tie_word_embeddings && name == "lm_head.weight");
    for (const auto& prefix : traits.ignored_weight_prefixes) ignored = ignored || absl::StartsWith(name, prefix);
    if (!ignored) return absl::InvalidArgumentError(absl::StrCat(*ref.file, ": unexpected tensor '", name, "'"));
  }
  return absl::OkStatus();
}

}  // namespace

std::string CheckpointName(const ModelConfig& config, const std::string& module_name) {
  if (absl::StartsWith(module_name, "model.")) return config.weight_prefix + module_name.substr(6);
  return module_name;
}

absl::StatusOr<DecoderModel> BuildDecoderModel(const ModelConfig& config, const FamilyRegistry& families) {
  const size_t layers = config.layer_components.empty() ? config.layer_kinds.size() : config.layer_components.size();
  if (static_cast<int64_t>(layers) != config.num_layers)
    return absl::InvalidArgumentError("config: the layer layout does not match num_hidden_layers");
  ASSIGN_OR_RETURN(const FamilyTraits* row, RowFor(families, config));
  ASSIGN_OR_RETURN(DecoderSpec spec, row->build(config));
  try {
    return DecoderModel(std::move(spec));
  } catch (const c10::Error& e) {
    return absl::InvalidArgumentError(absl::StrCat("config: ", e.what_without_backtrace()));
  }
}

int64_t FirstAblatedLayer(const ModelConfig& config, const AblationPlan& plan) {
  int64_t first = config.num_layers;
  for (const AblationTarget& t : plan) first = std::min(first, t.layer);
  return std::max<int64_t>(first, 0);
}

absl::Status ValidatePlan(const ModelConfig& config, const AblationPlan& plan) {
  for (size_t i = 0; i < plan.size(); ++i) {
    const AblationTarget& t = plan[i];
    const std::string where =
        absl::StrCat("ablation target ", i, " (layer ", t.layer, ", ", ComponentName(t.component), ")");
    if (t.layer < 0 || t.layer >= config.num_layers)
      return absl::InvalidArgumentError(absl::StrCat(where, ": layer out of range [0, ", config.num_layers, ")"));
    switch (t.mode) {
      case v1::SKIP_LAYER:
        continue;
      case v1::ZERO:
        break;
      case v1::SCALE:
        if (!std::isfinite(t.scale)) return absl::InvalidArgumentError(absl::StrCat(where, ": scale must be finite"));
        break;
      default:
        return absl::InvalidArgumentError(absl::StrCat(where, ": mode must be SKIP_LAYER, ZERO or SCALE"));
    }
    if (t.component == v1::LAYER)
      return absl::InvalidArgumentError(absl::StrCat(where, ": component 'layer' needs mode SKIP_LAYER"));
    if (!config.HasComponent(t.layer, t.component))
      return absl::InvalidArgumentError(absl::StrCat(where, ": that layer has no such component"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<CausalLM>> LoadCausalLM(const std::string& dir, const LoadOptions& options) {
  RETURN_IF_ERROR(CheckOptions(options));
  const FamilyRegistry& families = FamiliesOf(options);
  ASSIGN_OR_RETURN(ModelConfig config, ReadModelConfig(dir, families));
  ASSIGN_OR_RETURN(const FamilyTraits* row, RowFor(families, config));
  ASSIGN_OR_RETURN(DecoderModel model, BuildDecoderModel(config, families));
  try {
    AllocateFor(model, options);
    RETURN_IF_ERROR(LoadWeights(dir, config, *row, model));
    Finish(model, options);
  } catch (const c10::Error& e) {
    return absl::InternalError(absl::StrCat(dir, ": ", e.what_without_backtrace()));
  }
  // The float32 placeholders the modules were built with, and the load's own
  // buffers, are freed below the weights: give their pages back before the
  // first forward (Qwen3.5-0.8B bf16: ~0.14 GiB less peak RSS, docs/performance.md).
  ReleaseFreeMemory();
  return std::unique_ptr<CausalLM>(new DecoderLM(std::move(config), std::move(model), options));
}

absl::StatusOr<std::unique_ptr<CausalLM>> CreateCausalLM(const ModelConfig& config, const LoadOptions& options,
                                                         uint64_t seed) {
  RETURN_IF_ERROR(CheckOptions(options));
  ASSIGN_OR_RETURN(DecoderModel model, BuildDecoderModel(config, FamiliesOf(options)));
  try {
    model->Initialize(seed);
    model->to(options.device, options.dtype);
    Finish(model, options);
  } catch (const c10::Error& e) {
    return absl::InternalError(e.what_without_backtrace());
  }
  return std::unique_ptr<CausalLM>(new DecoderLM(config, std::move(model), options));
}

}  // namespace ablate::models
