// validate.cc: layout-free checks on a SweepSpec (see validate.h).
#include "spec/validate.h"

#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/families.h"
#include "common/model_config.h"
#include "common/vocabulary.h"

namespace ablate::spec {
namespace {

using Err = std::optional<SpecError>;

Err Fail(std::string path, std::string message) { return SpecError{std::move(path), std::move(message)}; }

std::string At(absl::string_view path, int i) { return absl::StrCat(path, "[", i, "]"); }

#define ABLATE_CHECK_SPEC(expr)     \
  do {                              \
    if (Err e_ = (expr)) return e_; \
  } while (0)

Err NonNegative(const std::string& path, int64_t v) {
  if (v < 0) return Fail(path, absl::StrCat("must not be negative, got ", v));
  return std::nullopt;
}

// A lease this long without a heartbeat is far past any real job; the bound
// also keeps lease_ttl_seconds * 1000 well inside the scheduler's integers.
constexpr int64_t kMaxLeaseTtlSeconds = int64_t{7} * 24 * 3600;

Err CheckModels(const v1::SweepSpec& spec) {
  if (spec.models_size() == 0) return Fail("models", "at least one model is required");
  std::map<std::string, int> names;
  for (int i = 0; i < spec.models_size(); ++i) {
    const auto& m = spec.models(i);
    const std::string p = At("models", i);
    if (m.name().empty()) return Fail(p + ".name", "required");
    auto [it, fresh] = names.emplace(m.name(), i);
    if (!fresh)
      return Fail(p + ".name", absl::StrCat("'", m.name(), "' is already the name of models[", it->second, "]"));
    if (m.path().empty()) return Fail(p + ".path", "required (the checkpoint directory)");
  }
  return std::nullopt;
}

Err CheckEvaluation(const v1::EvaluationSpec& e, const std::string& p) {
  switch (e.kind_case()) {
    case v1::EvaluationSpec::kPerplexity: {
      const auto& x = e.perplexity();
      const std::string q = p + ".perplexity";
      if (x.dataset().empty()) return Fail(q + ".dataset", "required (a raw text file)");
      ABLATE_CHECK_SPEC(NonNegative(q + ".max_length", x.max_length()));
      ABLATE_CHECK_SPEC(NonNegative(q + ".stride", x.stride()));
      ABLATE_CHECK_SPEC(NonNegative(q + ".num_tokens", x.num_tokens()));
      ABLATE_CHECK_SPEC(NonNegative(q + ".batch_size", x.batch_size()));
      if (x.clamp() < 0) return Fail(q + ".clamp", "must not be negative");
      if (x.protocol() == v1::SLIDING && x.max_length() > 0 && x.stride() > x.max_length())
        return Fail(q + ".stride", absl::StrCat("must not exceed max_length (", x.max_length(), ")"));
      if (x.protocol() != v1::SLIDING && x.stride() != 0)
        return Fail(q + ".stride", "only applies to protocol sliding");
      if (x.protocol() == v1::DOCUMENTS && x.num_tokens() != 0)
        return Fail(q + ".num_tokens", "does not apply to protocol documents (whole documents are scored)");
      return std::nullopt;
    }
    case v1::EvaluationSpec::kMultipleChoice: {
      const auto& x = e.multiple_choice();
      const std::string q = p + ".multiple_choice";
      if (x.task() == v1::TASK_UNSPECIFIED)
        return Fail(q + ".task",
                    "required (mmlu, arc_challenge, arc_easy, hellaswag, truthfulqa_mc1, piqa, winogrande, lambada)");
      if (x.path().empty()) return Fail(q + ".path", "required (the task's data file or directory)");
      ABLATE_CHECK_SPEC(NonNegative(q + ".num_fewshot", x.num_fewshot()));
      ABLATE_CHECK_SPEC(NonNegative(q + ".limit", x.limit()));
      ABLATE_CHECK_SPEC(NonNegative(q + ".batch_size", x.batch_size()));
      return std::nullopt;
    }
    case v1::EvaluationSpec::kGeneration: {
      const auto& x = e.generation();
      const std::string q = p + ".generation";
      if (x.task().empty()) return Fail(q + ".task", "required (e.g. gsm8k)");
      if (x.path().empty()) return Fail(q + ".path", "required (the task's data file)");
      ABLATE_CHECK_SPEC(NonNegative(q + ".num_fewshot", x.num_fewshot()));
      ABLATE_CHECK_SPEC(NonNegative(q + ".limit", x.limit()));
      ABLATE_CHECK_SPEC(NonNegative(q + ".max_new_tokens", x.max_new_tokens()));
      ABLATE_CHECK_SPEC(NonNegative(q + ".batch_size", x.batch_size()));
      return std::nullopt;
    }
    case v1::EvaluationSpec::kDiagnostics: {
      const auto& x = e.diagnostics();
      const std::string q = p + ".diagnostics";
      if (x.dataset().empty()) return Fail(q + ".dataset", "required (a raw text file)");
      ABLATE_CHECK_SPEC(NonNegative(q + ".num_tokens", x.num_tokens()));
      return std::nullopt;
    }
    default:
      return Fail(p, "missing evaluation kind (one of perplexity, multiple_choice, generation, diagnostics)");
  }
}

Err CheckEvaluations(const v1::SweepSpec& spec) {
  if (spec.evaluations_size() == 0) return Fail("evaluations", "at least one evaluation is required");
  std::map<std::string, int> names;
  for (int i = 0; i < spec.evaluations_size(); ++i) {
    const auto& e = spec.evaluations(i);
    const std::string p = At("evaluations", i);
    if (e.name().empty()) return Fail(p + ".name", "required");
    auto [it, fresh] = names.emplace(e.name(), i);
    if (!fresh)
      return Fail(p + ".name", absl::StrCat("'", e.name(), "' is already the name of evaluations[", it->second, "]"));
    ABLATE_CHECK_SPEC(CheckEvaluation(e, p));
  }
  return std::nullopt;
}

Err RequireComponent(const std::string& path, v1::Component c) {
  if (c == v1::COMPONENT_UNSPECIFIED)
    return Fail(path, "required (one of attention, linear_attention, ssm, mlp, layer)");
  return std::nullopt;
}

Err CheckAblationKind(const v1::AblationSpec& a, const std::string& p) {
  switch (a.kind_case()) {
    case v1::AblationSpec::kBaseline:
      return std::nullopt;
    case v1::AblationSpec::kGroup: {
      const std::string q = p + ".group.components";
      if (a.group().components_size() == 0) return Fail(q, "at least one component is required");
      std::set<int> seen;
      for (int j = 0; j < a.group().components_size(); ++j) {
        ABLATE_CHECK_SPEC(RequireComponent(At(q, j), a.group().components(j)));
        if (!seen.insert(a.group().components(j)).second)
          return Fail(At(q, j), absl::StrCat("'", ComponentName(a.group().components(j)), "' is listed twice"));
      }
      return std::nullopt;
    }
    case v1::AblationSpec::kLayerSweep:
      return RequireComponent(p + ".layer_sweep.component", a.layer_sweep().component());
    case v1::AblationSpec::kPositional: {
      const auto& x = a.positional();
      const std::string q = p + ".positional";
      ABLATE_CHECK_SPEC(RequireComponent(q + ".component", x.component()));
      if (x.absolute() && x.ranges_size() == 0)
        return Fail(q + ".absolute", "needs explicit ranges (thirds are always relative)");
      std::set<std::string> names;
      for (int j = 0; j < x.ranges_size(); ++j) {
        const auto& r = x.ranges(j);
        const std::string rp = At(q + ".ranges", j);
        if (r.name().empty()) return Fail(rp + ".name", "required");
        if (!names.insert(r.name()).second)
          return Fail(rp + ".name", absl::StrCat("'", r.name(), "' is used by another range"));
        ABLATE_CHECK_SPEC(NonNegative(rp + ".start", r.start()));
        if (r.end() <= r.start())
          return Fail(rp + ".end",
                      absl::StrCat("must be greater than start (", r.start(), "); ranges are [start, end)"));
      }
      return std::nullopt;
    }
    case v1::AblationSpec::kProgressive: {
      const auto& x = a.progressive();
      const std::string q = p + ".progressive";
      ABLATE_CHECK_SPEC(RequireComponent(q + ".component", x.component()));
      if (x.counts_size() == 0) return Fail(q + ".counts", "at least one count is required");
      std::set<int> counts;
      for (int j = 0; j < x.counts_size(); ++j) {
        if (x.counts(j) < 1) return Fail(At(q + ".counts", j), absl::StrCat("must be at least 1, got ", x.counts(j)));
        if (!counts.insert(x.counts(j)).second)
          return Fail(At(q + ".counts", j), absl::StrCat(x.counts(j), " is listed twice"));
      }
      std::set<int> orders;
      for (int j = 0; j < x.orders_size(); ++j) {
        if (x.orders(j) == v1::ORDER_UNSPECIFIED) return Fail(At(q + ".orders", j), "one of first, last, random");
        if (!orders.insert(x.orders(j)).second) return Fail(At(q + ".orders", j), "listed twice");
      }
      ABLATE_CHECK_SPEC(NonNegative(q + ".trials", x.trials()));
      if (x.trials() > 1 && !orders.count(v1::RANDOM_ORDER))
        return Fail(q + ".trials", "only applies to order random (add random to orders)");
      return std::nullopt;
    }
    case v1::AblationSpec::kRandom: {
      const auto& x = a.random();
      const std::string q = p + ".random";
      ABLATE_CHECK_SPEC(NonNegative(q + ".count", x.count()));
      ABLATE_CHECK_SPEC(NonNegative(q + ".trials", x.trials()));
      if (x.match() == v1::COMPONENT_UNSPECIFIED && x.count() == 0)
        return Fail(q, "give match (a component whose layer count is matched) or count");
      if (x.exclude_matched() && x.match() == v1::COMPONENT_UNSPECIFIED)
        return Fail(q + ".exclude_matched", "needs match (the component to exclude)");
      if (x.pool_components_size() > 0 && x.pool() != v1::COMPONENT_PAIRS)
        return Fail(q + ".pool_components", "only applies to pool: component_pairs");
      for (int j = 0; j < x.pool_components_size(); ++j) {
        const std::string cp = At(q + ".pool_components", j);
        ABLATE_CHECK_SPEC(RequireComponent(cp, x.pool_components(j)));
        if (x.pool_components(j) == v1::LAYER)
          return Fail(cp, "'layer' is not a component; use pool: layers to draw whole layers");
      }
      return std::nullopt;
    }
    case v1::AblationSpec::kExplicit: {
      const auto& x = a.explicit_();
      const std::string q = p + ".explicit.targets";
      if (x.targets_size() == 0) return Fail(q, "at least one target is required");
      std::set<std::pair<int, int>> seen;
      for (int j = 0; j < x.targets_size(); ++j) {
        const auto& t = x.targets(j);
        const std::string tp = At(q, j);
        ABLATE_CHECK_SPEC(NonNegative(tp + ".layer", t.layer()));
        ABLATE_CHECK_SPEC(RequireComponent(tp + ".component", t.component()));
        if (!seen.insert({t.layer(), t.component()}).second)
          return Fail(tp, absl::StrCat("layer ", t.layer(), " ", ComponentName(t.component()), " is listed twice"));
        if (t.mode() == v1::SCALE && t.scale() == 0 && a.scale() == 0)
          return Fail(tp + ".scale", "mode scale needs a non-zero scale (use mode zero to remove the branch)");
      }
      return std::nullopt;
    }
    default:
      return Fail(p, absl::StrCat("missing ablation kind (one of ", KindNameList(), ")"));
  }
}

Err CheckAblations(const v1::SweepSpec& spec) {
  if (spec.ablations_size() == 0) return Fail("ablations", "at least one ablation is required");
  std::set<std::string> models;
  for (const auto& m : spec.models()) models.insert(m.name());
  for (int i = 0; i < spec.ablations_size(); ++i) {
    const auto& a = spec.ablations(i);
    const std::string p = At("ablations", i);
    for (int j = 0; j < a.models_size(); ++j) {
      if (!models.count(a.models(j)))
        return Fail(At(p + ".models", j),
                    absl::StrCat("no model named '", a.models(j), "' (models: ", absl::StrJoin(models, ", "), ")"));
    }
    if (a.mode() == v1::SCALE && a.scale() == 0)
      return Fail(p + ".scale", "mode scale needs a non-zero scale (use mode zero to remove the branch)");
    if (a.name().find('/') != std::string::npos)
      return Fail(p + ".name", "must not contain '/' (labels are '<name>/...')");
    ABLATE_CHECK_SPEC(CheckAblationKind(a, p));
  }
  return std::nullopt;
}

Err CheckRest(const v1::SweepSpec& spec) {
  std::set<uint64_t> seeds;
  for (int i = 0; i < spec.seeds_size(); ++i) {
    if (!seeds.insert(spec.seeds(i)).second)
      return Fail(At("seeds", i), absl::StrCat("seed ", spec.seeds(i), " is listed twice"));
  }
  std::set<std::string> families;
  for (int i = 0; i < spec.mode_defaults_size(); ++i) {
    const auto& d = spec.mode_defaults(i);
    const std::string p = At("mode_defaults", i);
    const std::string f = d.family();
    if (absl::StatusOr<Family> family = ParseFamily(f); !family.ok())
      return Fail(p + ".family", std::string(family.status().message()));
    if (!families.insert(f).second) return Fail(p + ".family", absl::StrCat("'", f, "' is listed twice"));
    if (d.mode() == v1::MODE_UNSPECIFIED) return Fail(p + ".mode", absl::StrCat("required (", ModeNameList(), ")"));
  }
  const auto& x = spec.execution();
  ABLATE_CHECK_SPEC(NonNegative("execution.max_attempts", x.max_attempts()));
  ABLATE_CHECK_SPEC(NonNegative("execution.lease_ttl_seconds", x.lease_ttl_seconds()));
  if (x.lease_ttl_seconds() > kMaxLeaseTtlSeconds) {
    return Fail("execution.lease_ttl_seconds",
                absl::StrCat("at most ", kMaxLeaseTtlSeconds, " (7 days), got ", x.lease_ttl_seconds()));
  }
  ABLATE_CHECK_SPEC(NonNegative("execution.max_jobs", x.max_jobs()));
  return std::nullopt;
}

}  // namespace

std::string AblationKindName(const v1::AblationSpec& a) {
  if (a.kind_case() == v1::AblationSpec::KIND_NOT_SET) return "";
  return a.GetDescriptor()->FindFieldByNumber(a.kind_case())->name();
}

std::optional<SpecError> FindSpecError(const v1::SweepSpec& spec) {
  ABLATE_CHECK_SPEC(CheckModels(spec));
  ABLATE_CHECK_SPEC(CheckEvaluations(spec));
  ABLATE_CHECK_SPEC(CheckAblations(spec));
  ABLATE_CHECK_SPEC(CheckRest(spec));
  return std::nullopt;
}

absl::Status ValidateSweepSpec(const v1::SweepSpec& spec) {
  if (auto e = FindSpecError(spec)) return absl::InvalidArgumentError(absl::StrCat(e->path, ": ", e->message));
  return absl::OkStatus();
}

}  // namespace ablate::spec
