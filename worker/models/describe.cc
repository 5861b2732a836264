// describe.cc: see describe.h.
#include "worker/models/describe.h"

#include <map>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "worker/models/model_builder.h"
#include "worker/models/safetensors.h"

namespace ablate::models {
namespace {

absl::string_view KindName(LayerKind k) {
  switch (k) {
    case LayerKind::kFullAttention:
      return "attention";
    case LayerKind::kLinearAttention:
      return "gated_deltanet";
    case LayerKind::kParallelHybrid:
      return "mamba2+attention";
  }
  return "?";
}

}  // namespace

absl::StatusOr<ModelDescription> DescribeModel(const std::string& dir) {
  ModelDescription d;
  ASSIGN_OR_RETURN(d.config, LoadModelConfig(dir));
  ASSIGN_OR_RETURN(DecoderModel model, BuildDecoderModel(d.config));
  for (int64_t i = 0; i < model->num_layers(); ++i) {
    LayerDescription l;
    l.index = i;
    l.kind = d.config.layer_kinds[i];
    d.layers.push_back(l);
  }
  for (const auto& item : model->named_parameters()) {
    const std::string& name = item.key();
    const int64_t n = item.value().numel();
    d.parameter_count += n;
    if (absl::StartsWith(name, "model.embed_tokens.")) d.embedding_params += n;
    if (absl::StartsWith(name, "lm_head.")) d.lm_head_params += n;
    std::vector<std::string> parts = absl::StrSplit(name, '.');
    int64_t li = 0;
    if (parts.size() < 4 || parts[1] != "layers" || !absl::SimpleAtoi(parts[2], &li)) continue;
    LayerDescription& l = d.layers[li];
    l.params += n;
    const DecoderLayerSpec& spec = model->layer(li).spec();
    std::optional<v1::Component> comp;
    for (const MixerSlot& m : spec.mixers)
      if (m.name == parts[3]) comp = m.component;
    if (parts[3] == spec.mlp_name) comp = v1::MLP;
    if (!comp) {
      l.norm_params += n;
      continue;
    }
    bool found = false;
    for (auto& [c, count] : l.components)
      if (c == *comp) count += n, found = true;
    if (!found) l.components.emplace_back(*comp, n);
  }
  auto ckpt = Checkpoint::Open(dir);
  if (ckpt.ok()) {
    d.checkpoint_tensors = static_cast<int64_t>((*ckpt)->tensors().size());
    d.checkpoint_status = "ok";
  } else {
    d.checkpoint_status = std::string(ckpt.status().message());
  }
  return d;
}

std::string FormatDescription(const ModelDescription& d) {
  const ModelConfig& c = d.config;
  std::string out = absl::StrFormat(
      "family      %s (model_type %s)\nparameters  %d (embedding %d, lm_head %s)\n"
      "shape       hidden %d, layers %d, heads %d/%d kv, head_dim %d, vocab %d\n",
      FamilyName(c.family), c.model_type, d.parameter_count, d.embedding_params,
      d.lm_head_params ? absl::StrCat(d.lm_head_params) : std::string("tied"), c.hidden_size, c.num_layers, c.num_heads,
      c.num_kv_heads, c.head_dim, c.vocab_size);
  absl::StrAppendFormat(
      &out, "checkpoint  %s\n",
      d.checkpoint_tensors >= 0 ? absl::StrCat(d.checkpoint_tensors, " tensors") : d.checkpoint_status);
  absl::StrAppendFormat(&out, "\n%-6s %-18s %-52s %12s\n", "layer", "kind", "components (parameters)", "total");
  for (const LayerDescription& l : d.layers) {
    std::string comps;
    for (const auto& [comp, n] : l.components) absl::StrAppend(&comps, ComponentName(comp), "=", n, " ");
    absl::StrAppendFormat(&out, "%-6d %-18s %-52s %12d\n", l.index, KindName(l.kind), comps, l.params);
  }
  return out;
}

}  // namespace ablate::models
