// subprocess.h: TEST ONLY. Child processes for multi-process tests (the real
// coordinator binary, worker processes): start with a log file, send signals
// (SIGTERM drain, SIGKILL crash), wait with a timeout. The destructor kills
// and reaps a child that is still running, and a child is killed when the
// test process dies (PR_SET_PDEATHSIG), so no test leaves processes behind.
//
// Not thread-safe; one owner per Subprocess.
//
//   ASSIGN_OR_RETURN(auto p, Subprocess::Start({bin, "--db", db}, dir + "/coord.log"));
//   p->Signal(SIGKILL);
//   std::optional<int> code = p->Wait(absl::Seconds(5));
#ifndef ABLATE_TESTS_TESTING_SUBPROCESS_H_
#define ABLATE_TESTS_TESTING_SUBPROCESS_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace ablate::testing {

class Subprocess {
 public:
  // Runs argv[0] (a path) with argv; stdout and stderr are appended to log_path.
  static absl::StatusOr<std::unique_ptr<Subprocess>> Start(const std::vector<std::string>& argv,
                                                           const std::string& log_path);
  ~Subprocess();
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }
  void Signal(int sig);
  // The exit code (or 128 + signal) once the child ended; nullopt on timeout.
  std::optional<int> Wait(absl::Duration timeout);
  bool Running();
  const std::string& log_path() const { return log_path_; }
  // The log's contents (for failure messages).
  std::string Log() const;

 private:
  Subprocess(pid_t pid, std::string log_path) : pid_(pid), log_path_(std::move(log_path)) {}
  pid_t pid_;
  std::string log_path_;
  std::optional<int> exit_code_;
};

// A TCP port on 127.0.0.1 that was free a moment ago.
int PickFreePort();

// A fresh directory under $TEST_TMPDIR or /tmp, named after `prefix`.
std::string MakeTempDir(const std::string& prefix);

}  // namespace ablate::testing

#endif  // ABLATE_TESTS_TESTING_SUBPROCESS_H_
