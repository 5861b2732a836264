// cmd_launch.cc: `ablate workers launch --slurm` (submit a Slurm job array of
// single-GPU workers) and `ablate workers autoscale --slurm` (keep pending +
// running worker tasks matched to the coordinator's queue, bounded by --max,
// scancelling idle ones). The Slurm side is launch/ (ablate_launch); the queue
// is read here through the coordinator client API (SweepClient).
#include <unistd.h>

#include <atomic>
#include <climits>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "cli/command_context.h"
#include "cli/sweep_client.h"
#include "launch/autoscaler.h"
#include "launch/slurm_client.h"
#include "launch/worker_array.h"
#include "worker/runtime/stop_signals.h"

namespace ablate::cli {
namespace {

struct LaunchArgs {
  bool slurm = false;
  std::string coordinator = "127.0.0.1:50051";
  std::string worker_coordinator;  // empty: --coordinator
  launch::WorkerArrayOptions array;
  int count = 1;
  bool dry_run = false;
  // autoscale
  launch::AdaptOptions adapt;
  int interval_s = 15;
  bool until_done = false;
};

// ablate-worker next to this `ablate` binary (the installed layout: P/bin).
std::string DefaultWorkerBinary() {
  char buf[PATH_MAX] = {0};
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  if (n <= 0) return "";
  std::string self(buf, static_cast<size_t>(n));
  return self.substr(0, self.rfind('/') + 1) + "ablate-worker";
}

std::string Cwd() {
  char buf[PATH_MAX] = {0};
  return getcwd(buf, sizeof(buf)) != nullptr ? std::string(buf) : std::string("/tmp");
}

void AddArrayFlags(CLI::App* cmd, LaunchArgs* a) {
  cmd->add_flag("--slurm", a->slurm, "launch on Slurm (the only batch system so far)")->required();
  cmd->add_option("--coordinator", a->coordinator, "coordinator address host:port")
      ->envname("ABLATE_COORDINATOR")
      ->capture_default_str();
  cmd->add_option("--worker-coordinator", a->worker_coordinator,
                  "address the workers use, if the compute nodes reach the coordinator under "
                  "another name (default: --coordinator)");
  cmd->add_option("--partition", a->array.partition, "Slurm partition");
  cmd->add_option("--account", a->array.account, "Slurm account");
  cmd->add_option("--time", a->array.time_limit, "time limit per worker (Slurm format, e.g. 4:00:00)");
  cmd->add_option("--gpus", a->array.gpus, "GPUs per worker (0: CPU workers)")->capture_default_str();
  cmd->add_option("--cpus", a->array.cpus, "CPUs per worker")->capture_default_str();
  cmd->add_option("--mem", a->array.memory, "memory per worker (Slurm format, e.g. 32G)");
  cmd->add_option("--grace-s", a->array.signal_grace_s, "SIGTERM this long before the time limit (--signal=B:TERM@N)")
      ->capture_default_str();
  cmd->add_option("--drain-grace-s", a->array.drain_grace_s,
                  "after SIGTERM, how long the running job may finish before it is handed back "
                  "(keep below Slurm's KillWait)")
      ->capture_default_str();
  cmd->add_option("--idle-exit-s", a->array.idle_exit_s, "a worker ends after this long without work")
      ->capture_default_str();
  cmd->add_option("--startup-timeout-s", a->array.startup_timeout_s,
                  "a worker fails if the coordinator has not answered this long after start")
      ->capture_default_str();
  cmd->add_option("--device", a->array.device, "worker --device (default: auto with GPUs, cpu without)");
  cmd->add_option("--job-name", a->array.job_name, "Slurm job name of the workers")->capture_default_str();
  cmd->add_option("--log-dir", a->array.log_dir,
                  "where the batch script and worker logs go (default: ./ablate-workers)");
  cmd->add_option("--worker-bin", a->array.worker_binary,
                  "ablate-worker on the compute nodes (default: next to this ablate)");
  cmd->add_option("--sbatch-arg", a->array.sbatch_args, "extra sbatch option, as --sbatch-arg=--qos=low (repeatable)")
      ->allow_extra_args(false);
  cmd->add_option("--worker-arg", a->array.worker_args,
                  "extra ablate-worker flag, as --worker-arg=--threads=8 (repeatable)")
      ->allow_extra_args(false);
  cmd->add_flag("!--no-requeue", a->array.requeue, "do not requeue workers on node failure or preemption");
}

// Fills defaults that depend on the environment.
void Complete(LaunchArgs* a) {
  a->array.coordinator = a->worker_coordinator.empty() ? a->coordinator : a->worker_coordinator;
  if (a->array.worker_binary.empty()) a->array.worker_binary = DefaultWorkerBinary();
  if (a->array.log_dir.empty()) a->array.log_dir = Cwd() + "/ablate-workers";
}

void Launch(LaunchArgs a, CommandContext* ctx) {
  Complete(&a);
  if (a.dry_run) {
    absl::StatusOr<std::string> script = launch::RenderWorkerScript(a.array);
    if (!script.ok()) return (void)ctx->Fail(script.status());
    std::cout << *script;
    return;
  }
  launch::SlurmClient slurm({});
  auto launched = launch::LaunchWorkerArray(a.array, a.count, slurm);
  if (!launched.ok()) return (void)ctx->Fail(launched.status());
  std::cout << "submitted worker array " << launched->job_id << ": " << a.count << " worker(s) (" << a.array.gpus
            << " GPU each), script " << launched->script_path << ", logs " << a.array.log_dir << "/" << a.array.job_name
            << "-" << launched->job_id << "_*.out\n";
}

// Outstanding work and workers, read through the coordinator client API.
absl::StatusOr<launch::QueueSnapshot> ReadQueue(SweepClient* client) {
  absl::StatusOr<std::vector<v1::SweepInfo>> sweeps = client->ListSweeps(/*include_finished=*/false);
  if (!sweeps.ok()) return sweeps.status();
  launch::QueueSnapshot snap;
  for (const v1::SweepInfo& s : *sweeps) {
    if (s.state() != v1::SWEEP_RUNNING) continue;
    snap.outstanding_jobs += s.counts().queued() + s.counts().leased();
  }
  absl::StatusOr<std::vector<v1::WorkerStatus>> workers = client->ListWorkers();
  if (!workers.ok()) return workers.status();
  for (const v1::WorkerStatus& w : *workers) {
    snap.workers.push_back({w.worker_id(), w.active_leases(), w.alive()});
  }
  return snap;
}

void Autoscale(LaunchArgs a, CommandContext* ctx) {
  Complete(&a);
  if (absl::Status s = launch::ValidateWorkerArrayOptions(a.array); !s.ok()) {
    return (void)ctx->Fail(s);
  }
  if (a.adapt.max_workers < 1 || a.adapt.min_workers < 0 || a.adapt.min_workers > a.adapt.max_workers ||
      a.adapt.scale_down_after < 1 || a.interval_s < 1) {
    return (void)ctx->Fail(
        absl::InvalidArgumentError("workers autoscale: want 0 <= --min <= --max, --max >= 1, --scale-down-after >= 1, "
                                   "--interval-s >= 1"));
  }
  std::atomic<bool> stop{false};
  worker::StopSignals signals([&stop] { stop.store(true); });
  SweepClient client(a.coordinator, absl::Seconds(30));
  launch::SlurmClient slurm({});
  launch::Autoscaler scaler(
      a.array, a.adapt, &slurm, [&client] { return ReadQueue(&client); },
      [](const std::string& line) { std::cerr << line << "\n"; });
  std::cerr << "autoscale: keeping " << a.adapt.min_workers << ".." << a.adapt.max_workers << " worker task(s) '"
            << a.array.job_name << "' matched to the queue of " << a.coordinator << " (every " << a.interval_s
            << " s; SIGTERM/Ctrl-C stops this loop, the workers keep running)\n";
  absl::Status s = scaler.Run(
      absl::Seconds(a.interval_s), [&stop] { return stop.load(); }, a.until_done);
  if (!s.ok()) ctx->Fail(s);
}

}  // namespace

void RegisterLaunchCommands(CLI::App* app, CommandContext* ctx) {
  CLI::App* workers = app->get_subcommand("workers");
  {
    auto args = std::make_shared<LaunchArgs>();
    CLI::App* cmd = workers->add_subcommand("launch", "Submit a Slurm job array of workers (one GPU each by default)");
    AddArrayFlags(cmd, args.get());
    cmd->add_option("-n,--workers", args->count, "array tasks (workers) to submit")
        ->capture_default_str()
        ->check(CLI::Range(1, 100000));
    cmd->add_flag("--dry-run", args->dry_run, "print the batch script; submit nothing");
    cmd->callback([args, ctx] { Launch(*args, ctx); });
  }
  {
    auto args = std::make_shared<LaunchArgs>();
    CLI::App* cmd = workers->add_subcommand(
        "autoscale", "Keep Slurm worker tasks matched to the coordinator's queue (like dask-jobqueue adapt)");
    AddArrayFlags(cmd, args.get());
    cmd->add_option("--max", args->adapt.max_workers, "most worker tasks at once")->capture_default_str();
    cmd->add_option("--min", args->adapt.min_workers, "fewest worker tasks kept")->capture_default_str();
    cmd->add_option("--interval-s", args->interval_s, "seconds between adapt rounds")->capture_default_str();
    cmd->add_option("--scale-down-after", args->adapt.scale_down_after,
                    "rounds the queue must stay below the worker count before idle tasks are "
                    "cancelled")
        ->capture_default_str();
    cmd->add_flag("--until-done", args->until_done, "exit once no job is outstanding and no worker task is left");
    cmd->callback([args, ctx] { Autoscale(*args, ctx); });
  }
}

}  // namespace ablate::cli
