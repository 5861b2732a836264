// safetensors_torch.cc: see safetensors_torch.h.
#include "worker/models/safetensors_torch.h"

#include <cstring>
#include <fstream>
#include <set>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"

namespace ablate::models {
namespace {

torch::ScalarType TorchType(StDtype d) {
  switch (d) {
    case StDtype::kF32:
      return torch::kFloat32;
    case StDtype::kF16:
      return torch::kHalf;
    case StDtype::kBF16:
      return torch::kBFloat16;
    case StDtype::kI64:
      return torch::kInt64;
  }
  return torch::kFloat32;
}

}  // namespace

torch::Tensor ToTensor(const TensorRef& ref) {
  const StTensorInfo& info = *ref.info;
  torch::Tensor t = torch::empty(info.shape, torch::TensorOptions().dtype(TorchType(info.dtype)));
  const size_t bytes = info.end - info.begin;
  if (bytes > 0) std::memcpy(t.data_ptr(), ref.data, bytes);  // data may be unaligned
  return t;
}

torch::Tensor MappedTensor(const TensorRef& ref) {
  const StTensorInfo& info = *ref.info;
  if (reinterpret_cast<uintptr_t>(ref.data) % StDtypeSize(info.dtype) != 0 || info.end == info.begin)
    return ToTensor(ref);
  return torch::from_blob(const_cast<uint8_t*>(ref.data), info.shape,
                          torch::TensorOptions().dtype(TorchType(info.dtype)));
}

absl::Status WriteSafetensors(const std::string& path,
                              const std::vector<std::pair<std::string, torch::Tensor>>& tensors) {
  nlohmann::ordered_json header;
  header["__metadata__"] = {{"format", "pt"}};
  std::vector<torch::Tensor> cpu;
  std::set<std::string> names;
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    if (!names.insert(name).second)
      return absl::InvalidArgumentError(absl::StrCat(path, ": duplicate tensor name '", name, "'"));
    std::string dtype;
    switch (t.scalar_type()) {
      case torch::kFloat32:
        dtype = "F32";
        break;
      case torch::kHalf:
        dtype = "F16";
        break;
      case torch::kBFloat16:
        dtype = "BF16";
        break;
      case torch::kInt64:
        dtype = "I64";
        break;
      default:
        return absl::InvalidArgumentError(
            absl::StrCat(path, ": tensor '", name, "' has unsupported dtype ", c10::toString(t.scalar_type())));
    }
    torch::Tensor c = t.detach().to(torch::kCPU).contiguous();
    const uint64_t bytes = c.numel() * c.element_size();
    header[name] = {{"dtype", dtype}, {"shape", c.sizes().vec()}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
    cpu.push_back(std::move(c));
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return absl::InternalError(absl::StrCat(path, ": cannot open for writing"));
  uint64_t n = text.size();
  char len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  out.write(len, 8);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  for (const auto& c : cpu)
    out.write(static_cast<const char*>(c.data_ptr()), static_cast<std::streamsize>(c.numel() * c.element_size()));
  out.close();
  if (!out) return absl::InternalError(absl::StrCat(path, ": write failed"));
  return absl::OkStatus();
}

}  // namespace ablate::models
