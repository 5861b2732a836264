// per_matrix.cc: see per_matrix.h.
#include "worker/models/blocks/per_matrix.h"

#include <ATen/ExpandUtils.h>
#include <ATen/Parallel.h>
#include <ATen/ThreadLocalState.h>
#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <vector>

namespace ablate::models {
namespace {

// Multiply-adds per matrix below which the batched call is made: a call per
// matrix costs a few microseconds of dispatch, more than small matrices'
// work. (It also keeps bmm's own loop for products under 400 multiply-adds,
// which makes no GEMM call at all; ATen's LinearAlgebra.cpp.) The blocks'
// matrices at real sizes have 2^19-2^20 (64-128 rows, 64-128 columns and depth).
constexpr int64_t kMinWorkPerMatrix = int64_t{1} << 18;

// The [rows x cols] matrix number `index` (row-major over the leading dims) of
// `t`, a view with t's strides.
torch::Tensor Matrix(const torch::Tensor& t, int64_t index) {
  const int64_t d = t.dim();
  int64_t offset = t.storage_offset();
  for (int64_t i = d - 3; i >= 0; --i) {
    offset += (index % t.size(i)) * t.stride(i);
    index /= t.size(i);
  }
  return t.as_strided({t.size(d - 2), t.size(d - 1)}, {t.stride(d - 2), t.stride(d - 1)}, offset);
}

// `t` broadcast to `sizes`, each matrix laid out as bmm inside at::matmul sees
// it: at::matmul reshapes the broadcast operand to [count, rows, cols], a view
// or else a row-major copy. A broadcast view whose rows are contiguous gives the
// same GEMM call as that copy (only the leading dimension differs), so only
// operands with strided rows are reshaped, exactly as at::matmul would.
torch::Tensor Operand(const torch::Tensor& t, const std::vector<int64_t>& sizes, int64_t count) {
  const torch::Tensor e = t.expand(sizes);
  const int64_t rows = sizes[sizes.size() - 2], cols = sizes.back();
  if (e.stride(-1) == 1 && e.stride(-2) >= std::max<int64_t>(1, cols)) return e;
  return e.reshape({count, rows, cols});
}

// Runs fn(i, out matrix i) for every matrix of `out` ([count, rows, cols]) on
// the intra-op threads, each with the caller's thread-local state.
template <typename Fn>
void ForEachMatrix(const torch::Tensor& out, const Fn& fn) {
  const at::ThreadLocalState tls;
  at::parallel_for(0, out.size(0), 1, [&](int64_t begin, int64_t end) {
    at::ThreadLocalStateGuard guard(tls);
    for (int64_t i = begin; i < end; ++i) {
      torch::Tensor o = out.select(0, i);
      fn(i, o);
    }
  });
}

// Whether the batched ATen call is the one to make: off the CPU; while autograd
// records (the out= calls below are not differentiable); or with one intra-op
// thread (a float32 forward: nothing to spread, and OpenBLAS's own threads run
// inside each call either way).
bool Batched(const torch::Tensor& a, const torch::Tensor& b) {
  return !a.is_cpu() || (at::GradMode::is_enabled() && (a.requires_grad() || b.requires_grad())) ||
         at::get_num_threads() == 1;
}

}  // namespace

torch::Tensor PerMatrixMatmul(const torch::Tensor& lhs, const torch::Tensor& rhs) {
  TORCH_CHECK(lhs.dim() >= 3 && rhs.dim() >= 3 && lhs.size(-1) == rhs.size(-2),
              "PerMatrixMatmul: expected [..., M, K] x [..., K, N]");
  const int64_t m = lhs.size(-2), k = lhs.size(-1), n = rhs.size(-1);
  if (Batched(lhs, rhs) || m * k * n < kMinWorkPerMatrix) return at::matmul(lhs, rhs);
  std::vector<int64_t> batch = at::infer_size(lhs.sizes().slice(0, lhs.dim() - 2), rhs.sizes().slice(0, rhs.dim() - 2));
  int64_t count = 1;
  for (int64_t s : batch) count *= s;
  auto with = [&](int64_t rows, int64_t cols) {
    std::vector<int64_t> sizes = batch;
    sizes.push_back(rows);
    sizes.push_back(cols);
    return sizes;
  };
  const torch::Tensor a = Operand(lhs, with(m, k), count), b = Operand(rhs, with(k, n), count);
  torch::Tensor out = at::empty(with(m, n), lhs.options().memory_format(at::MemoryFormat::Contiguous));
  ForEachMatrix(out.view({count, m, n}),
                [&](int64_t i, torch::Tensor& o) { at::mm_out(o, Matrix(a, i), Matrix(b, i)); });
  return out;
}

torch::Tensor PerMatrixSolveUnitLower(const torch::Tensor& a, const torch::Tensor& b) {
  TORCH_CHECK(a.dim() >= 3 && b.dim() == a.dim() && a.size(-1) == a.size(-2) && b.size(-2) == a.size(-1) &&
                  a.sizes().slice(0, a.dim() - 2) == b.sizes().slice(0, b.dim() - 2),
              "PerMatrixSolveUnitLower: expected [..., M, M] and [..., M, N]");
  if (Batched(a, b) || a.size(-1) * a.size(-1) * b.size(-1) < kMinWorkPerMatrix) {
    return at::linalg_solve_triangular(a, b, /*upper=*/false, /*left=*/true, /*unitriangular=*/true);
  }
  torch::Tensor out = at::empty(b.sizes(), b.options().memory_format(at::MemoryFormat::Contiguous));
  const int64_t m = b.size(-2), n = b.size(-1);
  int64_t count = 1;
  for (int64_t d = 0; d < b.dim() - 2; ++d) count *= b.size(d);
  // Out-of-place per matrix: the out= form solves a differently laid out system
  // (other roundings); the batched call solves each matrix like this one.
  ForEachMatrix(out.view({count, m, n}), [&](int64_t i, torch::Tensor& o) {
    o.copy_(at::linalg_solve_triangular(Matrix(a, i), Matrix(b, i), /*upper=*/false, /*left=*/true,
                                        /*unitriangular=*/true));
  });
  return out;
}

}  // namespace ablate::models
