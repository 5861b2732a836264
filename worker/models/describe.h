// describe.h: what a checkpoint directory holds, for `ablate model describe`:
// family, parameter count, and per layer its kind and the parameter count of
// each component. Reads config.json and only the safetensors headers.
//
//   ASSIGN_OR_RETURN(ModelDescription d, DescribeModel("/ckpt/falcon-h1-0.5b"));
#ifndef ABLATE_WORKER_MODELS_DESCRIBE_H_
#define ABLATE_WORKER_MODELS_DESCRIBE_H_

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "common/model_config.h"

namespace ablate::models {

struct LayerDescription {
  int64_t index = 0;
  LayerKind kind = LayerKind::kFullAttention;
  std::vector<std::pair<v1::Component, int64_t>> components;  // ablatable component -> parameters
  int64_t norm_params = 0;
  int64_t params = 0;  // whole layer
};

struct ModelDescription {
  ModelConfig config;
  int64_t parameter_count = 0;  // tied embeddings counted once
  int64_t embedding_params = 0;
  int64_t lm_head_params = 0;  // 0 when tied
  std::vector<LayerDescription> layers;
  int64_t checkpoint_tensors = -1;  // -1: no readable checkpoint found
  std::string checkpoint_status;    // "ok" or the reader's error
};

// InvalidArgument/NotFound if config.json is missing or unsupported. A bad or
// absent checkpoint is reported in checkpoint_status, not as an error.
absl::StatusOr<ModelDescription> DescribeModel(const std::string& dir);

// A human-readable table.
std::string FormatDescription(const ModelDescription& d);

}  // namespace ablate::models

#endif  // ABLATE_WORKER_MODELS_DESCRIBE_H_
