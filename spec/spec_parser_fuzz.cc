// spec_parser_fuzz.cc: libFuzzer target for the sweep spec parser (YAML, and
// JSON, which is YAML) and the layout-free checks. Any input must yield a
// SweepSpec or a Status, never a crash, a hang or unbounded memory (built
// with -fsanitize=fuzzer,address by tests/fuzz/CMakeLists.txt).
//
//   build/fuzz/spec_parser_fuzz -max_total_time=20 corpus/
#include <cstddef>
#include <cstdint>
#include <string>

#include "spec/spec_parser.h"
#include "spec/validate.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto spec = ablate::spec::ParseSweepSpec(text, "fuzz.yaml");
  if (spec.ok()) {
    // A parsed spec goes through the same checks and defaults as a submitted one.
    (void)ablate::spec::ValidateSweepSpec(*spec);
    ablate::spec::ApplyDefaults(&*spec);
  }
  return 0;
}
