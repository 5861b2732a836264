// answer_extraction.cc: see answer_extraction.h. Numbers are scanned by hand
// (sign, digits with ',' separators, one optional decimal part) so that the
// rule is visible here rather than in a regex.
#include "worker/eval/answer_extraction.h"

#include <cctype>

#include "absl/strings/str_replace.h"

namespace ablate::eval {
namespace {

bool IsDigit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }

// Finds numbers in text[begin, end): returns [start, stop) of each one.
std::vector<std::pair<size_t, size_t>> FindNumbers(absl::string_view text) {
  std::vector<std::pair<size_t, size_t>> out;
  size_t i = 0;
  while (i < text.size()) {
    if (!IsDigit(text[i])) {
      ++i;
      continue;
    }
    size_t start = i;
    if (start > 0 && text[start - 1] == '-') --start;
    size_t j = i;
    while (j < text.size()) {
      if (IsDigit(text[j])) {
        ++j;
      } else if ((text[j] == ',' || text[j] == '.') && j + 1 < text.size() && IsDigit(text[j + 1])) {
        ++j;
      } else {
        break;
      }
    }
    out.emplace_back(start, j);
    i = j;
  }
  return out;
}

}  // namespace

size_t FindStop(absl::string_view text, const std::vector<std::string>& stops) {
  size_t best = absl::string_view::npos;
  for (const std::string& s : stops) {
    if (s.empty()) continue;
    const size_t p = text.find(s);
    if (p != absl::string_view::npos && (best == absl::string_view::npos || p < best)) best = p;
  }
  return best;
}

std::string TruncateAtStop(absl::string_view text, const std::vector<std::string>& stops) {
  const size_t p = FindStop(text, stops);
  return std::string(p == absl::string_view::npos ? text : text.substr(0, p));
}

std::string NormalizeNumber(absl::string_view number) {
  std::string s = absl::StrReplaceAll(number, {{",", ""}, {"$", ""}, {" ", ""}});
  while (!s.empty() && s.back() == '.') s.pop_back();
  if (s.find('.') != std::string::npos) {
    while (!s.empty() && s.back() == '0') s.pop_back();
    if (!s.empty() && s.back() == '.') s.pop_back();
  }
  if (s == "-0") s = "0";
  return s;
}

std::string ExtractGsm8kAnswer(absl::string_view text) {
  const size_t marker = text.find("####");
  if (marker != absl::string_view::npos) {
    const absl::string_view rest = text.substr(marker + 4);
    const auto numbers = FindNumbers(rest);
    if (!numbers.empty()) {
      return NormalizeNumber(rest.substr(numbers[0].first, numbers[0].second - numbers[0].first));
    }
  }
  const auto numbers = FindNumbers(text);
  if (numbers.empty()) return "";
  const auto& last = numbers.back();
  return NormalizeNumber(text.substr(last.first, last.second - last.first));
}

bool Gsm8kExactMatch(absl::string_view generation, absl::string_view reference_answer) {
  const std::string got = ExtractGsm8kAnswer(generation);
  return !got.empty() && got == ExtractGsm8kAnswer(reference_answer);
}

}  // namespace ablate::eval
