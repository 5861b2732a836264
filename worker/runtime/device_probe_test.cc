// device_probe_test.cc: `--device auto` resolution and device validation.
#include "worker/runtime/device_probe.h"

#include "gtest/gtest.h"

namespace ablate::worker {
namespace {

TEST(ResolveDeviceTest, AutoWithoutCudaIsCpu) {
  auto d = ResolveDevice("auto", /*cuda_available=*/false, "3", "1", nullptr);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(*d, "cpu");
}

TEST(ResolveDeviceTest, AutoWithCudaTakesSlurmLocalIdThenLocalRankThenZero) {
  EXPECT_EQ(*ResolveDevice("auto", true, "3", "1", nullptr), "cuda:3");
  EXPECT_EQ(*ResolveDevice("auto", true, nullptr, "1", nullptr), "cuda:1");
  EXPECT_EQ(*ResolveDevice("auto", true, "garbage", "2", nullptr), "cuda:2");
  EXPECT_EQ(*ResolveDevice("auto", true, nullptr, nullptr, nullptr), "cuda:0");
  EXPECT_EQ(*ResolveDevice("auto", true, "-1", nullptr, nullptr), "cuda:0");
}

TEST(ResolveDeviceTest, OneVisibleGpuIsCudaZero) {
  // Slurm --gpus-per-task=1: task 3 sees only its own GPU, as cuda:0.
  EXPECT_EQ(*ResolveDevice("auto", true, "3", nullptr, "5"), "cuda:0");
  EXPECT_EQ(*ResolveDevice("auto", true, "3", nullptr, "0,1,2,3"), "cuda:3");
}

TEST(ResolveDeviceTest, ExplicitDevicesPassThroughOrFail) {
  EXPECT_EQ(*ResolveDevice("cuda:2", false, "0", nullptr, nullptr), "cuda:2");
  EXPECT_EQ(*ResolveDevice("cpu", true, nullptr, nullptr, nullptr), "cpu");
  EXPECT_FALSE(ResolveDevice("gpu0", true, nullptr, nullptr, nullptr).ok());
  EXPECT_FALSE(ValidateDevice("auto").ok());
}

}  // namespace
}  // namespace ablate::worker
