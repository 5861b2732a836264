// answer_extraction.h: text post-processing for generation tasks.
//   TruncateAtStop     cut a generation at the earliest stop sequence
//   ExtractGsm8kAnswer the number after the first "####" (GSM8K's answer
//                      format), else the last number in the text
//   NormalizeNumber    drop thousands separators, '$', a trailing '.', and
//                      trailing zeros of a decimal ("18.00" -> "18")
// Pure functions; thread-safe.
//
//   ExtractGsm8kAnswer("so she pays $1,200.\n#### 1200") == "1200"
//   ExtractGsm8kAnswer("The answer is 42.") == "42"
#ifndef ABLATE_WORKER_EVAL_ANSWER_EXTRACTION_H_
#define ABLATE_WORKER_EVAL_ANSWER_EXTRACTION_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace ablate::eval {

// Position of the earliest occurrence of any non-empty stop sequence, or npos.
size_t FindStop(absl::string_view text, const std::vector<std::string>& stops);

// text up to (excluding) the earliest stop sequence; the whole text if none.
std::string TruncateAtStop(absl::string_view text, const std::vector<std::string>& stops);

// "" when the text holds no number.
std::string ExtractGsm8kAnswer(absl::string_view text);

std::string NormalizeNumber(absl::string_view number);

// Exact match after extraction and normalization of both sides.
bool Gsm8kExactMatch(absl::string_view generation, absl::string_view reference_answer);

}  // namespace ablate::eval

#endif  // ABLATE_WORKER_EVAL_ANSWER_EXTRACTION_H_
