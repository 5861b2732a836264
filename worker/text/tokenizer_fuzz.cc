// tokenizer_fuzz.cc: libFuzzer target for tokenizer.json loading
// (Tokenizer::FromHfJson) and, when it loads, encoding a short text with it.
// Any input must yield a Tokenizer or a Status, never a crash.
//
//   build/fuzz/tokenizer_fuzz -max_total_time=20 corpus/
#include <cstddef>
#include <cstdint>

#include "worker/text/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto tok =
      ablate::text::Tokenizer::FromHfJson(absl::string_view(reinterpret_cast<const char*>(data), size), "fuzz.json");
  if (tok.ok()) (void)(*tok)->Encode("Hello, world! 123 \xc3\xa9t\xc3\xa9");
  return 0;
}
