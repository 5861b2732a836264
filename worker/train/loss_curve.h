// loss_curve.h: the training curve as CSV, and rendered as a PNG with gnuplot
// (Debian gnuplot-nox, pngcairo or png terminal) run as a child process.
//
// CSV columns: step,tokens,lr,train_loss,eval_loss (eval_loss empty on steps
// without an evaluation). Steps are 1-based (the loss after `step` updates
// is logged at `step`; the eval at step 0 is the freshly initialized model).
//
// Thread-safety: free functions; RenderLossPng forks a process.
//
//   RETURN_IF_ERROR(WriteLossCsv(points, dir + "/loss_curve.csv"));
//   RETURN_IF_ERROR(RenderLossPng(dir + "/loss_curve.csv", dir + "/loss_curve.png", "qwen2-fortunes"));
#ifndef ABLATE_WORKER_TRAIN_LOSS_CURVE_H_
#define ABLATE_WORKER_TRAIN_LOSS_CURVE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace ablate::train {

struct LossPoint {
  int64_t step = 0;
  int64_t tokens = 0;
  double lr = 0.0;
  std::optional<double> train_loss;  // mean cross-entropy (nats/token) of this step's batch
  std::optional<double> eval_loss;   // held-out cross-entropy, when evaluated at this step
};

// Internal error naming the file when it cannot be written.
absl::Status WriteLossCsv(const std::vector<LossPoint>& points, const std::string& path);

// Plots train loss (thin) and eval loss (points + line) against tokens, with an
// optional horizontal reference line (e.g. the unigram baseline; NaN: none).
// `gnuplot` is the program to run (looked up in PATH). FailedPrecondition
// when it cannot be run or exits non-zero.
absl::Status RenderLossPng(const std::string& csv_path, const std::string& png_path, const std::string& title,
                           double reference_loss, const std::string& reference_label,
                           const std::string& gnuplot = "gnuplot");

}  // namespace ablate::train

#endif  // ABLATE_WORKER_TRAIN_LOSS_CURVE_H_
