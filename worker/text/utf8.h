// utf8.h: the few UTF-8 and Unicode-property helpers the tokenizer needs.
// Code points are decoded leniently only after ValidateUtf8 succeeded.
// Stateless; thread-safe.
//
//   RETURN_IF_ERROR(ValidateUtf8(text, "input"));
//   size_t i = 0; char32_t cp = NextCodePoint(text, &i);
#ifndef ABLATE_WORKER_TEXT_UTF8_H_
#define ABLATE_WORKER_TEXT_UTF8_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace ablate::text {

// OK if `text` is well-formed UTF-8 (no surrogates, no overlongs, <= U+10FFFF).
// Otherwise InvalidArgument "<what>: invalid UTF-8 at byte N (line L)".
absl::Status ValidateUtf8(absl::string_view text, absl::string_view what);

// Decodes the code point at *pos and advances *pos. REQUIRES: valid UTF-8.
char32_t NextCodePoint(absl::string_view text, size_t* pos);

// The code point that ends at `end` (exclusive); *start receives its offset.
// REQUIRES: valid UTF-8, end > 0.
char32_t PrevCodePoint(absl::string_view text, size_t end, size_t* start);

void AppendUtf8(char32_t cp, std::string* out);

// Unicode White_Space (Rust char::is_whitespace, regex \s).
bool IsWhiteSpace(char32_t cp);

// Python str.isspace(), which is what `\s` and str.strip() use on a str:
// White_Space plus the separators U+001C..U+001F.
bool IsPythonSpace(char32_t cp);

// Rust regex \w: letters, marks, decimal digits, connector punctuation.
bool IsWordChar(char32_t cp);

// Replaces ill-formed sequences with U+FFFD (Rust String::from_utf8_lossy).
std::string Utf8Lossy(absl::string_view bytes);

}  // namespace ablate::text

#endif  // ABLATE_WORKER_TEXT_UTF8_H_
