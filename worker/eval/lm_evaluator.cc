// lm_evaluator.cc: CreateLmEvaluator (see lm_evaluator.h). One job:
//   model (ModelCache, LRU) -> tokenizer (ModelSpec.tokenizer or
//   <model>/tokenizer.json, LRU) -> job targets as a validated AblationPlan ->
//   one of RunPerplexity / RunMultipleChoice / RunGeneration / RunDiagnostics
//   under c10::InferenceMode -> JobResult.
// Every LibTorch exception (c10::Error, std::exception) is caught here and
// becomes an error status: the runtime records a failed attempt with the message.
#include "worker/eval/lm_evaluator.h"

#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>
#include <torch/cuda.h>

#include <chrono>
#include <filesystem>
#include <list>
#include <optional>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/status_macros.h"
#include "worker/eval/checkpoint_fingerprint.h"
#include "worker/eval/evaluations.h"
#include "worker/eval/forward_batches.h"
#include "worker/eval/model_cache.h"
#include "worker/models/thread_policy.h"
#include "worker/text/sha256.h"

#ifndef ABLATE_EVAL_CODE_VERSION
#define ABLATE_EVAL_CODE_VERSION "unknown"
#endif

namespace ablate::eval {
namespace {

// A small mutex-guarded LRU map, for tokenizers and tokenized corpora.
template <typename V>
class SmallLru {
 public:
  explicit SmallLru(int32_t capacity) : capacity_(std::max(1, capacity)) {}

  template <typename Make>
  absl::StatusOr<std::shared_ptr<const V>> GetOrCreate(const std::string& key, Make make) {
    absl::MutexLock lock(&mu_);
    for (auto it = items_.begin(); it != items_.end(); ++it) {
      if (it->first == key) {
        items_.splice(items_.begin(), items_, it);
        return items_.front().second;
      }
    }
    absl::StatusOr<std::shared_ptr<const V>> made = make();
    if (!made.ok()) return made.status();
    items_.emplace_front(key, *made);
    while (static_cast<int32_t>(items_.size()) > capacity_) items_.pop_back();
    return *made;
  }

 private:
  const int32_t capacity_;
  absl::Mutex mu_;
  std::list<std::pair<std::string, std::shared_ptr<const V>>> items_ ABSL_GUARDED_BY(mu_);
};

torch::ScalarType ScalarTypeOf(v1::DType d) {
  switch (d) {
    case v1::BFLOAT16:
      return torch::kBFloat16;
    case v1::FLOAT16:
      return torch::kHalf;
    default:
      return torch::kFloat32;
  }
}

absl::StatusOr<models::AblationPlan> PlanOf(const v1::Condition& condition, const ModelConfig& config) {
  models::AblationPlan plan;
  for (const v1::Target& t : condition.targets()) {
    models::AblationTarget a;
    a.layer = t.layer();
    a.component = t.component() == v1::COMPONENT_UNSPECIFIED ? v1::LAYER : t.component();
    a.mode = t.mode();
    if (a.mode == v1::MODE_UNSPECIFIED) a.mode = a.component == v1::LAYER ? v1::SKIP_LAYER : v1::ZERO;
    a.scale = t.scale();
    plan.push_back(a);
  }
  if (absl::Status s = models::ValidatePlan(config, plan); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("job targets (condition '", condition.label(), "'): ", s.message()));
  }
  return plan;
}

class LmEvaluator final : public worker::Evaluator {
 public:
  LmEvaluator(const LmEvaluatorOptions& options, torch::Device device)
      : options_(options),
        device_(device),
        models_({.max_models = options.max_cached_models, .max_bytes = options.max_cache_bytes},
                [this](const std::string& path, v1::DType dtype) { return LoadModel(path, dtype); }),
        tokenizers_(options.max_cached_tokenizers),
        corpora_(options.max_cached_corpora),
        baselines_(options.max_baseline_cache_bytes),
        residuals_(options.reuse ? options.max_reuse_cache_bytes : 0) {}

