// trainer.cc: the training loop (see trainer.h).
#include "worker/train/trainer.h"

#include <ATen/Parallel.h>
#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/adamw.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/lenient_json.h"
#include "common/model_config.h"
#include "common/status_macros.h"
#include "worker/models/causal_lm.h"
#include "worker/models/safetensors_torch.h"
#include "worker/text/tokenizer.h"
#include "worker/train/bpe_trainer.h"
#include "worker/train/corpus.h"
#include "worker/train/hf_config.h"
#include "worker/train/lr_schedule.h"
#include "worker/train/model_card.h"
#include "worker/train/progress.h"

namespace ablate::train {
namespace {

using ojson = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) { return std::chrono::duration<double>(Clock::now() - since).count(); }

absl::Status WriteText(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return absl::InternalError(absl::StrCat(path, ": cannot open for writing"));
  out << text;
  out.close();
  if (!out) return absl::InternalError(absl::StrCat(path, ": write failed"));
  return absl::OkStatus();
}

// JSON text as Python's json.dumps(indent=2) writes it, with Infinity/NaN
// (which nlohmann would write as null) kept as Python writes them.
std::string DumpPythonJson(ojson j) {
  constexpr const char* kInf = "__ablate_json_inf__";
  constexpr const char* kNegInf = "__ablate_json_neg_inf__";
  constexpr const char* kNan = "__ablate_json_nan__";
  std::function<void(ojson&)> mark = [&](ojson& v) {
    if (v.is_number_float()) {
      const double d = v.get<double>();
      if (std::isnan(d))
        v = kNan;
      else if (std::isinf(d))
        v = d > 0 ? kInf : kNegInf;
    } else if (v.is_structured()) {
      for (auto& c : v) mark(c);
    }
  };
  mark(j);
  std::string s = j.dump(2);
  for (const auto& [from, to] :
       std::vector<std::pair<std::string, std::string>>{{absl::StrCat("\"", kInf, "\""), "Infinity"},
                                                        {absl::StrCat("\"", kNegInf, "\""), "-Infinity"},
                                                        {absl::StrCat("\"", kNan, "\""), "NaN"}}) {
    for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos)) s.replace(pos, from.size(), to);
  }
  return s + "\n";
}

absl::Status CheckOptions(const TrainOptions& o) {
  auto bad = [](const char* field, const std::string& why) {
    return absl::InvalidArgumentError(absl::StrCat("train option '", field, "': ", why));
  };
  if (o.out_dir.empty()) return bad("out_dir", "is required");
  if (o.steps < 1) return bad("steps", "must be >= 1");
  if (o.batch_size < 1) return bad("batch_size", "must be >= 1");
  if (o.seq_len < 2) return bad("seq_len", "must be >= 2");
  if (!(o.lr > 0)) return bad("lr", "must be > 0");
  if (o.warmup_steps < 0) return bad("warmup_steps", "must be >= 0");
  if (o.min_lr_ratio < 0 || o.min_lr_ratio > 1) return bad("min_lr_ratio", "must be in [0, 1]");
  if (o.weight_decay < 0) return bad("weight_decay", "must be >= 0");
  if (o.beta1 < 0 || o.beta1 >= 1 || o.beta2 < 0 || o.beta2 >= 1) return bad("beta1/beta2", "must be in [0, 1)");
  if (o.eval_every < 1) return bad("eval_every", "must be >= 1");
  if (o.eval_max_tokens < 1) return bad("eval_max_tokens", "must be >= 1");
  if (o.eval_batch_size < 1) return bad("eval_batch_size", "must be >= 1");
  if (o.final_eval_max_tokens < 0) return bad("final_eval_max_tokens", "must be >= 0");
  if (o.threads < 1) return bad("threads", "must be >= 1");
  if (o.heldout_every < 2) return bad("heldout_every", "must be >= 2");
  return absl::OkStatus();
}

