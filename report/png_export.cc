// png_export.cc: see png_export.h.
#include "report/png_export.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "report/figures.h"
#include "report/html_page.h"

extern char** environ;

namespace ablate::report {
namespace {

bool Executable(const std::string& path) { return ::access(path.c_str(), X_OK) == 0; }

// Runs argv with stdout+stderr to `log`; kills it after `timeout`.
absl::Status RunWithTimeout(const std::vector<std::string>& argv, const std::string& log, absl::Duration timeout) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) return absl::InternalError(absl::StrCat("cannot start ", argv[0]));
  const absl::Time deadline = absl::Now() + timeout;
  int status = 0;
  while (true) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (absl::Now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return absl::DeadlineExceededError(absl::StrCat(argv[0], " did not finish within ", absl::FormatDuration(timeout)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::stringstream text;
    text << std::ifstream(log).rdbuf();
    return absl::InternalError(absl::StrCat(argv[0], " failed: ", text.str().substr(0, 2000)));
  }
  return absl::OkStatus();
}

double SvgDimension(const std::string& svg, const char* attr) {
  const size_t at = svg.find(absl::StrCat(attr, "=\""));
  if (at == std::string::npos) return 600;
  return std::atof(svg.c_str() + at + std::string(attr).size() + 2);
}

}  // namespace

absl::StatusOr<std::string> FindChromium(const std::string& requested) {
  if (!requested.empty()) {
    if (Executable(requested)) return requested;
    return absl::FailedPreconditionError(absl::StrCat("--chromium ", requested, ": not an executable"));
  }
  const char* path = std::getenv("PATH");
  for (absl::string_view dir : absl::StrSplit(path ? path : "/usr/bin:/bin", ':')) {
    for (const char* name : {"chromium", "chromium-browser"}) {
      const std::string candidate = absl::StrCat(dir, "/", name);
      if (!dir.empty() && Executable(candidate)) return candidate;
    }
  }
  return absl::FailedPreconditionError(
      "--png needs headless Chromium, and none was found on PATH: install the Debian package `chromium` "
      "(apt-get install chromium) or name the binary with --chromium");
}

absl::StatusOr<std::vector<std::string>> ExportPngs(const StudyData& data, const std::string& dir,
                                                    const PngOptions& options) {
  ASSIGN_OR_RETURN(std::string chromium, FindChromium(options.chromium));
  ::mkdir(dir.c_str(), 0755);
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat("--png ", dir, ": not a directory"));
  }
  char profile_template[] = "/tmp/ablate-chromium-XXXXXX";
  if (::mkdtemp(profile_template) == nullptr) return absl::InternalError("cannot create a temporary profile directory");
  const std::string profile = profile_template;
  std::vector<std::string> written;
  absl::Status status;
  int n = 0;
  for (const EvaluationFigures& e : BuildFigures(data)) {
    for (const Figure& f : e.figures) {
      const std::string stem = absl::StrCat(dir, "/", n < 9 ? "0" : "", ++n, "-", f.kind);
      const std::string html = stem + ".html", png = stem + ".png";
      std::ofstream(html) << RenderFigurePage(f);
      const int w = static_cast<int>(std::ceil(SvgDimension(f.svg, "width"))) + 40;
      const int h = static_cast<int>(std::ceil(SvgDimension(f.svg, "height"))) + 40 +
                    static_cast<int>(f.caption.size() / std::max(1, w / 8) + 2) * 18;
      std::vector<std::string> argv = {chromium, "--headless", "--disable-gpu", "--hide-scrollbars",
                                       "--no-first-run", "--mute-audio", absl::StrCat("--user-data-dir=", profile),
                                       absl::StrCat("--window-size=", w, ",", h),
                                       absl::StrCat("--force-device-scale-factor=", options.scale),
                                       absl::StrCat("--screenshot=", png)};
      if (::geteuid() == 0) argv.push_back("--no-sandbox");  // Chromium refuses to run as root with its sandbox
      argv.push_back(absl::StrCat("file://", std::filesystem::absolute(html).string()));
      status = RunWithTimeout(argv, stem + ".log", absl::Seconds(options.timeout_seconds));
      std::remove(html.c_str());
      if (status.ok() && ::stat(png.c_str(), &st) != 0) {
        status = absl::InternalError(absl::StrCat("chromium wrote no ", png));
      }
      if (!status.ok()) break;
      std::remove((stem + ".log").c_str());
      written.push_back(png);
    }
    if (!status.ok()) break;
  }
  std::error_code ignored;
  std::filesystem::remove_all(profile, ignored);
  if (!status.ok()) return status;
  return written;
}

}  // namespace ablate::report
