// thread_policy_test.cc: the policy's choice per dtype, and that applying it
// reaches LibTorch.
#include "worker/models/thread_policy.h"

#include <ATen/Parallel.h>

#include "gtest/gtest.h"

namespace ablate::models {
namespace {

TEST(ThreadPolicyTest, MatmulPoolGetsTheThreads) {
  ThreadPolicy fp32 = ChooseThreadPolicy(3, c10::kFloat);
  EXPECT_EQ(fp32.blas_threads, 3);
  EXPECT_EQ(fp32.intra_op_threads, 1);
  ThreadPolicy bf16 = ChooseThreadPolicy(3, c10::kBFloat16);
  EXPECT_EQ(bf16.intra_op_threads, 3);
  EXPECT_EQ(bf16.blas_threads, 1);
}

TEST(ThreadPolicyTest, ZeroMeansAvailableCores) {
  EXPECT_GE(AvailableCores(), 1);
  EXPECT_EQ(ChooseThreadPolicy(0, c10::kBFloat16).intra_op_threads, AvailableCores());
  EXPECT_EQ(ChooseThreadPolicy(0, c10::kFloat).blas_threads, AvailableCores());
}

TEST(ThreadPolicyTest, ApplySetsIntraOpThreads) {
  ApplyThreadPolicy({.intra_op_threads = 2, .blas_threads = 1});
  EXPECT_EQ(at::get_num_threads(), 2);
  ApplyThreadPolicy({.intra_op_threads = 1, .blas_threads = 2});
  EXPECT_EQ(at::get_num_threads(), 1);
}

}  // namespace
}  // namespace ablate::models
