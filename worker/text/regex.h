// regex.h: a PCRE2 pattern compiled with UTF + UCP (Unicode properties for
// \p{L}, \s, \w and case folding) and JIT, as the Split pre-tokenizer of a
// tokenizer.json needs it. Patterns are used verbatim, never translated.
// Immutable after Compile; FindAll is thread-safe (per-call match data).
//
//   ASSIGN_OR_RETURN(std::unique_ptr<Regex> re, Regex::Compile(R"(\p{L}+)", "pre_tokenizer"));
//   std::vector<Regex::Match> m;
//   RETURN_IF_ERROR(re->FindAll("ab cd", &m));   // {0,2}, {3,5}
#ifndef ABLATE_WORKER_TEXT_REGEX_H_
#define ABLATE_WORKER_TEXT_REGEX_H_

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ablate::text {

class Regex {
 public:
  struct Match {
    size_t begin;  // byte offsets into the subject
    size_t end;
  };

  // InvalidArgument naming `what` and the PCRE2 error and offset if the
  // pattern does not compile. JIT compilation failing is not an error (the
  // interpreter is used).
  static absl::StatusOr<std::unique_ptr<Regex>> Compile(absl::string_view pattern, absl::string_view what);
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  // Replaces *matches with the successive non-overlapping leftmost matches in
  // `text` (an empty match advances by one character). REQUIRES: `text` is
  // valid UTF-8 (not re-checked). Internal on a PCRE2 matching error.
  absl::Status FindAll(absl::string_view text, std::vector<Match>* matches) const;

  const std::string& pattern() const { return pattern_; }

 private:
  Regex(std::string pattern, void* code, bool jit);
  std::string pattern_;
  void* code_;  // pcre2_code_8*
  bool jit_;
};

}  // namespace ablate::text

#endif  // ABLATE_WORKER_TEXT_REGEX_H_
