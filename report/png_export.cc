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

// One figure's browser run.
struct Shot {
  std::vector<std::string> argv;
  std::string html, png, log;
  pid_t pid = 0;
  bool done = false;
};

// Starts argv with stdout+stderr to `log`; the child's pid, or 0.
pid_t Spawn(const std::vector<std::string>& argv, const std::string& log) {
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
  return rc == 0 ? pid : 0;
}

std::string Tail(const std::string& path) {
  std::stringstream text;
  text << std::ifstream(path).rdbuf();
  const std::string s = text.str();
  return s.size() > 2000 ? s.substr(s.size() - 2000) : s;
}

// Runs the shots, `parallel` at a time; each is killed after `timeout`.
absl::Status RunShots(std::vector<Shot>& shots, int parallel, absl::Duration timeout) {
  absl::Status status;
  size_t next = 0, running = 0;
  std::vector<absl::Time> started(shots.size());
  while (true) {
    while (status.ok() && next < shots.size() && running < static_cast<size_t>(std::max(1, parallel))) {
      Shot& s = shots[next];
      s.pid = Spawn(s.argv, s.log);
      if (s.pid == 0) {
        status = absl::InternalError(absl::StrCat("cannot start ", s.argv[0]));
        s.done = true;
      } else {
        started[next] = absl::Now();
        ++running;
      }
      ++next;
    }
    if (running == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    for (size_t i = 0; i < next; ++i) {
      Shot& s = shots[i];
      if (s.done) continue;
      int wstatus = 0;
      if (::waitpid(s.pid, &wstatus, WNOHANG) == s.pid) {
        s.done = true;
        --running;
        if (status.ok() && (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0)) {
          status = absl::InternalError(absl::StrCat(s.argv[0], " failed: ", Tail(s.log)));
        }
      } else if (!status.ok() || absl::Now() - started[i] > timeout) {
        ::kill(s.pid, SIGKILL);  // our own child, by pid
        ::waitpid(s.pid, &wstatus, 0);
        s.done = true;
        --running;
        if (status.ok()) {
          status = absl::DeadlineExceededError(
              absl::StrCat(s.argv[0], " did not finish within ", absl::FormatDuration(timeout)));
        }
      }
    }
  }
  return status;
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
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (!std::filesystem::is_directory(dir, ec)) {
    return absl::InvalidArgumentError(absl::StrCat("--png ", dir, ": not a directory"));
  }
  char profile_template[] = "/tmp/ablate-chromium-XXXXXX";
  if (::mkdtemp(profile_template) == nullptr) return absl::InternalError("cannot create a temporary profile directory");
  const std::string profiles = profile_template;
  std::vector<Shot> shots;
  for (const EvaluationFigures& e : BuildFigures(data)) {
    for (const Figure& f : e.figures) {
      const size_t n = shots.size() + 1;
      const std::string stem = absl::StrCat(dir, "/", n < 10 ? "0" : "", n, "-", f.kind);
      Shot s{{}, stem + ".html", stem + ".png", stem + ".log"};
      std::ofstream(s.html) << RenderFigurePage(f);
      const int w = static_cast<int>(std::ceil(SvgDimension(f.svg, "width"))) + 40;
      const int h = static_cast<int>(std::ceil(SvgDimension(f.svg, "height"))) + 40 +
                    static_cast<int>(f.caption.size() / std::max(1, w / 8) + 2) * 18;
      s.argv = {chromium,
                "--headless",
                "--disable-gpu",
                "--hide-scrollbars",
                "--no-first-run",
                "--mute-audio",
                "--disable-extensions",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-default-browser-check",
                absl::StrCat("--user-data-dir=", profiles, "/", n),
                absl::StrCat("--window-size=", w, ",", h),
                absl::StrCat("--force-device-scale-factor=", options.scale),
                absl::StrCat("--screenshot=", s.png)};
      if (::geteuid() == 0) s.argv.push_back("--no-sandbox");  // Chromium refuses its sandbox as root
      s.argv.push_back(absl::StrCat("file://", std::filesystem::absolute(s.html).string()));
      shots.push_back(std::move(s));
    }
  }
  absl::Status status = RunShots(shots, options.parallel, absl::Seconds(options.timeout_seconds));
  std::vector<std::string> written;
  for (const Shot& s : shots) {
    std::remove(s.html.c_str());
    if (status.ok() && !std::filesystem::exists(s.png, ec)) {
      status = absl::InternalError(absl::StrCat("chromium wrote no ", s.png, ": ", Tail(s.log)));
    }
    std::remove(s.log.c_str());
    written.push_back(s.png);
  }
  std::filesystem::remove_all(profiles, ec);
  if (!status.ok()) return status;
  return written;
}

}  // namespace ablate::report
