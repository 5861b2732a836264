// stop_signals.cc: see stop_signals.h.
//
// A handler plus a self-pipe rather than blocking the signals and sigwait():
// libraries loaded with the binary (OpenBLAS, for one) start threads before
// main() runs, and those threads would not inherit a signal mask set in main,
// so a SIGTERM delivered to one of them would kill the process. A handler is
// process-wide, whichever thread takes the signal.
#include "worker/runtime/stop_signals.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

namespace ablate::worker {
namespace {

// The write end of the active StopSignals' pipe. Signal handlers can only
// reach process-wide state; this is the one piece, owned by the (single)
// live StopSignals.
std::atomic<int> g_write_fd{-1};

void OnSignal(int sig) {
  const int saved_errno = errno;
  const int fd = g_write_fd.load();
  if (fd >= 0) {
    const unsigned char byte = static_cast<unsigned char>(sig);
    (void)!write(fd, &byte, 1);  // async-signal-safe; a full pipe drops the byte
  }
  errno = saved_errno;
}

}  // namespace

StopSignals::StopSignals(std::function<void()> on_stop) : on_stop_(std::move(on_stop)) {
  int fds[2] = {-1, -1};
  if (pipe2(fds, O_CLOEXEC) != 0) return;  // cannot watch: signals keep their default action
  read_fd_ = fds[0];
  write_fd_ = fds[1];
  g_write_fd.store(write_fd_);
  struct sigaction action = {};
  action.sa_handler = OnSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &action, &old_term_);
  sigaction(SIGINT, &action, &old_int_);
  thread_ = std::thread([this] {
    while (true) {
      unsigned char byte = 0;
      const ssize_t n = read(read_fd_, &byte, 1);
      if (n < 0 && errno == EINTR) continue;
      if (n != 1 || closing_.load()) return;
      const int sig = byte;
      int expected = 0;
      if (received_.compare_exchange_strong(expected, sig)) {
        if (on_stop_) on_stop_();
      } else if (sig == SIGINT) {
        _exit(128 + sig);  // a second Ctrl-C: the operator insists
      }
      // A repeated SIGTERM is the same request: Slurm's scancel signals every
      // process of a job, so a batch shell that forwards its own SIGTERM delivers
      // a second one. SIGKILL stays the hard stop.
    }
  });
}

StopSignals::~StopSignals() {
  if (read_fd_ < 0) return;
  sigaction(SIGTERM, &old_term_, nullptr);
  sigaction(SIGINT, &old_int_, nullptr);
  closing_.store(true);
  g_write_fd.store(-1);
  const unsigned char wake = 0;
  (void)!write(write_fd_, &wake, 1);
  thread_.join();
  close(read_fd_);
  close(write_fd_);
}

}  // namespace ablate::worker
