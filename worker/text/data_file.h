// data_file.h: reading evaluation files: whole-file reads that also
// fingerprint the bytes, an RFC 4180 CSV parser, and JSON-lines iteration,
// all reporting errors as "<file>:<line>: <what>". Stateless; thread-safe.
//
//   ASSIGN_OR_RETURN(DataFile f, ReadDataFile("mmlu/test/anatomy_test.csv"));
//   ASSIGN_OR_RETURN(std::vector<CsvRecord> rows, ParseCsv(f));
//   RETURN_IF_ERROR(ForEachJsonLine(f, [&](int line, const nlohmann::ordered_json& j) {...}));
#ifndef ABLATE_WORKER_TEXT_DATA_FILE_H_
#define ABLATE_WORKER_TEXT_DATA_FILE_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"
#include "worker/text/dataset.h"

namespace ablate::text {

struct DataFile {
  std::string path;
  std::string contents;
  FileFingerprint fingerprint;
};

// NotFound if the file cannot be opened (or is a directory); InvalidArgument
// "<file>: invalid UTF-8 at byte N (line L)" if it is not valid UTF-8.
absl::StatusOr<DataFile> ReadDataFile(const std::string& path);

// "<path>:<line>: <message>" as InvalidArgument.
absl::Status DataError(absl::string_view path, int line, absl::string_view message);

struct CsvRecord {
  int line = 0;  // line where the record starts (1-based)
  std::vector<std::string> fields;
};

// RFC 4180: fields separated by ',', optionally quoted with '"' (a doubled
// quote inside is one quote; quoted fields may span lines); records end with
// "\n" or "\r\n". A UTF-8 BOM at the start is skipped. InvalidArgument on a
// stray quote or an unterminated quoted field.
absl::StatusOr<std::vector<CsvRecord>> ParseCsv(const DataFile& file);

// Calls fn(line, object) for each non-blank line (lines may end in "\r\n").
// A line that is not a JSON object is an InvalidArgument naming file and
// line; an error returned by fn is returned as is. Key order is kept.
absl::Status ForEachJsonLine(const DataFile& file,
                             const std::function<absl::Status(int line, const nlohmann::ordered_json& obj)>& fn);

// Lines of a text file without their "\n" (and a trailing "\r"); a final
// line without "\n" is included, the empty string after a final "\n" is not.
std::vector<absl::string_view> SplitLines(absl::string_view contents);

// The files of `dir` whose names end with `suffix`, sorted naturally
// ("part2" before "part10"). NotFound if `dir` is not a directory or none match.
absl::StatusOr<std::vector<std::string>> ListFiles(const std::string& dir, absl::string_view suffix);

}  // namespace ablate::text

#endif  // ABLATE_WORKER_TEXT_DATA_FILE_H_
