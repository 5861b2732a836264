// study_convert.cc: see study_convert.h.
#include "report/study_convert.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "common/vocabulary.h"

namespace ablate::report {
namespace {

std::string ComponentOrEmpty(v1::Component c) { return std::string(ComponentNameOrEmpty(c)); }

std::string EvaluationKind(const v1::EvaluationSpec& e) {
  switch (e.kind_case()) {
    case v1::EvaluationSpec::kPerplexity:
      return "perplexity";
    case v1::EvaluationSpec::kMultipleChoice:
      return "multiple_choice";
    case v1::EvaluationSpec::kGeneration:
      return "generation";
    case v1::EvaluationSpec::kDiagnostics:
      return "diagnostics";
    default:
      return "";
  }
}

std::string JobStateName(v1::JobState s) {
  return s == v1::JOB_STATE_UNSPECIFIED ? "" : absl::AsciiStrToLower(v1::JobState_Name(s));
}

}  // namespace

Sweep SweepOf(const v1::SweepInfo& info) {
  Sweep s;
  s.sweep_id = info.sweep_id();
  s.name = info.name();
  switch (info.state()) {
    case v1::SWEEP_RUNNING:
      s.state = "running";
      break;
    case v1::SWEEP_DONE:
      s.state = "done";
      break;
    case v1::SWEEP_CANCELLED:
      s.state = "cancelled";
      break;
    default:
      s.state = "unknown";
  }
  s.created_unix_ms = info.created_unix_ms();
  s.finished_unix_ms = info.finished_unix_ms();
  s.jobs_total = info.counts().total();
  s.jobs_succeeded = info.counts().succeeded();
  s.jobs_failed = info.counts().failed();
  s.jobs_cancelled = info.counts().cancelled();
  s.spec_text = info.spec_text();
  return s;
}

Job JobOf(const v1::Job& job) {
  Job j;
  j.job_id = job.job_id();
  const v1::JobSpec& spec = job.spec();
  j.model = spec.model().name();
  j.model_path = spec.model().path();
  j.family = spec.model_family();
  j.evaluation = spec.evaluation().name();
  j.evaluation_kind = EvaluationKind(spec.evaluation());
  j.seed = spec.seed();
  const v1::Condition& c = spec.condition();
  j.condition.kind = static_cast<Kind>(c.kind());
  j.condition.label = c.label();
  j.condition.component = ComponentOrEmpty(c.component());
  j.condition.layer = c.layer();
  j.condition.position = c.position();
  j.condition.count = c.count();
  j.condition.trial = c.trial();
  for (const v1::Target& t : c.targets()) {
    j.condition.targets.push_back(
        {t.layer(), ComponentOrEmpty(t.component()), std::string(ModeName(t.mode())), t.scale()});
  }
  j.state = JobStateName(job.state());
  j.attempts = job.attempts();
  j.last_error = job.last_error();
  if (job.has_result_info()) {
    const v1::ResultInfo& r = job.result_info();
    Provenance& p = j.provenance;
    p.has_result = true;
    p.worker_id = r.worker_id();
    p.checkpoint_fingerprint = r.checkpoint_fingerprint();
    p.dataset_fingerprint = r.dataset_fingerprint();
    p.code_version = r.code_version();
    p.device = r.device();
    p.wall_seconds = r.wall_seconds();
    p.tokens_evaluated = r.tokens_evaluated();
    p.completed_unix_ms = r.completed_unix_ms();
  }
  return j;
}

ResultRow RowOf(const v1::ResultRow& row) {
  ResultRow r;
  r.result_id = row.result_id();
  r.job_id = row.job_id();
  r.model = row.model();
  r.kind = static_cast<Kind>(row.kind());
  r.condition = row.condition();
  r.component = ComponentOrEmpty(row.component());
  r.layer = row.layer();
  r.evaluation = row.evaluation();
  r.metric = row.metric();
  r.value = row.value();
  r.baseline = row.baseline_value();
  r.ratio = row.ratio_to_baseline();
  r.detail_json = row.detail_json();
  return r;
}

Worker WorkerOf(const v1::WorkerStatus& worker) {
  return {worker.worker_id(), worker.host(), worker.device(), worker.last_seen_unix_ms(), worker.alive()};
}

StudyData StudyDataOf(const v1::SweepInfo& info, const std::vector<v1::Job>& jobs,
                      const std::vector<v1::ResultRow>& rows, const std::vector<v1::WorkerStatus>& workers) {
  StudyData d;
  d.sweep = SweepOf(info);
  for (const auto& j : jobs) d.jobs.push_back(JobOf(j));
  for (const auto& r : rows) d.rows.push_back(RowOf(r));
  for (const auto& w : workers) d.workers.push_back(WorkerOf(w));
  std::stable_sort(d.jobs.begin(), d.jobs.end(), [](const Job& a, const Job& b) { return a.job_id < b.job_id; });
  std::stable_sort(d.rows.begin(), d.rows.end(),
                   [](const ResultRow& a, const ResultRow& b) { return a.result_id < b.result_id; });
  return d;
}

}  // namespace ablate::report
