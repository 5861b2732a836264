// eval_forward_batches_test.cc: batching behaviour of ForwardWindows against a
// test-double model: results independent of the batch size, out-of-memory
// halves the batch and retries once, cancellation stops between batches.
#include <stdexcept>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/eval_test_util.h"
#include "worker/eval/forward_batches.h"
#include "worker/eval/token_scoring.h"

namespace ablate::eval {
namespace {

// Logits depend only on the token at each position (a causal toy), so any
// padding after a sequence leaves its real rows unchanged. Throws a CUDA-style
// out-of-memory error when asked for more rows than `max_rows`.
class ToyLm : public models::CausalLM {
 public:
  explicit ToyLm(int64_t max_rows) : max_rows_(max_rows) { config_.vocab_size = 16; }
  const ModelConfig& config() const override { return config_; }
  torch::Device device() const override { return torch::kCPU; }
  int64_t parameter_count() const override { return 0; }
  torch::Tensor Forward(const torch::Tensor& ids, const models::ForwardOptions& o) const override {
    ++calls;
    TORCH_CHECK(ids.size(0) <= max_rows_, "CUDA out of memory. Tried to allocate 2.00 GiB");
    const double shift = (o.plan != nullptr && !o.plan->empty()) ? 0.5 : 0.0;
    at::Tensor v = at::arange(16, at::kFloat);
    return at::sin(ids.to(at::kFloat).unsqueeze(-1) * (v + 1.0) * 0.37 + shift);
  }
  torch::Tensor ForwardHidden(const torch::Tensor& ids, const models::ForwardOptions& o) const override {
    return Forward(ids, o);  // LmHead is the identity
  }
  std::unique_ptr<models::DecodeState> NewState(int64_t) const override { return nullptr; }
  torch::Tensor Step(const torch::Tensor& ids, models::DecodeState*, const models::ForwardOptions& o) const override {
    return Forward(ids, o);
  }
  torch::Tensor FinalNorm(const torch::Tensor& h) const override { return h; }
  torch::Tensor LmHead(const torch::Tensor& h) const override { return h; }
  mutable int calls = 0;

 private:
  ModelConfig config_;
  int64_t max_rows_;
};

std::vector<ScoringWindow> Windows() {
  std::vector<ScoringWindow> w;
  for (int i = 0; i < 10; ++i) {
    ScoringWindow x;
    for (int t = 0; t < 3 + (i * 7) % 5; ++t) x.input.push_back((i + t) % 16);
    x.score_begin = 1;
    x.targets = {static_cast<int64_t>(i % 16)};
    w.push_back(x);
  }
  return w;
}

std::vector<double> Scores(const ToyLm& lm, int64_t batch, BatchStats* stats, bool baseline = false) {
  const auto w = Windows();
  std::vector<double> out(w.size());
  models::AblationPlan plan = {{.layer = 0, .component = v1::MLP, .mode = v1::ZERO}};
  BatchOptions bo;
  bo.batch_size = batch;
  bo.plan = &plan;
  bo.with_baseline = baseline;
  absl::Status s = ForwardWindows(
      lm, w, bo,
      [&](size_t i, const WindowLogits& logits, const WindowLogits& base) {
        EXPECT_EQ(logits.end(), static_cast<int64_t>(w[i].input.size()));
        EXPECT_EQ(base.defined(), baseline);
        out[i] = ScoreTargets(logits, w[i].score_begin, w[i].targets).Sum();
        return absl::OkStatus();
      },
      stats);
  EXPECT_TRUE(s.ok()) << s;
  return out;
}

TEST(ForwardWindows, BatchSizeDoesNotChangeResults) {
  ToyLm lm(100);
  BatchStats s1, s8;
  const auto a = Scores(lm, 1, &s1), b = Scores(lm, 8, &s8, /*baseline=*/true);
  EXPECT_EQ(a, b);
  EXPECT_EQ(s1.forwards, 10);
  EXPECT_EQ(s8.forwards, 4);  // 2 batches x (ablated + baseline)
  EXPECT_EQ(s1.tokens, s8.tokens);
}

TEST(ForwardWindows, OutOfMemoryHalvesTheBatchOnce) {
  ToyLm lm(4);
  BatchStats st;
  const auto r = Scores(lm, 8, &st);
  EXPECT_EQ(st.oom_retries, 1);
  EXPECT_EQ(st.final_batch_size, 4);
  ToyLm reference(100);
  EXPECT_EQ(r, Scores(reference, 1, nullptr));
}

TEST(ForwardWindows, SecondOutOfMemoryPropagates) {
  ToyLm lm(1);
  const auto w = Windows();
  BatchOptions bo;
  bo.batch_size = 8;
  EXPECT_THROW(
      {
        (void)ForwardWindows(lm, w, bo,
                             [](size_t, const WindowLogits&, const WindowLogits&) { return absl::OkStatus(); });
      },
      c10::Error);
}

TEST(ForwardWindows, CancellationStopsBeforeTheNextBatch) {
  ToyLm lm(100);
  testing::RecordingContext ctx;
  const auto w = Windows();
  BatchOptions bo;
  bo.batch_size = 2;
  bo.ctx = &ctx;
  int seen = 0;
  absl::Status s = ForwardWindows(lm, w, bo, [&](size_t, const WindowLogits&, const WindowLogits&) {
    if (++seen == 2) ctx.Cancel();
    return absl::OkStatus();
  });
  EXPECT_EQ(s.code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(seen, 2);
  EXPECT_EQ(lm.calls, 1);
}

TEST(IsOutOfMemory, RecognisesAllocatorMessages) {
  try {
    TORCH_CHECK(false, "DefaultCPUAllocator: can't allocate memory: you tried to allocate 1 bytes");
  } catch (const c10::Error& e) {
    EXPECT_TRUE(IsOutOfMemory(e));
  }
  try {
    TORCH_CHECK(false, "index out of range in self");
  } catch (const c10::Error& e) {
    EXPECT_FALSE(IsOutOfMemory(e));
  }
}

}  // namespace
}  // namespace ablate::eval
