// main.cc: the `ablate-coordinator` binary.
//
//   ablate-coordinator --db /var/lib/ablate/ablate.db --listen 0.0.0.0:50051 \
//       [--http-listen 127.0.0.1:8080]
//
// SIGTERM / SIGINT: a signal-watching thread calls Shutdown(grace): long
// polls are answered "shutting down", in-flight calls get `--grace-s` seconds,
// queued writes are committed, then the process exits 0.
#include <pthread.h>
#include <signal.h>

#include <iostream>
#include <thread>

#include "CLI/CLI.hpp"
#include "coordinator/coordinator_server.h"

int main(int argc, char** argv) {
  ablate::coordinator::CoordinatorOptions options;
  double grace_s = 10;
  CLI::App app{"ablate coordinator: stores sweeps in SQLite and leases jobs to workers over gRPC"};
  app.add_option("--db", options.db_path, "SQLite database file (created if missing)")
      ->capture_default_str();
  app.add_option("--listen", options.listen_address, "host:port to serve on (port 0: any free)")
      ->capture_default_str();
  app.add_option("--heartbeat-interval-ms", options.heartbeat_interval_ms,
                 "heartbeat interval told to workers")->capture_default_str();
  app.add_option("--worker-timeout-ms", options.worker_timeout_ms,
                 "a worker silent this long is lost; its leases are requeued")->capture_default_str();
  app.add_option("--expiry-scan-interval-ms", options.expiry_scan_interval_ms,
                 "how often expired leases are requeued")->capture_default_str();
  app.add_option("--max-long-poll-ms", options.max_long_poll_ms, "cap on LeaseJobs wait_ms")
      ->capture_default_str();
  app.add_option("--group-commit-ms", options.group_commit_ms,
                 "how long a write batch waits to fill")->capture_default_str();
  app.add_option("--max-jobs-per-sweep", options.max_jobs_per_sweep, "largest grid accepted")
      ->capture_default_str();
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
  app.add_option("--grace-s", grace_s, "seconds in-flight calls get on shutdown")
      ->capture_default_str();
  app.add_option("--http-listen", options.http_listen_address,
                 "host:port for the dashboard, JSON API, /metrics and /healthz (port 0: any free; "
                 "default: no HTTP)");
  CLI11_PARSE(app, argc, argv);

  // Block the signals in every thread; one thread waits for them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto server = ablate::coordinator::CoordinatorServer::Start(options);
  if (!server.ok()) {
    std::cerr << "ablate-coordinator: " << server.status() << "\n";
    return 1;
  }
  std::cout << "ablate-coordinator listening on " << (*server)->address() << " (db "
            << options.db_path << ")" << std::endl;
  if (!(*server)->http_address().empty()) {
    std::cout << "ablate-coordinator http on " << (*server)->http_address() << std::endl;
  }

  ablate::coordinator::CoordinatorServer* s = server->get();
  std::thread watcher([s, signals, grace_s] {
    int sig = 0;
    sigwait(&signals, &sig);
    std::cerr << "ablate-coordinator: signal " << sig << ", shutting down (grace " << grace_s
              << " s)" << std::endl;
    s->Shutdown(absl::Seconds(grace_s));
  });
  (*server)->Wait();
  std::cerr << "ablate-coordinator: stopped" << std::endl;
  // Wait() returns only after Shutdown, which only the watcher calls.
  watcher.join();
  return 0;
}