  absl::StatusOr<v1::JobResult> Evaluate(const v1::Job& job, worker::JobContext& ctx) override {
    const auto start = std::chrono::steady_clock::now();
    absl::StatusOr<v1::JobResult> result;
    try {
      result = EvaluateOrThrow(job, ctx);
    } catch (const c10::Error& e) {
      const bool oom = IsOutOfMemory(e);
      const std::string msg = absl::StrCat("libtorch error: ", e.what_without_backtrace());
      result = oom ? absl::ResourceExhaustedError(msg) : absl::InternalError(msg);
    } catch (const std::exception& e) {
      result = absl::InternalError(absl::StrCat("exception during evaluation: ", e.what()));
    } catch (...) {
      result = absl::InternalError("unknown exception during evaluation");
    }
    if (!result.ok()) {
      return absl::Status(result.status().code(), absl::StrCat("job ", job.job_id(), ": ", result.status().message()));
    }
    result->set_wall_seconds(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    return result;
  }

  std::vector<std::string> LoadedModels() const override { return models_.Paths(); }

 private:
  absl::StatusOr<ModelCache::Entry> LoadModel(const std::string& path, v1::DType dtype) {
    ASSIGN_OR_RETURN(std::string fingerprint, CheckpointFingerprint(path));
    models::LoadOptions lo;
    lo.device = device_;
    lo.dtype = ScalarTypeOf(dtype);
    ASSIGN_OR_RETURN(std::unique_ptr<models::CausalLM> lm, models::LoadCausalLM(path, lo));
    ModelCache::Entry e;
    e.bytes = lm->parameter_count() * static_cast<int64_t>(c10::elementSize(lo.dtype));
    e.lm = std::shared_ptr<const models::CausalLM>(std::move(lm));
    e.checkpoint_fingerprint = std::move(fingerprint);
    return e;
  }

  absl::StatusOr<std::shared_ptr<const text::Tokenizer>> GetTokenizer(const v1::ModelSpec& model) {
    const std::string path = model.tokenizer().empty()
                                 ? (std::filesystem::path(model.path()) / "tokenizer.json").string()
                                 : model.tokenizer();
    return tokenizers_.GetOrCreate(path, [&]() -> absl::StatusOr<std::shared_ptr<const text::Tokenizer>> {
      auto tok = text::Tokenizer::FromFile(path);
      if (!tok.ok()) {
        return absl::Status(tok.status().code(), absl::StrCat("tokenizer: ", tok.status().message()));
      }
      return std::shared_ptr<const text::Tokenizer>(std::move(*tok));
    });
  }

  absl::StatusOr<v1::JobResult> EvaluateOrThrow(const v1::Job& job, worker::JobContext& ctx) {
    const v1::JobSpec& spec = job.spec();
    if (spec.model().path().empty()) return absl::InvalidArgumentError("job spec: model.path is empty");
    ctx.ReportProgress(0.0, "loading model");
    ASSIGN_OR_RETURN(ModelCache::Entry model, models_.Get(spec.model().path(), spec.model().dtype()));
    ASSIGN_OR_RETURN(std::shared_ptr<const text::Tokenizer> tok, GetTokenizer(spec.model()));
    if (ctx.Cancelled()) return absl::CancelledError("job cancelled");

    EvalEnv env;
    env.lm = model.lm.get();
    env.tokenizer = tok.get();
    ASSIGN_OR_RETURN(env.plan, PlanOf(spec.condition(), model.lm->config()));
    env.ctx = &ctx;
    env.max_length = options_.max_length;
    env.default_batch_size = options_.default_batch_size;
    env.seed = spec.seed();
    env.baseline_cache = &baselines_;
    if (options_.reuse && options_.max_reuse_cache_bytes > 0) env.residual_cache = &residuals_;
    env.logits_chunk_bytes = options_.logits_chunk_bytes;
    env.model_key = absl::StrCat(model.checkpoint_fingerprint, "|", spec.model().path(), "|", spec.model().dtype(), "|",
                                 tok->fingerprint());
    env.tokenize_corpus = [this, tok](const text::TextCorpus& corpus) {
      const std::string key = absl::StrCat(tok->fingerprint(), "|", corpus.fingerprint.combined_sha256);
      return corpora_.GetOrCreate(key, [&]() -> absl::StatusOr<std::shared_ptr<const TokenIds>> {
        ASSIGN_OR_RETURN(TokenIds ids, EncodeText(*tok, corpus.text));
        return std::make_shared<const TokenIds>(std::move(ids));
      });
    };

    models::ApplyThreadPolicy(models::ChooseThreadPolicy(options_.num_threads, ScalarTypeOf(spec.model().dtype())));
    c10::InferenceMode inference;
    absl::StatusOr<EvalOutput> out;
    const v1::EvaluationSpec& ev = spec.evaluation();
    switch (ev.kind_case()) {
      case v1::EvaluationSpec::kPerplexity:
        out = RunPerplexity(env, ev.perplexity());
        break;
      case v1::EvaluationSpec::kMultipleChoice:
        out = RunMultipleChoice(env, ev.multiple_choice());
        break;
      case v1::EvaluationSpec::kGeneration:
        out = RunGeneration(env, ev.generation());
        break;
      case v1::EvaluationSpec::kDiagnostics:
        out = RunDiagnostics(env, ev.diagnostics());
        break;
      default:
        return absl::InvalidArgumentError(absl::StrCat("job spec: evaluation '", ev.name(),
                                                       "' has no kind (perplexity, multiple_choice, "
                                                       "generation or diagnostics)"));
    }
    if (!out.ok()) return out.status();
    ctx.ReportProgress(1.0, "done");

    v1::JobResult r;
    for (v1::Metric& m : out->metrics) *r.add_metrics() = std::move(m);
    // The tokenizer decides every number as much as the weights do, so the
    // checkpoint fingerprint covers both: sha256(weights fingerprint, tokenizer sha256).
    r.set_checkpoint_fingerprint(
        text::Sha256Hex(absl::StrCat(model.checkpoint_fingerprint, "\ntokenizer\t", tok->fingerprint(), "\n")));
    r.set_dataset_fingerprint(out->dataset_fingerprint);
    r.set_tokens_evaluated(out->tokens_evaluated);
    r.set_code_version(options_.code_version.empty() ? ABLATE_EVAL_CODE_VERSION : options_.code_version);
    r.set_device(options_.device);
    return r;
  }

  const LmEvaluatorOptions options_;
  const torch::Device device_;
  ModelCache models_;
  SmallLru<text::Tokenizer> tokenizers_;
  SmallLru<TokenIds> corpora_;
  BaselineCache baselines_;
  ResidualCache residuals_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<worker::Evaluator>> CreateLmEvaluator(const LmEvaluatorOptions& options) {
  std::optional<torch::Device> device;
  try {
    device.emplace(options.device);
  } catch (const c10::Error&) {
    return absl::InvalidArgumentError(
        absl::StrCat("evaluator: bad device \"", options.device, "\" (want \"cpu\" or \"cuda:N\")"));
  }
  if (!device->is_cpu() && !device->is_cuda()) {
    return absl::InvalidArgumentError(
        absl::StrCat("evaluator: unsupported device \"", options.device, "\" (want \"cpu\" or \"cuda:N\")"));
  }
  if (device->is_cuda()) {
    if (!torch::cuda::is_available()) {
      return absl::UnavailableError(
          absl::StrCat("evaluator: ", options.device, " requested but CUDA is not available"));
    }
    if (device->has_index() && device->index() >= static_cast<int>(torch::cuda::device_count())) {
      return absl::UnavailableError(absl::StrCat("evaluator: ", options.device, " requested but only ",
                                                 torch::cuda::device_count(), " CUDA device(s) exist"));
    }
  }
  if (options.max_cached_models < 1) {
    return absl::InvalidArgumentError("evaluator: max_cached_models must be >= 1");
  }
  if (options.max_reuse_cache_bytes < 0 || options.logits_chunk_bytes < 1) {
    return absl::InvalidArgumentError("evaluator: max_reuse_cache_bytes must be >= 0 and logits_chunk_bytes >= 1");
  }
  if (options.max_length < 2 || options.default_batch_size < 1) {
    return absl::InvalidArgumentError("evaluator: max_length must be >= 2 and default_batch_size >= 1");
  }
  if (options.num_threads < 0) return absl::InvalidArgumentError("evaluator: num_threads must be >= 0");
  return std::unique_ptr<worker::Evaluator>(new LmEvaluator(options, *device));
}

}  // namespace ablate::eval
