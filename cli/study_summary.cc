// study_summary.cc: see study_summary.h. The grouping (condition lines,
// folded random trials, resilience curves) is the report's study view
// (report/study_view.h), so the terminal summary and the HTML report agree.
#include "cli/study_summary.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "cli/sweep_format.h"
#include "report/study_convert.h"
#include "report/study_view.h"

namespace ablate::cli {
namespace {

using report::ConditionLine;
using report::EvaluationView;
using report::Mean;
using report::ModelView;
using report::Num;

std::string Ratio(double v) { return std::isnan(v) ? "-" : absl::StrCat(Num(v), "x"); }

std::string FormatEvaluation(const EvaluationView& e) {
  const bool perplexity = e.metric == "perplexity";
  std::string out = absl::StrCat("== ", e.name, ": ", e.metric, " (ratio to the same model's baseline");
  bool any_drift = false;
  for (const auto& m : e.models) {
    for (const auto& l : m.lines) any_drift |= !l.kl.empty() || !l.top1.empty();
  }
  if (any_drift) absl::StrAppend(&out, "; KL = mean KL(baseline || ablated), top-1 = agreement with the baseline");
  absl::StrAppend(&out, "; random trials: mean [min-max])\n");
  for (const ModelView& m : e.models) {
    absl::StrAppend(&out, "\n", m.name);
    if (!m.family.empty()) absl::StrAppend(&out, " (", report::FamilyRole(m.family), ")");
    absl::StrAppend(&out, ": baseline ", e.metric, " ", Num(m.baseline), "\n");
    std::vector<std::vector<std::string>> table;
    std::vector<std::string> header = {"condition", "removed", e.metric, "ratio"};
    if (!perplexity) header.push_back("change");
    if (any_drift) header.insert(header.end(), {"KL", "top-1"});
    table.push_back(header);
    for (const ConditionLine& l : m.lines) {
      std::string label = l.label;
      if (l.jobs.size() > 1) absl::StrAppend(&label, " (", l.jobs.size(), " runs)");
      std::vector<std::string> row = {label, l.job ? report::DescribeTargets(l.job->condition) : "?",
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

std::string FormatResilience(const EvaluationView& e) {
  bool any_random = false;
  const std::vector<report::ResilienceCurve> curves = report::ResilienceCurves(e, &any_random);
  if (!any_random) return "";
  std::string out = absl::StrCat("\n== random-removal resilience (", e.name,
                                 "): mean perplexity ratio when k random whole layers are skipped\n");
  std::set<int> ks;
  for (const auto& c : curves) {
    for (const auto& [k, v] : c.ratios) ks.insert(k);
  }
  if (ks.empty()) {
    return absl::StrCat(out,
                        "  (no random condition skips whole layers; add e.g. `random: {count: 2, "
                        "mode: skip_layer}` to each model to compare)\n");
  }
  std::vector<std::vector<std::string>> table;
  std::vector<std::string> header = {"k"};
  for (const auto& c : curves) header.push_back(e.models[c.model].name);
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
    if (!report::IsTransformerFamily(e.models[t.model].family)) continue;
    for (const auto& h : curves) {
      const std::string& family = e.models[h.model].family;
      if (family.empty() || report::IsTransformerFamily(family)) continue;
      const std::map<int, double> ratios = report::ResilienceRatios(t, h);
      if (ratios.empty()) continue;
      std::vector<std::string> parts;
      double log_sum = 0;
      for (const auto& [k, r] : ratios) {
        parts.push_back(absl::StrCat(Num(r), "x (k=", k, ")"));
        log_sum += std::log(r);
      }
      compared = true;
      absl::StrAppend(&out, "  resilience of ", e.models[h.model].name, " vs ", e.models[t.model].name, ": ",
                      absl::StrJoin(parts, ", "));
      if (ratios.size() > 1) {
        absl::StrAppend(&out, "; geometric mean ", Num(std::exp(log_sum / static_cast<double>(ratios.size()))), "x");
      }
      absl::StrAppend(&out, "\n");
    }
  }
  if (compared) {
    absl::StrAppend(&out,
                    "  (transformer ratio / hybrid ratio at the same k: above 1, the hybrid degrades less; "
                    "the reference study reports 20-119x)\n");
  } else {
    absl::StrAppend(&out, "  (no resilience ratio: it needs the same k on a transformer (qwen2) and a hybrid)\n");
  }
  return out;
}

}  // namespace

std::string FormatStudySummary(const std::vector<v1::Job>& jobs, const std::vector<v1::ResultRow>& rows) {
  if (rows.empty()) return "(no results)\n";
  report::StudyData data;
  for (const auto& j : jobs) data.jobs.push_back(report::JobOf(j));
  for (const auto& r : rows) data.rows.push_back(report::RowOf(r));
  std::string out;
  std::vector<std::string> other;
  for (const EvaluationView& e : report::BuildStudyView(data)) {
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
