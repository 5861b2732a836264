// worker_options.h: how a worker process behaves (WorkerRuntime's options).
//
// Every field has a default that is right for a single-GPU worker talking to a
// coordinator on the same network; the `ablate-worker` flags map 1:1 onto
// these fields. The library never reads environment variables: the binary does
// (ABLATE_COORDINATOR) and fills `coordinator_address`.
//
//   WorkerOptions opts;
//   opts.coordinator_address = "10.0.0.5:50051";
//   opts.device = "cuda:1";
#ifndef ABLATE_WORKER_RUNTIME_WORKER_OPTIONS_H_
#define ABLATE_WORKER_RUNTIME_WORKER_OPTIONS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "auth/grpc_security.h"

namespace ablate::worker {

struct WorkerOptions {
  // host:port of the coordinator's gRPC endpoint.
  std::string coordinator_address = "127.0.0.1:50051";
  // TLS / mTLS files and the token (files read once, when Run starts).
  auth::ClientSecurityOptions security;
  // The device this worker runs jobs on: "cpu" or "cuda:N" (one worker per GPU).
  // "auto" must be resolved (ResolveDevice) before the runtime starts.
  std::string device = "cpu";
  // Stable, human-readable name reported at registration (e.g. "slurm-123/rank3").
  // Empty: "<host>/<device>/<pid>".
  std::string name;
  // Jobs asked for per LeaseJobs call. They run one after another; the ones
  // waiting are kept alive by heartbeats and released on drain.
  int32_t max_jobs_per_lease = 1;
  // Pipelining: outcomes are reported from a background queue in order, each
  // re-sent until acknowledged as an inline report would be (Run() sends every
  // queued report before it returns); and while jobs are short (the previous
  // one took under prefetch_below_ms) the next LeaseJobs is already in flight
  // while the last job of a lease runs (its leases are held, and kept alive by
  // heartbeats, from the answer on). Small jobs then cost about one round trip
  // each instead of two; long jobs hold no extra lease (it would wait behind
  // them while another worker idles). false: lease, run, report, one call at a
  // time.
  bool pipeline = true;
  int32_t prefetch_below_ms = 1000;
  // Long-poll: how long one LeaseJobs call may wait for work (the server caps it).
  int32_t lease_wait_ms = 5000;
  // Deadline of every unary RPC. LeaseJobs gets lease_wait_ms on top.
  int32_t rpc_timeout_ms = 10000;
  // Heartbeat period. 0: the interval the coordinator sends at registration.
  int32_t heartbeat_interval_ms = 0;
  // On RequestStop (SIGTERM): how long the running job may still run before it
  // is cancelled and its lease released back to the queue.
  int32_t drain_grace_ms = 30000;
  // Reconnect backoff while the coordinator is unreachable: exponential from
  // initial to max, each wait randomised by +/- jitter (a fraction).
  int32_t backoff_initial_ms = 200;
  int32_t backoff_max_ms = 10000;
  double backoff_multiplier = 2.0;
  double backoff_jitter = 0.2;
  // A finished job's result is re-sent this long while the coordinator is away
  // (results are precious; the coordinator fences duplicates and stale attempts).
  int32_t report_retry_ms = 600000;
  // Run() returns after this long without any leased work. 0: never (serve forever).
  // Batch schedulers (Slurm, Kubernetes Jobs) use it to end workers once a sweep is done.
  int32_t idle_exit_ms = 0;
  // Run() fails (UNAVAILABLE) if the first registration has not succeeded this
  // long after it started: a wrong address or a coordinator that never came up
  // is an error the process reports, not an endless retry. 0: wait forever.
  // Once registered, an unreachable coordinator is retried without limit.
  int32_t startup_timeout_ms = 120000;
  // Reported at registration and stamped into results that do not carry one.
  std::string code_version = "ablate";
  // --allow-path: directories a job's model, tokenizer and data files must be
  // in (after resolving "..", "." and symlinks); a job naming a path outside
  // fails with PermissionDenied before the evaluator opens anything. Empty:
  // any path (docs/limits.md recommends setting it on shared clusters).
  std::vector<std::string> allow_paths;
  // Where log lines go (one line per call, no trailing newline). Empty: stderr.
  std::function<void(const std::string&)> log_sink;
};

// InvalidArgument naming the field for values the runtime cannot work with
// (empty address, bad device string, non-positive periods).
absl::Status ValidateWorkerOptions(const WorkerOptions& options);

}  // namespace ablate::worker

#endif  // ABLATE_WORKER_RUNTIME_WORKER_OPTIONS_H_
