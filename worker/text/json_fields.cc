// json_fields.cc: see json_fields.h.
#include "worker/text/json_fields.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/lenient_json.h"
#include "worker/text/data_file.h"

namespace ablate::text {

absl::StatusOr<std::string> JsonString(const nlohmann::ordered_json& obj, const char* key, absl::string_view file,
                                       int line) {
  auto it = obj.find(key);
  if (it == obj.end()) return DataError(file, line, absl::StrCat("missing \"", key, "\""));
  if (!it->is_string()) {
    return DataError(file, line, absl::StrCat("\"", key, "\" is not a string"));
  }
  return it->get<std::string>();
}

absl::StatusOr<int64_t> JsonInt(const nlohmann::ordered_json& obj, const char* key, absl::string_view file, int line) {
  auto it = obj.find(key);
  if (it == obj.end()) return DataError(file, line, absl::StrCat("missing \"", key, "\""));
  if (it->is_number_integer()) return it->get<int64_t>();
  int64_t v = 0;
  if (it->is_string() && absl::SimpleAtoi(it->get<std::string>(), &v)) return v;
  return DataError(file, line, absl::StrCat("\"", key, "\" is not an integer (", JsonTypeOf(*it), ")"));
}

absl::StatusOr<std::vector<std::string>> JsonStringArray(const nlohmann::ordered_json& obj, const char* key,
                                                         absl::string_view file, int line) {
  auto it = obj.find(key);
  if (it == obj.end()) return DataError(file, line, absl::StrCat("missing \"", key, "\""));
  if (!it->is_array() || it->empty()) {
    return DataError(file, line, absl::StrCat("\"", key, "\" is not a non-empty array"));
  }
  std::vector<std::string> out;
  for (const auto& v : *it) {
    if (!v.is_string()) {
      return DataError(file, line, absl::StrCat("\"", key, "\" holds a non-string (", JsonTypeOf(v), ")"));
    }
    out.push_back(v.get<std::string>());
  }
  return out;
}

}  // namespace ablate::text
