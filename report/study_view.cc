// study_view.cc: see study_view.h.
#include "report/study_view.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/families.h"
#include "common/vocabulary.h"

namespace ablate::report {
namespace {

constexpr const char* kHeadlineMetrics[] = {"perplexity", "acc_norm", "acc", "exact_match"};

}  // namespace

std::string KindName(Kind kind) {
  const absl::string_view name = ablate::KindName(static_cast<v1::AblationKind>(kind));
  return name.empty() ? "?" : std::string(name);
}

bool IsTransformerFamily(const std::string& family) {
  absl::StatusOr<Family> f = ParseFamily(family);
  return f.ok() && FamilyInfo(*f).role == "transformer";
}

std::string FamilyRole(const std::string& family) {
  if (family.empty()) return "";
  absl::StatusOr<Family> f = ParseFamily(family);
  // A family this binary does not know (a newer writer's database): its name alone.
  if (!f.ok()) return family;
  return absl::StrCat(family, ": ", FamilyInfo(*f).role);
}

std::string LineLabel(Kind kind, const std::string& condition) {
  if (kind != Kind::kRandom) return condition;
  const size_t slash = condition.rfind("/t");
  if (slash == std::string::npos || slash + 2 >= condition.size()) return condition;
  for (size_t i = slash + 2; i < condition.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(condition[i]))) return condition;
  }
  return condition.substr(0, slash);
}

std::string MatchedComponent(const std::string& condition) {
  const size_t at = condition.find("/match=");
  if (at == std::string::npos) return "";
  const size_t begin = at + 7;
  const size_t end = condition.find('/', begin);
  return condition.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
}

double Mean(const std::vector<double>& v) {
  if (v.empty()) return std::nan("");
  double s = 0;
  for (double x : v) s += x;
  return s / static_cast<double>(v.size());
}

std::string Num(double v) {
  if (std::isnan(v)) return "-";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return absl::StrFormat("%.4g", v);
}

int SkippedLayerCount(const Condition& c) {
  std::set<int> layers;
  for (const auto& t : c.targets) {
    if (t.mode != "skip_layer") return -1;
    layers.insert(t.layer);
  }
  return layers.empty() ? -1 : static_cast<int>(layers.size());
}

std::string DescribeTargets(const Condition& c) {
  if (c.targets.empty()) return "-";
  const int skipped = SkippedLayerCount(c);
  if (skipped == 1) return absl::StrCat("layer ", c.targets[0].layer, " skipped");
  if (skipped > 1) return absl::StrCat(skipped, " layers skipped");
  const Target& first = c.targets[0];
  for (const auto& t : c.targets) {
    if (t.mode != first.mode || t.component != first.component || t.scale != first.scale) {
      return absl::StrCat(c.targets.size(), " targets");
    }
  }
  std::string what = first.component;
  if (c.targets.size() == 1) {
    absl::StrAppend(&what, " L", first.layer);
  } else {
    what = absl::StrCat(c.targets.size(), " x ", what);
  }
  if (first.mode == "zero") return absl::StrCat(what, " zeroed");
  if (first.mode == "scale") return absl::StrCat(what, " scaled x", Num(first.scale));
  return absl::StrCat(what, " removed");
}

std::vector<EvaluationView> BuildStudyView(const StudyData& data) {
  std::map<int64_t, const Job*> jobs;
  for (const Job& j : data.jobs) jobs[j.job_id] = &j;
  std::vector<const ResultRow*> sorted;
  for (const ResultRow& r : data.rows) sorted.push_back(&r);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const ResultRow* a, const ResultRow* b) { return a->job_id < b->job_id; });
  std::vector<EvaluationView> evals;
  std::map<std::string, size_t> eval_index;
  std::map<std::string, std::set<std::string>> metrics_of;
  for (const ResultRow* r : sorted) {
    metrics_of[r->evaluation].insert(r->metric);
    if (eval_index.emplace(r->evaluation, evals.size()).second) {
      evals.emplace_back();
      evals.back().name = r->evaluation;
    }
  }
  for (auto& e : evals) {
    for (const char* m : kHeadlineMetrics) {
      if (metrics_of[e.name].count(m)) {
        e.metric = m;
        break;
      }
    }
  }
  for (const ResultRow* r : sorted) {
    EvaluationView& e = evals[eval_index[r->evaluation]];
    const bool headline = r->metric == e.metric;
    if (e.metric.empty() || (!headline && r->metric != "kl_mean" && r->metric != "top1_agreement")) {
      continue;
    }
    auto [mit, new_model] = e.model_index.emplace(r->model, e.models.size());
    if (new_model) {
      e.models.emplace_back();
      e.models.back().name = r->model;
    }
    ModelView& m = e.models[mit->second];
    const auto job = jobs.find(r->job_id);
    const Job* j = job == jobs.end() ? nullptr : job->second;
    if (j != nullptr && m.family.empty()) m.family = j->family;
    const std::string label = LineLabel(r->kind, r->condition);
    auto [lit, new_line] = m.line_index.emplace(label, m.lines.size());
    if (new_line) {
      m.lines.emplace_back();
      m.lines.back().label = label;
      m.lines.back().job = j;
      m.lines.back().kind = r->kind;
    }
    ConditionLine& line = m.lines[lit->second];
    line.jobs.insert(r->job_id);
    if (headline) {
      line.headline.push_back(r);
      line.values.push_back(r->value);
      line.ratios.push_back(r->ratio);
      if (r->kind == Kind::kBaseline) m.baseline = r->value;
      if (std::isnan(m.baseline) && !std::isnan(r->baseline)) m.baseline = r->baseline;
    } else if (r->metric == "kl_mean") {
      line.kl.push_back(r->value);
      line.kl_rows.push_back(r);
    } else {
      line.top1.push_back(r->value);
      line.top1_rows.push_back(r);
    }
  }
  return evals;
}

std::vector<ResilienceCurve> ResilienceCurves(const EvaluationView& e, bool* any_random) {
  std::vector<ResilienceCurve> curves;
  *any_random = false;
  for (size_t i = 0; i < e.models.size(); ++i) {
    ResilienceCurve c{i, {}};
    for (const auto& l : e.models[i].lines) {
      if (l.job == nullptr || l.job->condition.kind != Kind::kRandom) continue;
      *any_random = true;
      const int k = SkippedLayerCount(l.job->condition);
      if (k < 0) continue;
      for (double r : l.ratios) {
        if (!std::isnan(r)) c.ratios[k].push_back(r);
      }
    }
    if (!c.ratios.empty()) curves.push_back(std::move(c));
  }
  return curves;
}

std::map<int, double> ResilienceRatios(const ResilienceCurve& transformer, const ResilienceCurve& hybrid) {
  std::map<int, double> out;
  for (const auto& [k, hv] : hybrid.ratios) {
    auto tv = transformer.ratios.find(k);
    if (tv == transformer.ratios.end()) continue;
    out[k] = Mean(tv->second) / Mean(hv);
  }
  return out;
}

}  // namespace ablate::report
