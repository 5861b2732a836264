// json_fields.h: typed field access on one JSON-lines object, with errors
// that name the file, line and key. Stateless; thread-safe.
//
//   ASSIGN_OR_RETURN(std::string q, JsonString(obj, "question", file, line));
#ifndef ABLATE_WORKER_TEXT_JSON_FIELDS_H_
#define ABLATE_WORKER_TEXT_JSON_FIELDS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace ablate::text {

// The string at obj[key]; InvalidArgument "<file>:<line>: \"key\": ..." when
// missing or not a string.
absl::StatusOr<std::string> JsonString(const nlohmann::ordered_json& obj, const char* key, absl::string_view file,
                                       int line);

// An integer (a JSON integer, or a string of digits as some exports write it).
absl::StatusOr<int64_t> JsonInt(const nlohmann::ordered_json& obj, const char* key, absl::string_view file, int line);

// A non-empty array of strings.
absl::StatusOr<std::vector<std::string>> JsonStringArray(const nlohmann::ordered_json& obj, const char* key,
                                                         absl::string_view file, int line);

}  // namespace ablate::text

#endif  // ABLATE_WORKER_TEXT_JSON_FIELDS_H_
