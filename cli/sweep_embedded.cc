// sweep_embedded.cc: see sweep_embedded.h.
#include "cli/sweep_embedded.h"

#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "cli/submit_request.h"
#include "cli/sweep_client.h"
#include "cli/sweep_format.h"
#include "coordinator/coordinator_server.h"
#include "spec/spec_parser.h"
#include "worker/runtime/worker_runtime.h"

namespace ablate::cli {
namespace {

std::string DeviceOf(const std::string& device, int index) {
  return device == "cuda" ? absl::StrCat("cuda:", index) : device;
}

}  // namespace

absl::StatusOr<EmbeddedRunResult> RunSweepEmbedded(const v1::SweepSpec& spec, const std::string& spec_text,
                                                   const EmbeddedRunOptions& options,
                                                   const EvaluatorFactory& make_evaluator, std::ostream& progress) {
  if (options.workers < 1) {
    return absl::InvalidArgumentError(absl::StrCat("--workers: must be >= 1, got ", options.workers));
  }
  // Evaluators first: a missing evaluator or device fails before anything starts.
  std::vector<std::unique_ptr<worker::Evaluator>> evaluators;
  for (int i = 0; i < options.workers; ++i) {
    auto e = make_evaluator(DeviceOf(options.device, i), i);
    if (!e.ok()) return e.status();
    evaluators.push_back(*std::move(e));
  }

  coordinator::CoordinatorOptions copts;
  copts.db_path = options.db_path;
  copts.listen_address = "127.0.0.1:0";
  copts.heartbeat_interval_ms = options.heartbeat_interval_ms;
  // The workers of an interrupted `ablate run` died with it: nothing to re-claim.
  copts.reclaim_grace_ms = 0;
  auto server = coordinator::CoordinatorServer::Start(copts);
  if (!server.ok()) {
    return absl::Status(server.status().code(), absl::StrCat("cannot start the embedded coordinator on ",
                                                             options.db_path, ": ", server.status().message()));
  }
  const std::string address = (*server)->address();
  auto shutdown_server = [&] {
    (*server)->Shutdown(absl::Seconds(1));
    (*server)->Wait();
  };

  SweepClient client(address);
  EmbeddedRunResult result;
  // The same spec again resumes its unfinished sweep in the DB (the coordinator decides).
  auto request = MakeSubmitRequest(spec, spec_text, {.existing = v1::RESUME_UNFINISHED}, nullptr);
  auto submitted = request.ok() ? client.Submit(*request) : absl::StatusOr<v1::SubmitSweepResponse>(request.status());
  if (!submitted.ok()) {
    shutdown_server();
    return submitted.status();
  }
  result.sweep_id = submitted->sweep_id();
  result.resumed = submitted->resumed();
  if (!result.resumed) {
    progress << "sweep " << result.sweep_id << " '" << spec.name() << "': " << submitted->job_count() << " jobs on "
             << options.workers << " local worker(s), db " << options.db_path << "\n";
  } else {
    progress << "resuming sweep " << result.sweep_id << " '" << spec.name() << "' from " << options.db_path << "\n";
  }

  // Local workers: real WorkerRuntimes talking gRPC to the embedded coordinator.
  absl::Mutex log_mu;
  std::vector<std::unique_ptr<worker::WorkerRuntime>> runtimes;
  std::vector<std::thread> threads;
  for (int i = 0; i < options.workers; ++i) {
    worker::WorkerOptions wopts;
    wopts.coordinator_address = address;
    wopts.device = DeviceOf(options.device, i);
    wopts.name = absl::StrCat("local-", i);
    wopts.lease_wait_ms = 1000;
    wopts.drain_grace_ms = 2000;
    wopts.log_sink = [&log_mu, &progress, tty = options.progress_tty](const std::string& line) {
      // The progress line replaces the per-job chatter; job errors are listed
      // from the coordinator at the end. Only trouble with the coordinator
      // itself (refused or undeliverable reports) is shown as it happens.
      if (absl::StrContains(line, "refused") || absl::StrContains(line, "giving up")) {
        absl::MutexLock lock(&log_mu);
        progress << (tty ? "\r\x1b[K" : "") << line << "\n";
      }
    };
    runtimes.push_back(std::make_unique<worker::WorkerRuntime>(wopts, std::move(evaluators[i])));
  }
  for (auto& rt : runtimes) {
    threads.emplace_back([rt = rt.get()] { (void)rt->Run(); });
  }

  // Progress until the sweep ends.
  absl::Time last_line = absl::InfinitePast();
  absl::Status poll_status;
  int64_t prev_done = -1;
  absl::Time prev_time = absl::Now();
  double rate = 0;
  while (true) {
    auto info = client.GetSweep(result.sweep_id);
    if (!info.ok()) {
      poll_status = info.status();
      break;
    }
    const auto& c = info->counts();
    const int64_t ended = c.succeeded() + c.failed() + c.cancelled();
    const absl::Time now = absl::Now();
    if (prev_done >= 0 && now > prev_time) {
      const double inst = (ended - prev_done) / absl::ToDoubleSeconds(now - prev_time);
      rate = rate == 0 ? inst : 0.7 * rate + 0.3 * inst;
    }
    prev_done = ended;
    prev_time = now;
    const bool finished = info->state() != v1::SWEEP_RUNNING;
    if (options.progress_tty) {
      progress << "\r" << ProgressLine(c, rate) << "\x1b[K" << std::flush;
      if (finished) progress << "\n";
    } else if (finished || now - last_line >= absl::Seconds(5)) {
      progress << ProgressLine(c, rate) << "\n";
      last_line = now;
    }
    if (finished) {
      result.sweep = *info;
      break;
    }
    if (options.interrupt != nullptr && options.interrupt->load()) {
      if (options.progress_tty) progress << "\n";
      poll_status = absl::CancelledError(absl::StrCat("interrupted after ", ended, " of ", c.total(), " jobs of sweep ",
                                                      result.sweep_id, "; run the same command again to resume (",
                                                      options.db_path, ")"));
      break;
    }
    // Sleep in small steps so an interrupt is noticed quickly.
    const absl::Time wake = absl::Now() + absl::Milliseconds(options.progress_interval_ms);
    while (absl::Now() < wake && (options.interrupt == nullptr || !options.interrupt->load())) {
      absl::SleepFor(absl::Milliseconds(20));
    }
  }

  if (poll_status.ok()) {
    v1::QueryResultsRequest filter;
    filter.set_sweep_id(result.sweep_id);
    auto rows = client.QueryResults(filter);
    if (rows.ok()) {
      result.rows = *std::move(rows);
    } else {
      poll_status = rows.status();
    }
    if (poll_status.ok() && options.with_jobs) {
      // Every job; the failed ones are taken from the same list.
      auto jobs = client.ListJobs(result.sweep_id, v1::JOB_STATE_UNSPECIFIED);
      if (jobs.ok()) {
        result.jobs = *std::move(jobs);
        for (const auto& j : result.jobs) {
          if (j.state() == v1::FAILED) result.failed_jobs.push_back(j);
        }
      } else {
        poll_status = jobs.status();
      }
    } else if (poll_status.ok() && result.sweep.counts().failed() > 0) {
      auto failed = client.ListJobs(result.sweep_id, v1::FAILED);
      if (failed.ok()) result.failed_jobs = *std::move(failed);
    }
  }
  for (auto& rt : runtimes) rt->RequestStop();
  for (auto& t : threads) t.join();
  shutdown_server();
  if (!poll_status.ok()) return poll_status;
  return result;
}

}  // namespace ablate::cli
