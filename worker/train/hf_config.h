// hf_config.h: config.json exactly as Hugging Face transformers (5.x) writes it
// for the model types the trainer builds ("qwen2", "qwen3_5_text",
// "falcon_h1"): every key HF writes, in HF's order, with HF's defaults, and
// the caller's values for the keys it sets (from train.yaml's `model:` map).
//
// Derived keys are filled the way HF's config classes fill them unless given:
// qwen2 layer_types (all "full_attention") and max_window_layers
// (= num_hidden_layers); qwen3_5_text layer_types (three "linear_attention"
// then one "full_attention", repeated); falcon_h1 mamba_d_ssm
// (= mamba_expand * hidden_size) and head_dim (= hidden_size / heads).
//
// Thread-safety: free functions, no shared state.
//
//   ASSIGN_OR_RETURN(nlohmann::ordered_json cfg,
//                    MakeHfConfig("qwen2", {{"hidden_size", 128}, {"num_hidden_layers", 4}}, "train.yaml: model"));
//   ASSIGN_OR_RETURN(ModelConfig mc, ParseModelConfig(nlohmann::json::parse(cfg.dump()), "config.json"));
#ifndef ABLATE_WORKER_TRAIN_HF_CONFIG_H_
#define ABLATE_WORKER_TRAIN_HF_CONFIG_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace ablate::train {

// `values`: an object of HF config keys (must include "model_type" unless
// `model_type` is given non-empty). InvalidArgument, naming `what` and the
// key, for an unsupported model_type, a key HF does not write for that type,
// or a value whose JSON type differs from HF's (numbers may be int or float).
absl::StatusOr<nlohmann::ordered_json> MakeHfConfig(const nlohmann::json& values, absl::string_view what);

// The model types MakeHfConfig supports, for error messages and docs.
const char* SupportedTrainModelTypes();

}  // namespace ablate::train

#endif  // ABLATE_WORKER_TRAIN_HF_CONFIG_H_
