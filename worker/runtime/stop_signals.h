// stop_signals.h: turns SIGTERM / SIGINT into a clean drain for worker
// processes (Slurm sends SIGTERM before SIGKILL, Kubernetes on pod deletion,
// systemd on stop). The first signal calls `on_stop` from a dedicated thread
// (so it may lock mutexes); a second one exits immediately with 128+signal.
//
// Construct it in main() before starting any other thread: it blocks the
// signals in the calling thread, and threads created later inherit the mask.
// Not copyable; one per process.
//
//   StopSignals signals([&] { runtime.RequestStop(); });
//   return runtime.Run().ok() ? 0 : 1;
#ifndef ABLATE_WORKER_RUNTIME_STOP_SIGNALS_H_
#define ABLATE_WORKER_RUNTIME_STOP_SIGNALS_H_

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
  std::thread thread_;
};

}  // namespace ablate::worker

#endif  // ABLATE_WORKER_RUNTIME_STOP_SIGNALS_H_
