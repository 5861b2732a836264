// byte_level.h: GPT-2's reversible byte <-> printable-character mapping
// (bytes_to_unicode in OpenAI's encoder.py, HF ByteLevel). Printable Latin-1
// bytes map to themselves; the other 68 bytes map to U+0100.. in order, so
// ' ' is 'Ġ' (U+0120) and '\n' is 'Ċ' (U+010A). Immutable; thread-safe.
//
//   std::string mapped = ByteLevelEncode("a b");   // "aĠb"
//   std::string raw;  bool all = ByteLevelDecode(mapped, &raw);  // "a b"
#ifndef ABLATE_WORKER_TEXT_BYTE_LEVEL_H_
#define ABLATE_WORKER_TEXT_BYTE_LEVEL_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace ablate::text {

// The code point byte `b` maps to.
char32_t ByteToCodePoint(uint8_t b);

// The byte that code point `cp` stands for; -1 if `cp` is not in the mapping.
int ByteFromCodePoint(char32_t cp);

// UTF-8 of the mapped characters of `bytes`.
std::string ByteLevelEncode(absl::string_view bytes);

// Appends the bytes of the mapped string `token` (valid UTF-8) to *out and
// returns true; if any character is outside the mapping, appends `token`
// unchanged and returns false (HF ByteLevel decoder behaviour).
bool ByteLevelDecode(absl::string_view token, std::string* out);

}  // namespace ablate::text

#endif  // ABLATE_WORKER_TEXT_BYTE_LEVEL_H_
