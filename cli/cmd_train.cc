// cmd_train.cc: `ablate train`, trains a small model of the zoo from scratch
// on the fortune corpus and writes a Hugging Face checkpoint directory
// (worker/train/trainer.h has the details).
//
//   ablate train --config examples/train/qwen2-fortunes.yaml
//   ablate train --model model_type=qwen2 --model hidden_size=128 --model num_hidden_layers=4 \
//                --model num_attention_heads=4 --model num_key_value_heads=2 --model intermediate_size=384 \
//                --steps 200 --out /tmp/qwen2-tiny
// Flags override the config file; --model KEY=VALUE sets a config.json key
// (VALUE parsed as JSON when it parses, else taken as a string).
#include <unistd.h>

#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "cli/command_context.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"
#include "worker/train/train_config.h"
#include "worker/train/trainer.h"

namespace ablate::cli {
namespace {

struct TrainArgs {
  std::string config, out, corpus_dir, name, heldout_sample, provenance;
  std::vector<std::string> model;
  std::optional<int64_t> steps, batch_size, seq_len, threads, eval_every, bpe_vocab, warmup;
  std::optional<double> lr;
  std::optional<uint64_t> seed;
  bool no_png = false;
};

absl::Status RunTrain(const TrainArgs& a) {
  train::TrainOptions o;
  if (!a.config.empty()) {
    ASSIGN_OR_RETURN(o, train::LoadTrainConfig(a.config));
  }
  for (const std::string& kv : a.model) {
    const size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0)
      return absl::InvalidArgumentError(absl::StrCat("--model '", kv, "': expected KEY=VALUE"));
    const std::string key = kv.substr(0, eq), value = kv.substr(eq + 1);
    nlohmann::json v = nlohmann::json::parse(value, nullptr, /*allow_exceptions=*/false);
    o.model[key] = v.is_discarded() ? nlohmann::json(value) : v;
  }
  if (!a.out.empty()) o.out_dir = a.out;
  if (!a.corpus_dir.empty()) o.corpus_dir = a.corpus_dir;
  if (!a.name.empty()) o.name = a.name;
  if (!a.heldout_sample.empty()) o.heldout_sample_path = a.heldout_sample;
  if (!a.provenance.empty()) o.corpus_provenance = a.provenance;
  if (a.steps) o.steps = *a.steps;
  if (a.batch_size) o.batch_size = *a.batch_size;
  if (a.seq_len) o.seq_len = *a.seq_len;
  if (a.threads) o.threads = *a.threads;
  if (a.eval_every) o.eval_every = *a.eval_every;
  if (a.bpe_vocab) o.bpe_vocab_size = *a.bpe_vocab;
  if (a.warmup) o.warmup_steps = *a.warmup;
  if (a.lr) o.lr = *a.lr;
  if (a.seed) o.seed = *a.seed;
  if (a.no_png) o.render_png = false;
  o.progress_tty = isatty(STDERR_FILENO) != 0;
  if (o.model.empty() || !o.model.contains("model_type"))
    return absl::InvalidArgumentError(
        "train: no model given (--config with a 'model:' map, or --model model_type=...)");
  ASSIGN_OR_RETURN(train::TrainReport r, train::Train(o, std::cerr));
  std::cout << o.out_dir << ": " << r.parameters << " params, held-out loss " << r.final_eval_loss << " (unigram "
            << r.unigram_eval_loss << "), " << r.steps << " steps in " << r.wall_seconds << " s\n";
  return absl::OkStatus();
}

}  // namespace

void RegisterTrainCommands(CLI::App* app, CommandContext* ctx) {
  auto args = std::make_shared<TrainArgs>();
  CLI::App* cmd = app->add_subcommand("train", "Train a small zoo model on the fortune corpus; write an HF checkpoint");
  cmd->add_option("--config", args->config, "train.yaml (every trainer option; flags override it)");
  cmd->add_option("--out", args->out, "Output checkpoint directory");
  cmd->add_option("--model", args->model, "config.json key: KEY=VALUE (repeatable), e.g. model_type=qwen2");
  cmd->add_option("--corpus-dir", args->corpus_dir, "Fortune databases (default /usr/share/games/fortunes)");
  cmd->add_option("--name", args->name, "Model name for the card and plot");
  cmd->add_option("--heldout-sample", args->heldout_sample, "Also write the first ~50 KB of the held-out split here");
  cmd->add_option("--corpus-provenance", args->provenance, "Where the corpus came from (model card)");
  cmd->add_option("--steps", args->steps, "Optimizer steps");
  cmd->add_option("--batch-size", args->batch_size, "Sequences per step");
  cmd->add_option("--seq-len", args->seq_len, "Tokens per sequence");
  cmd->add_option("--lr", args->lr, "Peak learning rate");
  cmd->add_option("--warmup", args->warmup, "Warmup steps");
  cmd->add_option("--seed", args->seed, "Seed (init and batch order)");
  cmd->add_option("--threads", args->threads, "LibTorch threads");
  cmd->add_option("--eval-every", args->eval_every, "Steps between held-out evaluations");
  cmd->add_option("--bpe-vocab", args->bpe_vocab, "Tokenizer vocabulary size (incl. <|endoftext|>)");
  cmd->add_flag("--no-png", args->no_png, "Do not run gnuplot for loss_curve.png");
  cmd->callback([args, ctx] {
    absl::Status s = RunTrain(*args);
    if (!s.ok()) ctx->Fail(s);
  });
}

}  // namespace ablate::cli
