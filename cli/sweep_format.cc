// sweep_format.cc: see sweep_format.h.
#include "cli/sweep_format.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/vocabulary.h"
#include "nlohmann/json.hpp"

namespace ablate::cli {
namespace {

std::string Number(double v) {
  if (std::isnan(v)) return "-";
  return absl::StrFormat("%.6g", v);
}

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string Ago(int64_t then_ms, int64_t now_ms) {
  if (then_ms <= 0) return "-";
  return HumanDuration(std::max<int64_t>(0, now_ms - then_ms) / 1000.0) + " ago";
}

}  // namespace

absl::StatusOr<ResultFormat> ParseResultFormat(absl::string_view name) {
  if (name == "table") return ResultFormat::kTable;
  if (name == "csv") return ResultFormat::kCsv;
  if (name == "json") return ResultFormat::kJson;
  if (name == "summary") return ResultFormat::kSummary;
  return absl::InvalidArgumentError(absl::StrCat("--format: '", name, "' is not one of summary, table, csv, json"));
}

absl::StatusOr<v1::AblationKind> ParseKind(absl::string_view name) {
  absl::StatusOr<v1::AblationKind> kind = ablate::ParseKind(name);
  if (!kind.ok()) return absl::InvalidArgumentError(absl::StrCat("--kind: ", kind.status().message()));
  return kind;
}

absl::StatusOr<v1::Component> ParseComponent(absl::string_view name) {
  absl::StatusOr<v1::Component> c = ablate::ParseComponent(name);
  if (!c.ok()) return absl::InvalidArgumentError(absl::StrCat("--component: ", c.status().message()));
  return c;
}

std::string KindName(v1::AblationKind kind) { return std::string(ablate::KindName(kind)); }

std::string ComponentName(v1::Component component) { return std::string(ablate::ComponentNameOrEmpty(component)); }

std::string SweepStateName(v1::SweepState state) {
  switch (state) {
    case v1::SWEEP_RUNNING:
      return "running";
    case v1::SWEEP_DONE:
      return "done";
    case v1::SWEEP_CANCELLED:
      return "cancelled";
    default:
      return "unknown";
  }
}

std::string FormatResults(const std::vector<v1::ResultRow>& unordered, ResultFormat format) {
  // Expansion order (job ids are assigned in it), not completion order.
  std::vector<v1::ResultRow> rows = unordered;
  std::stable_sort(rows.begin(), rows.end(),
                   [](const v1::ResultRow& a, const v1::ResultRow& b) { return a.job_id() < b.job_id(); });
  if (format == ResultFormat::kJson) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : rows) {
      nlohmann::json j = {{"result_id", r.result_id()},
                          {"job_id", r.job_id()},
                          {"sweep_id", r.sweep_id()},
                          {"model", r.model()},
                          {"kind", KindName(r.kind())},
                          {"condition", r.condition()},
                          {"component", ComponentName(r.component())},
                          {"layer", r.layer()},
                          {"evaluation", r.evaluation()},
                          {"seed", r.seed()},
                          {"metric", r.metric()},
                          {"value", r.value()}};
      j["baseline_value"] =
          std::isnan(r.baseline_value()) ? nlohmann::json(nullptr) : nlohmann::json(r.baseline_value());
      j["ratio_to_baseline"] =
          std::isnan(r.ratio_to_baseline()) ? nlohmann::json(nullptr) : nlohmann::json(r.ratio_to_baseline());
      if (!r.detail_json().empty()) {
        j["detail"] = nlohmann::json::parse(r.detail_json(), nullptr, /*allow_exceptions=*/false);
        if (j["detail"].is_discarded()) j["detail"] = r.detail_json();
      }
      out.push_back(std::move(j));
    }
    return out.dump(2) + "\n";
  }
  if (format == ResultFormat::kCsv) {
    std::string out =
        "result_id,job_id,sweep_id,model,kind,condition,component,layer,evaluation,seed,metric,value,"
        "baseline_value,ratio_to_baseline\n";
    for (const auto& r : rows) {
      absl::StrAppend(&out, r.result_id(), ",", r.job_id(), ",", r.sweep_id(), ",", CsvField(r.model()), ",",
                      KindName(r.kind()), ",", CsvField(r.condition()), ",", ComponentName(r.component()), ",",
                      r.layer(), ",", CsvField(r.evaluation()), ",", r.seed(), ",", CsvField(r.metric()), ",",
                      absl::StrFormat("%.17g", r.value()), ",",
                      std::isnan(r.baseline_value()) ? "" : absl::StrFormat("%.17g", r.baseline_value()), ",",
                      std::isnan(r.ratio_to_baseline()) ? "" : absl::StrFormat("%.17g", r.ratio_to_baseline()), "\n");
    }
    return out;
  }
  if (rows.empty()) return "(no results)\n";
  std::set<std::string> models;
  std::set<uint64_t> seeds;
  for (const auto& r : rows) {
    models.insert(r.model());
    seeds.insert(r.seed());
  }
  const bool show_model = models.size() > 1;
  const bool show_seed = seeds.size() > 1;
  std::vector<std::vector<std::string>> table;
  std::vector<std::string> header;
  if (show_model) header.push_back("model");
  header.insert(header.end(), {"condition", "evaluation"});
  if (show_seed) header.push_back("seed");
  header.insert(header.end(), {"metric", "value", "ratio"});
  table.push_back(header);
  for (const auto& r : rows) {
    std::vector<std::string> line;
    if (show_model) line.push_back(r.model());
    line.insert(line.end(), {r.condition(), r.evaluation()});
    if (show_seed) line.push_back(absl::StrCat(r.seed()));
    line.insert(line.end(), {r.metric(), Number(r.value()), Number(r.ratio_to_baseline())});
    table.push_back(std::move(line));
  }
  return FormatColumns(table);
}

