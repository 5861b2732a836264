// generation.cc: see generation.h.
#include "worker/eval/generation.h"

#include <algorithm>

namespace ablate::eval {

std::vector<int64_t> GreedyGenerate(const models::CausalLM& lm, const std::vector<int64_t>& prompt,
                                    const GreedyOptions& options) {
  TORCH_CHECK(!prompt.empty(), "GreedyGenerate: empty prompt");
  models::ForwardOptions fo;
  fo.plan = options.plan;
  std::unique_ptr<models::DecodeState> state = lm.NewState(1);
  const auto opts = torch::TensorOptions().dtype(torch::kLong);
  torch::Tensor ids = torch::tensor(prompt, opts).unsqueeze(0).to(lm.device());
  std::vector<int64_t> generated;
  for (int64_t step = 0; step < options.max_new_tokens; ++step) {
    torch::Tensor logits = lm.Step(ids, state.get(), fo);  // [1, T_new, V]
    const int64_t next = logits[0][logits.size(1) - 1].argmax().item<int64_t>();
    generated.push_back(next);
    if (std::find(options.eos_ids.begin(), options.eos_ids.end(), next) != options.eos_ids.end()) break;
    if (options.should_stop && options.should_stop(generated)) break;
    ids = torch::full({1, 1}, next, opts).to(lm.device());
  }
  return generated;
}

}  // namespace ablate::eval
