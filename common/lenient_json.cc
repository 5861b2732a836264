// lenient_json.cc: JSON with Python's Infinity/NaN extensions (see header).
#include "common/lenient_json.h"

#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/request_limits.h"
#include "common/status_macros.h"

namespace ablate {
namespace {

// Sentinels: out of range for double, so no real config can contain them, and
// chosen so that nlohmann parses them as numbers we can recognise afterwards.
constexpr char kPosInf[] = "1.7976931348623157e308";
constexpr char kNegInf[] = "-1.7976931348623157e308";
constexpr char kNan[] = "-1.7976931348623155e308";

void RestoreSpecials(nlohmann::json& j) {
  if (j.is_number_float()) {
    const double v = j.get<double>();
    if (v == std::numeric_limits<double>::max())
      j = std::numeric_limits<double>::infinity();
    else if (v == -std::numeric_limits<double>::max())
      j = -std::numeric_limits<double>::infinity();
    else if (v == std::stod(kNan))
      j = std::numeric_limits<double>::quiet_NaN();
  } else if (j.is_structured()) {
    for (auto& child : j) RestoreSpecials(child);
  }
}

}  // namespace

absl::StatusOr<nlohmann::json> ParseLenientJson(absl::string_view text, absl::string_view what) {
  std::string out;
  out.reserve(text.size() + 64);
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      out.push_back(c);
      if (c == '\\' && i + 1 < text.size()) {
        out.push_back(text[++i]);
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
      out.push_back(c);
    } else if (text.compare(i, 9, "-Infinity") == 0) {
      out += kNegInf;
      i += 8;
    } else if (text.compare(i, 8, "Infinity") == 0) {
      out += kPosInf;
      i += 7;
    } else if (text.compare(i, 3, "NaN") == 0) {
      out += kNan;
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  nlohmann::json j = nlohmann::json::parse(out, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    // Re-parse with exceptions to get the position and reason.
    try {
      // (void) does not silence GCC's warn_unused_result: name the result.
      [[maybe_unused]] const nlohmann::json reparsed = nlohmann::json::parse(out);
    } catch (const nlohmann::json::parse_error& e) {
      // e.what() quotes the bytes last read; say only where.
      return absl::InvalidArgumentError(absl::StrCat(what, ": malformed JSON near byte ", e.byte));
    } catch (const nlohmann::json::exception& e) {
      // e.g. out_of_range 406, a number too large for a double ("1e400"): found by
      // model_config_fuzz; uncaught, it terminated the process.
      return absl::InvalidArgumentError(absl::StrCat(what, ": malformed JSON (error ", e.id, ")"));
    }
    return absl::InvalidArgumentError(absl::StrCat(what, ": malformed JSON"));
  }
  RestoreSpecials(j);
  return j;
}

absl::StatusOr<std::string> ReadFileToString(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

absl::StatusOr<std::string> ReadBoundedFile(const std::string& path, int64_t max_bytes, absl::string_view flag) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  const std::streamoff size = in.tellg();
  if (size < 0) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  RETURN_IF_ERROR(CheckBytes(path, static_cast<int64_t>(size), max_bytes, flag));
  in.seekg(0);
  std::string out(static_cast<size_t>(size), '\0');
  in.read(out.data(), size);
  out.resize(static_cast<size_t>(in.gcount()));
  return out;
}

namespace {
template <typename Json>
std::string TypeOf(const Json& v) {
  if (v.is_null()) return "null";
  if (v.is_boolean()) return "a boolean";
  if (v.is_number_integer()) return "an integer";
  if (v.is_number()) return "a number";
  if (v.is_string()) return "a string";
  if (v.is_array()) return "an array";
  if (v.is_object()) return "an object";
  return "a value";
}
}  // namespace

std::string JsonTypeOf(const nlohmann::json& v) { return TypeOf(v); }
std::string JsonTypeOf(const nlohmann::ordered_json& v) { return TypeOf(v); }

absl::StatusOr<nlohmann::json> ReadLenientJsonFile(const std::string& path) {
  auto text = ReadFileToString(path);
  if (!text.ok()) return text.status();
  return ParseLenientJson(*text, path);
}

}  // namespace ablate
