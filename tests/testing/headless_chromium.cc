// headless_chromium.cc: see headless_chromium.h.
#include "tests/testing/headless_chromium.h"

#include <unistd.h>
#include <zlib.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/testing/subprocess.h"

namespace ablate::testing {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

absl::StatusOr<BrowserRun> Run(const std::vector<std::string>& args, const std::string& work_dir,
                               absl::Duration timeout) {
  const std::string chromium = FindChromium();
  if (chromium.empty()) return absl::FailedPreconditionError("chromium is not installed");
  static int runs = 0;
  const std::string stem = absl::StrCat(work_dir, "/chromium-", ::getpid(), "-", ++runs);
  // exec: the PID we kill on timeout is the browser itself.
  std::string cmd =
      absl::StrCat("exec ", Quote(chromium), " --headless --disable-gpu --no-first-run --mute-audio",
                   " --hide-scrollbars --enable-logging=stderr --v=0 --user-data-dir=", Quote(stem + ".profile"),
                   ::geteuid() == 0 ? " --no-sandbox" : "");
  for (const auto& a : args) absl::StrAppend(&cmd, " ", Quote(a));
  absl::StrAppend(&cmd, " >", Quote(stem + ".out"), " 2>", Quote(stem + ".err"));
  auto p = Subprocess::Start({"/bin/sh", "-c", cmd}, stem + ".sh.log");
  if (!p.ok()) return p.status();
  const std::optional<int> code = (*p)->Wait(timeout);
  BrowserRun r{ReadFile(stem + ".out"), ReadFile(stem + ".err")};
  if (!code.has_value()) return absl::DeadlineExceededError(absl::StrCat("chromium timed out: ", r.log));
  if (*code != 0) return absl::InternalError(absl::StrCat("chromium exited ", *code, ": ", r.log));
  return r;
}

}  // namespace

std::string FindChromium() {
  const char* path = std::getenv("PATH");
  for (absl::string_view dir : absl::StrSplit(path ? path : "/usr/bin", ':')) {
    const std::string c = absl::StrCat(dir, "/chromium");
    if (!dir.empty() && ::access(c.c_str(), X_OK) == 0) return c;
  }
  return "";
}

absl::StatusOr<BrowserRun> DumpDom(const std::string& html, const std::string& work_dir, absl::Duration timeout) {
  return Run({"--dump-dom", absl::StrCat("file://", html)}, work_dir, timeout);
}

absl::StatusOr<BrowserRun> Screenshot(const std::string& html, const std::string& png, int width, int height,
                                      const std::string& work_dir, absl::Duration timeout) {
  return Run({absl::StrCat("--window-size=", width, ",", height), absl::StrCat("--screenshot=", png),
              absl::StrCat("file://", html)},
             work_dir, timeout);
}

std::vector<std::string> ConsoleProblems(const std::string& log) {
  std::vector<std::string> out;
  for (absl::string_view line : absl::StrSplit(log, '\n')) {
    if (absl::StrContains(line, ":CONSOLE") || absl::StrContains(line, "Uncaught") ||
        absl::StrContains(line, "Refused to") || absl::StrContains(line, "Failed to load resource") ||
        absl::StrContains(line, "net::ERR_")) {
      out.emplace_back(line);
    }
  }
  return out;
}

absl::StatusOr<PngStats> ReadPngStats(const std::string& path) {
  const std::string data = ReadFile(path);
  if (data.size() < 8 || data.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a PNG"));
  }
  auto be32 = [&](size_t at) {
    return (static_cast<uint32_t>(static_cast<unsigned char>(data[at])) << 24) |
           (static_cast<uint32_t>(static_cast<unsigned char>(data[at + 1])) << 16) |
           (static_cast<uint32_t>(static_cast<unsigned char>(data[at + 2])) << 8) |
           static_cast<uint32_t>(static_cast<unsigned char>(data[at + 3]));
  };
  PngStats s;
  int color_type = -1, depth = 0, interlace = 0;
  std::string idat;
  for (size_t at = 8; at + 8 <= data.size();) {
    const uint32_t len = be32(at);
    const std::string type = data.substr(at + 4, 4);
    if (at + 12 + len > data.size()) return absl::InvalidArgumentError("truncated PNG");
    if (type == "IHDR") {
      s.width = static_cast<int>(be32(at + 8));
      s.height = static_cast<int>(be32(at + 12));
      depth = static_cast<unsigned char>(data[at + 16]);
      color_type = static_cast<unsigned char>(data[at + 17]);
      interlace = static_cast<unsigned char>(data[at + 20]);
    } else if (type == "IDAT") {
      idat.append(data, at + 8, len);
    }
    at += 12 + len;
  }
  if (depth != 8 || (color_type != 2 && color_type != 6) || interlace != 0) {
    return absl::UnimplementedError("only 8-bit RGB/RGBA non-interlaced PNGs are read");
  }
  const size_t bpp = color_type == 6 ? 4 : 3, stride = bpp * static_cast<size_t>(s.width);
  std::string raw((stride + 1) * static_cast<size_t>(s.height), '\0');
  uLongf raw_len = raw.size();
  if (uncompress(reinterpret_cast<Bytef*>(raw.data()), &raw_len, reinterpret_cast<const Bytef*>(idat.data()),
                 idat.size()) != Z_OK ||
      raw_len != raw.size()) {
    return absl::InvalidArgumentError("cannot inflate the PNG data");
  }
  std::vector<unsigned char> prev(stride, 0), cur(stride);
  std::set<uint32_t> colors;
  uint32_t background = 0;
  int64_t differing = 0;
  for (int y = 0; y < s.height; ++y) {
    const unsigned char* line = reinterpret_cast<const unsigned char*>(raw.data()) + y * (stride + 1);
    const int filter = line[0];
    for (size_t i = 0; i < stride; ++i) {
      const int a = i >= bpp ? cur[i - bpp] : 0, b = prev[i], c = i >= bpp ? prev[i - bpp] : 0;
      int pred = 0;
      switch (filter) {
        case 1:
          pred = a;
          break;
        case 2:
          pred = b;
          break;
        case 3:
          pred = (a + b) / 2;
          break;
        case 4: {
          const int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
          pred = pa <= pb && pa <= pc ? a : (pb <= pc ? b : c);
          break;
        }
        default:
          pred = 0;
      }
      cur[i] = static_cast<unsigned char>(line[1 + i] + pred);
    }
    for (int x = 0; x < s.width; ++x) {
      const unsigned char* px = &cur[x * bpp];
      const uint32_t rgb = (px[0] << 16) | (px[1] << 8) | px[2];
      if (x == 0 && y == 0) background = rgb;
      if (rgb != background) ++differing;
      if (colors.size() < 100000) colors.insert(rgb);
    }
    prev = cur;
  }
  s.distinct_colors = static_cast<int>(colors.size());
  s.non_background = static_cast<double>(differing) / (static_cast<double>(s.width) * s.height);
  return s;
}

}  // namespace ablate::testing
