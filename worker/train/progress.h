// progress.h: a one-line training progress bar for stderr: bar, step,
// loss, tokens/s and ETA. On a terminal the line is redrawn in place (at most
// every `min_interval_s`); otherwise (a log file under nohup) a full line is
// printed every `log_every_percent` percent, so logs stay readable.
//
// Thread-safety: one thread at a time.
//
//   ProgressBar bar(std::cerr, total_steps, {.tty = isatty(2)});
//   bar.Update(step + 1, tokens_seen, loss, lr);
//   bar.Finish();
#ifndef ABLATE_WORKER_TRAIN_PROGRESS_H_
#define ABLATE_WORKER_TRAIN_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <ostream>
#include <string>

namespace ablate::train {

struct ProgressOptions {
  bool tty = true;               // redraw in place with '\r'
  double min_interval_s = 0.25;  // tty redraw rate limit
  int log_every_percent = 5;     // non-tty: one line per this many percent
  int width = 30;                // bar characters
};

// "1h02m", "4m05s", "12s".
std::string FormatDuration(double seconds);

class ProgressBar {
 public:
  ProgressBar(std::ostream& out, int64_t total_steps, ProgressOptions options = {});

  // `done` steps finished, `tokens` trained on so far; `extra` is appended (e.g. "eval 3.21").
  void Update(int64_t done, int64_t tokens, double loss, double lr, const std::string& extra = "");
  // Ends the line (tty) so later output starts on a fresh line.
  void Finish();

  double elapsed_seconds() const;

 private:
  std::ostream& out_;
  int64_t total_;
  ProgressOptions options_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  int last_logged_percent_ = -1;
  bool drawn_ = false;
};

}  // namespace ablate::train

#endif  // ABLATE_WORKER_TRAIN_PROGRESS_H_
