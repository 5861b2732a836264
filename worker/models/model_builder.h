// model_builder.h: config -> DecoderModel skeleton (uninitialised weights), and
// the module-name -> checkpoint-name mapping. Internal to worker/models (used by
// loading, creation and DescribeModel).
//
//   ASSIGN_OR_RETURN(DecoderModel m, BuildDecoderModel(config));
//   CheckpointName(config, "model.norm.weight");  // "model.language_model.norm.weight" for multimodal Qwen3.5
#ifndef ABLATE_WORKER_MODELS_MODEL_BUILDER_H_
#define ABLATE_WORKER_MODELS_MODEL_BUILDER_H_

#include <string>

#include "absl/status/statusor.h"
#include "common/model_config.h"
#include "worker/models/decoder.h"
#include "worker/models/families/registry.h"

namespace ablate::models {

// Wires `config` with the row of `families` that loads its model_type.
// InvalidArgument if no row does or the config's sizes are inconsistent.
absl::StatusOr<DecoderModel> BuildDecoderModel(const ModelConfig& config,
                                               const FamilyRegistry& families = FamilyRegistry::Product());

// "model.<rest>" -> config.weight_prefix + "<rest>"; other names unchanged.
std::string CheckpointName(const ModelConfig& config, const std::string& module_name);

}  // namespace ablate::models

#endif  // ABLATE_WORKER_MODELS_MODEL_BUILDER_H_
