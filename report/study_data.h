// study_data.h: everything a study report shows about one sweep, as plain
// structs (no proto, no gRPC, no I/O): the sweep, its jobs with their
// conditions and provenance, every result row with its baseline and ratio,
// and the workers. Filled by report/study_source.h (from a coordinator or a
// database file); read by the study view, the figure builders and the HTML
// writer. Every string here may come from user input (model and condition
// names, specs): writers must escape them.
//
// Thread-safety: plain values; const access from many threads is safe.
//
//   StudyData data;
//   data.rows.push_back({.job_id = 1, .model = "m", .metric = "perplexity", .value = 12.5});
#ifndef ABLATE_REPORT_STUDY_DATA_H_
#define ABLATE_REPORT_STUDY_DATA_H_

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace ablate::report {

// The ablation kinds (same numbers as v1.AblationKind).
enum class Kind : int {
  kUnspecified = 0,
  kBaseline = 1,
  kGroup = 2,
  kLayerSweep = 3,
  kPositional = 4,
  kProgressive = 5,
  kRandom = 6,
  kExplicit = 7,
};

// "baseline", "group", "layer_sweep", ... ("?" for kUnspecified).
std::string KindName(Kind kind);

// One target of a condition. `component` and `mode` are the lower-case
// names used on the command line ("attention", "ssm", "layer"; "zero",
// "skip_layer", "scale", "" when unset).
struct Target {
  int layer = 0;
  std::string component;
  std::string mode;
  double scale = 1.0;
};

struct Condition {
  Kind kind = Kind::kUnspecified;
  std::string label;      // "group/attention", "random/match=ssm/t2", ...
  std::string component;  // the component the condition is about ("" if none)
  int layer = -1;         // layer_sweep: the layer; else -1
  std::string position;   // positional: early / middle / late / range name
  int count = 0;          // progressive / random: number of targets
  int trial = 0;          // random trials
  std::vector<Target> targets;
};

// Where a result came from (empty until the job has a stored result).
struct Provenance {
  bool has_result = false;
  std::string worker_id;
  std::string checkpoint_fingerprint;
  std::string dataset_fingerprint;
  std::string code_version;
  std::string device;
  double wall_seconds = 0;
  int64_t tokens_evaluated = 0;
  int64_t completed_unix_ms = 0;
};

struct Job {
  int64_t job_id = 0;
  std::string model;  // ModelSpec.name
  std::string model_path;
  std::string family;           // "qwen2", "qwen3_5", "falcon_h1" (layout library names)
  std::string evaluation;       // EvaluationSpec.name
  std::string evaluation_kind;  // "perplexity", "multiple_choice", "generation", "diagnostics"
  uint64_t seed = 0;
  Condition condition;
  std::string state;  // "queued", "leased", "succeeded", "failed", "cancelled"
  int attempts = 0;
  std::string last_error;
  Provenance provenance;
};

// One metric of one job, with the same model's baseline value of that metric.
struct ResultRow {
  int64_t result_id = 0;
  int64_t job_id = 0;
  std::string model;
  Kind kind = Kind::kUnspecified;
  std::string condition;  // the condition label
  std::string component;  // "" when the condition has none
  int layer = -1;
  std::string evaluation;
  std::string metric;
  double value = std::numeric_limits<double>::quiet_NaN();
  double baseline = std::numeric_limits<double>::quiet_NaN();  // NaN: no baseline
  double ratio = std::numeric_limits<double>::quiet_NaN();     // value / baseline
  std::string detail_json;                                     // the evaluator's JSON (CIs, per-layer values, ...)
};

struct Worker {
  std::string worker_id;
  std::string host;
  std::string device;
  int64_t last_seen_unix_ms = 0;
  bool alive = false;
};

struct Sweep {
  int64_t sweep_id = 0;
  std::string name;
  std::string state;  // "running", "done", "cancelled"
  int64_t created_unix_ms = 0;
  int64_t finished_unix_ms = 0;  // 0 while running
  int64_t jobs_total = 0;
  int64_t jobs_succeeded = 0;
  int64_t jobs_failed = 0;
  int64_t jobs_cancelled = 0;
  std::string spec_text;  // the submitted YAML/JSON
};

struct StudyData {
  Sweep sweep;
  std::vector<Job> jobs;        // by job id
  std::vector<ResultRow> rows;  // by result id
  std::vector<Worker> workers;  // workers the source knows (may be more than ran this sweep)
};

}  // namespace ablate::report

#endif  // ABLATE_REPORT_STUDY_DATA_H_
