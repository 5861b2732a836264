// train_config.h: train.yaml (or JSON) -> TrainOptions.
//
// Format: every TrainOptions field as a top-level key (same names), plus
// `model:`, a map of config.json keys (hf_config.h). Unknown keys are errors
// naming the file and key. Example (examples/train/qwen2-fortunes.yaml):
//
//   name: qwen2-fortunes
//   out_dir: examples/models/qwen2-fortunes
//   model: {model_type: qwen2, hidden_size: 128, num_hidden_layers: 4, ...}
//   steps: 1500
//   lr: 3.0e-3
//
// Thread-safety: free functions.
#ifndef ABLATE_WORKER_TRAIN_TRAIN_CONFIG_H_
#define ABLATE_WORKER_TRAIN_TRAIN_CONFIG_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "worker/train/trainer.h"

namespace ablate::train {

// Applies the keys of `j` (a JSON object) onto *options. `what` names the source in errors.
absl::Status ApplyTrainJson(const nlohmann::json& j, absl::string_view what, TrainOptions* options);

// Parses YAML (a superset of JSON) text. InvalidArgument naming `what` and the line on syntax errors.
absl::StatusOr<nlohmann::json> YamlToJson(absl::string_view text, absl::string_view what);

// Reads and applies a train.yaml file onto defaults.
absl::StatusOr<TrainOptions> LoadTrainConfig(const std::string& path);

}  // namespace ablate::train

#endif  // ABLATE_WORKER_TRAIN_TRAIN_CONFIG_H_
