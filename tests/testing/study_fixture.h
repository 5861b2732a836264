// study_fixture.h: TEST ONLY. A small StudyData built by hand for the
// report's unit tests: two models (a qwen2 transformer and a falcon_h1
// hybrid), a perplexity evaluation with drift, and a multiple-choice
// evaluation with bootstrap intervals. Numbers are made up; tests count
// marks and check text, never the numbers' meaning.
//
//   report::StudyData d = ablate::testing::SmallStudy();
#ifndef ABLATE_TESTS_TESTING_STUDY_FIXTURE_H_
#define ABLATE_TESTS_TESTING_STUDY_FIXTURE_H_

#include <string>
#include <vector>

#include "report/study_data.h"

namespace ablate::testing {

class StudyBuilder {
 public:
  // A job with `layers` skipped (component "layer") or with `component` zeroed.
  int64_t Job(const std::string& model, const std::string& family, report::Kind kind, const std::string& label,
              const std::vector<int>& layers, const std::string& component = "layer", int layer = -1,
              const std::string& evaluation = "ppl", const std::string& position = "") {
    report::Job j;
    j.job_id = static_cast<int64_t>(data_.jobs.size()) + 1;
    j.model = model;
    j.family = family;
    j.evaluation = evaluation;
    j.condition.kind = kind;
    j.condition.label = label;
    j.condition.component = component;
    j.condition.layer = layer;
    j.condition.position = position;
    for (int l : layers) j.condition.targets.push_back({l, component, component == "layer" ? "skip_layer" : "zero", 1});
    j.state = "succeeded";
    j.provenance = {true, "w-1", "ckpt-" + model, "data-" + evaluation, "0.1.0+test", "cpu", 1.5, 256, 1000};
    data_.jobs.push_back(j);
    return j.job_id;
  }

  void Row(int64_t job, const std::string& metric, double value, double baseline, const std::string& detail = "") {
    const report::Job& j = data_.jobs[job - 1];
    report::ResultRow r;
    r.result_id = static_cast<int64_t>(data_.rows.size()) + 1;
    r.job_id = job;
    r.model = j.model;
    r.kind = j.condition.kind;
    r.condition = j.condition.label;
    r.component = j.condition.component;
    r.layer = j.condition.layer;
    r.evaluation = j.evaluation;
    r.metric = metric;
    r.value = value;
    r.baseline = baseline;
    r.ratio = value / baseline;
    r.detail_json = detail;
    data_.rows.push_back(r);
  }

  // Perplexity (baseline 10) with drift rows.
  void Ppl(int64_t job, double value) {
    Row(job, "perplexity", value, 10);
    Row(job, "kl_mean", value / 100, 0);
    Row(job, "top1_agreement", 10 / value, 1);
  }

  report::StudyData& data() { return data_; }

 private:
  report::StudyData data_;
};

// 2 models x (baseline, 1-2 groups, 4-layer sweep, 3 thirds, random controls,
// random k=1,2), plus a multiple-choice evaluation on the transformer.
inline report::StudyData SmallStudy(const std::string& model_a = "qwen2-tiny",
                                    const std::string& model_b = "falcon-tiny") {
  using report::Kind;
  StudyBuilder b;
  for (const auto& [m, fam] :
       {std::pair{model_a, std::string("qwen2")}, std::pair{model_b, std::string("falcon_h1")}}) {
    b.Ppl(b.Job(m, fam, Kind::kBaseline, "baseline", {}), 10);
    b.Ppl(b.Job(m, fam, Kind::kGroup, "group/attention", {0, 1, 2, 3}, "attention"), 30);
    if (fam == "falcon_h1") b.Ppl(b.Job(m, fam, Kind::kGroup, "group/ssm", {0, 1, 2, 3}, "ssm"), 300);
    for (int l = 0; l < 4; ++l) {
      b.Ppl(b.Job(m, fam, Kind::kLayerSweep, "layer_sweep/layer/L" + std::to_string(l), {l}, "layer", l), 11 + l);
    }
    if (fam == "falcon_h1") {
      for (int l = 0; l < 4; ++l) {
        b.Ppl(b.Job(m, fam, Kind::kLayerSweep, "layer_sweep/ssm/L" + std::to_string(l), {l}, "ssm", l), 20 + l);
      }
    }
    int third = 0;
    for (const char* pos : {"early", "middle", "late"}) {
      b.Ppl(b.Job(m, fam, Kind::kPositional, std::string("positional/layer/") + pos, {third}, "layer", -1, "ppl", pos),
            25 - 5 * third);
      ++third;
    }
    for (int t = 0; t < 3; ++t) {
      b.Ppl(b.Job(m, fam, Kind::kRandom, "random/match=attention/t" + std::to_string(t), {t, t + 1}), 14 + t);
    }
    for (int t = 0; t < 2; ++t) {
      b.Ppl(b.Job(m, fam, Kind::kRandom, "random/n=1/t" + std::to_string(t), {t}), 12 + t);
    }
  }
  // Multiple choice with bootstrap on model_a.
  const int64_t base = b.Job(model_a, "qwen2", Kind::kBaseline, "baseline", {}, "layer", -1, "mc");
  b.Row(base, "acc", 0.5, 0.5);
  b.Row(base, "acc_diff", 0, 0, R"({"ci_low":0,"ci_high":0})");
  const int64_t g = b.Job(model_a, "qwen2", Kind::kGroup, "group/attention", {0, 1, 2, 3}, "attention", -1, "mc");
  b.Row(g, "acc", 0.3, 0.5);
  b.Row(g, "acc_diff", -0.2, 0, R"({"ci_low":-0.3,"ci_high":-0.1})");
  b.data().sweep = {7, "small", "done", 1000, 61000, 0, 0, 0, 0, "name: small\n"};
  b.data().sweep.jobs_total = b.data().sweep.jobs_succeeded = static_cast<int64_t>(b.data().jobs.size());
  b.data().workers.push_back({"w-1", "host-a", "cpu", 1000, true});
  return b.data();
}

}  // namespace ablate::testing

#endif  // ABLATE_TESTS_TESTING_STUDY_FIXTURE_H_
