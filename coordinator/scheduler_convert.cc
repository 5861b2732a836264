// scheduler_convert.cc: see scheduler_convert.h.
#include "coordinator/scheduler_convert.h"

#include "absl/strings/str_join.h"
#include "nlohmann/json.hpp"

namespace ablate::coordinator {

storage::JobKeys JobKeysOf(const v1::JobSpec& spec) {
  storage::JobKeys k;
  k.model_name = spec.model().name();
  k.model_path = spec.model().path();
  k.model_family = spec.model_family();
  k.kind = spec.condition().kind();
  k.condition_label = spec.condition().label();
  k.ablation_name = spec.condition().ablation_name();
  k.component = spec.condition().component();
  k.layer = spec.condition().layer();
  k.evaluation = spec.evaluation().name();
  k.seed = spec.seed();
  return k;
}

storage::JobRecord QueuedJobRowOf(const v1::JobSpec& spec, int32_t priority) {
  storage::JobRecord r;
  r.job_index = spec.index();
  r.state = storage::kJobQueued;
  r.priority = priority;
  r.keys = JobKeysOf(spec);
  r.spec_proto = spec.SerializeAsString();
  return r;
}

storage::ResultRecord ResultFromProto(const v1::CompleteJobRequest& request, int64_t sweep_id, int64_t now_ms) {
  storage::ResultRecord r;
  r.job_id = request.job_id();
  r.sweep_id = sweep_id;
  r.attempt = request.attempt();
  r.worker_id = request.worker_id();
  const v1::JobResult& res = request.result();
  for (const v1::Metric& m : res.metrics()) {
    r.metrics.push_back({m.name(), m.value(), m.detail_json()});
  }
  r.checkpoint_fingerprint = res.checkpoint_fingerprint();
  r.dataset_fingerprint = res.dataset_fingerprint();
  r.wall_seconds = res.wall_seconds();
  r.tokens_evaluated = res.tokens_evaluated();
  r.code_version = res.code_version();
  r.device = res.device();
  r.completed_unix_ms = now_ms;
  return r;
}

v1::Job JobOf(const storage::JobRecord& rec) {
  v1::Job job;
  job.set_job_id(rec.job_id);
  job.set_sweep_id(rec.sweep_id);
  if (!rec.spec_proto.empty()) (void)job.mutable_spec()->ParseFromString(rec.spec_proto);
  job.set_state(static_cast<v1::JobState>(rec.state));
  job.set_attempts(rec.counted_attempts);
  job.set_priority(rec.priority);
  job.set_last_error(rec.last_error);
  job.set_worker_id(rec.worker_id);
  if (rec.result.present) {
    v1::ResultInfo* r = job.mutable_result_info();
    r->set_worker_id(rec.result.worker_id);
    r->set_attempt(rec.result.attempt);
    r->set_checkpoint_fingerprint(rec.result.checkpoint_fingerprint);
    r->set_dataset_fingerprint(rec.result.dataset_fingerprint);
    r->set_wall_seconds(rec.result.wall_seconds);
    r->set_tokens_evaluated(rec.result.tokens_evaluated);
    r->set_code_version(rec.result.code_version);
    r->set_device(rec.result.device);
    r->set_completed_unix_ms(rec.result.completed_unix_ms);
  }
  return job;
}

v1::SweepInfo SweepInfoOf(const storage::SweepRecord& rec, const storage::JobCounts& counts) {
  v1::SweepInfo info;
  info.set_sweep_id(rec.sweep_id);
  info.set_name(rec.name);
  info.set_state(static_cast<v1::SweepState>(rec.state));
  *info.mutable_counts() = CountsOf(counts);
  info.set_created_unix_ms(rec.created_unix_ms);
  info.set_finished_unix_ms(rec.finished_unix_ms);
  if (!rec.spec_proto.empty()) (void)info.mutable_spec()->ParseFromString(rec.spec_proto);
  info.set_spec_text(rec.spec_text);
  return info;
}

v1::ResultRow ResultRowOf(const storage::ResultView& v) {
  v1::ResultRow r;
  r.set_result_id(v.result_id);
  r.set_job_id(v.job_id);
  r.set_sweep_id(v.sweep_id);
  r.set_model(v.keys.model_name);
  r.set_kind(static_cast<v1::AblationKind>(v.keys.kind));
  r.set_condition(v.keys.condition_label);
  r.set_component(static_cast<v1::Component>(v.keys.component));
  r.set_layer(v.keys.layer);
  r.set_evaluation(v.keys.evaluation);
  r.set_metric(v.metric);
  r.set_value(v.value);
  r.set_baseline_value(v.baseline_value);
  r.set_ratio_to_baseline(v.ratio_to_baseline);
  r.set_detail_json(v.detail_json);
  r.set_seed(v.keys.seed);
  return r;
}

v1::SweepCounts CountsOf(const storage::JobCounts& c) {
  v1::SweepCounts out;
  out.set_total(c.total);
  out.set_queued(c.queued);
  out.set_leased(c.leased);
  out.set_succeeded(c.succeeded);
  out.set_failed(c.failed);
  out.set_cancelled(c.cancelled);
  return out;
}

std::string DevicesToJson(const google::protobuf::RepeatedPtrField<v1::DeviceInfo>& devices) {
  nlohmann::json arr = nlohmann::json::array();
  for (const v1::DeviceInfo& d : devices) {
    arr.push_back({{"name", d.name()},
                   {"total_memory_bytes", d.total_memory_bytes()},
                   {"free_memory_bytes", d.free_memory_bytes()}});
  }
  return arr.dump();
}

std::string DeviceNamesFromJson(const std::string& json) {
  std::vector<std::string> names;
  nlohmann::json arr = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (arr.is_array()) {
    for (const auto& d : arr) {
      if (d.is_object() && d.contains("name") && d["name"].is_string()) {
        names.push_back(d["name"].get<std::string>());
      }
    }
  }
  return absl::StrJoin(names, ",");
}

std::string ModelsToJson(const std::vector<std::string>& models) { return nlohmann::json(models).dump(); }

std::vector<std::string> ModelsFromJson(const std::string& json) {
  std::vector<std::string> out;
  nlohmann::json arr = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (arr.is_array()) {
    for (const auto& m : arr) {
      if (m.is_string()) out.push_back(m.get<std::string>());
    }
  }
  return out;
}

}  // namespace ablate::coordinator
