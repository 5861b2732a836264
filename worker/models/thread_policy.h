// thread_policy.h: how many CPU threads a forward uses, decided in one place.
// Two pools compute a CPU forward: LibTorch's intra-op pool (OpenMP here; it
// runs elementwise kernels, softmax, norms and the oneDNN bf16 matmuls) and
// OpenBLAS's own pthreads (float32/float64 GEMMs). Giving both pools every core
// oversubscribes the machine (OpenMP workers spin after each parallel region
// while OpenBLAS threads need the cores), and leaving the intra-op pool at one
// thread leaves bf16 on one core. So the policy gives all cores to the pool that
// does the dtype's matmuls and one thread to the other.
//
// Thread-safety: ChooseThreadPolicy and AvailableCores are pure. ApplyThreadPolicy
// changes process-wide settings (OpenBLAS) and the calling thread's OpenMP
// thread count; call it on the thread that runs the forward, not concurrently.
//
//   ApplyThreadPolicy(ChooseThreadPolicy(/*requested=*/0, torch::kBFloat16));
#ifndef ABLATE_WORKER_MODELS_THREAD_POLICY_H_
#define ABLATE_WORKER_MODELS_THREAD_POLICY_H_

#include <c10/core/ScalarType.h>

namespace ablate::models {

struct ThreadPolicy {
  int intra_op_threads = 1;  // at::set_num_threads
  int blas_threads = 1;      // openblas_set_num_threads
};

// Cores this process may run on (sched_getaffinity), at least 1.
int AvailableCores();

// `requested` threads (0: AvailableCores()) for a forward computing in `dtype`:
// float32/float64 give OpenBLAS `requested` and LibTorch 1; other dtypes give
// LibTorch `requested` and OpenBLAS 1. REQUIRES: requested >= 0.
ThreadPolicy ChooseThreadPolicy(int requested, c10::ScalarType dtype);

// Applies `policy`: at::set_num_threads, and OpenBLAS's openblas_set_num_threads
// when the process has that symbol (a no-op for other BLAS libraries).
void ApplyThreadPolicy(const ThreadPolicy& policy);

}  // namespace ablate::models

#endif  // ABLATE_WORKER_MODELS_THREAD_POLICY_H_
