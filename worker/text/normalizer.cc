// normalizer.cc: see normalizer.h.
#include "worker/text/normalizer.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "utf8proc.h"

namespace ablate::text {
namespace {

absl::Status ParseInto(const nlohmann::json& j, absl::string_view source, const std::string& field,
                       std::vector<Normalizer::Form>* forms) {
  if (j.is_null()) return absl::OkStatus();
  if (!j.is_object() || !j.contains("type") || !j["type"].is_string()) {
    return absl::InvalidArgumentError(absl::StrCat(source, ": ", field, ": expected an object with a string \"type\""));
  }
  const std::string type = j["type"];
  if (type == "NFC") {
    forms->push_back(Normalizer::Form::kNFC);
  } else if (type == "NFD") {
    forms->push_back(Normalizer::Form::kNFD);
  } else if (type == "NFKC") {
    forms->push_back(Normalizer::Form::kNFKC);
  } else if (type == "NFKD") {
    forms->push_back(Normalizer::Form::kNFKD);
  } else if (type == "Sequence") {
    if (!j.contains("normalizers") || !j["normalizers"].is_array()) {
      return absl::InvalidArgumentError(absl::StrCat(source, ": ", field, ".normalizers: expected an array"));
    }
    for (size_t i = 0; i < j["normalizers"].size(); ++i) {
      RETURN_IF_ERROR(ParseInto(j["normalizers"][i], source, absl::StrCat(field, ".normalizers[", i, "]"), forms));
    }
  } else {
    return absl::InvalidArgumentError(absl::StrCat(source, ": ", field, ".type: unsupported normalizer \"", type,
                                                   "\" (supported: NFC, NFD, NFKC, NFKD, Sequence)"));
  }
  return absl::OkStatus();
}

bool IsAscii(absl::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<Normalizer> Normalizer::FromJson(const nlohmann::json& j, absl::string_view source) {
  std::vector<Form> forms;
  RETURN_IF_ERROR(ParseInto(j, source, "normalizer", &forms));
  return Normalizer(std::move(forms));
}

std::string Normalizer::ApplyAll(absl::string_view text) const {
  std::string cur(text);
  for (Form f : forms_) {
    int options = UTF8PROC_STABLE;
    switch (f) {
      case Form::kNFC:
        options |= UTF8PROC_COMPOSE;
        break;
      case Form::kNFD:
        options |= UTF8PROC_DECOMPOSE;
        break;
      case Form::kNFKC:
        options |= UTF8PROC_COMPOSE | UTF8PROC_COMPAT;
        break;
      case Form::kNFKD:
        options |= UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT;
        break;
    }
    utf8proc_uint8_t* out = nullptr;
    const utf8proc_ssize_t n =
        utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(cur.data()), static_cast<utf8proc_ssize_t>(cur.size()),
                     &out, static_cast<utf8proc_option_t>(options));
    // The input is validated UTF-8, so utf8proc can only fail for lack of memory.
    if (n < 0) {
      std::free(out);
      std::abort();
    }
    cur.assign(reinterpret_cast<const char*>(out), static_cast<size_t>(n));
    std::free(out);
  }
  return cur;
}

std::string Normalizer::Apply(absl::string_view text) const {
  // ASCII is invariant under every normalization form, and an ASCII
  // character is a starter that nothing before it and nothing ASCII after it
  // combines with. So only the non-ASCII runs, each with the one ASCII
  // character before it, need normalizing.
  if (forms_.empty() || IsAscii(text)) return std::string(text);
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  const auto ascii = [&](size_t k) { return static_cast<unsigned char>(text[k]) < 0x80; };
  size_t i = 0;
  while (i < text.size()) {
    size_t j = i;
    while (j < text.size() && ascii(j)) ++j;
    if (j == text.size()) {
      out.append(text.data() + i, j - i);
      break;
    }
    const size_t start = j > i ? j - 1 : j;
    out.append(text.data() + i, start - i);
    size_t k = j;
    while (k < text.size() && !ascii(k)) ++k;
    out += ApplyAll(text.substr(start, k - start));
    i = k;
  }
  return out;
}

}  // namespace ablate::text
