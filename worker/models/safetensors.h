// safetensors.h: a validating, LibTorch-free reader for the safetensors format
// (single files and sharded checkpoints with model.safetensors.index.json).
//
// Format: 8-byte little-endian header length N, N bytes of JSON header
// {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
// "__metadata__": {..}}, then the data region; offsets are relative to it.
//
// Invariants: everything is validated before any tensor byte is touched:
// header length inside the file, JSON well formed (nesting depth bounded),
// known dtype, shape x element size == byte span (no overflow), spans inside
// the data region, no two spans overlapping. Every error names the file and,
// where there is one, the tensor. Parsing never reads outside [data, data+size)
// (fuzzed by safetensors_fuzz.cc).
//
// Thread-safety: immutable after Open; concurrent readers are fine.
//
//   ASSIGN_OR_RETURN(auto ckpt, Checkpoint::Open("/ckpt/qwen2"));
//   const TensorRef* t = ckpt->Find("model.norm.weight");
//   // t->info.shape, t->info.dtype, t->data (mapped bytes)
#ifndef ABLATE_WORKER_MODELS_SAFETENSORS_H_
#define ABLATE_WORKER_MODELS_SAFETENSORS_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ablate::models {

enum class StDtype { kF32, kF16, kBF16, kI64 };

// "F32", "F16", "BF16", "I64".
absl::string_view StDtypeName(StDtype d);
// Bytes per element.
size_t StDtypeSize(StDtype d);

struct StTensorInfo {
  std::string name;
  StDtype dtype = StDtype::kF32;
  std::vector<int64_t> shape;
  uint64_t begin = 0;  // byte offsets relative to the data region, begin <= end
  uint64_t end = 0;
  int64_t numel() const;
};

struct StHeader {
  std::vector<StTensorInfo> tensors;            // in header order
  uint64_t data_offset = 0;                     // 8 + header length: where the data region starts
  std::map<std::string, std::string> metadata;  // string values of __metadata__
};

// Parses and validates a whole safetensors file image `data[0, size)`.
// `file` names the source in errors. InvalidArgument on any malformation.
absl::StatusOr<StHeader> ParseSafetensors(const uint8_t* data, size_t size, absl::string_view file);

// A read-only memory mapping of a whole file. Move-only.
class MappedFile {
 public:
  // NotFound if the file cannot be opened; InvalidArgument if it is empty.
  static absl::StatusOr<std::unique_ptr<MappedFile>> Open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }

 private:
  MappedFile(std::string path, const uint8_t* data, size_t size) : path_(std::move(path)), data_(data), size_(size) {}
  std::string path_;
  const uint8_t* data_;
  size_t size_;
};

// One tensor inside a mapped file.
struct TensorRef {
  const StTensorInfo* info = nullptr;
  const uint8_t* data = nullptr;  // info->end - info->begin bytes, may be unaligned
  const std::string* file = nullptr;
};

// A mapped, validated safetensors file.
class SafetensorsFile {
 public:
  static absl::StatusOr<std::unique_ptr<SafetensorsFile>> Open(const std::string& path);
  const StHeader& header() const { return header_; }
  const std::string& path() const { return file_->path(); }
  TensorRef Ref(const StTensorInfo& info) const;

 private:
  SafetensorsFile(std::unique_ptr<MappedFile> file, StHeader header)
      : file_(std::move(file)), header_(std::move(header)) {}
  std::unique_ptr<MappedFile> file_;
  StHeader header_;
};

// All tensors of a checkpoint directory: <dir>/model.safetensors.index.json
// (sharded; every tensor of its weight_map must be in the named shard) or
// <dir>/model.safetensors. A tensor name present in two shards is an error.
class Checkpoint {
 public:
  // NotFound if neither file exists; InvalidArgument on malformed content.
  static absl::StatusOr<std::unique_ptr<Checkpoint>> Open(const std::string& dir);
  // Opens one file as a checkpoint (e.g. expected.safetensors).
  static absl::StatusOr<std::unique_ptr<Checkpoint>> OpenFile(const std::string& path);

  // nullptr if absent.
  const TensorRef* Find(const std::string& name) const;
  const std::map<std::string, TensorRef>& tensors() const { return index_; }

 private:
  absl::Status Add(std::unique_ptr<SafetensorsFile> file);
  std::vector<std::unique_ptr<SafetensorsFile>> files_;
  std::map<std::string, TensorRef> index_;
};

}  // namespace ablate::models

#endif  // ABLATE_WORKER_MODELS_SAFETENSORS_H_
