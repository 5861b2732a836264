// thread_policy.cc: see thread_policy.h.
#include "worker/models/thread_policy.h"

#include <ATen/Parallel.h>
#include <dlfcn.h>
#include <sched.h>

#include <algorithm>

namespace ablate::models {

int AvailableCores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return 1;
  return std::max(1, CPU_COUNT(&set));
}

ThreadPolicy ChooseThreadPolicy(int requested, c10::ScalarType dtype) {
  const int n = requested > 0 ? requested : AvailableCores();
  if (dtype == c10::kFloat || dtype == c10::kDouble) return {.intra_op_threads = 1, .blas_threads = n};
  return {.intra_op_threads = n, .blas_threads = 1};
}

void ApplyThreadPolicy(const ThreadPolicy& policy) {
  using SetThreads = void (*)(int);
  // Looked up each time (cheap): no process-wide cache to keep.
  if (auto set_blas = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) {
    set_blas(std::max(1, policy.blas_threads));
  }
  if (at::get_num_threads() != policy.intra_op_threads) at::set_num_threads(std::max(1, policy.intra_op_threads));
}

}  // namespace ablate::models
