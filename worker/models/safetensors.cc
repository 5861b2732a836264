// safetensors.cc: see safetensors.h. No LibTorch here (fuzzed standalone).
#include "worker/models/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "nlohmann/json.hpp"

namespace ablate::models {
namespace {

constexpr uint64_t kMaxHeaderBytes = 100ull << 20;  // as the reference implementation
constexpr int kMaxJsonDepth = 64;

absl::Status Bad(absl::string_view file, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(file, ": ", what));
}
absl::Status BadTensor(absl::string_view file, absl::string_view tensor, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(file, ": tensor '", tensor, "': ", what));
}

// nlohmann parses recursively; bound the nesting depth first so a hostile
// header cannot exhaust the stack.
bool DepthWithin(const char* p, size_t n, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < n; ++i) {
    const char c = p[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"')
      in_string = true;
    else if (c == '[' || c == '{') {
      if (++depth > max_depth) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

absl::StatusOr<StDtype> ParseDtype(const std::string& s) {
  if (s == "F32") return StDtype::kF32;
  if (s == "F16") return StDtype::kF16;
  if (s == "BF16") return StDtype::kBF16;
  if (s == "I64") return StDtype::kI64;
  return absl::InvalidArgumentError(absl::StrCat("unsupported dtype '", s, "' (F32, F16, BF16, I64)"));
}

bool ReadUnsigned(const nlohmann::json& v, uint64_t* out) {
  if (!v.is_number_unsigned()) return false;
  *out = v.get<uint64_t>();
  return true;
}

absl::StatusOr<StTensorInfo> ParseEntry(const std::string& name, const nlohmann::json& e, uint64_t data_size,
                                        absl::string_view file) {
  StTensorInfo t;
  t.name = name;
  if (!e.is_object()) return BadTensor(file, name, "entry is not an object");
  auto dt = e.find("dtype");
  if (dt == e.end() || !dt->is_string()) return BadTensor(file, name, "missing string field 'dtype'");
  auto dtype = ParseDtype(dt->get<std::string>());
  if (!dtype.ok()) return BadTensor(file, name, dtype.status().message());
  t.dtype = *dtype;
  auto sh = e.find("shape");
  if (sh == e.end() || !sh->is_array()) return BadTensor(file, name, "missing array field 'shape'");
  if (sh->size() > 16) return BadTensor(file, name, "more than 16 dimensions");
  uint64_t bytes = StDtypeSize(t.dtype);
  for (const auto& d : *sh) {
    uint64_t v = 0;
    if (!ReadUnsigned(d, &v)) return BadTensor(file, name, "shape entries must be non-negative integers");
    if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      return BadTensor(file, name, "shape entry too large");
    if (v != 0 && bytes > std::numeric_limits<uint64_t>::max() / v)
      return BadTensor(file, name, "shape x dtype size overflows");
    bytes *= v;
    t.shape.push_back(static_cast<int64_t>(v));
  }
  auto off = e.find("data_offsets");
  if (off == e.end() || !off->is_array() || off->size() != 2 || !ReadUnsigned((*off)[0], &t.begin) ||
      !ReadUnsigned((*off)[1], &t.end))
    return BadTensor(file, name, "'data_offsets' must be two non-negative integers");
  if (t.begin > t.end) return BadTensor(file, name, "data_offsets begin > end");
  if (t.end > data_size)
    return BadTensor(file, name,
                     absl::StrCat("data_offsets [", t.begin, ", ", t.end, ") run past the end of the data region (",
                                  data_size, " bytes)"));
  if (t.end - t.begin != bytes)
    return BadTensor(file, name, absl::StrCat("byte span ", t.end - t.begin, " != shape x dtype size ", bytes));
  return t;
}

}  // namespace

absl::string_view StDtypeName(StDtype d) {
  switch (d) {
    case StDtype::kF32:
      return "F32";
    case StDtype::kF16:
      return "F16";
    case StDtype::kBF16:
      return "BF16";
    case StDtype::kI64:
      return "I64";
  }
  return "?";
}

size_t StDtypeSize(StDtype d) {
  switch (d) {
    case StDtype::kF32:
      return 4;
    case StDtype::kF16:
      return 2;
    case StDtype::kBF16:
      return 2;
    case StDtype::kI64:
      return 8;
  }
  return 1;
}

int64_t StTensorInfo::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

absl::StatusOr<StHeader> ParseSafetensors(const uint8_t* data, size_t size, absl::string_view file) {
  if (size < 8) return Bad(file, absl::StrCat("file too short for a safetensors header (", size, " bytes)"));
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | data[i];
  if (n > size - 8) return Bad(file, absl::StrCat("header length ", n, " exceeds the file size ", size));
  if (n > kMaxHeaderBytes) return Bad(file, absl::StrCat("header length ", n, " is implausibly large"));
  if (n < 2) return Bad(file, "header too short");
  const char* text = reinterpret_cast<const char*>(data + 8);
  if (text[0] != '{') return Bad(file, "header does not start with '{'");
  if (!DepthWithin(text, n, kMaxJsonDepth)) return Bad(file, "header JSON nested too deeply");
  nlohmann::json j = nlohmann::json::parse(text, text + n, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Bad(file, "header is not valid JSON");
  if (!j.is_object()) return Bad(file, "header is not a JSON object");

  StHeader h;
  h.data_offset = 8 + n;
  const uint64_t data_size = size - h.data_offset;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (!it.value().is_object()) return Bad(file, "__metadata__ is not an object");
      for (auto m = it.value().begin(); m != it.value().end(); ++m)
        if (m.value().is_string()) h.metadata[m.key()] = m.value().get<std::string>();
      continue;
    }
    ASSIGN_OR_RETURN(StTensorInfo t, ParseEntry(it.key(), it.value(), data_size, file));
    h.tensors.push_back(std::move(t));
  }
  // No two non-empty spans may overlap.
  std::vector<const StTensorInfo*> by_begin;
  for (const auto& t : h.tensors)
    if (t.end > t.begin) by_begin.push_back(&t);
  std::sort(by_begin.begin(), by_begin.end(),
            [](const StTensorInfo* a, const StTensorInfo* b) { return a->begin < b->begin; });
  for (size_t i = 1; i < by_begin.size(); ++i) {
    if (by_begin[i]->begin < by_begin[i - 1]->end)
      return BadTensor(file, by_begin[i]->name, absl::StrCat("data overlaps tensor '", by_begin[i - 1]->name, "'"));
  }
  return h;
}

absl::StatusOr<std::unique_ptr<MappedFile>> MappedFile::Open(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::NotFoundError(absl::StrCat(path, ": cannot open: ", std::strerror(errno)));
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a regular file"));
  }
  const size_t size = static_cast<size_t>(st.st_size);
  if (size == 0) {
    ::close(fd);
    return absl::InvalidArgumentError(absl::StrCat(path, ": empty file"));
  }
  void* p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (p == MAP_FAILED) return absl::InternalError(absl::StrCat(path, ": mmap failed: ", std::strerror(errno)));
  return std::unique_ptr<MappedFile>(new MappedFile(path, static_cast<const uint8_t*>(p), size));
}

