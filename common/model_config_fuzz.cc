// model_config_fuzz.cc: libFuzzer target for config.json parsing (lenient
// JSON with Infinity/NaN, then ParseModelConfig with the default limits).
// Any input must yield a ModelConfig or a Status, never a crash, and never
// memory proportional to num_hidden_layers beyond the layer limit.
//
//   build/fuzz/model_config_fuzz -max_total_time=20 corpus/
#include <cstddef>
#include <cstdint>

#include "common/lenient_json.h"
#include "common/model_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto j = ablate::ParseLenientJson(absl::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
  if (!j.ok()) return 0;
  auto cfg = ablate::ParseModelConfig(*j, "fuzz");
  if (cfg.ok()) {
    // The layout must be usable: every layer has components.
    for (int64_t l = 0; l < cfg->num_layers; ++l) (void)cfg->ComponentsOf(l);
  }
  return 0;
}
