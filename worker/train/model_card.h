// model_card.h: MODEL_CARD.md for a trained checkpoint, rendered from the
// training report (every number in it is measured, none typed by hand).
//
// Thread-safety: pure function.
//
//   RETURN_IF_ERROR(WriteText(dir + "/MODEL_CARD.md", RenderModelCard(report, options, hf_config)));
#ifndef ABLATE_WORKER_TRAIN_MODEL_CARD_H_
#define ABLATE_WORKER_TRAIN_MODEL_CARD_H_

#include <string>

#include "nlohmann/json.hpp"
#include "worker/train/trainer.h"

namespace ablate::train {

std::string RenderModelCard(const TrainReport& report, const TrainOptions& options,
                            const nlohmann::ordered_json& hf_config);

}  // namespace ablate::train

#endif  // ABLATE_WORKER_TRAIN_MODEL_CARD_H_
