// wikitext_documents.cc: see wikitext_documents.h. Python semantics reproduced here: str.replace
// replaces non-overlapping occurrences left to right; str.strip() and `\s`
// use str.isspace() (IsPythonSpace).
#include "worker/eval/wikitext_documents.h"

#include <cstddef>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "worker/eval/perplexity_metrics.h"
#include "worker/text/utf8.h"

namespace ablate::eval {
namespace {

using text::IsPythonSpace;
using text::NextCodePoint;
using text::PrevCodePoint;

void Append(absl::string_view piece, std::string* out) { out->append(piece.data(), piece.size()); }

// Python str.replace(from, to).
std::string Replace(absl::string_view s, absl::string_view from, absl::string_view to) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  for (size_t j = s.find(from); j != absl::string_view::npos; j = s.find(from, i)) {
    Append(s.substr(i, j - i), &out);
    Append(to, &out);
    i = j + from.size();
  }
  Append(s.substr(i), &out);
  return out;
}

// Python str.strip().
absl::string_view StripPythonSpace(absl::string_view s) {
  size_t begin = 0;
  while (begin < s.size()) {
    size_t next = begin;
    if (!IsPythonSpace(NextCodePoint(s, &next))) break;
    begin = next;
  }
  size_t end = s.size();
  while (end > begin) {
    size_t start = 0;
    if (!IsPythonSpace(PrevCodePoint(s, end, &start))) break;
    end = start;
  }
  return s.substr(begin, end - begin);
}

// re.sub(r"O\s*([^C]*?)\s*C", r"O\1C", s) for one open/close pair (O == C for
// quotes): each O that has a later C is joined to the first such C, with the
// whitespace just inside both removed; scanning resumes after that C.
std::string TightenPairs(absl::string_view s, char open, char close) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] == open) {
      const size_t j = s.find(close, i + 1);
      if (j != absl::string_view::npos) {
        out.push_back(open);
        Append(StripPythonSpace(s.substr(i + 1, j - i - 1)), &out);
        out.push_back(close);
        i = j + 1;
        continue;
      }
    }
    out.push_back(s[i]);
    ++i;
  }
  return out;
}

// re.sub(r"/' [0-9]/", r"/'[0-9]/", s): lm-eval's pattern replaces the digit
// with the literal text "[0-9]"; reproduced as it is.
std::string ReplaceSlashQuoteDigit(absl::string_view s) {
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    if (s.size() - i >= 5 && s.substr(i, 3) == "/' " && s[i + 3] >= '0' && s[i + 3] <= '9' && s[i + 4] == '/') {
      out.append("/'[0-9]/");
      i += 5;
      continue;
    }
    out.push_back(s[i]);
    ++i;
  }
  return out;
}

}  // namespace

std::vector<std::string> SplitWikiTextDocuments(absl::string_view file_text) {
  const std::string text = Replace(Replace(file_text, "\r\n", "\n"), "\r", "\n");
  std::vector<std::string> docs;
  std::vector<absl::string_view> lines;
  const auto flush = [&](bool always) {
    std::string page = absl::StrJoin(lines, "\n");
    if (always || !StripPythonSpace(page).empty()) docs.push_back(std::move(page));
    lines.clear();
  };
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    const std::string headed = Replace(Replace(line, "= = =", "==="), "= =", "==");
    const absl::string_view r = StripPythonSpace(headed);
    if (absl::StartsWith(r, "= ") && absl::EndsWith(r, " =")) flush(/*always=*/false);
    lines.push_back(line);
  }
  flush(/*always=*/true);
  return docs;
}

std::string DetokenizeWikiText(absl::string_view page) {
  // contractions
  std::string s = Replace(page, "s '", "s'");
  s = ReplaceSlashQuoteDigit(s);
  // number separators
  s = Replace(s, " @-@ ", "-");
  s = Replace(s, " @,@ ", ",");
  s = Replace(s, " @.@ ", ".");
  // punctuation
  s = Replace(s, " : ", ": ");
  s = Replace(s, " ; ", "; ");
  s = Replace(s, " . ", ". ");
  s = Replace(s, " ! ", "! ");
  s = Replace(s, " ? ", "? ");
  s = Replace(s, " , ", ", ");
  // brackets and quotes
  s = TightenPairs(s, '(', ')');
  s = TightenPairs(s, '[', ']');
  s = TightenPairs(s, '{', '}');
  s = TightenPairs(s, '"', '"');
  s = TightenPairs(s, '\'', '\'');
  // headings and the rest
  s = Replace(s, "= = = =", "====");
  s = Replace(s, "= = =", "===");
  s = Replace(s, "= =", "==");
  s = Replace(s, " \u00b0 ", "\u00b0");
  s = Replace(s, " \n", "\n");
  s = Replace(s, "\n ", "\n");
  s = Replace(s, " N ", " 1 ");
  s = Replace(s, " 's", "'s");
  return s;
}

std::vector<WikiTextDocument> WikiTextDocuments(absl::string_view file_text) {
  std::vector<WikiTextDocument> out;
  for (const std::string& page : SplitWikiTextDocuments(file_text)) {
    out.push_back({.detokenized = DetokenizeWikiText(page),
                   .words = CountWords(page),
                   .bytes = static_cast<int64_t>(page.size())});
  }
  return out;
}

}  // namespace ablate::eval
