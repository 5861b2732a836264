// safetensors_fuzz.cc: libFuzzer target for the safetensors header parser and
// validator (LibTorch-free). Any input must yield a Status, never a crash or an
// out-of-bounds read (built with -fsanitize=fuzzer,address; see fuzz/CMakeLists.txt).
//
//   ./safetensors_fuzz -max_total_time=20 corpus/
#include <cstddef>
#include <cstdint>

#include "worker/models/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto header = ablate::models::ParseSafetensors(data, size, "fuzz");
  if (header.ok()) {
    // Touch every validated span: must stay inside the input.
    volatile uint8_t sink = 0;
    for (const auto& t : header->tensors)
      for (uint64_t i = t.begin; i < t.end; i += 64) sink ^= data[header->data_offset + i];
    (void)sink;
  }
  return 0;
}
