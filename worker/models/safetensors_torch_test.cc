// safetensors_torch_test.cc: WriteSafetensors -> Checkpoint -> ToTensor round trip.
#include "worker/models/safetensors_torch.h"

#include <unistd.h>

#include <filesystem>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace ablate::models {
namespace {

using ::ablate::testing::StatusIs;
using ::testing::HasSubstr;

TEST(SafetensorsTorchTest, RoundTripsEveryDtype) {
  const std::string path =
      (std::filesystem::temp_directory_path() / ("st_rt_" + std::to_string(::getpid()) + ".safetensors")).string();
  std::vector<std::pair<std::string, torch::Tensor>> in = {
      {"f32", torch::randn({3, 4})},
      {"f16", torch::randn({5}).to(torch::kHalf)},
      {"bf16", torch::randn({2, 1, 3}).to(torch::kBFloat16)},
      {"i64", torch::arange(7)},
      {"scalar", torch::tensor(2.5)},
      {"empty", torch::zeros({0, 3})},
      {"strided", torch::randn({4, 4}).t()},
  };
  ASSERT_OK(WriteSafetensors(path, in));
  auto ckpt = Checkpoint::OpenFile(path);
  ASSERT_OK(ckpt);
  for (const auto& [name, t] : in) {
    const TensorRef* ref = (*ckpt)->Find(name);
    ASSERT_NE(ref, nullptr) << name;
    torch::Tensor back = ToTensor(*ref);
    EXPECT_EQ(back.scalar_type(), t.scalar_type()) << name;
    EXPECT_TRUE(at::equal(back, t)) << name;
    EXPECT_TRUE(at::equal(MappedTensor(*ref), t)) << name;
  }
  std::filesystem::remove(path);
}

TEST(SafetensorsTorchTest, RejectsDuplicatesAndUnsupportedDtypes) {
  const std::string path = "/tmp/never_written.safetensors";
  EXPECT_THAT(WriteSafetensors(path, {{"a", torch::zeros({1})}, {"a", torch::zeros({1})}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("duplicate tensor name 'a'")));
  EXPECT_THAT(WriteSafetensors(path, {{"b", torch::zeros({1}, torch::kInt32)}}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("tensor 'b'")));
}

}  // namespace
}  // namespace ablate::models
