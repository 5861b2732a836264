// expander.cc: SweepSpec x layouts -> ordered jobs (see expander.h).
//
// Two passes: first count every (model, ablation) pair arithmetically and reject
// grids over execution.max_jobs before anything is materialised; then build the
// conditions of every model (labels, explicit targets, random draws; small: at
// most max_jobs / (evaluations x seeds)) and cross them with evaluations and
// seeds, streaming jobs to a sink that ExpandSweep collects.
#include "spec/expander.h"

#include <unordered_map>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "spec/conditions.h"
#include "spec/spec_parser.h"
#include "spec/validate.h"

namespace ablate::spec {
namespace {

struct Prepared {
  v1::SweepSpec spec;                // defaults applied
  std::vector<ModelConfig> configs;  // one per model
  std::vector<std::vector<int64_t>> counts;  // [model][ablation] conditions
  int64_t total_jobs = 0;
};

absl::StatusOr<Prepared> Prepare(const v1::SweepSpec& in, LayoutSource& layouts) {
  RETURN_IF_ERROR(ValidateSweepSpec(in));
  Prepared p;
  p.spec = in;
  ApplyDefaults(&p.spec);
  const v1::SweepSpec& spec = p.spec;
  const int64_t per_condition = static_cast<int64_t>(spec.evaluations_size()) * spec.seeds_size();
  const int64_t max_jobs = spec.execution().max_jobs();
  for (int m = 0; m < spec.models_size(); ++m) {
    absl::StatusOr<ModelConfig> cfg = layouts.Get(spec.models(m));
    if (!cfg.ok()) {
      return absl::Status(cfg.status().code(), absl::StrCat("models[", m, "] ('", spec.models(m).name(),
                                                            "'): ", cfg.status().message()));
    }
    p.configs.push_back(*std::move(cfg));
  }
  // 128-bit so that absurd specs (huge trial counts) cannot overflow the check.
  unsigned __int128 total = 0;
  for (int m = 0; m < spec.models_size(); ++m) {
    p.counts.emplace_back();
    for (int a = 0; a < spec.ablations_size(); ++a) {
      ASSIGN_OR_RETURN(int64_t n, CountConditions(spec, a, m, p.configs[m]));
      p.counts.back().push_back(n);
      total += static_cast<unsigned __int128>(n) * static_cast<unsigned __int128>(per_condition);
    }
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
  if (total > static_cast<unsigned __int128>(INT32_MAX)) {
    return absl::InvalidArgumentError(absl::StrCat("execution.max_jobs: a sweep holds at most ", INT32_MAX,
                                                   " jobs (JobSpec.index is 32-bit)"));
  }
  p.total_jobs = static_cast<int64_t>(total);
  return p;
}

// Builds the conditions of model m, in ablation order, and checks that labels are unique.
absl::Status BuildConditions(const Prepared& p, int m, std::vector<v1::Condition>* out) {
  const v1::SweepSpec& spec = p.spec;
  std::unordered_map<std::string, int> seen;
  for (int a = 0; a < spec.ablations_size(); ++a) {
    if (p.counts[m][a] == 0) continue;
    const size_t before = out->size();
    RETURN_IF_ERROR(AppendConditions(spec, a, m, p.configs[m], out));
    for (size_t k = before; k < out->size(); ++k) {
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

// Per (model, kind), models in spec order, kinds in AblationKind order.
std::vector<v1::ExpansionCount> Counts(const Prepared& p,
                                       const std::vector<std::vector<v1::Condition>>& conditions) {
  std::vector<v1::ExpansionCount> out;
  const int64_t per_condition = static_cast<int64_t>(p.spec.evaluations_size()) * p.spec.seeds_size();
  for (int m = 0; m < p.spec.models_size(); ++m) {
    std::vector<int64_t> by_kind(v1::AblationKind_ARRAYSIZE, 0);
    for (const auto& c : conditions[m]) ++by_kind[c.kind()];
    for (int k = 0; k < v1::AblationKind_ARRAYSIZE; ++k) {
      if (by_kind[k] == 0) continue;
      AddCount(&out, p.spec.models(m).name(), static_cast<v1::AblationKind>(k), by_kind[k],
               by_kind[k] * per_condition);
    }
  }
  return out;
}

// Every model's conditions, [model][k].
absl::StatusOr<std::vector<std::vector<v1::Condition>>> BuildAll(const Prepared& p) {
  std::vector<std::vector<v1::Condition>> conditions(p.spec.models_size());
  for (int m = 0; m < p.spec.models_size(); ++m) {
    RETURN_IF_ERROR(BuildConditions(p, m, &conditions[m]));
  }
  return conditions;
}

// Crosses conditions with evaluations and seeds, in order. One JobSpec is reused;
// each part is replaced only when it changes.
absl::Status Emit(const Prepared& p, const std::vector<std::vector<v1::Condition>>& conditions,
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
  ASSIGN_OR_RETURN(ModelConfig cfg, LoadModelConfig(model.path()));
  cache_.emplace(model.path(), cfg);
  return cfg;
}

absl::StatusOr<std::vector<v1::ExpansionCount>> StreamSweep(
    const v1::SweepSpec& spec, LayoutSource& layouts, const std::function<absl::Status(const v1::JobSpec&)>& sink) {
  ASSIGN_OR_RETURN(Prepared p, Prepare(spec, layouts));
  ASSIGN_OR_RETURN(auto conditions, BuildAll(p));
  RETURN_IF_ERROR(Emit(p, conditions, sink));
  return Counts(p, conditions);
}

absl::StatusOr<Expansion> ExpandSweep(const v1::SweepSpec& spec, LayoutSource& layouts) {
  ASSIGN_OR_RETURN(Prepared p, Prepare(spec, layouts));
  ASSIGN_OR_RETURN(auto conditions, BuildAll(p));
  Expansion e;
  e.jobs.reserve(static_cast<size_t>(p.total_jobs));
  RETURN_IF_ERROR(Emit(p, conditions, [&e](const v1::JobSpec& j) {
    e.jobs.push_back(j);
    return absl::OkStatus();
  }));
  e.counts = Counts(p, conditions);
  return e;
}

absl::StatusOr<std::vector<v1::ExpansionCount>> CountSweep(const v1::SweepSpec& spec, LayoutSource& layouts) {
  ASSIGN_OR_RETURN(Prepared p, Prepare(spec, layouts));
  ASSIGN_OR_RETURN(auto conditions, BuildAll(p));
  return Counts(p, conditions);
}

}  // namespace ablate::spec
