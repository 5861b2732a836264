// worker_flags.cc: see worker_flags.h.
#include "worker/runtime/worker_flags.h"

namespace ablate::worker {

void AddWorkerFlags(CLI::App* app, WorkerOptions* o) {
  app->add_option("--coordinator", o->coordinator_address, "coordinator address host:port (env ABLATE_COORDINATOR)")
      ->capture_default_str();
  app->add_option("--device", o->device,
                  "device to run jobs on: cpu, cuda:N (one worker per GPU) or auto (cuda:LOCAL when CUDA "
                  "is available, LOCAL from SLURM_LOCALID or LOCAL_RANK, else 0; otherwise cpu)")
      ->capture_default_str();
  app->add_option("--name", o->name, "stable worker name (default: host/device/pid)");
  app->add_option("--max-jobs-per-lease", o->max_jobs_per_lease, "jobs leased per request")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app->add_flag("--pipeline,!--no-pipeline", o->pipeline,
                "report results in the background and, while jobs are short, lease the next "
                "job while one runs (--no-pipeline: one call at a time)")
      ->capture_default_str();
  app->add_option("--prefetch-below-ms", o->prefetch_below_ms,
                  "pipeline: lease ahead only after a job that took less than this")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app->add_option("--lease-wait-ms", o->lease_wait_ms, "long-poll wait per lease request")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app->add_option("--rpc-timeout-ms", o->rpc_timeout_ms, "deadline of each call to the coordinator")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app->add_option("--heartbeat-ms", o->heartbeat_interval_ms, "heartbeat period (0: as the coordinator says)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app->add_option("--drain-grace-ms", o->drain_grace_ms,
                  "on SIGTERM: how long the running job may finish before its lease is released")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app->add_option("--idle-exit-ms", o->idle_exit_ms, "exit 0 after this long without work (0: never; batch jobs)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app->add_option("--startup-timeout-ms", o->startup_timeout_ms,
                  "exit non-zero if the coordinator has not answered this long after start (0: "
                  "wait forever)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app->add_option("--report-retry-ms", o->report_retry_ms,
                  "how long a finished result is re-sent while the coordinator is away")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app->add_option("--backoff-max-ms", o->backoff_max_ms, "cap on the reconnect backoff")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  auth::AddClientSecurityFlags(app, &o->security);
  app->add_option("--allow-path", o->allow_paths,
                  "directory a job's model, tokenizer and data files must be in; repeatable; "
                  "default: any path (set it on a shared cluster)");
}

}  // namespace ablate::worker
