// expander.cc: SweepSpec x layouts -> ordered jobs (see expander.h).
//
// Two passes: first count every (model, ablation) pair arithmetically (jobs
// and targets) and reject grids over execution.max_jobs or the request limits
// before anything is materialised; then build the conditions of every model
// (labels, explicit targets, random draws; small: at most max_jobs /
// (evaluations x seeds)) and cross them with evaluations and seeds, streaming
// jobs to a sink that ExpandSweep collects. Both passes check the deadline and
// the cancel flag of ExpandOptions.
#include "spec/expander.h"

#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "spec/conditions.h"
#include "spec/spec_parser.h"
#include "spec/validate.h"

namespace ablate::spec {
namespace {

// A length in bytes held to a count-like limit (names, labels): InvalidArgument.
absl::Status CheckBytesAsCount(absl::string_view what, size_t bytes, int64_t limit) {
  return CheckCount(what, static_cast<int64_t>(bytes), limit, "max-name-bytes");
}

struct Prepared {
  v1::SweepSpec spec;                        // defaults applied
  std::vector<ModelConfig> configs;          // one per model
  std::vector<std::vector<int64_t>> counts;  // [model][ablation] conditions
  int64_t total_jobs = 0;
};

// Cancelled / DeadlineExceeded when the expansion must stop.
absl::Status CheckStop(const ExpandOptions& o) {
  if (o.cancelled && o.cancelled()) return absl::CancelledError("expansion cancelled (the request went away)");
  if (o.deadline != absl::InfiniteFuture() && absl::Now() > o.deadline) {
    return absl::DeadlineExceededError(absl::StrCat("expansion took longer than the limit of ",
                                                    o.limits.expansion_timeout_ms,
                                                    " ms (coordinator flag --expansion-timeout-ms); shrink the sweep"));
  }
  return absl::OkStatus();
}

v1::AblationKind KindOf(const v1::AblationSpec& a) {
  switch (a.kind_case()) {
    case v1::AblationSpec::kBaseline:
      return v1::BASELINE;
    case v1::AblationSpec::kGroup:
      return v1::GROUP;
    case v1::AblationSpec::kLayerSweep:
      return v1::LAYER_SWEEP;
    case v1::AblationSpec::kPositional:
      return v1::POSITIONAL;
    case v1::AblationSpec::kProgressive:
      return v1::PROGRESSIVE;
    case v1::AblationSpec::kRandom:
      return v1::RANDOM;
    case v1::AblationSpec::kExplicit:
      return v1::EXPLICIT;
    default:
      return v1::KIND_UNSPECIFIED;
  }
}

absl::StatusOr<Prepared> Prepare(const v1::SweepSpec& in, LayoutSource& layouts, const ExpandOptions& o) {
  RETURN_IF_ERROR(ValidateSweepSpec(in));
  RETURN_IF_ERROR(CheckSpecLimits(in, o.limits));
  Prepared p;
  p.spec = in;
  ApplyDefaults(&p.spec);
  const v1::SweepSpec& spec = p.spec;
  const int64_t per_condition = static_cast<int64_t>(spec.evaluations_size()) * spec.seeds_size();
  const int64_t max_jobs = spec.execution().max_jobs();
  for (int m = 0; m < spec.models_size(); ++m) {
    absl::StatusOr<ModelConfig> cfg = layouts.Get(spec.models(m));
    if (!cfg.ok()) {
      return absl::Status(cfg.status().code(),
                          absl::StrCat("models[", m, "] ('", spec.models(m).name(), "'): ", cfg.status().message()));
    }
    // Any LayoutSource (not only config.json files) is held to the layer limit.
    RETURN_IF_ERROR(CheckCount(absl::StrCat("models[", m, "] ('", spec.models(m).name(), "'): num_hidden_layers"),
                               cfg->num_layers, o.limits.max_layers_per_model, "max-layers-per-model"));
    p.configs.push_back(*std::move(cfg));
    RETURN_IF_ERROR(CheckStop(o));
  }
  // 128-bit so that absurd specs (huge trial counts) cannot overflow the check.
  unsigned __int128 total = 0;
  unsigned __int128 total_targets = 0;
  for (int m = 0; m < spec.models_size(); ++m) {
    p.counts.emplace_back();
    for (int a = 0; a < spec.ablations_size(); ++a) {
      int64_t targets = 0;
      ASSIGN_OR_RETURN(int64_t n, CountConditions(spec, a, m, p.configs[m], &targets));
      p.counts.back().push_back(n);
      total += static_cast<unsigned __int128>(n) * static_cast<unsigned __int128>(per_condition);
      total_targets += static_cast<unsigned __int128>(targets) * static_cast<unsigned __int128>(per_condition);
    }
    RETURN_IF_ERROR(CheckStop(o));
  }
  if (total == 0) {
    return absl::InvalidArgumentError(
        "ablations: the grid is empty (every ablation was skipped or restricted away for every model)");
  }
  if (total > static_cast<unsigned __int128>(max_jobs)) {
    const std::string size = total > static_cast<unsigned __int128>(INT64_MAX)
                                 ? std::string("more than 9.2e18")
                                 : absl::StrCat(static_cast<int64_t>(total));
    return absl::InvalidArgumentError(absl::StrCat("execution.max_jobs: the grid has ", size,
                                                   " jobs, more than the limit of ", max_jobs,
                                                   " (raise execution.max_jobs or shrink the sweep)"));
  }
  if (total > static_cast<unsigned __int128>(o.limits.max_jobs_per_sweep)) {
    return LimitError("spec: jobs in the grid", static_cast<int64_t>(total), o.limits.max_jobs_per_sweep,
                      "max-jobs-per-sweep");
  }
  if (total_targets > static_cast<unsigned __int128>(o.limits.max_targets_per_sweep)) {
    const int64_t shown =
        total_targets > static_cast<unsigned __int128>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(total_targets);
    return LimitError("spec: ablation targets over all jobs", shown, o.limits.max_targets_per_sweep,
                      "max-targets-per-sweep");
  }
  if (total > static_cast<unsigned __int128>(INT32_MAX)) {
    return absl::InvalidArgumentError(
        absl::StrCat("execution.max_jobs: a sweep holds at most ", INT32_MAX, " jobs (JobSpec.index is 32-bit)"));
  }
  p.total_jobs = static_cast<int64_t>(total);
  return p;
}

// Builds the conditions of model m, in ablation order, and checks that labels
// are unique and within the label limit.
absl::Status BuildConditions(const Prepared& p, int m, const ExpandOptions& o, std::vector<v1::Condition>* out) {
  const v1::SweepSpec& spec = p.spec;
  const std::function<absl::Status()> check = [&o] { return CheckStop(o); };
  std::unordered_map<std::string, int> seen;
  for (int a = 0; a < spec.ablations_size(); ++a) {
    if (p.counts[m][a] == 0) continue;
    RETURN_IF_ERROR(CheckStop(o));
    const size_t before = out->size();
    RETURN_IF_ERROR(AppendConditions(spec, a, m, p.configs[m], out, check));
    for (size_t k = before; k < out->size(); ++k) {
      RETURN_IF_ERROR(CheckCount(absl::StrCat("ablations[", a, "]: condition label bytes"),
                                 static_cast<int64_t>((*out)[k].label().size()), o.limits.max_label_bytes,
                                 "max-label-bytes"));
      auto [it, fresh] = seen.emplace((*out)[k].label(), a);
      if (!fresh) {
        return absl::InvalidArgumentError(absl::StrCat(
            "ablations[", a, "].name: condition label '", (*out)[k].label(), "' for model '", spec.models(m).name(),
            "' is also produced by ablations[", it->second, "]; give the ablations distinct names"));
      }
    }
  }
  return absl::OkStatus();
}

void AddCount(std::vector<v1::ExpansionCount>* counts, const std::string& model, v1::AblationKind kind,
              int64_t conditions, int64_t jobs) {
  for (auto& c : *counts) {
    if (c.model() == model && c.kind() == kind) {
      c.set_conditions(c.conditions() + conditions);
      c.set_jobs(c.jobs() + jobs);
      return;
    }
  }
  v1::ExpansionCount c;
  c.set_model(model);
  c.set_kind(kind);
  c.set_conditions(conditions);
  c.set_jobs(jobs);
  counts->push_back(std::move(c));
}

// Per (model, kind), models in spec order, kinds in AblationKind order; from
// the counting pass (each ablation entry yields conditions of its one kind).
std::vector<v1::ExpansionCount> Counts(const Prepared& p) {
  std::vector<v1::ExpansionCount> out;
  const int64_t per_condition = static_cast<int64_t>(p.spec.evaluations_size()) * p.spec.seeds_size();
  for (int m = 0; m < p.spec.models_size(); ++m) {
    std::vector<int64_t> by_kind(v1::AblationKind_ARRAYSIZE, 0);
    for (int a = 0; a < p.spec.ablations_size(); ++a) by_kind[KindOf(p.spec.ablations(a))] += p.counts[m][a];
    for (int k = 0; k < v1::AblationKind_ARRAYSIZE; ++k) {
      if (by_kind[k] == 0) continue;
      AddCount(&out, p.spec.models(m).name(), static_cast<v1::AblationKind>(k), by_kind[k], by_kind[k] * per_condition);
    }
  }
  return out;
}

// Every model's conditions, [model][k].
absl::StatusOr<std::vector<std::vector<v1::Condition>>> BuildAll(const Prepared& p, const ExpandOptions& o) {
  std::vector<std::vector<v1::Condition>> conditions(p.spec.models_size());
  for (int m = 0; m < p.spec.models_size(); ++m) {
    RETURN_IF_ERROR(BuildConditions(p, m, o, &conditions[m]));
  }
  return conditions;
}

// Crosses conditions with evaluations and seeds, in order. One JobSpec is reused;
// each part is replaced only when it changes.
absl::Status Emit(const Prepared& p, const std::vector<std::vector<v1::Condition>>& conditions, const ExpandOptions& o,
                  const std::function<absl::Status(const v1::JobSpec&)>& sink) {
  v1::JobSpec j;
  int32_t index = 0;
  for (int m = 0; m < p.spec.models_size(); ++m) {
    *j.mutable_model() = p.spec.models(m);
    j.set_model_family(std::string(FamilyName(p.configs[m].family)));
    for (const v1::Condition& c : conditions[m]) {
      *j.mutable_condition() = c;
      for (const v1::EvaluationSpec& ev : p.spec.evaluations()) {
        *j.mutable_evaluation() = ev;
        for (uint64_t seed : p.spec.seeds()) {
          j.set_seed(seed);
          if (index % 4096 == 0) RETURN_IF_ERROR(CheckStop(o));
          j.set_index(index++);
          RETURN_IF_ERROR(sink(j));
        }
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ModelConfig> ConfigLayoutSource::Get(const v1::ModelSpec& model) {
  auto it = cache_.find(model.path());
  if (it != cache_.end()) return it->second;
  RETURN_IF_ERROR(paths_.Check(model.path(), "path"));
  ASSIGN_OR_RETURN(ModelConfig cfg, LoadModelConfig(model.path(), limits_));
  cache_.emplace(model.path(), cfg);
  return cfg;
}

absl::StatusOr<std::vector<v1::ExpansionCount>> StreamSweep(const v1::SweepSpec& spec, LayoutSource& layouts,
                                                            const std::function<absl::Status(const v1::JobSpec&)>& sink,
                                                            const ExpandOptions& options) {
  ASSIGN_OR_RETURN(Prepared p, Prepare(spec, layouts, options));
  ASSIGN_OR_RETURN(auto conditions, BuildAll(p, options));
  RETURN_IF_ERROR(Emit(p, conditions, options, sink));
  return Counts(p);
}

absl::StatusOr<Expansion> ExpandSweep(const v1::SweepSpec& spec, LayoutSource& layouts, const ExpandOptions& options) {
  ASSIGN_OR_RETURN(Prepared p, Prepare(spec, layouts, options));
  ASSIGN_OR_RETURN(auto conditions, BuildAll(p, options));
  Expansion e;
  e.jobs.reserve(static_cast<size_t>(p.total_jobs));
  RETURN_IF_ERROR(Emit(p, conditions, options, [&e](const v1::JobSpec& j) {
    e.jobs.push_back(j);
    return absl::OkStatus();
  }));
  e.counts = Counts(p);
  return e;
}

absl::StatusOr<std::vector<v1::ExpansionCount>> CountSweep(const v1::SweepSpec& spec, LayoutSource& layouts,
                                                           const ExpandOptions& options) {
  ASSIGN_OR_RETURN(Prepared p, Prepare(spec, layouts, options));
  return Counts(p);
}

namespace {

// What one job of evaluation `e` may ask of a worker: the sequence length, the
// sequences per forward and the few-shot examples per prompt, each bounded so
// that a spec cannot make a shared worker allocate without limit.
absl::Status CheckEvaluationLimits(const v1::EvaluationSpec& e, const std::string& f, const RequestLimits& limits) {
  auto tokens = [&](const std::string& field, int64_t value) {
    return CheckCount(absl::StrCat(f, ".", field), value, limits.max_eval_tokens, "max-eval-tokens");
  };
  auto batch = [&](const std::string& field, int64_t value) {
    return CheckCount(absl::StrCat(f, ".", field), value, limits.max_eval_batch, "max-eval-batch");
  };
  auto fewshot = [&](const std::string& field, int64_t value) {
    return CheckCount(absl::StrCat(f, ".", field), value, limits.max_fewshot, "max-fewshot");
  };
  switch (e.kind_case()) {
    case v1::EvaluationSpec::kPerplexity:
      RETURN_IF_ERROR(tokens("perplexity.max_length", e.perplexity().max_length()));
      RETURN_IF_ERROR(tokens("perplexity.num_tokens", e.perplexity().num_tokens()));
      return batch("perplexity.batch_size", e.perplexity().batch_size());
    case v1::EvaluationSpec::kMultipleChoice:
      RETURN_IF_ERROR(fewshot("multiple_choice.num_fewshot", e.multiple_choice().num_fewshot()));
      return batch("multiple_choice.batch_size", e.multiple_choice().batch_size());
    case v1::EvaluationSpec::kGeneration:
      RETURN_IF_ERROR(tokens("generation.max_new_tokens", e.generation().max_new_tokens()));
      RETURN_IF_ERROR(fewshot("generation.num_fewshot", e.generation().num_fewshot()));
      return batch("generation.batch_size", e.generation().batch_size());
    case v1::EvaluationSpec::kDiagnostics:
      return tokens("diagnostics.num_tokens", e.diagnostics().num_tokens());
    default:
      return absl::OkStatus();
  }
}

}  // namespace

absl::Status CheckSpecLimits(const v1::SweepSpec& spec, const RequestLimits& limits) {
  RETURN_IF_ERROR(
      CheckBytes("spec", static_cast<int64_t>(spec.ByteSizeLong()), limits.max_spec_bytes, "max-spec-bytes"));
  RETURN_IF_ERROR(CheckBytesAsCount("name bytes", spec.name().size(), limits.max_name_bytes));
  RETURN_IF_ERROR(CheckCount("models", spec.models_size(), limits.max_models, "max-models"));
  RETURN_IF_ERROR(CheckCount("evaluations", spec.evaluations_size(), limits.max_evaluations, "max-evaluations"));
  RETURN_IF_ERROR(CheckCount("ablations", spec.ablations_size(), limits.max_ablations, "max-ablations"));
  RETURN_IF_ERROR(CheckCount("seeds", spec.seeds_size(), limits.max_seeds, "max-seeds"));
  auto path = [&](const std::string& field, const std::string& value) {
    return CheckCount(absl::StrCat(field, " bytes"), static_cast<int64_t>(value.size()), limits.max_path_bytes,
                      "max-path-bytes");
  };
  for (int i = 0; i < spec.models_size(); ++i) {
    const auto& m = spec.models(i);
    const std::string f = absl::StrCat("models[", i, "]");
    RETURN_IF_ERROR(CheckBytesAsCount(f + ".name bytes", m.name().size(), limits.max_name_bytes));
    RETURN_IF_ERROR(path(f + ".path", m.path()));
    RETURN_IF_ERROR(path(f + ".tokenizer", m.tokenizer()));
  }
  for (int i = 0; i < spec.evaluations_size(); ++i) {
    const v1::EvaluationSpec& e = spec.evaluations(i);
    const std::string f = absl::StrCat("evaluations[", i, "]");
    RETURN_IF_ERROR(CheckBytesAsCount(f + ".name bytes", e.name().size(), limits.max_name_bytes));
    RETURN_IF_ERROR(CheckEvaluationLimits(e, f, limits));
  }
  for (int i = 0; i < spec.ablations_size(); ++i) {
    const auto& a = spec.ablations(i);
    const std::string f = absl::StrCat("ablations[", i, "]");
    RETURN_IF_ERROR(CheckBytesAsCount(f + ".name bytes", a.name().size(), limits.max_name_bytes));
    if (a.has_random()) {
      RETURN_IF_ERROR(
          CheckCount(f + ".random.trials", a.random().trials(), limits.max_random_trials, "max-random-trials"));
    }
    if (a.has_progressive()) {
      RETURN_IF_ERROR(CheckCount(f + ".progressive.trials", a.progressive().trials(), limits.max_random_trials,
                                 "max-random-trials"));
      RETURN_IF_ERROR(CheckCount(f + ".progressive.counts", a.progressive().counts_size(), limits.max_layers_per_model,
                                 "max-layers-per-model"));
    }
    if (a.has_explicit_()) {
      RETURN_IF_ERROR(CheckCount(f + ".explicit.targets", a.explicit_().targets_size(),
                                 limits.max_layers_per_model * v1::Component_ARRAYSIZE, "max-layers-per-model"));
    }
  }
  return absl::OkStatus();
}

}  // namespace ablate::spec
