// test_evaluator.cc: see test_evaluator.h. TEST ONLY.
#include "tests/test_evaluator.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace ablate::testing {
namespace {

uint64_t Fnv1a(const std::string& s, uint64_t h = 1469598103934665603ull) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace

double TestEvaluator::ExpectedValue(const v1::JobSpec& spec) {
  if (spec.condition().kind() == v1::BASELINE) return 10.0;
  const uint64_t h = Fnv1a(absl::StrCat(spec.model().name(), "|", spec.condition().label(), "|",
                                        spec.evaluation().name(), "|", spec.seed()));
  return 10.0 + static_cast<double>(h % 10000) / 1000.0;
}

absl::StatusOr<v1::JobResult> TestEvaluator::Evaluate(const v1::Job& job, worker::JobContext& ctx) {
  const std::string& eval = job.spec().evaluation().name();
  if (absl::StrContains(eval, "fail")) {
    return absl::InternalError(absl::StrCat("test evaluator: evaluation '", eval, "' always fails"));
  }
  if (options_.hang_all || absl::StrContains(eval, "hang")) {
    const absl::Time until = absl::Now() + absl::Milliseconds(options_.max_hang_ms);
    while (!ctx.Cancelled() && absl::Now() < until) {
      ctx.ReportProgress(0.5, "hanging");
      absl::SleepFor(absl::Milliseconds(5));
    }
    return absl::CancelledError("test evaluator: hang ended");
  }
  // Ten simulated items of 100 tokens each, spread over sleep_ms.
  constexpr int kItems = 10;
  ctx.ReportProgress(0.0, "start");
  ctx.AddWork(0, 0, kItems);
  for (int i = 0; i < kItems; ++i) {
    absl::SleepFor(absl::Milliseconds(options_.sleep_ms) / kItems);
    if (ctx.Cancelled()) return absl::CancelledError("test evaluator: cancelled");
    ctx.AddWork(1, 100);
    ctx.ReportProgress(static_cast<double>(i + 1) / kItems, absl::StrCat("item ", i + 1, "/", kItems));
  }
  v1::JobResult result;
  v1::Metric* m = result.add_metrics();
  m->set_name(options_.metric);
  m->set_value(ExpectedValue(job.spec()));
  m->set_detail_json(absl::StrCat("{\"targets\":", job.spec().condition().targets_size(), "}"));
  result.set_checkpoint_fingerprint("test-checkpoint");
  result.set_dataset_fingerprint("test-dataset");
  result.set_tokens_evaluated(1);
  evaluated_.fetch_add(1);
  return result;
}

std::vector<std::string> TestEvaluator::LoadedModels() const { return {}; }

}  // namespace ablate::testing
