// model_card.cc: the markdown model card.
#include "worker/train/model_card.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace ablate::train {
namespace {

std::string LayerPattern(const nlohmann::ordered_json& cfg) {
  if (!cfg.contains("layer_types") || !cfg["layer_types"].is_array()) return "";
  std::string s;
  for (const auto& t : cfg["layer_types"]) s += t == "linear_attention" ? "L" : "F";
  return s;
}

std::string Num(const nlohmann::ordered_json& v) { return v.dump(); }

}  // namespace

std::string RenderModelCard(const TrainReport& r, const TrainOptions& o, const nlohmann::ordered_json& cfg) {
  const std::string type = r.model_type;
  std::string arch;
  if (type == "qwen2") {
    arch =
        "Qwen2-style transformer: every layer is grouped-query self-attention (RoPE, q/k/v bias) followed by a "
        "SwiGLU MLP, pre-RMSNorm.";
  } else if (type == "qwen3_5_text") {
    arch = absl::StrCat(
        "Qwen3.5-style sequential hybrid: each layer is either Gated DeltaNet linear attention (L) "
        "or gated full attention (F), followed by a SwiGLU MLP; layer pattern ",
        LayerPattern(cfg), " (3 Gated DeltaNet layers to 1 attention layer).");
  } else {
    arch =
        "Falcon-H1-style parallel hybrid: every layer runs a Mamba-2 mixer and grouped-query attention in "
        "parallel on the same normed input (outputs summed), then a SwiGLU MLP, with muP multipliers.";
  }
  std::string s = absl::StrCat("# ", r.name, "\n\n");
  absl::StrAppend(&s, "A tiny ", type,
                  " model trained from scratch with `ablate train` on the Debian fortune "
                  "corpus, shipped as one of the three reference models of ablate's demo ablation study "
                  "(`examples/demo.yaml`). It is a research fixture for ablation experiments, not a useful "
                  "language model.\n\n");
  if (!o.description.empty()) absl::StrAppend(&s, o.description, "\n\n");
  absl::StrAppend(&s, "![loss curve](loss_curve.png)\n\n");

  absl::StrAppend(&s, "## Results\n\nScored on the first ", r.heldout_tokens,
                  " predicted tokens of the held-out split (", r.corpus["heldout_tokens"].dump(),
                  " tokens in all), in windows of ", o.seq_len,
                  " + 1 tokens.\n\n| held-out | cross-entropy (nats/token) | perplexity |\n|---|---|---|\n");
  absl::StrAppend(&s, absl::StrFormat("| **this model** | **%.4f** | **%.2f** |\n", r.final_eval_loss,
                                      std::exp(r.final_eval_loss)));
  absl::StrAppend(&s,
                  absl::StrFormat("| unigram baseline (training-split token frequencies, add-one) | %.4f | %.2f |\n",
                                  r.unigram_eval_loss, std::exp(r.unigram_eval_loss)));
  absl::StrAppend(&s, absl::StrFormat("| this model at initialization | %.4f | %.2f |\n\n", r.initial_eval_loss,
                                      std::exp(r.initial_eval_loss)));
  absl::StrAppend(&s, absl::StrFormat("The model is %.3f nats/token better than the unigram model on the same "
                                      "held-out tokens (perplexity %.1fx lower). Mean training-batch loss over the "
                                      "last 20 steps: %.4f.\n\n",
                                      r.unigram_eval_loss - r.final_eval_loss,
                                      std::exp(r.unigram_eval_loss - r.final_eval_loss), r.final_train_loss));

  absl::StrAppend(&s, "## Architecture\n\n", arch, "\n\n| | |\n|---|---|\n");
  absl::StrAppend(&s, "| model_type | `", type, "` |\n| parameters | ", r.parameters, " |\n");
  for (const char* k : {"num_hidden_layers",
                        "hidden_size",
                        "intermediate_size",
                        "num_attention_heads",
                        "num_key_value_heads",
                        "head_dim",
                        "vocab_size",
                        "tie_word_embeddings",
                        "linear_num_key_heads",
                        "linear_num_value_heads",
                        "linear_key_head_dim",
                        "linear_value_head_dim",
                        "mamba_d_ssm",
                        "mamba_n_heads",
                        "mamba_d_head",
                        "mamba_d_state",
                        "mamba_n_groups",
                        "mamba_chunk_size",
                        "embedding_multiplier",
                        "lm_head_multiplier",
                        "attention_in_multiplier",
                        "attention_out_multiplier",
                        "key_multiplier",
                        "ssm_in_multiplier",
                        "ssm_out_multiplier",
                        "ssm_multipliers",
                        "mlp_multipliers"}) {
    if (cfg.contains(k) && !cfg[k].is_null()) absl::StrAppend(&s, "| ", k, " | ", Num(cfg[k]), " |\n");
  }
  if (cfg.contains("layer_types") && type == "qwen3_5_text")
    absl::StrAppend(&s, "| layer pattern | ", LayerPattern(cfg), " |\n");
  absl::StrAppend(&s,
                  "\nWeights are float32 in `model.safetensors` under the Hugging Face parameter names; "
                  "`config.json` is what transformers writes for this model_type.\n\n");

  const nlohmann::json& c = r.corpus;
  absl::StrAppend(&s, "## Data\n\n");
  absl::StrAppend(&s, "Source: ",
                  c.value("provenance", std::string()).empty() ? std::string("the fortune databases")
                                                               : c.value("provenance", std::string()),
                  ", read from `", c.value("dir", std::string()), "` (", c["files"].size(),
                  " databases, every file with a `.dat` index, in name order: ",
                  absl::StrJoin(c["files"].get<std::vector<std::string>>(), ", "), ").\n\n");
  absl::StrAppend(&s,
                  "Cleaning: entries are split at lines holding only `%`; trailing whitespace of each line and "
                  "leading/trailing blank lines are removed; empty entries are dropped. A split's text is its "
                  "entries joined by one blank line.\n\n");
  absl::StrAppend(&s, "| | |\n|---|---|\n");
  absl::StrAppend(&s, "| entries | ", c["entries"].dump(), " (", c["train_entries"].dump(), " train, ",
                  c["heldout_entries"].dump(), " held out) |\n");
  absl::StrAppend(&s, "| held-out rule | ", c["heldout_rule"].get<std::string>(),
                  " (0-based, over all entries in order) |\n");
  absl::StrAppend(&s, "| corpus bytes | ", c["bytes"].dump(), " (train ", c["train_bytes"].dump(), ", held out ",
                  c["heldout_bytes"].dump(), ") |\n");
  absl::StrAppend(&s, "| sha256 (all entries) | `", c["sha256"].get<std::string>(), "` |\n");
  absl::StrAppend(&s, "| sha256 (train text) | `", c["train_sha256"].get<std::string>(), "` |\n");
  absl::StrAppend(&s, "| sha256 (held-out text) | `", c["heldout_sha256"].get<std::string>(), "` |\n");
  absl::StrAppend(&s, "| tokenizer | byte-level BPE trained on the training split (Qwen2 pre-tokenizer regex), ",
                  c["tokenizer_vocab"].dump(), " ids incl. `<|endoftext|>` |\n");
  absl::StrAppend(&s, "| tokens | ", c["train_tokens"].dump(), " train, ", c["heldout_tokens"].dump(),
                  " held out |\n\n");
  absl::StrAppend(&s,
                  "License and provenance: the fortune databases come from the Debian packages `fortunes` and "
                  "`fortunes-min` (fortune-mod by Ken Arnold et al., BSD license; see "
                  "/usr/share/doc/fortunes/copyright). They are collected quotations and jokes of many "
                  "authors; the files are redistributed by Debian in main. "
                  "`examples/data/fortunes-heldout.txt` is the first ~50 KB of the held-out split in the "
                  "format above.\n\n");

  absl::StrAppend(&s, "## Training\n\n| | |\n|---|---|\n");
  absl::StrAppend(
      &s, "| steps | ", r.steps, " |\n| batch | ", o.batch_size, " sequences x ", o.seq_len,
      " tokens (random windows of the training stream) |\n| tokens seen | ", r.tokens_seen,
      absl::StrFormat(" (%.2f epochs) |\n", static_cast<double>(r.tokens_seen) / std::max<int64_t>(1, r.train_tokens)));
  absl::StrAppend(&s, absl::StrFormat("| optimizer | AdamW (torch::optim), lr %g, betas (%g, %g), eps %g, weight decay "
                                      "%g on matrices only |\n",
                                      o.lr, o.beta1, o.beta2, o.adam_eps, o.weight_decay));
  absl::StrAppend(&s, absl::StrFormat("| schedule | linear warmup %d steps, cosine to %g x peak |\n", o.warmup_steps,
                                      o.min_lr_ratio));
  absl::StrAppend(&s, absl::StrFormat("| gradient clipping | global L2 norm %g |\n", o.grad_clip));
  absl::StrAppend(&s, "| seed | ", o.seed, " (init and batch order) |\n");
  absl::StrAppend(&s, absl::StrFormat("| wall time | %s training loop (%.0f s incl. periodic evals; %.0f s in "
                                      "all), %d LibTorch thread(s), CPU, float32 |\n",
                                      absl::StrFormat("%.1f min", r.wall_seconds / 60.0), r.wall_seconds,
                                      r.total_seconds, o.threads));
  absl::StrAppend(&s, absl::StrFormat("| throughput | %.0f tokens/s (training steps only) |\n\n", r.tokens_per_second));
  absl::StrAppend(&s,
                  "Wall time was measured on the shared 2-core development machine while other builds ran; "
                  "expect different timings elsewhere. The numbers (losses, weights) are deterministic for the "
                  "same seed, LibTorch build and thread count.\n\n");
  absl::StrAppend(&s,
                  "## Reproduce\n\n```\nscripts/train-reference-models.sh   # all three reference models\n```\n\n"
                  "Files: `config.json`, `generation_config.json`, `model.safetensors`, `tokenizer.json`, "
                  "`tokenizer_config.json`, `loss_curve.csv`, `loss_curve.png`, `train_report.json` (every "
                  "option and number above), this card.\n");
  return s;
}

}  // namespace ablate::train
