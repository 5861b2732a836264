// main.cc: the `ablate-coordinator` binary.
//
//   ablate-coordinator --db /var/lib/ablate/ablate.db --listen 0.0.0.0:50051
//       --auth-file /etc/ablate/auth.yaml --tls-cert server.pem --tls-key server.key
//       [--http-listen 127.0.0.1:8080]            (one command line)
//
// SIGHUP re-reads the auth file (a bad file keeps the old one; the error is logged).
// SIGTERM / SIGINT: a signal-watching thread calls Shutdown(grace): long
// polls are answered "shutting down", in-flight calls get `--grace-s` seconds,
// queued writes are committed, then the process exits 0.
#include <pthread.h>
#include <signal.h>

#include <cstdint>
#include <iostream>
#include <thread>
#include <utility>

#include "CLI/CLI.hpp"
#include "coordinator/coordinator_server.h"

int main(int argc, char** argv) {
  ablate::coordinator::CoordinatorOptions options;
  double grace_s = 10;
  CLI::App app{"ablate coordinator: stores sweeps in SQLite and leases jobs to workers over gRPC"};
  app.add_option("--db", options.db_path, "SQLite database file (created if missing)")->capture_default_str();
  app.add_option("--listen", options.listen_address, "host:port to serve on (port 0: any free)")->capture_default_str();
  app.add_option("--heartbeat-interval-ms", options.heartbeat_interval_ms, "heartbeat interval told to workers")
      ->capture_default_str();
  app.add_option("--worker-timeout-ms", options.worker_timeout_ms,
                 "a worker silent this long is lost; its leases are requeued")
      ->capture_default_str();
  app.add_option("--expiry-scan-interval-ms", options.expiry_scan_interval_ms, "how often expired leases are requeued")
      ->capture_default_str();
  app.add_option("--max-long-poll-ms", options.max_long_poll_ms, "cap on LeaseJobs wait_ms")->capture_default_str();
  app.add_option("--group-commit-ms", options.group_commit_ms,
                 "how long a write batch waits to fill (0: commit as soon as the writer is idle; "
                 "writes that arrive meanwhile form the next batch)")
      ->capture_default_str();
  ablate::RequestLimits& l = options.limits;
  // Limits for every caller (docs/limits.md). Names match the error messages.
  const std::pair<const char*, std::pair<int64_t*, const char*>> limit_flags[] = {
      {"--max-jobs-per-sweep", {&l.max_jobs_per_sweep, "largest grid accepted, whatever execution.max_jobs says"}},
      {"--max-spec-bytes", {&l.max_spec_bytes, "largest serialized spec (and spec text)"}},
      {"--max-name-bytes", {&l.max_name_bytes, "longest sweep / model / evaluation / ablation name"}},
      {"--max-label-bytes", {&l.max_label_bytes, "longest condition label"}},
      {"--max-path-bytes", {&l.max_path_bytes, "longest model / tokenizer path"}},
      {"--max-models", {&l.max_models, "models per spec"}},
      {"--max-evaluations", {&l.max_evaluations, "evaluations per spec"}},
      {"--max-ablations", {&l.max_ablations, "ablation entries per spec"}},
      {"--max-seeds", {&l.max_seeds, "seeds per spec"}},
      {"--max-layers-per-model", {&l.max_layers_per_model, "num_hidden_layers accepted in a config.json"}},
      {"--max-random-trials", {&l.max_random_trials, "trials of one random / progressive ablation"}},
      {"--max-targets-per-sweep", {&l.max_targets_per_sweep, "ablation targets summed over a sweep's jobs"}},
      {"--max-config-bytes", {&l.max_config_bytes, "largest config.json read"}},
      {"--expansion-timeout-ms", {&l.expansion_timeout_ms, "an expansion running longer is cancelled"}},
      {"--max-eval-tokens",
       {&l.max_eval_tokens, "longest sequence one evaluation may ask for (max_length, num_tokens, max_new_tokens)"}},
      {"--max-eval-batch", {&l.max_eval_batch, "largest batch_size of an evaluation"}},
      {"--max-fewshot", {&l.max_fewshot, "most few-shot examples per prompt (num_fewshot)"}},
      {"--max-metrics-per-result", {&l.max_metrics_per_result, "metrics in one CompleteJob"}},
      {"--max-metric-name-bytes", {&l.max_metric_name_bytes, "longest metric name"}},
      {"--max-detail-bytes", {&l.max_detail_bytes, "largest detail_json of one metric"}},
      {"--max-result-bytes", {&l.max_result_bytes, "largest CompleteJob request"}},
      {"--max-reply-bytes", {&l.max_reply_bytes, "a list reply page ends past this size"}},
      {"--max-receive-message-bytes", {&l.max_receive_message_bytes, "gRPC receive limit for one request"}},
  };
  for (const auto& [flag, target] : limit_flags) {
    app.add_option(flag, *target.first, target.second)->capture_default_str()->check(CLI::PositiveNumber);
  }
  app.add_option("--allow-path", options.allow_paths,
                 "directory whose model files (config.json) submitted specs may name; repeatable; "
                 "default: any path (set it on a shared service)");
  app.add_option("--max-jobs-per-lease", options.max_jobs_per_lease, "cap on the jobs one LeaseJobs call is given")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--max-completions-per-request", options.max_completions_per_request,
                 "cap on the completions of one CompleteJobs call")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--max-lost-leases", options.max_lost_leases,
                 "a job whose lease expired (worker crash/hang) this often fails; 0: never")
      ->capture_default_str();
  app.add_flag("--synchronous-full", options.synchronous_full,
               "SQLite synchronous=FULL: every commit is on disk before it is answered, so "
               "acknowledged results survive power loss too (default NORMAL: they survive "
               "process crashes; ~1 fsync per commit batch more)");
  app.add_option("--reclaim-grace-ms", options.reclaim_grace_ms,
                 "after a restart, jobs that were leased wait this long for their workers to "
                 "re-claim them before others may lease them (0: none)")
      ->capture_default_str();
  app.add_option("--materialize-above-jobs", options.materialize_above_jobs,
                 "a sweep with more jobs is answered once counted and its jobs are created in "
                 "the background; smaller ones are stored in one transaction")
      ->capture_default_str();
  app.add_option("--materialize-chunk-jobs", options.materialize_chunk_jobs, "jobs created per background transaction")
      ->capture_default_str();
  app.add_option("--materialize-ahead-jobs", options.materialize_ahead_jobs,
                 "created jobs a big sweep keeps queued ahead of its workers (0: create all)")
      ->capture_default_str();
  app.add_option("--grace-s", grace_s, "seconds in-flight calls get on shutdown")->capture_default_str();
  app.add_option("--tls-cert", options.tls.cert_file, "PEM certificate chain: serve TLS");
  app.add_option("--tls-key", options.tls.key_file, "PEM private key of --tls-cert");
  app.add_option("--tls-client-ca", options.tls.client_ca_file,
                 "PEM CA: require client certificates signed by it (mTLS)");
  app.add_option("--auth-file", options.auth_file, "YAML tokens (sha256, tenant, role) and quotas; re-read on SIGHUP");
  app.add_flag("--insecure-allow-remote", options.insecure_allow_remote,
               "allow a non-loopback --listen without --auth-file (anyone reaching the port can "
               "do anything)");
  app.add_option("--http-listen", options.http_listen_address,
                 "host:port for the dashboard, JSON API, /metrics and /healthz (port 0: any free; "
                 "default: no HTTP)");
  CLI11_PARSE(app, argc, argv);
  if (l.max_receive_message_bytes > INT32_MAX) {
    std::cerr << "ablate-coordinator: --max-receive-message-bytes must be below 2 GiB\n";
    return 2;
  }

  // Block the signals in every thread; one thread waits for them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto server = ablate::coordinator::CoordinatorServer::Start(options);
  if (!server.ok()) {
    std::cerr << "ablate-coordinator: " << server.status() << "\n";
    return 1;
  }
  std::cout << "ablate-coordinator listening on " << (*server)->address() << " (db " << options.db_path << ")"
            << std::endl;
  if (!(*server)->http_address().empty()) {
    std::cout << "ablate-coordinator http on " << (*server)->http_address() << std::endl;
  }

  ablate::coordinator::CoordinatorServer* s = server->get();
  std::thread watcher([s, signals, grace_s] {
    int sig = 0;
    while (sigwait(&signals, &sig) == 0 && sig == SIGHUP) {
      absl::Status r = s->ReloadAuth();
      if (r.ok()) {
        std::cerr << "ablate-coordinator: SIGHUP: auth file reloaded" << std::endl;
      } else {
        std::cerr << "ablate-coordinator: SIGHUP: auth file NOT reloaded, the old one stays: " << r << std::endl;
      }
    }
    std::cerr << "ablate-coordinator: signal " << sig << ", shutting down (grace " << grace_s << " s)" << std::endl;
    s->Shutdown(absl::Seconds(grace_s));
  });
  (*server)->Wait();
  std::cerr << "ablate-coordinator: stopped" << std::endl;
  // Wait() returns only after Shutdown, which only the watcher calls.
  watcher.join();
  return 0;
}
