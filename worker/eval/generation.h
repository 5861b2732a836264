// generation.h: greedy decoding through the model's incremental state
// (CausalLM::NewState / Step): the prompt is fed once, then one token per
// step. Equal to re-running the full forward every step (the model zoo
// guarantees Step == Forward rows up to float rounding).
// GreedyGenerateBatch decodes several prompts at once without pad tokens:
// the rows share a prefill of the shortest prompt's length, then every row
// advances one position per step, feeding its own next prompt token until its
// prompt is consumed and its last generated token after that. No row's KV
// cache or recurrent (Gated DeltaNet, Mamba-2) state ever sees a token that
// is not its own, so each row equals GreedyGenerate on its prompt (up to the
// float rounding of batched matmuls) for every family.
// Thread-safety: uses its own DecodeState; the model is used const.
//
//   TokenIds out = GreedyGenerate(lm, prompt, {.max_new_tokens = 64, .eos_ids = {eos},
//       .should_stop = [&](const TokenIds& gen) { return HasStop(Decode(gen)); }});
#ifndef ABLATE_WORKER_EVAL_GENERATION_H_
#define ABLATE_WORKER_EVAL_GENERATION_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "worker/models/causal_lm.h"

namespace ablate::eval {

struct GreedyOptions {
  int64_t max_new_tokens = 256;                // hard cap on generated tokens
  std::vector<int64_t> eos_ids;                // generation ends after emitting one (it is kept)
  const models::AblationPlan* plan = nullptr;  // nullptr: un-ablated
  // Called after every new token with everything generated so far; true ends
  // generation (e.g. a stop sequence appeared in the decoded text).
  std::function<bool(const std::vector<int64_t>& generated)> should_stop;
};

// REQUIRES: !prompt.empty(). Throws c10::Error on model failure.
std::vector<int64_t> GreedyGenerate(const models::CausalLM& lm, const std::vector<int64_t>& prompt,
                                    const GreedyOptions& options);

// One generation per prompt, in order; options.should_stop is called with each
// row's own tokens. Rows that finished keep stepping (their logits unused)
// until every row has. REQUIRES: no prompt is empty. Throws c10::Error on
// model failure.
std::vector<std::vector<int64_t>> GreedyGenerateBatch(const models::CausalLM& lm,
                                                      const std::vector<std::vector<int64_t>>& prompts,
                                                      const GreedyOptions& options);

}  // namespace ablate::eval

#endif  // ABLATE_WORKER_EVAL_GENERATION_H_
