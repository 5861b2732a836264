// per_matrix.h: batched matmul and triangular solve over the leading dims of
// a tensor, with the matrices spread over every intra-op thread.
//
// On the CPU, at::matmul and at::linalg_solve_triangular of a batch call one
// BLAS routine per matrix in a loop on the calling thread, and in a bf16
// forward OpenBLAS has one thread (thread_policy.h), so the float32 scans of
// the Mamba-2 and Gated DeltaNet blocks ran their many small matrix products
// on one core. These functions make the same BLAS calls (same shapes, each
// operand stored contiguously along the same dimension), hence the same sums
// bit for bit, spread over LibTorch's intra-op threads. On other devices,
// while autograd records (training), with one intra-op thread (a float32
// forward under thread_policy.h), and for small matrices they are the ATen
// batched calls.
//
// Thread-safety: reentrant; each call uses the intra-op pool of the calling
// thread and runs every matrix on a worker with the caller's thread-local
// state (inference and grad mode).
//
//   torch::Tensor y = PerMatrixMatmul(decay, xdt);  // [B, H, C, L, P]
#ifndef ABLATE_WORKER_MODELS_BLOCKS_PER_MATRIX_H_
#define ABLATE_WORKER_MODELS_BLOCKS_PER_MATRIX_H_

#include <torch/types.h>

namespace ablate::models {

// at::matmul(lhs, rhs) for lhs [..., M, K] and rhs [..., K, N], both with at
// least 3 dims; the leading dims broadcast. Contiguous on the CPU.
torch::Tensor PerMatrixMatmul(const torch::Tensor& lhs, const torch::Tensor& rhs);

// at::linalg_solve_triangular(a, b, /*upper=*/false, /*left=*/true,
// /*unitriangular=*/true): X with a X = b, for a [..., M, M] and b [..., M, N]
// with the same leading dims (at least one). Contiguous on the CPU.
torch::Tensor PerMatrixSolveUnitLower(const torch::Tensor& a, const torch::Tensor& b);

}  // namespace ablate::models

#endif  // ABLATE_WORKER_MODELS_BLOCKS_PER_MATRIX_H_
