// checkpoint_fingerprint.cc: see checkpoint_fingerprint.h.
#include "worker/eval/checkpoint_fingerprint.h"

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "worker/text/sha256.h"

namespace ablate::eval {
namespace {

namespace fs = std::filesystem;
constexpr int64_t kEdgeBytes = 1 << 20;

absl::Status HashRange(std::ifstream& in, int64_t offset, int64_t length, const std::string& path, text::Sha256* h) {
  std::string buf(static_cast<size_t>(length), '\0');
  in.seekg(offset);
  in.read(buf.data(), length);
  if (in.gcount() != length) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": truncated at byte ", offset + in.gcount()));
  }
  h->Update(buf);
  return absl::OkStatus();
}

absl::Status HashSafetensors(const fs::path& p, text::Sha256* h) {
  const std::string path = p.string();
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  const auto size = static_cast<int64_t>(fs::file_size(p));
  h->Update(absl::StrCat(p.filename().string(), "\t", size, "\n"));
  unsigned char len_bytes[8];
  in.read(reinterpret_cast<char*>(len_bytes), 8);
  if (in.gcount() != 8) return absl::InvalidArgumentError(absl::StrCat(path, ": shorter than 8 bytes"));
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | len_bytes[i];
  if (header_len > static_cast<uint64_t>(size - 8)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": header length ", header_len, " exceeds the file size ", size));
  }
  h->Update(absl::string_view(reinterpret_cast<const char*>(len_bytes), 8));
  if (absl::Status s = HashRange(in, 8, static_cast<int64_t>(header_len), path, h); !s.ok()) return s;
  const int64_t data_begin = 8 + static_cast<int64_t>(header_len);
  const int64_t data_len = size - data_begin;
  const int64_t head = std::min(data_len, kEdgeBytes);
  if (absl::Status s = HashRange(in, data_begin, head, path, h); !s.ok()) return s;
  const int64_t tail = std::min(data_len - head, kEdgeBytes);
  return HashRange(in, size - tail, tail, path, h);
}

}  // namespace

absl::StatusOr<std::string> CheckpointFingerprint(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return absl::NotFoundError(absl::StrCat(dir, ": not a directory"));
  text::Sha256 h;
  const fs::path config = fs::path(dir) / "config.json";
  {
    std::ifstream in(config, std::ios::binary);
    if (!in) return absl::NotFoundError(absl::StrCat(config.string(), ": cannot open"));
    const auto size = static_cast<int64_t>(fs::file_size(config));
    h.Update("config.json\n");
    if (absl::Status s = HashRange(in, 0, size, config.string(), &h); !s.ok()) return s;
  }
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.is_regular_file() && e.path().extension() == ".safetensors") files.push_back(e.path());
  }
  if (ec) return absl::NotFoundError(absl::StrCat(dir, ": ", ec.message()));
  if (files.empty()) return absl::NotFoundError(absl::StrCat(dir, ": no *.safetensors files"));
  std::sort(files.begin(), files.end());
  for (const fs::path& p : files) {
    if (absl::Status s = HashSafetensors(p, &h); !s.ok()) return s;
  }
  return h.FinalHex();
}

}  // namespace ablate::eval
