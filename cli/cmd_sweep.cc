// cmd_sweep.cc: the sweep commands of `ablate`:
//   run SPEC      embedded coordinator + local workers in this process, then results
//   submit SPEC   send a spec to a running coordinator (--dry-run: counts only)
//   status [ID]   sweeps, or one sweep in detail
//   watch ID      live progress bar (WatchSweep stream)
//   results ID    results as table, CSV or JSON, with filters
//   cancel ID     cancel a sweep
//   workers       registered workers
// --coordinator defaults to $ABLATE_COORDINATOR, then 127.0.0.1:50051.
// Errors: one line on stderr ("ablate: ...") and a non-zero exit code.
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "cli/command_context.h"
#include "cli/study_summary.h"
#include "cli/submit_request.h"
#include "cli/sweep_client.h"
#include "cli/sweep_embedded.h"
#include "cli/sweep_format.h"
#include "spec/spec_parser.h"
#include "worker/runtime/stop_signals.h"
#ifdef ABLATE_HAVE_LM_EVALUATOR
#include "worker/eval/lm_evaluator.h"
#endif

namespace ablate::cli {
namespace {

constexpr char kDefaultCoordinator[] = "127.0.0.1:50051";

int64_t NowMs() { return absl::ToUnixMillis(absl::Now()); }

void AddCoordinatorFlag(CLI::App* cmd, std::string* address, auth::ClientSecurityOptions* security) {
  *address = kDefaultCoordinator;
  cmd->add_option("--coordinator", *address, "coordinator address host:port")
      ->envname("ABLATE_COORDINATOR")
      ->capture_default_str();
  auth::AddClientSecurityFlags(cmd, security);
}

absl::StatusOr<std::string> ReadText(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot read the spec file"));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// reuse: residual-stream reuse across jobs (same numbers; off for comparison).
// threads: CPU threads per job (models::ChooseThreadPolicy; 0: available cores), as ablate-worker --threads.
EvaluatorFactory ProductEvaluatorFactory(bool reuse, int threads) {
  return [reuse, threads](const std::string& device, int) -> absl::StatusOr<std::unique_ptr<worker::Evaluator>> {
#ifdef ABLATE_HAVE_LM_EVALUATOR
    eval::LmEvaluatorOptions options;
    options.device = device;
    options.reuse = reuse;
    options.num_threads = threads;
    return eval::CreateLmEvaluator(options);
#else
    (void)device;
    (void)reuse;
    (void)threads;
    return absl::FailedPreconditionError(
        "no evaluator is built into this ablate binary (the LibTorch evaluation engine, CMake "
        "target ablate_eval, is missing); `ablate run` cannot evaluate models");
#endif
  };
}

std::string FailedJobsSummary(const std::vector<v1::Job>& jobs, size_t limit) {
  std::string out;
  for (size_t i = 0; i < jobs.size() && i < limit; ++i) {
    const auto& j = jobs[i];
    absl::StrAppend(&out, "  job ", j.job_id(), " ", j.spec().model().name(), " ", j.spec().condition().label(), " ",
                    j.spec().evaluation().name(), ": ", j.last_error(), "\n");
  }
  if (jobs.size() > limit) absl::StrAppend(&out, "  ... and ", jobs.size() - limit, " more\n");
  return out;
}

// ---- run ----

struct RunArgs {
  std::string spec;
  EmbeddedRunOptions options;
  std::string format = "summary";
  bool no_progress = false;
  std::string reuse = "on";
  int threads = 0;
};

void Run(const RunArgs& a, CommandContext* ctx) {
  auto format = ParseResultFormat(a.format);
  if (!format.ok()) return (void)ctx->Fail(format.status());
  std::vector<std::string> notes;
  auto spec = spec::LoadSweepSpec(a.spec, &notes);
  if (!spec.ok()) return (void)ctx->Fail(spec.status());
  for (const std::string& n : notes) std::cerr << "note: " << n << "\n";
  auto text = ReadText(a.spec);
  if (!text.ok()) return (void)ctx->Fail(text.status());
  EmbeddedRunOptions options = a.options;
  options.progress_tty = !a.no_progress && isatty(STDERR_FILENO);
  // Ctrl-C / SIGTERM: stop cleanly (workers drain, the DB is committed); the
  // same command resumes. A second signal exits at once.
  std::atomic<bool> interrupted{false};
  worker::StopSignals signals([&interrupted] { interrupted.store(true); });
  options.interrupt = &interrupted;
  std::ostringstream sink;
  std::ostream& progress = a.no_progress ? static_cast<std::ostream&>(sink) : std::cerr;
  options.with_jobs = *format == ResultFormat::kSummary;
  auto result = RunSweepEmbedded(*spec, *text, options, ProductEvaluatorFactory(a.reuse == "on", a.threads), progress);
  if (!result.ok()) return (void)ctx->Fail(result.status());
  if (*format == ResultFormat::kSummary) {
    std::cout << FormatStudySummary(result->jobs, result->rows);
    std::cerr << "every metric of every job: --format table|csv|json, or the SQLite file " << options.db_path
              << " (view result_vs_baseline, docs/schema.md)\n";
  } else {
    std::cout << FormatResults(result->rows, *format);
  }
  const auto& c = result->sweep.counts();
  std::cerr << "sweep " << result->sweep_id << " " << SweepStateName(result->sweep.state()) << ": " << c.succeeded()
            << " succeeded, " << c.failed() << " failed, " << c.cancelled() << " cancelled (db " << options.db_path
            << ")\n";
  if (c.failed() > 0 || c.cancelled() > 0 || result->sweep.state() != v1::SWEEP_DONE) {
    std::cerr << FailedJobsSummary(result->failed_jobs, 10);
    ctx->Fail(absl::AbortedError(
        absl::StrCat("sweep ", result->sweep_id, ": ", c.failed(), " job(s) failed, ", c.cancelled(), " cancelled")));
  }
}

// ---- submit ----

struct SubmitArgs {
  std::string spec;
  std::string coordinator;
  auth::ClientSecurityOptions security;
  bool dry_run = false;
  bool resume = false;
  int timeout_s = static_cast<int>(absl::ToInt64Seconds(SweepClient::kDefaultSubmitTimeout));
  std::string request_id;  // empty: a fresh random one
};

void Submit(const SubmitArgs& a, CommandContext* ctx) {
  std::vector<std::string> notes;
  auto spec = spec::LoadSweepSpec(a.spec, &notes);
  if (!spec.ok()) return (void)ctx->Fail(spec.status());
  for (const std::string& n : notes) std::cerr << "note: " << n << "\n";
  auto text = ReadText(a.spec);
  if (!text.ok()) return (void)ctx->Fail(text.status());
  SubmitOptions options;
  options.dry_run = a.dry_run;
  options.existing = a.resume ? v1::RESUME : v1::NEW_SWEEP;
  notes.clear();
  auto request = MakeSubmitRequest(*spec, *std::move(text), options, &notes);
  if (!request.ok()) return (void)ctx->Fail(request.status());
  for (const std::string& n : notes) std::cerr << "note: " << n << "\n";
  request->set_request_id(a.request_id);
  auto connected = SweepClient::Connect(a.coordinator, a.security);
  if (!connected.ok()) return (void)ctx->Fail(connected.status());
  SweepClient& client = **connected;
  auto resp = client.Submit(*request, absl::Seconds(a.timeout_s));
  if (!resp.ok()) return (void)ctx->Fail(resp.status());
  if (resp->resumed()) {
    std::cout << "resumed sweep " << resp->sweep_id() << " '" << spec->name() << "': " << resp->job_count()
              << " jobs (same name and spec; finished results are kept)\n";
    return;
  }
  for (const auto& count : resp->counts()) {
    std::cout << "  " << count.model() << "  " << KindName(count.kind()) << ": " << count.conditions()
              << " conditions, " << count.jobs() << " jobs\n";
  }
  if (a.dry_run) {
    std::cout << "dry run: " << resp->job_count() << " jobs (nothing stored)\n";
  } else {
    std::cout << "submitted sweep " << resp->sweep_id() << " '" << spec->name() << "': " << resp->job_count()
              << " jobs\n";
  }
}

// ---- status / watch / results / cancel / workers ----

struct SweepArgs {
  std::string coordinator;
  auth::ClientSecurityOptions security;
  int64_t sweep_id = 0;
  std::string format = "table";
  std::string model, kind, component, evaluation, metric;
  int layer = -1;
  bool all = false;
};

void Status(const SweepArgs& a, CommandContext* ctx) {
  auto connected = SweepClient::Connect(a.coordinator, a.security);
  if (!connected.ok()) return (void)ctx->Fail(connected.status());
  SweepClient& client = **connected;
  if (a.sweep_id == 0) {
    auto sweeps = client.ListSweeps(/*include_finished=*/true);
    if (!sweeps.ok()) return (void)ctx->Fail(sweeps.status());
    std::cout << FormatSweeps(*sweeps, NowMs());
    return;
  }
  auto info = client.GetSweep(a.sweep_id);
  if (!info.ok()) return (void)ctx->Fail(info.status());
  std::cout << FormatSweep(*info, NowMs());
  if (info->counts().failed() > 0) {
    auto failed = client.ListJobs(a.sweep_id, v1::FAILED);
    if (failed.ok()) std::cout << "failed jobs:\n" << FailedJobsSummary(*failed, 20);
  }
}

void Watch(const SweepArgs& a, CommandContext* ctx) {
  auto connected = SweepClient::Connect(a.coordinator, a.security);
  if (!connected.ok()) return (void)ctx->Fail(connected.status());
  SweepClient& client = **connected;
  const bool tty = isatty(STDERR_FILENO);
  v1::SweepEvent last;
  bool got = false;
  absl::Time last_line = absl::InfinitePast();
  absl::Status s = client.Watch(a.sweep_id, [&](const v1::SweepEvent& e) {
    last = e;
    got = true;
    const bool finished = e.state() != v1::SWEEP_RUNNING;
    if (tty) {
      std::cerr << "\r" << ProgressLine(e.counts(), e.jobs_per_second(), 30, e.eta_ms()) << "\x1b[K" << std::flush;
    } else if (finished || absl::Now() - last_line >= absl::Seconds(2)) {
      std::cerr << ProgressLine(e.counts(), e.jobs_per_second(), 30, e.eta_ms()) << "\n";
      last_line = absl::Now();
    }
    return !finished;
  });
  if (tty && got) std::cerr << "\n";
  if (!s.ok()) return (void)ctx->Fail(s);
  if (!got) return (void)ctx->Fail(absl::UnavailableError("the watch stream ended without events"));
  std::cerr << "sweep " << a.sweep_id << " " << SweepStateName(last.state()) << "\n";
  if (last.counts().failed() > 0) {
    ctx->Fail(absl::AbortedError(absl::StrCat("sweep ", a.sweep_id, ": ", last.counts().failed(),
                                              " job(s) failed (ablate status ", a.sweep_id, ")")));
  }
}

void Results(const SweepArgs& a, CommandContext* ctx) {
  auto format = ParseResultFormat(a.format);
  if (!format.ok()) return (void)ctx->Fail(format.status());
  v1::QueryResultsRequest filter;
  filter.set_sweep_id(a.sweep_id);
  filter.set_model(a.model);
  filter.set_evaluation(a.evaluation);
  filter.set_metric(a.metric);
  if (!a.kind.empty()) {
    auto k = ParseKind(a.kind);
    if (!k.ok()) return (void)ctx->Fail(k.status());
    filter.set_kind(*k);
  }
  if (!a.component.empty()) {
    auto c = ParseComponent(a.component);
    if (!c.ok()) return (void)ctx->Fail(c.status());
    filter.set_component(*c);
  }
  if (a.layer >= 0) {
    filter.set_layer(a.layer);
    filter.set_has_layer(true);
  }
  auto connected = SweepClient::Connect(a.coordinator, a.security);
  if (!connected.ok()) return (void)ctx->Fail(connected.status());
  SweepClient& client = **connected;
  auto rows = client.QueryResults(filter);
  if (!rows.ok()) return (void)ctx->Fail(rows.status());
  if (*format == ResultFormat::kSummary) {
    auto jobs = client.ListJobs(a.sweep_id, v1::JOB_STATE_UNSPECIFIED);
    if (!jobs.ok()) return (void)ctx->Fail(jobs.status());
    std::cout << FormatStudySummary(*jobs, *rows);
    return;
  }
  std::cout << FormatResults(*rows, *format);
}

void Cancel(const SweepArgs& a, CommandContext* ctx) {
  auto connected = SweepClient::Connect(a.coordinator, a.security);
  if (!connected.ok()) return (void)ctx->Fail(connected.status());
  SweepClient& client = **connected;
  auto n = client.Cancel(a.sweep_id);
  if (!n.ok()) return (void)ctx->Fail(n.status());
  std::cout << "cancelled sweep " << a.sweep_id << ": " << *n << " job(s) cancelled\n";
}

void Workers(const SweepArgs& a, CommandContext* ctx) {
  auto connected = SweepClient::Connect(a.coordinator, a.security);
  if (!connected.ok()) return (void)ctx->Fail(connected.status());
  SweepClient& client = **connected;
  auto workers = client.ListWorkers();
  if (!workers.ok()) return (void)ctx->Fail(workers.status());
  std::cout << FormatWorkers(*workers, NowMs());
}

CLI::App* SweepCommand(CLI::App* app, const char* name, const char* help, std::shared_ptr<SweepArgs> args,
                       bool needs_id) {
  CLI::App* cmd = app->add_subcommand(name, help);
  AddCoordinatorFlag(cmd, &args->coordinator, &args->security);
  if (needs_id) {
    cmd->add_option("sweep", args->sweep_id, "sweep id")->required()->check(CLI::PositiveNumber);
  }
  return cmd;
}

}  // namespace

void RegisterSweepCommands(CLI::App* app, CommandContext* ctx) {
  {
    auto args = std::make_shared<RunArgs>();
    CLI::App* cmd =
        app->add_subcommand("run", "Run a sweep on this machine: embedded coordinator + local workers, then results");
    cmd->add_option("spec", args->spec, "sweep spec (YAML or JSON)")->required();
    cmd->add_option("--db", args->options.db_path, "SQLite file of the sweep (resumable)")->capture_default_str();
    cmd->add_option("--workers", args->options.workers, "local workers (one per device)")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    cmd->add_option("--device", args->options.device, "cpu, cuda (worker i on cuda:i) or cuda:N")
        ->capture_default_str();
    cmd->add_option("--format", args->format,
                    "results output: summary (the study view: headline metric per condition, ratio "
                    "to baseline, drift, random-removal resilience), table, csv or json")
        ->capture_default_str();
    cmd->add_flag("--no-progress", args->no_progress, "no progress output on stderr");
    cmd->add_option("--reuse", args->reuse,
                    "residual-stream reuse across jobs on the same model and input (same numbers; off "
                    "for comparison and debugging)")
        ->capture_default_str()
        ->check(CLI::IsMember({"on", "off"}));
    cmd->add_option(
           "--threads", args->threads,
           "CPU threads per job (LibTorch for bf16/fp16, OpenBLAS for fp32; 0: the cores available to the process)")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);
    cmd->callback([args, ctx] { Run(*args, ctx); });
  }
  {
    auto args = std::make_shared<SubmitArgs>();
    CLI::App* cmd = app->add_subcommand("submit", "Submit a sweep spec to a running coordinator");
    cmd->add_option("spec", args->spec, "sweep spec (YAML or JSON)")->required();
    AddCoordinatorFlag(cmd, &args->coordinator, &args->security);
    cmd->add_flag("--dry-run", args->dry_run, "expand and count only; store nothing");
    cmd->add_flag("--resume", args->resume,
                  "if a sweep with this name and the same spec exists (unfinished, or else "
                  "finished), return it instead of a new sweep: its results are re-used; an "
                  "unfinished sweep of this name with another spec is an error");
    cmd->add_option("--timeout-s", args->timeout_s,
                    "how long to wait for the coordinator to store the sweep (a 10^6-job sweep "
                    "takes tens of seconds)")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    cmd->add_option("--request-id", args->request_id,
                    "idempotency key: a submit with an id the coordinator already stored returns "
                    "that sweep instead of a new one (default: a fresh random id; the timeout "
                    "message names it)");
    cmd->callback([args, ctx] { Submit(*args, ctx); });
  }
  {
    auto args = std::make_shared<SweepArgs>();
    CLI::App* cmd = SweepCommand(app, "status", "List sweeps, or show one sweep", args, false);
    cmd->add_option("sweep", args->sweep_id, "sweep id (default: list all)");
    cmd->callback([args, ctx] { Status(*args, ctx); });
  }
  {
    auto args = std::make_shared<SweepArgs>();
    CLI::App* cmd = SweepCommand(app, "watch", "Live progress of a sweep until it ends", args, true);
    cmd->callback([args, ctx] { Watch(*args, ctx); });
  }
  {
    auto args = std::make_shared<SweepArgs>();
    CLI::App* cmd = SweepCommand(app, "results", "Results of a sweep (filters combine)", args, true);
    cmd->add_option("--format", args->format, "table, csv, json or summary (the study view)")->capture_default_str();
    cmd->add_option("--model", args->model, "only this model (spec name)");
    cmd->add_option("--kind", args->kind, "only this ablation kind (e.g. layer_sweep)");
    cmd->add_option("--component", args->component, "only this component (e.g. attention)");
    cmd->add_option("--layer", args->layer, "only this layer")->check(CLI::NonNegativeNumber);
    cmd->add_option("--evaluation", args->evaluation, "only this evaluation (spec name)");
    cmd->add_option("--metric", args->metric, "only this metric (e.g. perplexity)");
    cmd->callback([args, ctx] { Results(*args, ctx); });
  }
  {
    auto args = std::make_shared<SweepArgs>();
    CLI::App* cmd = SweepCommand(app, "cancel", "Cancel a sweep (running jobs stop)", args, true);
    cmd->callback([args, ctx] { Cancel(*args, ctx); });
  }
  {
    auto args = std::make_shared<SweepArgs>();
    CLI::App* cmd = SweepCommand(app, "workers", "Workers known to the coordinator", args, false);
    // `workers launch` / `workers autoscale` (cmd_launch.cc) run instead of the list.
    cmd->callback([args, ctx, cmd] {
      if (cmd->get_subcommands().empty()) Workers(*args, ctx);
    });
  }
}

}  // namespace ablate::cli
