// test_evaluator.h: TEST ONLY. A deterministic Evaluator for orchestration
// tests: no model is loaded. The metric is a pure function of the job spec
// (model, condition label, evaluation, seed), so a job re-run on another
// worker or after a coordinator restart yields bit-identical numbers, and
// tests can recompute the expected value.
//
// Behaviour is steered by the job itself (so one sweep can mix outcomes):
//  - evaluation name contains "fail": every attempt fails (Internal)
//  - evaluation name contains "hang": runs until JobContext::Cancelled()
//  - otherwise: sleeps `sleep_ms`, reports progress, returns the metric
// and by the options (per worker process): `hang_all` makes every job hang,
// so a test can kill a worker while it provably holds a lease.
//
// Thread-safe (no mutable state besides atomics).
//
//   TestEvaluator eval({.sleep_ms = 2});
//   double v = TestEvaluator::ExpectedValue(job.spec());
#ifndef ABLATE_TESTS_TEST_EVALUATOR_H_
#define ABLATE_TESTS_TEST_EVALUATOR_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "worker/evaluator.h"

namespace ablate::testing {

struct TestEvaluatorOptions {
  int32_t sleep_ms = 2;               // simulated work per job
  bool hang_all = false;              // every job runs until cancelled
  int32_t max_hang_ms = 120000;       // a hang ends (Cancelled) after this long regardless
  std::string metric = "test_score";  // the one metric's name ("perplexity" makes report figures)
};

class TestEvaluator : public worker::Evaluator {
 public:
  static constexpr const char* kMetric = "test_score";  // the default metric name

  explicit TestEvaluator(const TestEvaluatorOptions& options) : options_(options) {}

  absl::StatusOr<v1::JobResult> Evaluate(const v1::Job& job, worker::JobContext& ctx) override;
  std::vector<std::string> LoadedModels() const override;

  // The metric value a job must produce: 10 for the baseline, otherwise a
  // deterministic value in [10, 20) derived from the spec.
  static double ExpectedValue(const v1::JobSpec& spec);

  int64_t evaluated() const { return evaluated_.load(); }

 private:
  const TestEvaluatorOptions options_;
  std::atomic<int64_t> evaluated_{0};
};

}  // namespace ablate::testing

#endif  // ABLATE_TESTS_TEST_EVALUATOR_H_
