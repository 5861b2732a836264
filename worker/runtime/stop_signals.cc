// stop_signals.cc: see stop_signals.h.
#include "worker/runtime/stop_signals.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <utility>

namespace ablate::worker {
namespace {

sigset_t StopSet() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

}  // namespace

StopSignals::StopSignals(std::function<void()> on_stop) : on_stop_(std::move(on_stop)) {
  sigset_t set = StopSet();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  thread_ = std::thread([this] {
    sigset_t wait_set = StopSet();
    while (true) {
      int sig = 0;
      if (sigwait(&wait_set, &sig) != 0) continue;
      if (closing_.load()) return;
      int expected = 0;
      if (received_.compare_exchange_strong(expected, sig)) {
        if (on_stop_) on_stop_();
      } else {
        _exit(128 + sig);  // second signal: the operator insists
      }
    }
  });
}

StopSignals::~StopSignals() {
  closing_.store(true);
  pthread_kill(thread_.native_handle(), SIGTERM);  // blocked, so sigwait takes it
  thread_.join();
}

}  // namespace ablate::worker
