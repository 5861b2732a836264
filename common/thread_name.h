// thread_name.h: names the calling thread, so operators (top -H, ps -L,
// perf, /proc/PID/task/TID/comm) and benches can tell a process's threads
// apart: the coordinator's single SQLite writer is the first place to look
// when it saturates. Linux keeps 15 characters; longer names are cut.
// Header-only, no state. Thread-safety: names only the calling thread.
//
//   NameThisThread("ablate-writer");
#ifndef ABLATE_COMMON_THREAD_NAME_H_
#define ABLATE_COMMON_THREAD_NAME_H_

#include <pthread.h>

#include <string>

namespace ablate {

inline void NameThisThread(const std::string& name) {
  (void)pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
}

}  // namespace ablate

#endif  // ABLATE_COMMON_THREAD_NAME_H_
