// diagnostics_test.cc: residual-stream statistics on hand-built tensors.
#include "worker/eval/diagnostics.h"

#include <cmath>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace ablate::eval {
namespace {

TEST(ResidualStats, NormRatioAndCosine) {
  // token 0: in (1,0) out (0,2): ratio 2, cos 0. token 1: in (3,4) out (3,4): ratio 1, cos 1.
  at::Tensor in = at::tensor({1.0f, 0.0f, 3.0f, 4.0f}).reshape({1, 2, 2});
  at::Tensor out = at::tensor({0.0f, 2.0f, 3.0f, 4.0f}).reshape({1, 2, 2});
  const ResidualStats s = ComputeResidualStats(in, out);
  EXPECT_NEAR(s.norm_ratio, 1.5, 1e-9);
  EXPECT_NEAR(s.cosine, 0.5, 1e-9);
}

TEST(BranchRatio, MeanPerTokenRatio) {
  at::Tensor in = at::tensor({2.0f, 0.0f, 0.0f, 4.0f}).reshape({2, 2});
  at::Tensor br = at::tensor({1.0f, 0.0f, 0.0f, 0.0f}).reshape({2, 2});
  EXPECT_NEAR(BranchRatio(br, in), 0.25, 1e-9);
}

TEST(MeanKl, ZeroWhenLensEqualsFinal) {
  at::Tensor f = at::randn({2, 3, 5});
  EXPECT_EQ(MeanKl(f, f), 0.0);
  EXPECT_GT(MeanKl(f, at::zeros({2, 3, 5})), 0.0);
}

TEST(DiagnosticsJson, OneEntryPerLayer) {
  LayerDiagnostics d;
  d.layer = 2;
  d.norm_ratio = 1.25;
  d.branch_ratio["mlp"] = 0.5;
  const auto j = nlohmann::json::parse(DiagnosticsJson({d}));
  ASSERT_EQ(j["layers"].size(), 1u);
  EXPECT_EQ(j["layers"][0]["layer"], 2);
  EXPECT_EQ(j["layers"][0]["branch_ratio"]["mlp"], 0.5);
}

}  // namespace
}  // namespace ablate::eval
