// study_summary.cc: see study_summary.h.
#include "cli/study_summary.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cli/sweep_format.h"
#include "common/model_config.h"

namespace ablate::cli {
namespace {

constexpr const char* kHeadlineMetrics[] = {"perplexity", "acc_norm", "acc", "exact_match"};

// One summary line: a condition, or every trial of a random condition.
struct ConditionLine {
  std::string label;          // trial suffix removed for random conditions
  const v1::Job* job = nullptr;  // the first job of the line (targets, kind)
  std::set<int64_t> jobs;
  std::vector<double> values, ratios, kl, top1;
};

struct ModelBlock {
  std::string name;
  std::string family;
  double baseline = std::nan("");
  std::vector<ConditionLine> lines;
  std::map<std::string, size_t> line_index;
};

struct EvaluationBlock {
  std::string name;
  std::string metric;  // the headline metric, "" if none
  std::vector<ModelBlock> models;
  std::map<std::string, size_t> model_index;
};

// The family names are the shared layout library's (JobSpec.model_family).
bool IsTransformerFamily(const std::string& family) { return family == FamilyName(Family::kTransformer); }

std::string FamilyRole(const std::string& family) {
  if (family.empty()) return "";
  return absl::StrCat(family, ": ", IsTransformerFamily(family) ? "transformer" : "hybrid");
}

// "random/match=attention/t2" -> "random/match=attention" for random kinds.
std::string LineLabel(const v1::ResultRow& row) {
  if (row.kind() != v1::RANDOM) return row.condition();
  const size_t slash = row.condition().rfind("/t");
  if (slash == std::string::npos || slash + 2 >= row.condition().size()) return row.condition();
  for (size_t i = slash + 2; i < row.condition().size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(row.condition()[i]))) return row.condition();
  }
  return row.condition().substr(0, slash);
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

std::string Ratio(double v) { return std::isnan(v) ? "-" : absl::StrCat(Num(v), "x"); }

// Whole-layer removals of distinct layers: the count, or -1 if any target is
// not a skipped layer.
int SkippedLayerCount(const v1::Condition& c) {
  std::set<int> layers;
  for (const auto& t : c.targets()) {
    if (t.mode() != v1::SKIP_LAYER) return -1;
    layers.insert(t.layer());
  }
  return layers.empty() ? -1 : static_cast<int>(layers.size());
}

std::string DescribeTargets(const v1::Condition& c) {
  if (c.targets_size() == 0) return "-";
  const int skipped = SkippedLayerCount(c);
  if (skipped == 1) return absl::StrCat("layer ", c.targets(0).layer(), " skipped");
  if (skipped > 1) return absl::StrCat(skipped, " layers skipped");
  const auto& first = c.targets(0);
  for (const auto& t : c.targets()) {
    if (t.mode() != first.mode() || t.component() != first.component() || t.scale() != first.scale()) {
      return absl::StrCat(c.targets_size(), " targets");
    }
  }
  std::string what = ComponentName(first.component());
  if (c.targets_size() == 1) {
    absl::StrAppend(&what, " L", first.layer());
  } else {
    what = absl::StrCat(c.targets_size(), " x ", what);
  }
  switch (first.mode()) {
    case v1::ZERO: return absl::StrCat(what, " zeroed");
    case v1::SCALE: return absl::StrCat(what, " scaled x", Num(first.scale()));
    default: return absl::StrCat(what, " removed");
  }
}

std::vector<EvaluationBlock> Collect(const std::map<int64_t, const v1::Job*>& jobs,
                                     const std::vector<v1::ResultRow>& sorted) {
  std::vector<EvaluationBlock> evals;
  std::map<std::string, size_t> eval_index;
  std::map<std::string, std::set<std::string>> metrics_of;
  for (const auto& r : sorted) {
    metrics_of[r.evaluation()].insert(r.metric());
    if (eval_index.emplace(r.evaluation(), evals.size()).second) {
      evals.emplace_back();
      evals.back().name = r.evaluation();
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
  for (const auto& r : sorted) {
    EvaluationBlock& e = evals[eval_index[r.evaluation()]];
    const bool headline = r.metric() == e.metric;
    if (e.metric.empty() ||
        (!headline && r.metric() != "kl_mean" && r.metric() != "top1_agreement")) {
      continue;
    }
    auto [mit, new_model] = e.model_index.emplace(r.model(), e.models.size());
    if (new_model) {
      e.models.emplace_back();
      e.models.back().name = r.model();
    }
    ModelBlock& m = e.models[mit->second];
    const auto job = jobs.find(r.job_id());
    const v1::Job* j = job == jobs.end() ? nullptr : job->second;
    if (j != nullptr && m.family.empty()) m.family = j->spec().model_family();
    const std::string label = LineLabel(r);
    auto [lit, new_line] = m.line_index.emplace(label, m.lines.size());
    if (new_line) {
      m.lines.emplace_back();
      m.lines.back().label = label;
      m.lines.back().job = j;
    }
    ConditionLine& line = m.lines[lit->second];
    line.jobs.insert(r.job_id());
    if (headline) {
      line.values.push_back(r.value());
      line.ratios.push_back(r.ratio_to_baseline());
      if (r.kind() == v1::BASELINE) m.baseline = r.value();
      if (std::isnan(m.baseline) && !std::isnan(r.baseline_value())) m.baseline = r.baseline_value();
    } else if (r.metric() == "kl_mean") {
      line.kl.push_back(r.value());
    } else {
      line.top1.push_back(r.value());
    }
  }
  return evals;
}

std::string FormatEvaluation(const EvaluationBlock& e) {
  const bool perplexity = e.metric == "perplexity";
  std::string out = absl::StrCat("== ", e.name, ": ", e.metric, " (ratio to the same model's baseline");
  bool any_drift = false;
  for (const auto& m : e.models) {
    for (const auto& l : m.lines) any_drift |= !l.kl.empty() || !l.top1.empty();
  }
  if (any_drift) absl::StrAppend(&out, "; KL = mean KL(baseline || ablated), top-1 = agreement with the baseline");
  absl::StrAppend(&out, "; random trials: mean [min-max])\n");
  for (const auto& m : e.models) {
    absl::StrAppend(&out, "\n", m.name);
    if (!m.family.empty()) absl::StrAppend(&out, " (", FamilyRole(m.family), ")");
    absl::StrAppend(&out, ": baseline ", e.metric, " ", Num(m.baseline), "\n");
    std::vector<std::vector<std::string>> table;
    std::vector<std::string> header = {"condition", "removed", e.metric, "ratio"};
    if (!perplexity) header.push_back("change");
    if (any_drift) header.insert(header.end(), {"KL", "top-1"});
    table.push_back(header);
    for (const auto& l : m.lines) {
      std::string label = l.label;
      if (l.jobs.size() > 1) absl::StrAppend(&label, " (", l.jobs.size(), " runs)");
      std::vector<std::string> row = {label, l.job ? DescribeTargets(l.job->spec().condition()) : "?",
                                      Num(Mean(l.values))};
      std::string ratio = Ratio(Mean(l.ratios));
      if (l.ratios.size() > 1) {
        auto [lo, hi] = std::minmax_element(l.ratios.begin(), l.ratios.end());
        absl::StrAppend(&ratio, " [", Num(*lo), "-", Num(*hi), "]");
      }
      row.push_back(ratio);
      if (!perplexity) {
        const double d = Mean(l.values) - m.baseline;
        row.push_back(std::isnan(d) ? "-" : absl::StrFormat("%+.4g", d));
      }
      if (any_drift) row.insert(row.end(), {Num(Mean(l.kl)), Num(Mean(l.top1))});
      table.push_back(std::move(row));
    }
    absl::StrAppend(&out, FormatColumns(table, "  "));
  }
  return out;
}

// R(model, k) for every model of a perplexity evaluation: mean ratio of the
// random conditions that skip exactly k whole layers.
std::string FormatResilience(const EvaluationBlock& e) {
  struct Curve {
    const ModelBlock* model;
    std::map<int, std::vector<double>> ratios;  // k -> every trial's ratio
  };
  std::vector<Curve> curves;
  bool any_random = false;
  for (const auto& m : e.models) {
    Curve c{&m, {}};
    for (const auto& l : m.lines) {
      if (l.job == nullptr || l.job->spec().condition().kind() != v1::RANDOM) continue;
      any_random = true;
      const int k = SkippedLayerCount(l.job->spec().condition());
      if (k < 0) continue;
      for (double r : l.ratios) {
        if (!std::isnan(r)) c.ratios[k].push_back(r);
      }
    }
    if (!c.ratios.empty()) curves.push_back(std::move(c));
  }
  if (!any_random) return "";
  std::string out = absl::StrCat("\n== random-removal resilience (", e.name,
                                 "): mean perplexity ratio when k random whole layers are skipped\n");
  std::set<int> ks;
  for (const auto& c : curves) {
    for (const auto& [k, v] : c.ratios) ks.insert(k);
  }
  if (ks.empty()) {
    return absl::StrCat(out, "  (no random condition skips whole layers; add e.g. `random: {count: 2, "
                             "mode: skip_layer}` to each model to compare)\n");
  }
  std::vector<std::vector<std::string>> table;
  std::vector<std::string> header = {"k"};
  for (const auto& c : curves) header.push_back(c.model->name);
  table.push_back(header);
  for (int k : ks) {
    std::vector<std::string> row = {absl::StrCat(k)};
    for (const auto& c : curves) {
      auto it = c.ratios.find(k);
      row.push_back(it == c.ratios.end() ? "-" : absl::StrCat(Ratio(Mean(it->second)), " (n=", it->second.size(), ")"));
    }
    table.push_back(std::move(row));
  }
  absl::StrAppend(&out, FormatColumns(table, "  "));
  bool compared = false;
  for (const auto& t : curves) {
    if (!IsTransformerFamily(t.model->family)) continue;
    for (const auto& h : curves) {
      if (h.model->family.empty() || IsTransformerFamily(h.model->family)) continue;
      std::vector<std::string> parts;
      double log_sum = 0;
      int n = 0;
      for (const auto& [k, hv] : h.ratios) {
        auto tv = t.ratios.find(k);
        if (tv == t.ratios.end()) continue;
        const double r = Mean(tv->second) / Mean(hv);
        parts.push_back(absl::StrCat(Num(r), "x (k=", k, ")"));
        log_sum += std::log(r);
        ++n;
      }
      if (n == 0) continue;
      compared = true;
      absl::StrAppend(&out, "  resilience of ", h.model->name, " vs ", t.model->name, ": ",
                      absl::StrJoin(parts, ", "));
      if (n > 1) absl::StrAppend(&out, "; geometric mean ", Num(std::exp(log_sum / n)), "x");
      absl::StrAppend(&out, "\n");
    }
  }
  if (compared) {
    absl::StrAppend(&out, "  (transformer ratio / hybrid ratio at the same k: above 1, the hybrid degrades less; "
                          "the reference study reports 20-119x)\n");
  } else {
    absl::StrAppend(&out, "  (no resilience ratio: it needs the same k on a transformer (qwen2) and a hybrid)\n");
  }
  return out;
}

}  // namespace

std::string FormatStudySummary(const std::vector<v1::Job>& jobs, const std::vector<v1::ResultRow>& rows) {
  if (rows.empty()) return "(no results)\n";
  std::map<int64_t, const v1::Job*> by_id;
  for (const auto& j : jobs) by_id[j.job_id()] = &j;
  std::vector<v1::ResultRow> sorted = rows;
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const v1::ResultRow& a, const v1::ResultRow& b) { return a.job_id() < b.job_id(); });
  const std::vector<EvaluationBlock> evals = Collect(by_id, sorted);
  std::string out;
  std::vector<std::string> other;
  for (const auto& e : evals) {
    if (e.metric.empty()) {
      other.push_back(e.name);
      continue;
    }
    if (!out.empty()) absl::StrAppend(&out, "\n");
    absl::StrAppend(&out, FormatEvaluation(e));
    if (e.metric == "perplexity") absl::StrAppend(&out, FormatResilience(e));
  }
  if (!other.empty()) {
    absl::StrAppend(&out, out.empty() ? "" : "\n", "(not summarized: ", absl::StrJoin(other, ", "),
                    "; every metric: --format table, csv or json)\n");
  }
  return out;
}

}  // namespace ablate::cli
