// corpus.cc: fortune databases -> cleaned entries -> train / held-out text.
#include "worker/train/corpus.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/lenient_json.h"
#include "common/status_macros.h"
#include "worker/text/sha256.h"
#include "worker/text/utf8.h"

namespace ablate::train {
namespace {

absl::string_view TrimRight(absl::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

// Cleans the lines of one entry; "" when nothing but blank lines remain.
std::string CleanEntry(const std::vector<absl::string_view>& lines) {
  size_t begin = 0, end = lines.size();
  while (begin < end && TrimRight(lines[begin]).empty()) ++begin;
  while (end > begin && TrimRight(lines[end - 1]).empty()) --end;
  std::string out;
  for (size_t i = begin; i < end; ++i) {
    if (i > begin) out.push_back('\n');
    absl::string_view l = TrimRight(lines[i]);
    out.append(l.data(), l.size());
  }
  return out;
}

}  // namespace

std::vector<std::string> SplitFortunes(absl::string_view content) {
  std::vector<std::string> entries;
  std::vector<absl::string_view> lines;
  for (absl::string_view line : absl::StrSplit(content, '\n')) {
    if (TrimRight(line) == "%") {
      std::string e = CleanEntry(lines);
      if (!e.empty()) entries.push_back(std::move(e));
      lines.clear();
    } else {
      lines.push_back(line);
    }
  }
  std::string e = CleanEntry(lines);
  if (!e.empty()) entries.push_back(std::move(e));
  return entries;
}

std::string JoinEntries(const std::vector<std::string>& entries) {
  std::string out;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i > 0) out.append("\n\n");
    out.append(entries[i]);
  }
  if (!entries.empty()) out.push_back('\n');
  return out;
}

std::string JoinEntryPrefix(const std::vector<std::string>& entries, size_t max_bytes) {
  size_t n = 0, bytes = 0;
  while (n < entries.size()) {
    size_t next = bytes + entries[n].size() + (n > 0 ? 2 : 1);
    if (n > 0 && next > max_bytes) break;
    bytes = next;
    ++n;
  }
  return JoinEntries(std::vector<std::string>(entries.begin(), entries.begin() + n));
}

absl::StatusOr<FortuneCorpus> ReadFortuneCorpus(const std::string& dir, const CorpusOptions& options) {
  if (options.heldout_every < 2)
    return absl::InvalidArgumentError(absl::StrCat("heldout_every must be >= 2, got ", options.heldout_every));
  namespace fs = std::filesystem;
  std::error_code ec;
  FortuneCorpus c;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    const fs::path& p = e.path();
    if (p.has_extension() || !e.is_regular_file()) continue;
    if (!fs::exists(fs::path(p.string() + ".dat"))) continue;
    c.files.push_back(p.filename().string());
  }
  if (ec) return absl::NotFoundError(absl::StrCat(dir, ": ", ec.message()));
  if (c.files.empty()) return absl::NotFoundError(absl::StrCat(dir, ": no fortune databases (file + file.dat)"));
  std::sort(c.files.begin(), c.files.end());

  std::vector<std::string> all, train;
  for (const std::string& name : c.files) {
    const std::string path = (fs::path(dir) / name).string();
    ASSIGN_OR_RETURN(std::string content, ReadFileToString(path));
    RETURN_IF_ERROR(text::ValidateUtf8(content, path));
    for (std::string& entry : SplitFortunes(content)) {
      if (static_cast<int64_t>(all.size()) % options.heldout_every == options.heldout_every - 1) {
        c.heldout_entries.push_back(entry);
      } else {
        train.push_back(entry);
      }
      all.push_back(std::move(entry));
    }
  }
  c.num_entries = static_cast<int64_t>(all.size());
  c.num_train_entries = static_cast<int64_t>(train.size());
  c.num_heldout_entries = static_cast<int64_t>(c.heldout_entries.size());
  c.all_text = JoinEntries(all);
  c.train_text = JoinEntries(train);
  c.heldout_text = JoinEntries(c.heldout_entries);
  c.all_sha256 = text::Sha256Hex(c.all_text);
  c.train_sha256 = text::Sha256Hex(c.train_text);
  c.heldout_sha256 = text::Sha256Hex(c.heldout_text);
  return c;
}

}  // namespace ablate::train
