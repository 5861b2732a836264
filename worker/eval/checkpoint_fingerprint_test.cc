// checkpoint_fingerprint_test.cc: what changes the checkpoint fingerprint.
#include "worker/eval/checkpoint_fingerprint.h"

#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"

namespace ablate::eval {
namespace {

namespace fs = std::filesystem;

// A minimal safetensors file: header {"w":{"dtype":"F32","shape":[n],"data_offsets":[0,4n]}}.
void WriteSafetensors(const fs::path& p, const std::vector<float>& values, const std::string& name = "w") {
  std::string header = "{\"" + name + "\":{\"dtype\":\"F32\",\"shape\":[" + std::to_string(values.size()) +
                       "],\"data_offsets\":[0," + std::to_string(4 * values.size()) + "]}}";
  while (header.size() % 8 != 0) header += ' ';
  std::ofstream out(p, std::ios::binary);
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out.put(static_cast<char>((n >> (8 * i)) & 0xFF));
  out << header;
  out.write(reinterpret_cast<const char*>(values.data()), static_cast<std::streamsize>(4 * values.size()));
}

class FingerprintTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ablate_fp_test_" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    std::ofstream(dir_ / "config.json") << R"({"model_type":"qwen2"})";
    WriteSafetensors(dir_ / "model.safetensors", {1, 2, 3, 4});
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Fp() {
    auto f = CheckpointFingerprint(dir_.string());
    EXPECT_TRUE(f.ok()) << f.status();
    return f.ok() ? *f : "";
  }
  fs::path dir_;
};

TEST_F(FingerprintTest, StableAndSensitive) {
  const std::string a = Fp();
  EXPECT_EQ(a.size(), 64u);
  EXPECT_EQ(Fp(), a);
  WriteSafetensors(dir_ / "model.safetensors", {1, 2, 3, 5});  // same shapes, other weights
  const std::string b = Fp();
  EXPECT_NE(b, a);
  WriteSafetensors(dir_ / "model.safetensors", {1, 2, 3, 5}, "v");  // renamed tensor
  EXPECT_NE(Fp(), b);
  const std::string c = Fp();
  std::ofstream(dir_ / "config.json") << R"({"model_type":"qwen2","x":1})";
  EXPECT_NE(Fp(), c);
}

TEST_F(FingerprintTest, ErrorsNameTheFile) {
  EXPECT_EQ(CheckpointFingerprint((dir_ / "missing").string()).status().code(), absl::StatusCode::kNotFound);
  std::ofstream(dir_ / "model.safetensors", std::ios::binary) << "\xff\xff\xff\xff\x00\x00\x00\x00{}";
  auto r = CheckpointFingerprint(dir_.string());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(std::string(r.status().message()).find("model.safetensors"), std::string::npos);
}

}  // namespace
}  // namespace ablate::eval