// Windows [start, end) of the held-out stream: length seq_len + 1 (the last may be shorter).
std::vector<std::pair<int64_t, int64_t>> EvalWindows(int64_t n, int64_t seq_len, int64_t max_predicted) {
  std::vector<std::pair<int64_t, int64_t>> w;
  int64_t predicted = 0;
  for (int64_t s = 0; s + 1 < n && predicted < max_predicted; s += seq_len) {
    const int64_t e = std::min(n, s + seq_len + 1);
    w.emplace_back(s, e);
    predicted += e - s - 1;
  }
  return w;
}

absl::StatusOr<std::vector<int64_t>> Tokenize(const text::Tokenizer& tok, const std::string& text) {
  ASSIGN_OR_RETURN(std::vector<int32_t> ids, tok.Encode(text));
  return std::vector<int64_t>(ids.begin(), ids.end());
}

}  // namespace

HeldOutLoss EvaluateHeldOut(const models::CausalLM& lm, const std::vector<int64_t>& stream, int64_t seq_len,
                            int64_t max_predicted, int64_t batch_size, const std::vector<double>* unigram_logp) {
  torch::NoGradGuard ng;
  const auto windows = EvalWindows(static_cast<int64_t>(stream.size()), seq_len, max_predicted);
  double nll = 0.0, uni = 0.0;
  int64_t count = 0;
  size_t i = 0;
  while (i < windows.size()) {
    // Batch windows of equal length (all but possibly the last are full).
    const int64_t len = windows[i].second - windows[i].first;
    size_t j = i;
    while (j < windows.size() && j - i < static_cast<size_t>(batch_size) && windows[j].second - windows[j].first == len)
      ++j;
    torch::Tensor ids = torch::empty({static_cast<int64_t>(j - i), len}, torch::kInt64);
    auto acc = ids.accessor<int64_t, 2>();
    for (size_t b = i; b < j; ++b)
      for (int64_t t = 0; t < len; ++t) acc[b - i][t] = stream[windows[b].first + t];
    torch::Tensor x = ids.narrow(1, 0, len - 1), y = ids.narrow(1, 1, len - 1);
    torch::Tensor logits = lm.Forward(x).to(torch::kFloat64);
    torch::Tensor logp = torch::log_softmax(logits, -1).gather(-1, y.unsqueeze(-1));
    nll -= logp.sum().item<double>();
    count += y.numel();
    if (unigram_logp != nullptr) {
      auto ya = y.accessor<int64_t, 2>();
      for (int64_t b = 0; b < y.size(0); ++b)
        for (int64_t t = 0; t < y.size(1); ++t) uni -= (*unigram_logp)[ya[b][t]];
    }
    i = j;
  }
  HeldOutLoss r;
  r.tokens = count;
  r.loss = count > 0 ? nll / static_cast<double>(count) : NAN;
  r.unigram_loss = count > 0 ? uni / static_cast<double>(count) : NAN;
  return r;
}

nlohmann::json TrainOptionsToJson(const TrainOptions& o) {
  return nlohmann::json{{"name", o.name},
                        {"model", o.model},
                        {"corpus_dir", o.corpus_dir},
                        {"heldout_every", o.heldout_every},
                        {"bpe_vocab_size", o.bpe_vocab_size},
                        {"steps", o.steps},
                        {"batch_size", o.batch_size},
                        {"seq_len", o.seq_len},
                        {"lr", o.lr},
                        {"warmup_steps", o.warmup_steps},
                        {"min_lr_ratio", o.min_lr_ratio},
                        {"weight_decay", o.weight_decay},
                        {"beta1", o.beta1},
                        {"beta2", o.beta2},
                        {"adam_eps", o.adam_eps},
                        {"grad_clip", o.grad_clip},
                        {"seed", o.seed},
                        {"eval_every", o.eval_every},
                        {"eval_max_tokens", o.eval_max_tokens},
                        {"eval_batch_size", o.eval_batch_size},
                        {"final_eval_max_tokens", o.final_eval_max_tokens},
                        {"threads", o.threads}};
}

