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
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace ablate {

// Parses `text`; `what` names the source in error messages.
// Returns InvalidArgument with the parser's position on malformed input.
absl::StatusOr<nlohmann::json> ParseLenientJson(absl::string_view text, absl::string_view what);

// Reads and parses a file. NotFound if it cannot be opened.
absl::StatusOr<nlohmann::json> ReadLenientJsonFile(const std::string& path);

// Reads a whole file into a string. NotFound if it cannot be opened.
absl::StatusOr<std::string> ReadFileToString(const std::string& path);

}  // namespace ablate

#endif  // ABLATE_COMMON_LENIENT_JSON_H_
