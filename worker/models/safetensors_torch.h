// safetensors_torch.h: LibTorch side of safetensors: mapped bytes -> tensors,
// and a writer (save_pretrained-compatible layout).
//
// Thread-safety: free functions, no shared state.
//
//   ASSIGN_OR_RETURN(torch::Tensor w, ToTensor(*ckpt->Find("model.norm.weight")));
//   RETURN_IF_ERROR(WriteSafetensors("/tmp/x.safetensors", {{"w", w}}));
#ifndef ABLATE_WORKER_MODELS_SAFETENSORS_TORCH_H_
#define ABLATE_WORKER_MODELS_SAFETENSORS_TORCH_H_

#include <torch/types.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "worker/models/safetensors.h"

namespace ablate::models {

// A CPU tensor holding a copy of the mapped bytes (F32/F16/BF16/I64 map to
// the same torch dtype). Never fails for a validated TensorRef.
torch::Tensor ToTensor(const TensorRef& ref);

// A read-only CPU tensor aliasing the mapped bytes when they are suitably
// aligned (no copy), else ToTensor(ref). Valid only while the Checkpoint that
// owns `ref` is alive; never write to it.
torch::Tensor MappedTensor(const TensorRef& ref);

// Writes tensors (any device; F32/F16/BF16/I64) in the given order with a
// "__metadata__": {"format": "pt"} header padded to a multiple of 8 bytes.
// InvalidArgument on an unsupported dtype or a duplicate name; Internal on I/O errors.
absl::Status WriteSafetensors(const std::string& path,
                              const std::vector<std::pair<std::string, torch::Tensor>>& tensors);

}  // namespace ablate::models

#endif  // ABLATE_WORKER_MODELS_SAFETENSORS_TORCH_H_
