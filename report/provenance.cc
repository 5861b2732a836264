// provenance.cc: the report's provenance section (html_page.h): the
// submitted spec, the checkpoint and dataset fingerprints the results were
// computed on, the code versions, the workers and devices, wall times, and
// the jobs that failed.
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "report/figures.h"
#include "report/html_page.h"
#include "report/svg.h"

namespace ablate::report {
namespace {

std::string Seconds(double s) { return absl::StrFormat("%.1f s", s); }

struct Totals {
  int64_t jobs = 0;
  double wall = 0;
  int64_t tokens = 0;
  std::set<std::string> fingerprints;
};

}  // namespace

std::string RenderProvenanceHtml(const StudyData& data) {
  std::string out = "<section id=\"provenance\" class=\"provenance\">\n<h2>Provenance</h2>\n";
  const Sweep& s = data.sweep;
  if (s.finished_unix_ms > 0 && s.created_unix_ms > 0) {
    absl::StrAppend(&out, "<p>Sweep wall time (submission to last job): ",
                    Seconds((s.finished_unix_ms - s.created_unix_ms) / 1000.0), ".</p>\n");
  }
  // Per model: path, family, checkpoint fingerprints; per evaluation: dataset fingerprints.
  std::map<std::string, Totals> models, evals;
  std::map<std::string, std::pair<std::string, std::string>> model_info;  // path, family
  std::map<std::string, Totals> workers;
  std::map<std::string, std::set<std::string>> worker_devices;
  std::set<std::string> code_versions;
  std::vector<std::vector<std::string>> failed;
  for (const Job& j : data.jobs) {
    model_info[j.model] = {j.model_path, j.family};
    if (j.state == "failed")
      failed.push_back({absl::StrCat(j.job_id), j.model, j.condition.label, j.evaluation, j.last_error});
    const Provenance& p = j.provenance;
    if (!p.has_result) continue;
    for (Totals* t : {&models[j.model], &evals[j.evaluation], &workers[p.worker_id]}) {
      ++t->jobs;
      t->wall += p.wall_seconds;
      t->tokens += p.tokens_evaluated;
    }
    models[j.model].fingerprints.insert(p.checkpoint_fingerprint);
    evals[j.evaluation].fingerprints.insert(p.dataset_fingerprint);
    worker_devices[p.worker_id].insert(p.device);
    code_versions.insert(p.code_version);
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& [name, t] : models) {
    rows.push_back({name, model_info[name].first, model_info[name].second, absl::StrJoin(t.fingerprints, " "),
                    absl::StrCat(t.jobs), Seconds(t.wall)});
  }
  absl::StrAppend(&out, "<h3>Models</h3>\n",
                  HtmlTable({"model", "path", "family", "checkpoint fingerprint (sha256)", "jobs", "wall time"}, rows));
  rows.clear();
  for (const auto& [name, t] : evals) {
    rows.push_back(
        {name, absl::StrJoin(t.fingerprints, " "), absl::StrCat(t.jobs), absl::StrCat(t.tokens), Seconds(t.wall)});
  }
  absl::StrAppend(
      &out, "<h3>Evaluations</h3>\n",
      HtmlTable({"evaluation", "dataset fingerprint (sha256)", "jobs", "tokens evaluated", "wall time"}, rows));
  absl::StrAppend(&out, "<p>Code version", code_versions.size() == 1 ? "" : "s", ": <code>",
                  EscapeXml(code_versions.empty() ? "-" : absl::StrJoin(code_versions, ", ")), "</code>",
                  code_versions.size() > 1 ? " (more than one: results come from different builds)" : "", ".</p>\n");
  rows.clear();
  std::map<std::string, const Worker*> known;
  for (const Worker& w : data.workers) known[w.worker_id] = &w;
  for (const auto& [id, t] : workers) {
    const Worker* w = known.count(id) ? known[id] : nullptr;
    rows.push_back(
        {id, w ? w->host : "-", absl::StrJoin(worker_devices[id], ", "), absl::StrCat(t.jobs), Seconds(t.wall)});
  }
  absl::StrAppend(&out, "<h3>Workers</h3>\n",
                  HtmlTable({"worker", "host", "devices", "results", "wall time (sum of jobs)"}, rows));
  if (!failed.empty()) {
    absl::StrAppend(&out, "<h3>Failed jobs</h3>\n",
                    HtmlTable({"job", "model", "condition", "evaluation", "last error"}, failed));
  }
  absl::StrAppend(&out, "<h3>Spec</h3>\n<pre>", EscapeXml(s.spec_text.empty() ? "(not stored)" : s.spec_text),
                  "</pre>\n");
  absl::StrAppend(&out, "</section>\n");
  return out;
}

}  // namespace ablate::report
