// evaluator.h: the seam between the worker runtime and the science. The
// runtime leases jobs and calls an Evaluator; the evaluator knows models,
// datasets and metrics, and nothing about gRPC or scheduling.
//
// Implementations: worker/eval's LibTorch evaluator (the product) and a
// test-only evaluator under tests/.
//
//   absl::StatusOr<v1::JobResult> r = evaluator.Evaluate(job, ctx);
#ifndef ABLATE_WORKER_EVALUATOR_H_
#define ABLATE_WORKER_EVALUATOR_H_

#include <cstdint>
#include <string>
#include <vector>

#include "ablate/v1/job.pb.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ablate::worker {

// Given to Evaluate by the runtime: progress goes out with heartbeats, and a
// cancellation arriving in a heartbeat answer becomes visible here.
class JobContext {
 public:
  virtual ~JobContext() = default;
  // fraction in [0, 1]. Thread-safe; cheap (the runtime sends the latest value).
  virtual void ReportProgress(double fraction, absl::string_view message) = 0;
  // Work finished since the last call: dataset items (windows, questions) and
  // tokens forwarded; `items_total` adds items newly known to belong to the job.
  // The runtime sums them per attempt and heartbeats carry the totals (the
  // coordinator derives tokens/s). Thread-safe; cheap. Optional for contexts
  // that do not report (the default ignores it).
  virtual void AddWork(int64_t /*items*/, int64_t /*tokens*/, int64_t /*items_total*/ = 0) {}
  // True once the coordinator cancelled the job or the lease was lost;
  // Evaluate should then return Cancelled promptly.
  virtual bool Cancelled() const = 0;
};

class Evaluator {
 public:
  virtual ~Evaluator() = default;

  // Runs one job to completion. OK: the metrics to store. Cancelled: the job
  // was cancelled (not a failure). Any other error is a failed attempt whose
  // message is stored. Must not throw.
  virtual absl::StatusOr<v1::JobResult> Evaluate(const v1::Job& job, JobContext& ctx) = 0;

  // Model paths currently resident, reported to the coordinator for affinity.
  virtual std::vector<std::string> LoadedModels() const = 0;
};

}  // namespace ablate::worker

#endif  // ABLATE_WORKER_EVALUATOR_H_
