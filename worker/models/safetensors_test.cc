// safetensors_test.cc: the LibTorch-free parser/validator and the checkpoint
// index, on hand-made byte images and temp files.
#include "worker/models/safetensors.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace ablate::models {
namespace {

using ::ablate::testing::StatusIs;
using ::testing::_;
using ::testing::HasSubstr;

std::string Image(const std::string& header, size_t data_bytes) {
  std::string out(8, '\0');
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  out += header;
  out.append(data_bytes, '\x01');
  return out;
}

absl::StatusOr<StHeader> Parse(const std::string& img) {
  return ParseSafetensors(reinterpret_cast<const uint8_t*>(img.data()), img.size(), "x.safetensors");
}

TEST(SafetensorsTest, ParsesValidHeader) {
  auto h = Parse(Image(
      R"({"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},)"
      R"("b":{"dtype":"BF16","shape":[4],"data_offsets":[24,32]},"c":{"dtype":"I64","shape":[],"data_offsets":[32,40]}})",
      40));
  ASSERT_OK(h);
  ASSERT_EQ(h->tensors.size(), 3u);
  EXPECT_EQ(h->metadata.at("format"), "pt");
  EXPECT_EQ(h->tensors[0].name, "a");
  EXPECT_EQ(h->tensors[0].numel(), 6);
  EXPECT_EQ(h->tensors[1].dtype, StDtype::kBF16);
  EXPECT_EQ(h->tensors[2].numel(), 1);
}

TEST(SafetensorsTest, RejectsMalformedFiles) {
  struct Case {
    std::string image, message;
  };
  const std::string ok_entry = R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})";
  std::vector<Case> cases = {
      {"abc", "too short"},
      {std::string("\xff\xff\xff\xff\x00\x00\x00\x00{}", 10), "exceeds the file size"},
      {Image("{not json}", 0), "not valid JSON"},
      {Image("[1,2]", 0), "does not start with '{'"},
      {Image(R"({"a":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}})", 8), "tensor 'a': unsupported dtype"},
      {Image(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", 8), "tensor 'a': byte span 8"},
      {Image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 4), "tensor 'a': data_offsets"},
      {Image(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8), "non-negative"},
      {Image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", 8), "begin > end"},
      {Image(R"({"a":{"dtype":"F32","shape":[2]}})", 8), "data_offsets"},
      {Image("{" + ok_entry + R"(,"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})", 12), "overlaps"},
      {Image(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,8]}})", 8),
       "overflows"},
      {Image("{\"a\":" + std::string(5000, '[') + std::string(5000, ']') + "}", 0), "nested too deeply"},
  };
  for (const Case& c : cases) {
    auto h = Parse(c.image);
    EXPECT_THAT(h.status(), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message))) << c.message;
    if (!h.ok()) {
      EXPECT_THAT(std::string(h.status().message()), HasSubstr("x.safetensors"));
    }
  }
}

class CheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("st_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Write(const std::string& name, const std::string& content) {
    std::ofstream(dir_ / name, std::ios::binary) << content;
  }
  std::filesystem::path dir_;
};

TEST_F(CheckpointTest, OpensShardedCheckpoint) {
  Write("s1.safetensors", Image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 8));
  Write("s2.safetensors", Image(R"({"b":{"dtype":"F16","shape":[2],"data_offsets":[0,4]}})", 4));
  Write("model.safetensors.index.json", R"({"metadata":{},"weight_map":{"a":"s1.safetensors","b":"s2.safetensors"}})");
  auto ckpt = Checkpoint::Open(dir_.string());
  ASSERT_OK(ckpt);
  ASSERT_NE((*ckpt)->Find("a"), nullptr);
  ASSERT_NE((*ckpt)->Find("b"), nullptr);
  EXPECT_EQ((*ckpt)->Find("c"), nullptr);
  EXPECT_EQ((*ckpt)->Find("b")->info->dtype, StDtype::kF16);
}

TEST_F(CheckpointTest, ShardMissingListedTensorIsNamed) {
  Write("s1.safetensors", Image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 8));
  Write("model.safetensors.index.json", R"({"weight_map":{"a":"s1.safetensors","zz":"s1.safetensors"}})");
  EXPECT_THAT(Checkpoint::Open(dir_.string()).status(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("tensor 'zz'")));
}

TEST_F(CheckpointTest, DuplicateTensorAcrossShardsIsAnError) {
  Write("s1.safetensors", Image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 8));
  Write("s2.safetensors", Image(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 8));
  Write("model.safetensors.index.json", R"({"weight_map":{"a":"s1.safetensors","x":"s2.safetensors"}})");
  EXPECT_THAT(Checkpoint::Open(dir_.string()).status(), StatusIs(absl::StatusCode::kInvalidArgument, _));
}

TEST_F(CheckpointTest, MissingFilesAreNotFound) {
  EXPECT_THAT(Checkpoint::Open(dir_.string()).status(), StatusIs(absl::StatusCode::kNotFound, _));
  Write("model.safetensors.index.json", R"({"weight_map":{"a":"nope.safetensors"}})");
  EXPECT_THAT(Checkpoint::Open(dir_.string()).status(),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("nope.safetensors")));
  Write("model.safetensors.index.json", R"({"weight_map":{"a":"../etc/passwd"}})");
  EXPECT_THAT(Checkpoint::Open(dir_.string()).status(), StatusIs(absl::StatusCode::kInvalidArgument, _));
}

}  // namespace
}  // namespace ablate::models