MappedFile::~MappedFile() { ::munmap(const_cast<uint8_t*>(data_), size_); }

absl::StatusOr<std::unique_ptr<SafetensorsFile>> SafetensorsFile::Open(const std::string& path) {
  ASSIGN_OR_RETURN(auto file, MappedFile::Open(path));
  ASSIGN_OR_RETURN(StHeader header, ParseSafetensors(file->data(), file->size(), path));
  return std::unique_ptr<SafetensorsFile>(new SafetensorsFile(std::move(file), std::move(header)));
}

TensorRef SafetensorsFile::Ref(const StTensorInfo& info) const {
  return TensorRef{&info, file_->data() + header_.data_offset + info.begin, &file_->path()};
}

absl::Status Checkpoint::Add(std::unique_ptr<SafetensorsFile> file) {
  for (const auto& t : file->header().tensors) {
    auto [it, inserted] = index_.emplace(t.name, file->Ref(t));
    if (!inserted)
      return absl::InvalidArgumentError(
          absl::StrCat("tensor '", t.name, "' is in both ", *it->second.file, " and ", file->path()));
  }
  files_.push_back(std::move(file));
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Checkpoint>> Checkpoint::OpenFile(const std::string& path) {
  auto ckpt = std::make_unique<Checkpoint>();
  ASSIGN_OR_RETURN(auto file, SafetensorsFile::Open(path));
  RETURN_IF_ERROR(ckpt->Add(std::move(file)));
  return ckpt;
}

absl::StatusOr<std::unique_ptr<Checkpoint>> Checkpoint::Open(const std::string& dir) {
  const std::string index_path = dir + "/model.safetensors.index.json";
  struct stat st;
  if (::stat(index_path.c_str(), &st) != 0) {
    const std::string single = dir + "/model.safetensors";
    if (::stat(single.c_str(), &st) != 0)
      return absl::NotFoundError(
          absl::StrCat(dir, ": neither model.safetensors nor model.safetensors.index.json found"));
    return OpenFile(single);
  }
  ASSIGN_OR_RETURN(auto map, MappedFile::Open(index_path));
  const char* text = reinterpret_cast<const char*>(map->data());
  if (!DepthWithin(text, map->size(), kMaxJsonDepth)) return Bad(index_path, "JSON nested too deeply");
  nlohmann::json j = nlohmann::json::parse(text, text + map->size(), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return Bad(index_path, "not a valid JSON object");
  auto wm = j.find("weight_map");
  if (wm == j.end() || !wm->is_object()) return Bad(index_path, "missing object field 'weight_map'");
  std::map<std::string, std::vector<std::string>> by_file;  // shard -> tensors it must hold
  for (auto it = wm->begin(); it != wm->end(); ++it) {
    if (!it.value().is_string()) return BadTensor(index_path, it.key(), "weight_map value is not a string");
    const std::string shard = it.value().get<std::string>();
    if (shard.empty() || shard.find('/') != std::string::npos || shard == "." || shard == "..")
      return BadTensor(index_path, it.key(), absl::StrCat("bad shard file name '", shard, "'"));
    by_file[shard].push_back(it.key());
  }
  if (by_file.empty()) return Bad(index_path, "weight_map is empty");
  auto ckpt = std::make_unique<Checkpoint>();
  for (const auto& [shard, names] : by_file) {
    ASSIGN_OR_RETURN(auto file, SafetensorsFile::Open(dir + "/" + shard));
    std::set<std::string> have;
    for (const auto& t : file->header().tensors) have.insert(t.name);
    for (const auto& n : names)
      if (!have.count(n))
        return BadTensor(file->path(), n, "listed in model.safetensors.index.json but not in this shard");
    RETURN_IF_ERROR(ckpt->Add(std::move(file)));
  }
  return ckpt;
}

const TensorRef* Checkpoint::Find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &it->second;
}

}  // namespace ablate::models
