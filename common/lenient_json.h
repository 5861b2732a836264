// lenient_json.h: parse JSON as Python's json module writes it.
//
// Hugging Face configs may contain the non-standard tokens `Infinity`,
// `-Infinity` and `NaN` (Falcon-H1 writes `"time_step_limit": [0.0, Infinity]`).
// ParseLenientJson accepts them outside strings and yields IEEE inf/nan values.
//
//   ASSIGN_OR_RETURN(nlohmann::json j, ParseLenientJson(text, "config.json"));
#ifndef ABLATE_COMMON_LENIENT_JSON_H_
#define ABLATE_COMMON_LENIENT_JSON_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace ablate {

// Parses `text`; `what` names the source in error messages.
// Returns InvalidArgument with the parser's byte position on malformed input;
// the message never repeats the input's bytes.
absl::StatusOr<nlohmann::json> ParseLenientJson(absl::string_view text, absl::string_view what);

// Reads and parses a file. NotFound if it cannot be opened.
absl::StatusOr<nlohmann::json> ReadLenientJsonFile(const std::string& path);

// Reads a whole file into a string. NotFound if it cannot be opened.
absl::StatusOr<std::string> ReadFileToString(const std::string& path);

// As ReadFileToString, but ResourceExhausted (naming `flag`) when the file is
// larger than max_bytes, checked before reading.
absl::StatusOr<std::string> ReadBoundedFile(const std::string& path, int64_t max_bytes, absl::string_view flag);

// "a string", "an integer", "an object", ...: a value described without
// echoing it (for errors about files the caller may not read).
std::string JsonTypeOf(const nlohmann::json& v);
std::string JsonTypeOf(const nlohmann::ordered_json& v);

}  // namespace ablate

#endif  // ABLATE_COMMON_LENIENT_JSON_H_
