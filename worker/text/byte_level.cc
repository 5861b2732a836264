// byte_level.cc: see byte_level.h.
#include "worker/text/byte_level.h"

#include <array>

#include "worker/text/utf8.h"

namespace ablate::text {
namespace {

struct Tables {
  std::array<char32_t, 256> to_cp{};
  std::array<int16_t, 324> from_cp{};  // code points < 324 cover the image
};

Tables BuildTables() {
  Tables t;
  t.from_cp.fill(-1);
  int n = 0;
  for (int b = 0; b < 256; ++b) {
    const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
    t.to_cp[b] = printable ? static_cast<char32_t>(b) : static_cast<char32_t>(256 + n++);
    t.from_cp[t.to_cp[b]] = static_cast<int16_t>(b);
  }
  return t;
}

const Tables& GetTables() {
  static const Tables* const kTables = new Tables(BuildTables());
  return *kTables;
}

}  // namespace

char32_t ByteToCodePoint(uint8_t b) { return GetTables().to_cp[b]; }

int ByteFromCodePoint(char32_t cp) {
  const Tables& t = GetTables();
  return cp < t.from_cp.size() ? t.from_cp[cp] : -1;
}

std::string ByteLevelEncode(absl::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) AppendUtf8(ByteToCodePoint(static_cast<uint8_t>(c)), &out);
  return out;
}

bool ByteLevelDecode(absl::string_view token, std::string* out) {
  const size_t start = out->size();
  size_t i = 0;
  while (i < token.size()) {
    const int b = ByteFromCodePoint(NextCodePoint(token, &i));
    if (b < 0) {
      out->resize(start);
      out->append(token.data(), token.size());
      return false;
    }
    out->push_back(static_cast<char>(b));
  }
  return true;
}

}  // namespace ablate::text
