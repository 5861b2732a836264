// request_limits.cc: the limit error messages (see request_limits.h).
#include "common/request_limits.h"

#include "absl/strings/str_cat.h"

namespace ablate {
namespace {

std::string Message(absl::string_view what, int64_t value, int64_t limit, absl::string_view unit,
                    absl::string_view flag) {
  return absl::StrCat(what, ": ", value, unit, " is more than the limit of ", limit, unit, " (coordinator flag --",
                      flag, ")");
}

}  // namespace

absl::Status LimitError(absl::string_view what, int64_t value, int64_t limit, absl::string_view flag) {
  return absl::InvalidArgumentError(Message(what, value, limit, "", flag));
}

absl::Status SizeLimitError(absl::string_view what, int64_t bytes, int64_t limit, absl::string_view flag) {
  return absl::ResourceExhaustedError(Message(what, bytes, limit, " bytes", flag));
}

absl::Status CheckCount(absl::string_view what, int64_t value, int64_t limit, absl::string_view flag) {
  if (value <= limit) return absl::OkStatus();
  return LimitError(what, value, limit, flag);
}

absl::Status CheckBytes(absl::string_view what, int64_t bytes, int64_t limit, absl::string_view flag) {
  if (bytes <= limit) return absl::OkStatus();
  return SizeLimitError(what, bytes, limit, flag);
}

}  // namespace ablate
