// regex.cc: see regex.h.
#define PCRE2_CODE_UNIT_WIDTH 8
#include "worker/text/regex.h"

#include <pcre2.h>

#include "absl/strings/str_cat.h"

namespace ablate::text {
namespace {

std::string Pcre2Message(int code) {
  PCRE2_UCHAR buf[256];
  pcre2_get_error_message(code, buf, sizeof(buf));
  return reinterpret_cast<const char*>(buf);
}

// The default JIT stack (32 KiB) can be too small for long runs matched by a
// backtracking alternative; such a match is retried with this one.
constexpr size_t kLargeJitStack = 64u << 20;

}  // namespace

Regex::Regex(std::string pattern, void* code, bool jit) : pattern_(std::move(pattern)), code_(code), jit_(jit) {}

Regex::~Regex() { pcre2_code_free(static_cast<pcre2_code*>(code_)); }

absl::StatusOr<std::unique_ptr<Regex>> Regex::Compile(absl::string_view pattern, absl::string_view what) {
  int err = 0;
  PCRE2_SIZE err_offset = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), PCRE2_UTF | PCRE2_UCP,
                                   &err, &err_offset, nullptr);
  if (code == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": regex does not compile: ", Pcre2Message(err), " at offset ",
                                                   err_offset, " in /", pattern, "/"));
  }
  const bool jit = pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0;
  return std::unique_ptr<Regex>(new Regex(std::string(pattern), code, jit));
}

absl::Status Regex::FindAll(absl::string_view text, std::vector<Match>* matches) const {
  matches->clear();
  auto* code = static_cast<pcre2_code*>(code_);
  pcre2_match_data* md = pcre2_match_data_create_from_pattern(code, nullptr);
  pcre2_match_context* big_ctx = nullptr;
  pcre2_jit_stack* big_stack = nullptr;
  const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  absl::Status status;
  size_t pos = 0;
  while (pos <= text.size()) {
    int rc = jit_ ? pcre2_jit_match(code, subject, text.size(), pos, 0, md, big_ctx)
                  : pcre2_match(code, subject, text.size(), pos, PCRE2_NO_UTF_CHECK, md, big_ctx);
    if (rc == PCRE2_ERROR_JIT_STACKLIMIT && big_ctx == nullptr) {
      big_ctx = pcre2_match_context_create(nullptr);
      big_stack = pcre2_jit_stack_create(32 * 1024, kLargeJitStack, nullptr);
      pcre2_jit_stack_assign(big_ctx, nullptr, big_stack);
      continue;
    }
    if (rc == PCRE2_ERROR_NOMATCH) break;
    if (rc < 0) {
      status = absl::InternalError(absl::StrCat("regex /", pattern_, "/: ", Pcre2Message(rc), " at byte ", pos));
      break;
    }
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
    const size_t b = ov[0], e = ov[1];
    matches->push_back({b, e});
    if (e > b) {
      pos = e;
    } else {
      // Empty match: step over one whole character.
      if (e >= text.size()) break;
      pos = e + 1;
      while (pos < text.size() && (static_cast<unsigned char>(text[pos]) & 0xC0) == 0x80) ++pos;
    }
  }
  pcre2_match_data_free(md);
  if (big_ctx != nullptr) pcre2_match_context_free(big_ctx);
  if (big_stack != nullptr) pcre2_jit_stack_free(big_stack);
  return status;
}

}  // namespace ablate::text
