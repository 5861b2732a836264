// worker_flags.h: the command-line flags every worker binary shares
// (`ablate-worker`, and test workers), bound to WorkerOptions fields.
// Reads no environment: main() may attach ABLATE_COORDINATOR to --coordinator.
//
//   CLI::App app{"ablate-worker"};
//   WorkerOptions options;
//   AddWorkerFlags(&app, &options);
//   app.get_option("--coordinator")->envname("ABLATE_COORDINATOR");
#ifndef ABLATE_WORKER_RUNTIME_WORKER_FLAGS_H_
#define ABLATE_WORKER_RUNTIME_WORKER_FLAGS_H_

#include "CLI/CLI.hpp"
#include "worker/runtime/worker_options.h"

namespace ablate::worker {

// --coordinator, --device, --name, --max-jobs-per-lease, --lease-wait-ms,
// --rpc-timeout-ms, --heartbeat-ms, --drain-grace-ms, --idle-exit-ms, --startup-timeout-ms,
// --report-retry-ms, --backoff-max-ms, and the TLS / token flags of
// auth::AddClientSecurityFlags (ABLATE_TLS_*, ABLATE_TOKEN[_FILE]).
// `options` must outlive app->parse().
void AddWorkerFlags(CLI::App* app, WorkerOptions* options);

}  // namespace ablate::worker

#endif  // ABLATE_WORKER_RUNTIME_WORKER_FLAGS_H_
