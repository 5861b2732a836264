// study_view.h: the results of a sweep grouped the way the reference study
// (arXiv 2603.22473) reads them; shared by the terminal study view
// (cli/study_summary.h) and the HTML report's figures, so both always agree.
//
// For each evaluation with a headline metric (perplexity, acc_norm, acc,
// exact_match, the first one present) and each model: one line per ablation
// condition with the headline values, their ratios to the model's baseline
// and the drift (kl_mean, top1_agreement) from it; the trials of a random
// condition ("random/match=attention/t2") are folded into one line
// ("random/match=attention").
//
// Resilience (docs/reference-study.md): for a perplexity evaluation and a
// count k, R(model, k) is the mean perplexity ratio over every random
// condition of that model that skips exactly k whole decoder layers (all
// targets in skip_layer mode). The resilience of a hybrid H against a
// transformer T at k is R(T, k) / R(H, k). A model is a transformer when its
// family is qwen2 (the layout library's transformer family).
//
// Pure functions of their inputs; the view points into the StudyData it was
// built from, which must outlive it. Thread-compatible.
//
//   for (const EvaluationView& e : BuildStudyView(data)) { ... e.models[0].lines ... }
#ifndef ABLATE_REPORT_STUDY_VIEW_H_
#define ABLATE_REPORT_STUDY_VIEW_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "report/study_data.h"

namespace ablate::report {

// One condition, or every trial of a random condition.
struct ConditionLine {
  std::string label;         // trial suffix removed for random conditions
  const Job* job = nullptr;  // the first job of the line (targets, kind); null if unknown
  Kind kind = Kind::kUnspecified;
  std::set<int64_t> jobs;
  std::vector<const ResultRow*> headline;            // the headline rows, in job order
  std::vector<const ResultRow*> kl_rows, top1_rows;  // the drift rows, in job order
  std::vector<double> values, ratios, kl, top1;
};

struct ModelView {
  std::string name;
  std::string family;  // "" when no job of the model is known
  double baseline = std::numeric_limits<double>::quiet_NaN();
  std::vector<ConditionLine> lines;
  std::map<std::string, size_t> line_index;
};

struct EvaluationView {
  std::string name;
  std::string metric;  // the headline metric, "" if none (e.g. diagnostics)
  std::vector<ModelView> models;
  std::map<std::string, size_t> model_index;
};

// R(model, k): every trial's ratio per k, for one model of a perplexity evaluation.
struct ResilienceCurve {
  size_t model = 0;                           // index into EvaluationView::models
  std::map<int, std::vector<double>> ratios;  // k -> ratios (NaN dropped)
};

// Evaluations in order of their first result (rows ordered by job id).
std::vector<EvaluationView> BuildStudyView(const StudyData& data);

// Curves of the models with at least one skip-k-layers random condition.
// *any_random: whether the evaluation has random conditions at all.
std::vector<ResilienceCurve> ResilienceCurves(const EvaluationView& e, bool* any_random);

// R(T, k) / R(H, k) for every k both curves have.
std::map<int, double> ResilienceRatios(const ResilienceCurve& transformer, const ResilienceCurve& hybrid);

// True for the families whose role is "transformer"; false for unknown ones.
bool IsTransformerFamily(const std::string& family);
// "qwen2: transformer", "falcon_h1: hybrid" (roles from common/families.h); ""
// when empty; the bare name for a family this binary does not know.
std::string FamilyRole(const std::string& family);

// Whole-layer removals of distinct layers: the count, or -1 if any target is
// not a skipped layer (or there are none).
int SkippedLayerCount(const Condition& c);
// "layer 3 skipped", "2 x attention zeroed", "ssm L4 scaled x0.5", ...
std::string DescribeTargets(const Condition& c);
// The random trial label without its "/tN" suffix; other labels unchanged.
std::string LineLabel(Kind kind, const std::string& condition);
// "random/match=attention/t1" -> "attention"; "" when the label has no match=.
std::string MatchedComponent(const std::string& condition);

double Mean(const std::vector<double>& v);  // NaN when empty
// "%.4g"; "-" for NaN; "inf" / "-inf".
std::string Num(double v);

}  // namespace ablate::report

#endif  // ABLATE_REPORT_STUDY_VIEW_H_
