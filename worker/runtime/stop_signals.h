// stop_signals.h: turns SIGTERM / SIGINT into a clean drain for worker
// processes (Slurm sends SIGTERM before SIGKILL, Kubernetes on pod deletion,
// systemd on stop). The first signal calls `on_stop` from a dedicated thread
// (so it may lock mutexes). A later SIGINT (a second Ctrl-C) exits immediately
// with 130; a repeated SIGTERM is ignored (scancel signals every process of a
// Slurm job, and the batch shell forwards its own SIGTERM too: both mean
// "drain"); SIGKILL is the hard stop.
//
// Installs a SIGTERM/SIGINT handler for its lifetime (whichever thread the
// signal lands on, including threads that libraries started before main) and
// restores the previous handlers when destroyed. Not copyable; at most one
// alive at a time in a process.
//
//   StopSignals signals([&] { runtime.RequestStop(); });
//   return runtime.Run().ok() ? 0 : 1;
#ifndef ABLATE_WORKER_RUNTIME_STOP_SIGNALS_H_
#define ABLATE_WORKER_RUNTIME_STOP_SIGNALS_H_

#include <signal.h>

#include <atomic>
#include <functional>
#include <thread>

namespace ablate::worker {

class StopSignals {
 public:
  explicit StopSignals(std::function<void()> on_stop);
  ~StopSignals();  // stops watching (later signals stay blocked)
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

  // Which signal arrived first (0: none yet).
  int received() const { return received_.load(); }

 private:
  std::function<void()> on_stop_;
  std::atomic<bool> closing_{false};
  std::atomic<int> received_{0};
  int read_fd_ = -1;  // self-pipe: the handler writes the signal number
  int write_fd_ = -1;
  struct sigaction old_term_ = {};
  struct sigaction old_int_ = {};
  std::thread thread_;
};

}  // namespace ablate::worker

#endif  // ABLATE_WORKER_RUNTIME_STOP_SIGNALS_H_