absl::StatusOr<TrainReport> Train(const TrainOptions& options, std::ostream& log) {
  const auto t_start = Clock::now();
  RETURN_IF_ERROR(CheckOptions(options));
  namespace fs = std::filesystem;
  TrainReport report;
  report.name = options.name.empty() ? fs::path(options.out_dir).filename().string() : options.name;
  report.options = TrainOptionsToJson(options);
  report.options["name"] = report.name;
  at::set_num_threads(static_cast<int>(options.threads));

  // Data and tokenizer.
  ASSIGN_OR_RETURN(FortuneCorpus corpus,
                   ReadFortuneCorpus(options.corpus_dir, {.heldout_every = options.heldout_every}));
  log << absl::StrFormat("train: corpus %s: %d files, %d entries (%d train, %d held out), %d bytes, sha256 %s\n",
                         options.corpus_dir, corpus.files.size(), corpus.num_entries, corpus.num_train_entries,
                         corpus.num_heldout_entries, corpus.all_text.size(), corpus.all_sha256);
  BpeTrainOptions bpe_options;
  bpe_options.vocab_size = options.bpe_vocab_size;
  ASSIGN_OR_RETURN(BpeTrainResult bpe, TrainByteLevelBpe(corpus.train_text, bpe_options));
  const std::string tokenizer_text = bpe.tokenizer_json.dump(2) + "\n";
  ASSIGN_OR_RETURN(std::unique_ptr<text::Tokenizer> tok,
                   text::Tokenizer::FromHfJson(tokenizer_text, "trained tokenizer.json"));
  ASSIGN_OR_RETURN(std::vector<int64_t> train_ids, Tokenize(*tok, corpus.train_text));
  ASSIGN_OR_RETURN(std::vector<int64_t> heldout_ids, Tokenize(*tok, corpus.heldout_text));
  log << absl::StrFormat("train: [%.0f s] ", Seconds(t_start));
  log << absl::StrFormat(
      "train: byte-level BPE: %d ids (%d merges, %d distinct words); %d train tokens, %d held-out tokens\n",
      bpe.vocab_size, bpe.num_merges, bpe.num_words, train_ids.size(), heldout_ids.size());
  if (static_cast<int64_t>(train_ids.size()) < options.seq_len + 2)
    return absl::InvalidArgumentError(
        absl::StrCat("training split has only ", train_ids.size(), " tokens, fewer than seq_len + 2"));
  const int32_t eos_id = static_cast<int32_t>(bpe.vocab_size - 1);
  report.corpus = nlohmann::json{{"dir", options.corpus_dir},
                                 {"provenance", options.corpus_provenance},
                                 {"files", corpus.files},
                                 {"entries", corpus.num_entries},
                                 {"train_entries", corpus.num_train_entries},
                                 {"heldout_entries", corpus.num_heldout_entries},
                                 {"heldout_rule", absl::StrCat("entry i held out when i % ", options.heldout_every,
                                                               " == ", options.heldout_every - 1)},
                                 {"bytes", corpus.all_text.size()},
                                 {"train_bytes", corpus.train_text.size()},
                                 {"heldout_bytes", corpus.heldout_text.size()},
                                 {"sha256", corpus.all_sha256},
                                 {"train_sha256", corpus.train_sha256},
                                 {"heldout_sha256", corpus.heldout_sha256},
                                 {"tokenizer_vocab", bpe.vocab_size},
                                 {"train_tokens", train_ids.size()},
                                 {"heldout_tokens", heldout_ids.size()}};
  report.train_tokens = static_cast<int64_t>(train_ids.size());

  // Model.
  nlohmann::json values = options.model;
  values["vocab_size"] = bpe.vocab_size;
  values["bos_token_id"] = eos_id;
  values["eos_token_id"] = eos_id;
  if (values.value("model_type", "") == "falcon_h1") values["pad_token_id"] = eos_id;
  ASSIGN_OR_RETURN(ojson hf_config, MakeHfConfig(values, "train option 'model'"));
  const std::string config_text = DumpPythonJson(hf_config);
  ASSIGN_OR_RETURN(nlohmann::json config_json, ParseLenientJson(config_text, "config.json"));
  ASSIGN_OR_RETURN(ModelConfig config, ParseModelConfig(config_json, "train option 'model'"));
  report.model_type = config.model_type;
  ASSIGN_OR_RETURN(std::unique_ptr<models::CausalLM> lm,
                   models::CreateCausalLM(config, {.device = torch::kCPU, .dtype = torch::kFloat32, .inference = false},
                                          options.seed));
  report.parameters = lm->parameter_count();
  const auto named = lm->NamedParameters();
  if (named.empty()) return absl::InternalError("model zoo returned no parameters to train");
  log << absl::StrFormat("train: %s (%s): %d parameters, %d layers, hidden %d\n", report.name, config.model_type,
                         report.parameters, config.num_layers, config.hidden_size);

  // Optimizer: decay on matrices (dim >= 2: projections, embeddings), none on norms, biases, SSM scalars.
  std::vector<torch::Tensor> decay, no_decay;
  for (const auto& [n, p] : named) (p.dim() >= 2 ? decay : no_decay).push_back(p);
  auto adamw = [&](double wd) {
    return std::make_unique<torch::optim::AdamWOptions>(torch::optim::AdamWOptions(options.lr)
                                                            .betas({options.beta1, options.beta2})
                                                            .eps(options.adam_eps)
                                                            .weight_decay(wd));
  };
  std::vector<torch::optim::OptimizerParamGroup> groups;
  groups.emplace_back(decay, adamw(options.weight_decay));
  if (!no_decay.empty()) groups.emplace_back(no_decay, adamw(0.0));
  torch::optim::AdamW optimizer(groups, torch::optim::AdamWOptions(options.lr));
  std::vector<torch::Tensor> all_params;
  for (const auto& [n, p] : named) all_params.push_back(p);
  const WarmupCosine schedule{.peak_lr = options.lr,
                              .warmup_steps = options.warmup_steps,
                              .total_steps = options.steps,
                              .min_lr_ratio = options.min_lr_ratio};

  // Unigram baseline from the training tokens (add-one smoothing over the model vocabulary).
  std::vector<double> unigram(config.vocab_size, 1.0);
  for (int64_t id : train_ids) unigram[id] += 1.0;
  const double total = static_cast<double>(train_ids.size() + config.vocab_size);
  for (double& u : unigram) u = std::log(u / total);

  std::mt19937_64 rng(options.seed);
  const uint64_t max_start = train_ids.size() - static_cast<size_t>(options.seq_len) - 1;
  const int64_t B = options.batch_size, T = options.seq_len;
  ProgressBar bar(log, options.steps, {.tty = options.progress_tty});
  std::vector<double> train_losses;
  HeldOutLoss ev0 = EvaluateHeldOut(*lm, heldout_ids, T, options.eval_max_tokens, options.eval_batch_size, nullptr);
  report.initial_eval_loss = ev0.loss;
  report.curve.push_back({.step = 0, .tokens = 0, .lr = schedule.At(0), .eval_loss = ev0.loss});
  log << absl::StrFormat("train: step 0 held-out loss %.4f (uniform would be %.4f)\n", ev0.loss,
                         std::log(static_cast<double>(config.vocab_size)));
  std::string last_eval = absl::StrFormat("eval %.4f", ev0.loss);
  const auto t_loop = Clock::now();
  double eval_seconds = 0.0;
  for (int64_t step = 0; step < options.steps; ++step) {
    torch::Tensor batch = torch::empty({B, T + 1}, torch::kInt64);
    auto acc = batch.accessor<int64_t, 2>();
    for (int64_t b = 0; b < B; ++b) {
      const uint64_t start = rng() % (max_start + 1);
      for (int64_t t = 0; t <= T; ++t) acc[b][t] = train_ids[start + t];
    }
    const double lr = schedule.At(step);
    for (auto& g : optimizer.param_groups()) static_cast<torch::optim::AdamWOptions&>(g.options()).lr(lr);
    optimizer.zero_grad();
    torch::Tensor logits = lm->Forward(batch.narrow(1, 0, T));
    torch::Tensor target = batch.narrow(1, 1, T).reshape({-1, 1});
    torch::Tensor loss = -torch::log_softmax(logits.reshape({-1, logits.size(-1)}), -1).gather(1, target).mean();
    loss.backward();
    if (options.grad_clip > 0) torch::nn::utils::clip_grad_norm_(all_params, options.grad_clip);
    optimizer.step();
    const double l = loss.item<double>();
    if (!std::isfinite(l))
      return absl::InternalError(
          absl::StrCat("training diverged: loss ", l, " at step ", step + 1, " (lower lr or raise warmup_steps)"));
    train_losses.push_back(l);
    LossPoint point{.step = step + 1, .tokens = (step + 1) * B * T, .lr = lr, .train_loss = l};
    if ((step + 1) % options.eval_every == 0 && step + 1 < options.steps) {
      const auto t_eval = Clock::now();
      point.eval_loss =
          EvaluateHeldOut(*lm, heldout_ids, T, options.eval_max_tokens, options.eval_batch_size, nullptr).loss;
      eval_seconds += Seconds(t_eval);
      last_eval = absl::StrFormat("eval %.4f", *point.eval_loss);
    }
    report.curve.push_back(point);
    bar.Update(step + 1, point.tokens, l, lr, last_eval);
  }
  bar.Finish();
  report.wall_seconds = Seconds(t_loop);
  report.steps = options.steps;
  report.tokens_seen = options.steps * B * T;
  report.tokens_per_second = report.tokens_seen / std::max(1e-9, report.wall_seconds - eval_seconds);
  const size_t tail = std::min<size_t>(20, train_losses.size());
  double tail_sum = 0.0;
  for (size_t i = train_losses.size() - tail; i < train_losses.size(); ++i) tail_sum += train_losses[i];
  report.final_train_loss = tail_sum / static_cast<double>(tail);

  const int64_t final_cap =
      options.final_eval_max_tokens > 0 ? options.final_eval_max_tokens : static_cast<int64_t>(heldout_ids.size());
  HeldOutLoss final_eval = EvaluateHeldOut(*lm, heldout_ids, T, final_cap, options.eval_batch_size, &unigram);
  report.final_eval_loss = final_eval.loss;
  report.unigram_eval_loss = final_eval.unigram_loss;
  report.heldout_tokens = final_eval.tokens;
  report.curve.back().eval_loss = final_eval.loss;
  log << absl::StrFormat(
      "train: final held-out loss %.4f nats/token (ppl %.2f) over %d tokens; unigram %.4f (ppl %.2f)\n",
      final_eval.loss, std::exp(final_eval.loss), final_eval.tokens, final_eval.unigram_loss,
      std::exp(final_eval.unigram_loss));

  // Checkpoint.
  std::error_code ec;
  fs::create_directories(options.out_dir, ec);
  if (ec) return absl::InternalError(absl::StrCat(options.out_dir, ": cannot create: ", ec.message()));
  const std::string dir = options.out_dir;
  RETURN_IF_ERROR(WriteText(dir + "/config.json", config_text));
  RETURN_IF_ERROR(WriteText(dir + "/generation_config.json",
                            DumpPythonJson(ojson{{"bos_token_id", eos_id},
                                                 {"eos_token_id", eos_id},
                                                 {"transformers_version", hf_config["transformers_version"]}})));
  std::vector<std::pair<std::string, torch::Tensor>> tensors;
  for (const auto& [n, p] : named) tensors.emplace_back(n, p.detach());
  std::sort(tensors.begin(), tensors.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  RETURN_IF_ERROR(models::WriteSafetensors(dir + "/model.safetensors", tensors));
  RETURN_IF_ERROR(WriteText(dir + "/tokenizer.json", tokenizer_text));
  RETURN_IF_ERROR(WriteText(dir + "/tokenizer_config.json", bpe.tokenizer_config_json.dump(2) + "\n"));
  if (!options.heldout_sample_path.empty()) {
    RETURN_IF_ERROR(
        WriteText(options.heldout_sample_path, JoinEntryPrefix(corpus.heldout_entries, options.heldout_sample_bytes)));
  }

  // The written checkpoint must reload to the very same function.
  {
    ASSIGN_OR_RETURN(std::unique_ptr<models::CausalLM> again, models::LoadCausalLM(dir));
    ASSIGN_OR_RETURN(std::unique_ptr<text::Tokenizer> tok_again, text::Tokenizer::FromFile(dir + "/tokenizer.json"));
    ASSIGN_OR_RETURN(std::vector<int32_t> probe_ids, tok_again->Encode(corpus.heldout_entries.front()));
    ASSIGN_OR_RETURN(std::vector<int64_t> expect_ids, Tokenize(*tok, corpus.heldout_entries.front()));
    if (std::vector<int64_t>(probe_ids.begin(), probe_ids.end()) != expect_ids)
      return absl::InternalError(absl::StrCat(dir, "/tokenizer.json: reloaded tokenizer encodes differently"));
    const int64_t n = std::min<int64_t>(T, static_cast<int64_t>(heldout_ids.size()));
    torch::Tensor probe =
        torch::tensor(std::vector<int64_t>(heldout_ids.begin(), heldout_ids.begin() + n), torch::kInt64).unsqueeze(0);
    torch::NoGradGuard ng;
    if (!torch::equal(lm->Forward(probe), again->Forward(probe)))
      return absl::InternalError(absl::StrCat(dir, ": reloaded checkpoint gives different logits"));
  }

  RETURN_IF_ERROR(WriteLossCsv(report.curve, dir + "/loss_curve.csv"));
  if (options.render_png) {
    absl::Status s = RenderLossPng(
        dir + "/loss_curve.csv", dir + "/loss_curve.png",
        absl::StrCat(report.name, " (", config.model_type, ", ", report.parameters, " params) on fortunes"),
        report.unigram_eval_loss, "unigram baseline (held-out)");
    if (!s.ok()) log << "train: warning: " << s.message() << " (loss_curve.csv is written)\n";
  }
  report.total_seconds = Seconds(t_start);
  nlohmann::json rep = {{"name", report.name},
                        {"model_type", report.model_type},
                        {"parameters", report.parameters},
                        {"steps", report.steps},
                        {"tokens_seen", report.tokens_seen},
                        {"wall_seconds", report.wall_seconds},
                        {"total_seconds", report.total_seconds},
                        {"tokens_per_second", report.tokens_per_second},
                        {"initial_eval_loss", report.initial_eval_loss},
                        {"final_eval_loss", report.final_eval_loss},
                        {"unigram_eval_loss", report.unigram_eval_loss},
                        {"heldout_tokens_scored", report.heldout_tokens},
                        {"final_train_loss", report.final_train_loss},
                        {"reload_bit_exact", true},
                        {"corpus", report.corpus},
                        {"options", report.options}};
  RETURN_IF_ERROR(WriteText(dir + "/train_report.json", rep.dump(2) + "\n"));
  RETURN_IF_ERROR(WriteText(dir + "/MODEL_CARD.md", RenderModelCard(report, options, hf_config)));
  return report;
}

}  // namespace ablate::train
