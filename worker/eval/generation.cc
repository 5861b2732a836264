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

std::vector<std::vector<int64_t>> GreedyGenerateBatch(const models::CausalLM& lm,
                                                      const std::vector<std::vector<int64_t>>& prompts,
                                                      const GreedyOptions& options) {
  const auto rows = static_cast<int64_t>(prompts.size());
  std::vector<std::vector<int64_t>> generated(prompts.size());
  if (rows == 0) return generated;
  size_t shared = prompts[0].size();
  for (const auto& p : prompts) {
    TORCH_CHECK(!p.empty(), "GreedyGenerateBatch: empty prompt");
    shared = std::min(shared, p.size());
  }
  models::ForwardOptions fo;
  fo.plan = options.plan;
  std::unique_ptr<models::DecodeState> state = lm.NewState(rows);
  const auto opts = torch::TensorOptions().dtype(torch::kLong);
  // The common prefill: every row's first `shared` prompt tokens.
  std::vector<int64_t> first;
  first.reserve(prompts.size() * shared);
  for (const auto& p : prompts) first.insert(first.end(), p.begin(), p.begin() + static_cast<int64_t>(shared));
  torch::Tensor ids = torch::tensor(first, opts).view({rows, static_cast<int64_t>(shared)}).to(lm.device());
  std::vector<size_t> fed(prompts.size(), shared);  // prompt tokens consumed per row
  std::vector<bool> done(prompts.size(), options.max_new_tokens <= 0);
  std::vector<int64_t> next_input(prompts.size());
  for (;;) {
    torch::Tensor logits = lm.Step(ids, state.get(), fo);                                  // [B, T_new, V]
    torch::Tensor best = logits.select(1, logits.size(1) - 1).argmax(-1).to(torch::kCPU);  // [B]
    const int64_t* best_ptr = best.data_ptr<int64_t>();
    bool all_done = true;
    for (size_t r = 0; r < prompts.size(); ++r) {
      if (done[r]) {
        next_input[r] = prompts[r].back();  // any token: this row's logits are no longer read
        continue;
      }
      if (fed[r] < prompts[r].size()) {  // still consuming its prompt
        next_input[r] = prompts[r][fed[r]++];
        all_done = false;
        continue;
      }
      const int64_t next = best_ptr[r];
      generated[r].push_back(next);
      next_input[r] = next;
      // The order of GreedyGenerate's checks: EOS, stop callback, length cap.
      done[r] = std::find(options.eos_ids.begin(), options.eos_ids.end(), next) != options.eos_ids.end() ||
                (options.should_stop && options.should_stop(generated[r])) ||
                static_cast<int64_t>(generated[r].size()) >= options.max_new_tokens;
      all_done = all_done && done[r];
    }
    if (all_done) break;
    ids = torch::tensor(next_input, opts).view({rows, 1}).to(lm.device());
  }
  return generated;
}

}  // namespace ablate::eval
