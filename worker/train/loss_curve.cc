// loss_curve.cc: CSV writer and gnuplot driver.
#include "worker/train/loss_curve.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"

extern char** environ;

namespace ablate::train {
namespace {

// A gnuplot single-quoted string ('' escapes a quote).
std::string Quote(const std::string& s) { return "'" + absl::StrReplaceAll(s, {{"'", "''"}}) + "'"; }

}  // namespace

absl::Status WriteLossCsv(const std::vector<LossPoint>& points, const std::string& path) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return absl::InternalError(absl::StrCat(path, ": cannot open for writing"));
  out << "step,tokens,lr,train_loss,eval_loss\n";
  for (const LossPoint& p : points) {
    out << p.step << "," << p.tokens << "," << absl::StrFormat("%.6g", p.lr) << ",";
    if (p.train_loss) out << absl::StrFormat("%.6f", *p.train_loss);
    out << ",";
    if (p.eval_loss) out << absl::StrFormat("%.6f", *p.eval_loss);
    out << "\n";
  }
  out.close();
  if (!out) return absl::InternalError(absl::StrCat(path, ": write failed"));
  return absl::OkStatus();
}

absl::Status RenderLossPng(const std::string& csv_path, const std::string& png_path, const std::string& title,
                           double reference_loss, const std::string& reference_label, const std::string& gnuplot) {
  std::string script =
      absl::StrCat("set terminal pngcairo size 900,540 enhanced font 'sans,10'\n", "set output ", Quote(png_path), "\n",
                   "set datafile separator ','\n", "set datafile missing ''\n", "set key top right\n", "set grid\n",
                   "set title ", Quote(title), " noenhanced\n", "set xlabel 'training tokens'\n",
                   "set ylabel 'cross-entropy (nats/token)'\n", "set format x '%.1s%c'\n");
  std::string plot =
      absl::StrCat("plot ", Quote(csv_path),
                   " using 2:4 every ::1 with lines lw 1 lc rgb '#9ecae1' title 'train (batch)', ", Quote(csv_path),
                   " using 2:5 every ::1 with linespoints pt 7 ps 0.6 lw 2 lc rgb '#d62728' "
                   "title 'held-out'");
  if (std::isfinite(reference_loss)) {
    absl::StrAppend(&plot, ", ", absl::StrFormat("%.6f", reference_loss),
                    " with lines dt 2 lw 1.5 lc rgb '#555555' title ", Quote(reference_label));
  }
  absl::StrAppend(&script, plot, "\n");
  // pngcairo may be missing (gnuplot-nox has it; some builds only have png).
  const std::string fallback = absl::StrReplaceAll(
      script, {{"set terminal pngcairo size 900,540 enhanced font 'sans,10'", "set terminal png size 900,540"}});

  auto run = [&](const std::string& text) -> absl::Status {
    const std::string script_path = png_path + ".gp";
    {
      std::ofstream f(script_path, std::ios::trunc);
      f << text;
      if (!f) return absl::InternalError(absl::StrCat(script_path, ": cannot write"));
    }
    pid_t pid = 0;
    std::string arg0 = gnuplot;
    std::string arg1 = script_path;
    char* argv[] = {arg0.data(), arg1.data(), nullptr};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
    int rc = posix_spawnp(&pid, gnuplot.c_str(), &actions, nullptr, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
      std::remove(script_path.c_str());
      return absl::FailedPreconditionError(
          absl::StrCat("cannot run '", gnuplot, "' to render ", png_path, " (install gnuplot-nox)"));
    }
    int status = 0;
    waitpid(pid, &status, 0);
    std::remove(script_path.c_str());
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      return absl::FailedPreconditionError(absl::StrCat(gnuplot, " failed rendering ", png_path));
    return absl::OkStatus();
  };
  absl::Status s = run(script);
  if (!s.ok() && !absl::IsFailedPrecondition(s)) return s;
  if (s.ok()) return s;
  absl::Status s2 = run(fallback);
  return s2.ok() ? s2 : s;
}

}  // namespace ablate::train
