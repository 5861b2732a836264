// progress.cc: progress line rendering.
#include "worker/train/progress.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_format.h"

namespace ablate::train {

std::string FormatDuration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const int64_t s = static_cast<int64_t>(std::llround(seconds));
  if (s >= 3600) return absl::StrFormat("%dh%02dm", s / 3600, (s / 60) % 60);
  if (s >= 60) return absl::StrFormat("%dm%02ds", s / 60, s % 60);
  return absl::StrFormat("%ds", s);
}

ProgressBar::ProgressBar(std::ostream& out, int64_t total_steps, ProgressOptions options)
    : out_(out),
      total_(std::max<int64_t>(1, total_steps)),
      options_(options),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

double ProgressBar::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void ProgressBar::Update(int64_t done, int64_t tokens, double loss, double lr, const std::string& extra) {
  const auto now = std::chrono::steady_clock::now();
  const int percent = static_cast<int>(100 * done / total_);
  if (options_.tty) {
    const double since = std::chrono::duration<double>(now - last_draw_).count();
    if (drawn_ && done < total_ && since < options_.min_interval_s) return;
  } else {
    const int bucket = percent / std::max(1, options_.log_every_percent);
    if (bucket == last_logged_percent_ && done < total_) return;
    last_logged_percent_ = bucket;
  }
  last_draw_ = now;
  drawn_ = true;
  const double elapsed = elapsed_seconds();
  const double tok_s = elapsed > 0 ? static_cast<double>(tokens) / elapsed : 0.0;
  const double eta = done > 0 ? elapsed * static_cast<double>(total_ - done) / static_cast<double>(done) : NAN;
  const int filled = static_cast<int>(options_.width * done / total_);
  std::string bar(filled, '#');
  bar.append(options_.width - filled, '.');
  std::string line =
      absl::StrFormat("[%s] %3d%% step %d/%d loss %.4f lr %.2e | %.0f tok/s | %s elapsed, ETA %s", bar, percent, done,
                      total_, loss, lr, tok_s, FormatDuration(elapsed), FormatDuration(eta));
  if (!extra.empty()) line += " | " + extra;
  if (options_.tty) {
    out_ << "\r" << line << "\x1b[K" << std::flush;
  } else {
    out_ << line << "\n" << std::flush;
  }
}

void ProgressBar::Finish() {
  if (options_.tty && drawn_) out_ << "\n" << std::flush;
  drawn_ = false;
}

}  // namespace ablate::train
