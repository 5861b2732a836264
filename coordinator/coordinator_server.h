// coordinator_server.h: a running coordinator: the SQLite job store, the
// scheduler core, and the gRPC services (Coordinator + WorkerService, with
// server reflection and the standard grpc.health.v1 health service) on one
// listening address; optionally the HTTP front end (dashboard, JSON API,
// /metrics, /healthz) on a second. Used by the `ablate-coordinator` binary
// and by `ablate run` (embedded mode, without HTTP).
//
// On Start it opens (or creates and migrates) the database and resumes every
// unfinished sweep: leases that were live when the previous process died are
// treated as expired; nothing that finished runs again.
//
//   ASSIGN_OR_RETURN(auto server, CoordinatorServer::Start({.db_path = "ablate.db",
//                                                          .listen_address = "127.0.0.1:0"}));
//   std::cout << server->address();   // "127.0.0.1:41234"
//   server->Wait();                    // until Shutdown() from another thread
#ifndef ABLATE_COORDINATOR_COORDINATOR_SERVER_H_
#define ABLATE_COORDINATOR_COORDINATOR_SERVER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "auth/grpc_security.h"
#include "common/request_limits.h"

namespace ablate::coordinator {

struct CoordinatorOptions {
  std::string db_path = "ablate.db";               // SQLite file (WAL mode)
  std::string listen_address = "127.0.0.1:50051";  // host:port; port 0 picks a free one
  int32_t heartbeat_interval_ms = 2000;            // told to workers at registration
  int32_t worker_timeout_ms = 30000;               // no heartbeat this long: worker lost
  int32_t expiry_scan_interval_ms = 500;           // how often expired leases are requeued
  int32_t max_long_poll_ms = 10000;                // cap on LeaseJobs wait_ms
  int32_t group_commit_ms = 0;                     // > 0: a write batch waits this long to
                                                   // fill (0: commit when the writer is idle)
  // Added by the coordinator owner (new fields only):
  int32_t max_jobs_per_lease = 64;            // cap on LeaseJobs max_jobs
  int32_t max_completions_per_request = 256;  // cap on CompleteJobs completions
  int32_t max_lost_leases = 10;               // a job whose lease expired this often FAILS (0: never)
  int32_t watch_interval_ms = 500;            // WatchSweep: at most one event per interval
  int32_t query_threads = 2;                  // threads for query RPCs (submits get their own)
  bool synchronous_full = false;              // SQLite synchronous=FULL (power-loss durable)
  int32_t reclaim_grace_ms = 15000;           // after a restart, jobs leased before it wait this
                                              // long for their workers to re-claim them (0: none)
  // Security (docs/security.md):
  auth::ServerTlsOptions tls;          // --tls-cert/--tls-key[/--tls-client-ca]
  std::string auth_file;               // --auth-file: tokens, tenants, roles, quotas
  bool insecure_allow_remote = false;  // no auth on a non-loopback address (warned)
  // Added by the limits owner (new fields only):
  RequestLimits limits;                  // every request's size limits (request_limits.h)
  std::vector<std::string> allow_paths;  // --allow-path: model dirs the coordinator may read
                                         // (empty: any; docs/limits.md)
  int32_t submit_threads = 2;            // SubmitSweep expansions that may run at once
  std::string http_listen_address;       // dashboard, JSON API, /metrics, /healthz
                                         // (host:port, port 0: any free; "": no HTTP)
  // Big sweeps (SchedulerOptions has the details):
  int64_t materialize_above_jobs = 10000;  // more jobs: created in the background
  int32_t materialize_chunk_jobs = 2000;   // jobs per background transaction
  int64_t materialize_ahead_jobs = 20000;  // created jobs queued ahead of the workers (0: all)
};

class CoordinatorServer {
 public:
  // Opens the store, resumes unfinished sweeps, starts serving.
  // Unavailable if the address cannot be bound; Internal/DataLoss on database errors;
  // FailedPrecondition for a non-loopback address without auth (auth::CheckListenPolicy);
  // InvalidArgument / NotFound for a bad auth file or unreadable TLS files.
  static absl::StatusOr<std::unique_ptr<CoordinatorServer>> Start(const CoordinatorOptions& options);

  virtual ~CoordinatorServer() = default;
  // "host:port" with the bound port.
  virtual std::string address() const = 0;
  // The HTTP server's "host:port" with the bound port ("" without --http-listen).
  virtual std::string http_address() const = 0;
  // Stops accepting calls; pending calls are cancelled after `grace`.
  virtual void Shutdown(absl::Duration grace) = 0;
  // Blocks until Shutdown has completed.
  virtual void Wait() = 0;
  // Re-reads the auth file (SIGHUP). On error the old one stays in force and
  // the error is returned (for the log). FailedPrecondition without an auth file.
  virtual absl::Status ReloadAuth() = 0;
};

}  // namespace ablate::coordinator

#endif  // ABLATE_COORDINATOR_COORDINATOR_SERVER_H_
