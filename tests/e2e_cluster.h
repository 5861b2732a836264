// e2e_cluster.h: TEST ONLY. A throw-away ablate deployment on loopback for
// end-to-end tests: the real `ablate-coordinator` binary on a SQLite file in a
// temp dir, `ablate-test-worker` processes (real WorkerRuntime, deterministic
// TestEvaluator), gRPC client stubs for both services, model fixtures
// (config.json only; the test evaluator never loads weights) and read-only
// SQL queries on the coordinator's database file.
//
// Binaries are found under ABLATE_BINARY_DIR (set by ablate_test). Timings are
// short (lease TTL from the spec, 100 ms heartbeats) so crash scenarios run in
// seconds.
//
// Not thread-safe; one per test.
//
//   E2eCluster c("kill_worker");
//   ASSERT_OK(c.StartCoordinator());
//   ASSERT_OK(c.StartWorker({"--sleep-ms", "2"}).status());
//   int64_t sweep = *c.Submit(c.SweepSpec500());
//   ASSERT_TRUE(c.WaitForSweepEnd(sweep, absl::Seconds(60)));
#ifndef ABLATE_TESTS_E2E_CLUSTER_H_
#define ABLATE_TESTS_E2E_CLUSTER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ablate/v1/coordinator.grpc.pb.h"
#include "ablate/v1/worker.grpc.pb.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/testing/subprocess.h"

namespace ablate::testing {

// What a finished command printed and returned.
struct CommandResult {
  int exit_code = -1;  // -2: still running at the timeout (then killed with the cluster)
  std::string output;  // stdout + stderr
};

class E2eCluster {
 public:
  explicit E2eCluster(const std::string& name);
  ~E2eCluster();

  const std::string& dir() const { return dir_; }
  const std::string& db_path() const { return db_path_; }
  std::string address() const;
  // A 24-layer qwen2 layout (config.json only).
  const std::string& model_dir() const { return model_dir_; }

  // Starts (or restarts, on the same DB and port) the coordinator and waits
  // until it answers. Extra flags are appended.
  absl::Status StartCoordinator(const std::vector<std::string>& extra = {});
  // SIGKILL (crash) or SIGTERM (clean stop) and reap.
  void StopCoordinator(int sig);
  Subprocess* coordinator() { return coordinator_.get(); }

  // Starts an ablate-test-worker with fast heartbeats/backoff plus `extra` flags.
  absl::StatusOr<Subprocess*> StartWorker(const std::vector<std::string>& extra = {});
  std::vector<std::unique_ptr<Subprocess>>& workers() { return workers_; }

  // The 500-job sweep: 1 model x 125 conditions (baseline, layer sweeps over
  // attention/mlp/layer, 52 random pairs of layers) x 2 evaluations x 2 seeds.
  v1::SweepSpec Spec500(int lease_ttl_seconds = 2) const;
  // A small sweep: baseline + attention layer sweep (25 conditions) x the given
  // evaluations (names steer the test evaluator: "fail", "hang").
  v1::SweepSpec SmallSpec(const std::vector<std::string>& evaluations, int lease_ttl_seconds = 2) const;

  absl::StatusOr<int64_t> Submit(const v1::SweepSpec& spec);
  absl::StatusOr<v1::SweepInfo> GetSweep(int64_t sweep_id);
  absl::StatusOr<std::vector<v1::Job>> ListJobs(int64_t sweep_id, v1::JobState state);
  absl::StatusOr<std::vector<v1::ResultRow>> QueryResults(int64_t sweep_id);
  // Polls GetSweep until the sweep is DONE or CANCELLED.
  bool WaitForSweepEnd(int64_t sweep_id, absl::Duration timeout, v1::SweepInfo* info = nullptr);
  // Polls `done` every 20 ms.
  static bool WaitFor(const std::function<bool()>& done, absl::Duration timeout);

  v1::Coordinator::Stub& client() { return *client_; }
  v1::WorkerService::Stub& worker_api() { return *worker_api_; }

  // One integer from a read-only query on the DB file (e.g. "SELECT COUNT(*) FROM results").
  absl::StatusOr<int64_t> SqlInt(const std::string& sql) const;
  // Rows of text columns.
  absl::StatusOr<std::vector<std::vector<std::string>>> SqlRows(const std::string& sql) const;

  // Runs the `ablate` CLI with `args` (plus `--coordinator ADDRESS` when
  // with_address) and waits for it; output is logged in dir().
  CommandResult RunAblate(const std::vector<std::string>& args, bool with_address = true,
                          absl::Duration timeout = absl::Seconds(60));

  // Every process log, for failure messages.
  std::string Logs() const;

 private:
  void Connect();

  std::string dir_;
  std::string db_path_;
  std::string model_dir_;
  std::string dataset_;
  int port_ = 0;
  int coordinator_starts_ = 0;
  int commands_run_ = 0;
  std::vector<std::unique_ptr<Subprocess>> commands_;
  std::unique_ptr<Subprocess> coordinator_;
  std::vector<std::unique_ptr<Subprocess>> workers_;
  std::unique_ptr<v1::Coordinator::Stub> client_;
  std::unique_ptr<v1::WorkerService::Stub> worker_api_;
};

// A client context with a deadline.
std::unique_ptr<grpc::ClientContext> Ctx(absl::Duration timeout = absl::Seconds(10));

}  // namespace ablate::testing

#endif  // ABLATE_TESTS_E2E_CLUSTER_H_
