// trainer.h: trains a small causal LM of the model zoo (qwen2, qwen3_5_text,
// falcon_h1) from scratch on a fortune corpus and writes a Hugging Face
// checkpoint directory that LoadCausalLM and the tokenizer library load.
//
// Pipeline (all deterministic in `seed`, at a fixed thread count):
//   corpus (corpus.h, held-out split) -> byte-level BPE trained on the training
//   split (bpe_trainer.h) -> token streams -> CreateCausalLM (the zoo's own
//   modules, HF init) -> AdamW (decay on matrices only), warmup + cosine,
//   gradient-norm clipping -> periodic held-out loss -> checkpoint.
// Batches are random windows of seq_len + 1 tokens of the training stream
// (offsets from a seeded 64-bit Mersenne Twister). The held-out loss is the
// mean next-token cross-entropy over consecutive windows of the held-out
// stream (each window starts a fresh context; every token but a window's first
// is predicted once); `eval_max_tokens` caps the periodic evaluations,
// `final_eval_max_tokens` the final one (0: the whole held-out split). The unigram baseline is the
// add-one-smoothed unigram distribution of the training tokens scored on the
// very same predicted held-out tokens.
//
// Output directory: config.json, model.safetensors (float32, HF names),
// generation_config.json, tokenizer.json, tokenizer_config.json,
// loss_curve.csv, loss_curve.png (if gnuplot runs), train_report.json,
// MODEL_CARD.md.
//
// Thread-safety: Train sets LibTorch's intra-op thread count (process-wide).
//
//   TrainOptions o;  o.model = {{"model_type", "qwen2"}, {"hidden_size", 128}, ...};
//   o.out_dir = "examples/models/qwen2-fortunes";
//   ASSIGN_OR_RETURN(TrainReport r, Train(o, std::cerr));
#ifndef ABLATE_WORKER_TRAIN_TRAINER_H_
#define ABLATE_WORKER_TRAIN_TRAINER_H_

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "worker/models/causal_lm.h"
#include "worker/train/loss_curve.h"

namespace ablate::train {

struct TrainOptions {
  std::string name;         // model name in the card and plot title; default: out_dir's base name
  std::string description;  // one paragraph for the model card (optional)
  // config.json keys (see hf_config.h); vocab_size, bos/eos/pad ids come from the tokenizer.
  nlohmann::json model = nlohmann::json::object();

  // Data.
  std::string corpus_dir = "/usr/share/games/fortunes";
  std::string corpus_provenance;    // e.g. "Debian fortunes 1:1.99.1-7.3 ..." (model card)
  int64_t heldout_every = 20;       // entry i is held out when i % heldout_every == heldout_every - 1
  int64_t bpe_vocab_size = 1024;    // including <|endoftext|>
  std::string heldout_sample_path;  // if set: also write the first heldout_sample_bytes of the held-out text here
  int64_t heldout_sample_bytes = 50000;

  // Optimization.
  int64_t steps = 1000;
  int64_t batch_size = 16;
  int64_t seq_len = 128;
  double lr = 3e-3;
  int64_t warmup_steps = 50;
  double min_lr_ratio = 0.1;
  double weight_decay = 0.1;
  double beta1 = 0.9;
  double beta2 = 0.95;
  double adam_eps = 1e-8;
  double grad_clip = 1.0;  // max global gradient L2 norm; <= 0: no clipping
  uint64_t seed = 1234;

  // Evaluation and logging.
  int64_t eval_every = 100;         // steps between held-out evaluations (and at step 0 and the end)
  int64_t eval_max_tokens = 16384;  // periodic evaluations use at most this many held-out tokens
  int64_t eval_batch_size = 16;
  int64_t final_eval_max_tokens = 0;  // the final evaluation (and the card's numbers): 0 = whole held-out split

  int64_t threads = 1;       // LibTorch intra-op threads
  bool progress_tty = true;  // progress bar redrawn in place (else one line per 5%)
  bool render_png = true;    // run gnuplot for loss_curve.png
  std::string out_dir;       // required; created if missing
};

struct TrainReport {
  std::string name;
  std::string model_type;
  int64_t parameters = 0;
  int64_t steps = 0;
  int64_t tokens_seen = 0;     // steps * batch_size * seq_len
  int64_t train_tokens = 0;    // size of the training token stream
  int64_t heldout_tokens = 0;  // held-out tokens scored in the final evaluation
  double wall_seconds = 0.0;   // training loop incl. periodic evals
  double total_seconds = 0.0;  // everything, incl. tokenizer training and writing
  double tokens_per_second = 0.0;
  double initial_eval_loss = 0.0;
  double final_eval_loss = 0.0;    // whole held-out split
  double unigram_eval_loss = 0.0;  // same tokens, unigram baseline
  double final_train_loss = 0.0;   // mean of the last 20 steps' batch losses
  std::vector<LossPoint> curve;
  nlohmann::json corpus;   // files, entry counts, sha256s, provenance
  nlohmann::json options;  // the options used (for train_report.json)
};

// Trains and writes `options.out_dir`. Progress goes to `log`.
// InvalidArgument (naming the option) for bad options or model config;
// NotFound for a missing corpus; Internal on I/O errors.
absl::StatusOr<TrainReport> Train(const TrainOptions& options, std::ostream& log);

// Held-out next-token cross-entropy of `lm` on `stream` (token ids): windows
// of seq_len + 1 tokens starting every seq_len tokens, each a fresh context,
// until at least `max_predicted` tokens are scored. With `unigram_logp`
// (log-probability per id) also the unigram model's loss on the same tokens.
struct HeldOutLoss {
  double loss = 0.0;          // mean nats/token
  int64_t tokens = 0;         // tokens scored
  double unigram_loss = 0.0;  // NaN-free only when unigram_logp was given
};
HeldOutLoss EvaluateHeldOut(const models::CausalLM& lm, const std::vector<int64_t>& stream, int64_t seq_len,
                            int64_t max_predicted, int64_t batch_size,
                            const std::vector<double>* unigram_logp = nullptr);

// The options as JSON (the keys train.yaml uses).
nlohmann::json TrainOptionsToJson(const TrainOptions& options);

}  // namespace ablate::train

#endif  // ABLATE_WORKER_TRAIN_TRAINER_H_
