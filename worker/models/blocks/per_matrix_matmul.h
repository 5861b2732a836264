// per_matrix_matmul.h: a batched matmul ([..., M, K] x [..., K, N], leading
// dims broadcast) that runs its matrices on every intra-op thread.
//
// On the CPU, at::matmul of a batch calls one GEMM per matrix in a loop on the
// calling thread, and in a bf16 forward OpenBLAS has one thread (thread_policy.h),
// so the float32 scans of the Mamba-2 and Gated DeltaNet blocks ran their many
// small matmuls on one core. PerMatrixMatmul makes the same GEMM calls (same
// shapes, the same operand stored contiguously along the same dimension), hence
// the same sums bit for bit, spread over LibTorch's intra-op threads. On other
// devices, and while autograd records (training), it is at::matmul.
//
// Thread-safety: reentrant; each call uses the intra-op pool of the calling
// thread and runs every matrix on a worker with the caller's thread-local state
// (inference and grad mode).
//
//   torch::Tensor y = PerMatrixMatmul(decay, xdt);  // [B, H, C, L, P]
#ifndef ABLATE_WORKER_MODELS_BLOCKS_PER_MATRIX_MATMUL_H_
#define ABLATE_WORKER_MODELS_BLOCKS_PER_MATRIX_MATMUL_H_

#include <torch/types.h>

namespace ablate::models {

// lhs: [..., M, K], rhs: [..., K, N], both with at least 3 dims; the leading
// dims broadcast. Returns [broadcast dims..., M, N], contiguous on the CPU.
torch::Tensor PerMatrixMatmul(const torch::Tensor& lhs, const torch::Tensor& rhs);

}  // namespace ablate::models

#endif  // ABLATE_WORKER_MODELS_BLOCKS_PER_MATRIX_MATMUL_H_
