// data_file.cc: see data_file.h.
#include "worker/text/data_file.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "worker/text/sha256.h"
#include "worker/text/utf8.h"

namespace ablate::text {
namespace {

namespace fs = std::filesystem;

// Natural order: digit runs compare by value.
bool NaturalLess(const std::string& a, const std::string& b) {
  size_t i = 0, j = 0;
  while (i < a.size() && j < b.size()) {
    if (std::isdigit(static_cast<unsigned char>(a[i])) && std::isdigit(static_cast<unsigned char>(b[j]))) {
      size_t i2 = i, j2 = j;
      while (i2 < a.size() && std::isdigit(static_cast<unsigned char>(a[i2]))) ++i2;
      while (j2 < b.size() && std::isdigit(static_cast<unsigned char>(b[j2]))) ++j2;
      std::string na = a.substr(i, i2 - i), nb = b.substr(j, j2 - j);
      na.erase(0, std::min(na.find_first_not_of('0'), na.size()));
      nb.erase(0, std::min(nb.find_first_not_of('0'), nb.size()));
      if (na.size() != nb.size()) return na.size() < nb.size();
      if (na != nb) return na < nb;
      i = i2, j = j2;
    } else {
      if (a[i] != b[j]) return a[i] < b[j];
      ++i, ++j;
    }
  }
  return a.size() - i < b.size() - j;
}

}  // namespace

absl::StatusOr<DataFile> ReadDataFile(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    return absl::NotFoundError(absl::StrCat(path, ": is a directory, expected a file"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return absl::InternalError(absl::StrCat(path, ": read error"));
  DataFile f;
  f.path = path;
  f.contents = ss.str();
  // Reported here, with file and line, rather than later by the tokenizer.
  absl::Status utf8 = ValidateUtf8(f.contents, path);
  if (!utf8.ok()) return utf8;
  f.fingerprint = {path, Sha256Hex(f.contents), static_cast<int64_t>(f.contents.size())};
  return f;
}

absl::Status DataError(absl::string_view path, int line, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(path, ":", line, ": ", message));
}

absl::StatusOr<std::vector<CsvRecord>> ParseCsv(const DataFile& file) {
  absl::string_view s = file.contents;
  if (absl::StartsWith(s, "\xEF\xBB\xBF")) s.remove_prefix(3);
  std::vector<CsvRecord> records;
  int line = 1;
  size_t i = 0;
  while (i < s.size()) {
    CsvRecord rec;
    rec.line = line;
    std::string field;
    for (;;) {
      // One field.
      field.clear();
      if (i < s.size() && s[i] == '"') {
        const int quote_line = line;
        ++i;
        for (;;) {
          if (i >= s.size()) return DataError(file.path, quote_line, "unterminated quoted field");
          if (s[i] == '"') {
            if (i + 1 < s.size() && s[i + 1] == '"') {
              field.push_back('"');
              i += 2;
              continue;
            }
            ++i;
            break;
          }
          if (s[i] == '\n') ++line;
          field.push_back(s[i++]);
        }
        if (i < s.size() && s[i] != ',' && s[i] != '\n' && s[i] != '\r') {
          return DataError(file.path, line, "unexpected character after a closing quote");
        }
      } else {
        while (i < s.size() && s[i] != ',' && s[i] != '\n' && !(s[i] == '\r' && i + 1 < s.size() && s[i + 1] == '\n')) {
          if (s[i] == '"') return DataError(file.path, line, "quote inside an unquoted field");
          field.push_back(s[i++]);
        }
      }
      rec.fields.push_back(field);
      if (i < s.size() && s[i] == ',') {
        ++i;
        continue;
      }
      break;
    }
    if (i < s.size() && s[i] == '\r') ++i;
    if (i < s.size() && s[i] == '\n') {
      ++i;
      ++line;
    }
    // A blank line is not a record.
    if (!(rec.fields.size() == 1 && rec.fields[0].empty())) records.push_back(std::move(rec));
  }
  return records;
}

std::vector<absl::string_view> SplitLines(absl::string_view contents) {
  std::vector<absl::string_view> lines;
  size_t start = 0;
  while (start < contents.size()) {
    size_t nl = contents.find('\n', start);
    if (nl == absl::string_view::npos) nl = contents.size();
    absl::string_view line = contents.substr(start, nl - start);
    if (absl::EndsWith(line, "\r")) line.remove_suffix(1);
    lines.push_back(line);
    start = nl + 1;
  }
  return lines;
}

absl::Status ForEachJsonLine(const DataFile& file,
                             const std::function<absl::Status(int line, const nlohmann::ordered_json& obj)>& fn) {
  const std::vector<absl::string_view> lines = SplitLines(file.contents);
  for (size_t k = 0; k < lines.size(); ++k) {
    absl::string_view line = lines[k];
    const int line_no = static_cast<int>(k) + 1;
    if (line.find_first_not_of(" \t") == absl::string_view::npos) continue;
    nlohmann::ordered_json j = nlohmann::ordered_json::parse(line.begin(), line.end(), nullptr,
                                                             /*allow_exceptions=*/false);
    if (j.is_discarded()) return DataError(file.path, line_no, "not valid JSON");
    if (!j.is_object()) return DataError(file.path, line_no, "expected a JSON object");
    absl::Status s = fn(line_no, j);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> ListFiles(const std::string& dir, absl::string_view suffix) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return absl::NotFoundError(absl::StrCat(dir, ": not a directory"));
  std::vector<std::string> names;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (e.is_regular_file(ec) && absl::EndsWith(name, suffix)) names.push_back(name);
  }
  if (ec) return absl::InternalError(absl::StrCat(dir, ": ", ec.message()));
  if (names.empty()) {
    return absl::NotFoundError(absl::StrCat(dir, ": no files ending in \"", suffix, "\""));
  }
  std::sort(names.begin(), names.end(), NaturalLess);
  std::vector<std::string> paths;
  for (const std::string& n : names) paths.push_back((fs::path(dir) / n).string());
  return paths;
}

}  // namespace ablate::text