std::string HumanDuration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const int64_t s = static_cast<int64_t>(std::llround(seconds));
  if (s < 60) return absl::StrCat(s, "s");
  if (s < 3600) return absl::StrFormat("%dm%02ds", s / 60, s % 60);
  if (s < 86400) return absl::StrFormat("%dh%02dm", s / 3600, (s % 3600) / 60);
  return absl::StrFormat("%dd%02dh", s / 86400, (s % 86400) / 3600);
}

std::string ProgressLine(const v1::SweepCounts& c, double jobs_per_second, int width, int64_t eta_ms) {
  const int64_t ended = c.succeeded() + c.failed() + c.cancelled();
  const int64_t total = std::max<int64_t>(c.total(), 1);
  const int filled = static_cast<int>(width * std::min<int64_t>(ended, total) / total);
  std::string bar = absl::StrCat("[", std::string(filled, '#'), std::string(width - filled, '.'), "]");
  std::string eta = "-";
  const int64_t left = c.total() - ended;
  if (left == 0) {
    eta = "0s";
  } else if (eta_ms >= 0) {
    eta = HumanDuration(static_cast<double>(eta_ms) / 1000.0);
  } else if (jobs_per_second > 0) {
    eta = HumanDuration(left / jobs_per_second);
  }
  return absl::StrFormat("%s %d/%d done  running %d  failed %d%s  %.1f jobs/s  ETA %s", bar, c.succeeded(), c.total(),
                         c.leased(), c.failed(), c.cancelled() > 0 ? absl::StrCat("  cancelled ", c.cancelled()) : "",
                         jobs_per_second, eta);
}

std::string FormatSweeps(const std::vector<v1::SweepInfo>& sweeps, int64_t now_ms) {
  if (sweeps.empty()) return "(no sweeps)\n";
  std::vector<std::vector<std::string>> t = {
      {"sweep", "name", "state", "done", "queued", "running", "failed", "cancelled", "created"}};
  for (const auto& s : sweeps) {
    const auto& c = s.counts();
    t.push_back({absl::StrCat(s.sweep_id()), s.name(), SweepStateName(s.state()),
                 absl::StrCat(c.succeeded(), "/", c.total()), absl::StrCat(c.queued()), absl::StrCat(c.leased()),
                 absl::StrCat(c.failed()), absl::StrCat(c.cancelled()), Ago(s.created_unix_ms(), now_ms)});
  }
  return FormatColumns(t);
}

std::string FormatSweep(const v1::SweepInfo& s, int64_t now_ms) {
  const auto& c = s.counts();
  std::string out = absl::StrCat("sweep ", s.sweep_id(), " '", s.name(), "': ", SweepStateName(s.state()), "\n");
  absl::StrAppend(&out, "  jobs: ", c.total(), " total, ", c.succeeded(), " succeeded, ", c.failed(), " failed, ",
                  c.cancelled(), " cancelled, ", c.leased(), " running, ", c.queued(), " queued\n");
  absl::StrAppend(&out, "  created ", Ago(s.created_unix_ms(), now_ms));
  if (s.finished_unix_ms() > 0) {
    absl::StrAppend(&out, ", finished ", Ago(s.finished_unix_ms(), now_ms), " (took ",
                    HumanDuration((s.finished_unix_ms() - s.created_unix_ms()) / 1000.0), ")");
  }
  absl::StrAppend(&out, "\n");
  std::vector<std::string> models, evals;
  for (const auto& m : s.spec().models()) models.push_back(absl::StrCat(m.name(), " (", m.path(), ")"));
  for (const auto& e : s.spec().evaluations()) evals.push_back(e.name());
  if (!models.empty()) absl::StrAppend(&out, "  models: ", absl::StrJoin(models, ", "), "\n");
  if (!evals.empty()) absl::StrAppend(&out, "  evaluations: ", absl::StrJoin(evals, ", "), "\n");
  return out;
}

std::string FormatWorkers(const std::vector<v1::WorkerStatus>& workers, int64_t now_ms) {
  if (workers.empty()) return "(no workers)\n";
  std::vector<std::vector<std::string>> t = {
      {"worker", "host", "device", "state", "leases", "progress", "tokens/s", "last seen", "loaded models"}};
  for (const auto& w : workers) {
    // Each leased job with its heartbeat progress: "12:40%".
    std::vector<std::string> jobs;
    for (const auto& j : w.jobs()) {
      jobs.push_back(absl::StrFormat("%d:%.0f%%", j.job_id(), 100.0 * j.fraction()));
    }
    t.push_back({w.worker_id(), w.host(), w.device(), w.alive() ? "alive" : "lost", absl::StrCat(w.active_leases()),
                 jobs.empty() ? "-" : absl::StrJoin(jobs, " "), absl::StrFormat("%.0f", w.tokens_per_second()),
                 Ago(w.last_seen_unix_ms(), now_ms),
                 w.loaded_models().empty() ? "-" : absl::StrJoin(w.loaded_models(), ",")});
  }
  return FormatColumns(t);
}

std::string FormatColumns(const std::vector<std::vector<std::string>>& rows, absl::string_view indent) {
  std::vector<size_t> width;
  for (const auto& r : rows) {
    if (width.size() < r.size()) width.resize(r.size(), 0);
    for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  }
  std::string out;
  for (const auto& r : rows) {
    std::string line(indent);
    for (size_t i = 0; i < r.size(); ++i) {
      absl::StrAppend(&line, r[i]);
      if (i + 1 < r.size()) line.append(width[i] - r[i].size() + 2, ' ');
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    absl::StrAppend(&out, line, "\n");
  }
  return out;
}

}  // namespace ablate::cli
