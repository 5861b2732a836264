// mamba2.cc: see mamba2.h. Arithmetic follows HF FalconH1Mixer.torch_forward.
#include "worker/models/blocks/mamba2.h"

#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "worker/models/blocks/per_matrix.h"

namespace ablate::models {
namespace {

struct ScanInputs {
  torch::Tensor x, dt, A, B, C;  // float32; B, C stay per group: [B, T, G, N]
  int64_t rep = 1;               // heads per group
};

ScanInputs PrepareScan(const torch::Tensor& x, const torch::Tensor& dt, const torch::Tensor& A, const torch::Tensor& B,
                       const torch::Tensor& C) {
  TORCH_CHECK(x.dim() == 4 && dt.dim() == 3 && dt.size(2) == x.size(2) && A.numel() == x.size(2),
              "SsdScan: x/dt/A shapes");
  TORCH_CHECK(B.dim() == 4 && C.sizes() == B.sizes() && x.size(2) % B.size(2) == 0, "SsdScan: B/C shapes");
  ScanInputs s;
  s.rep = x.size(2) / B.size(2);
  s.x = x.to(torch::kFloat32);
  s.dt = dt.to(torch::kFloat32);
  s.A = A.to(torch::kFloat32);
  s.B = B.to(torch::kFloat32);
  s.C = C.to(torch::kFloat32);
  return s;
}

torch::Tensor InitialState(const torch::Tensor& initial, int64_t b, int64_t h, int64_t p, int64_t n,
                           const torch::TensorOptions& opts) {
  if (!initial.defined()) return at::zeros({b, h, p, n}, opts);
  TORCH_CHECK(initial.dim() == 4 && initial.size(0) == b && initial.size(1) == h && initial.size(2) == p &&
                  initial.size(3) == n,
              "SsdScan: initial_state shape");
  return initial.to(torch::kFloat32);
}

// segsum[..., i, j] = sum_{k=j+1..i} a[..., k] for i >= j, -inf above the diagonal
// (masked cumulative sums, the numerically stable form of the reference).
torch::Tensor SegmentSum(const torch::Tensor& a) {
  const int64_t L = a.size(-1);
  auto bopts = at::TensorOptions().dtype(at::kBool).device(a.device());
  std::vector<int64_t> sizes = a.sizes().vec();
  sizes.push_back(L);
  torch::Tensor x = a.unsqueeze(-1).expand(sizes);  // x[..., i, j] = a[..., i]
  torch::Tensor strictly_lower = at::ones({L, L}, bopts).tril(-1);
  x = x.masked_fill(strictly_lower.logical_not(), 0.0);
  torch::Tensor seg = x.cumsum(-2);
  torch::Tensor lower = at::ones({L, L}, bopts).tril(0);
  return seg.masked_fill(lower.logical_not(), -std::numeric_limits<double>::infinity());
}

// exp(segsum) * cb: decay[..., i, j] = exp(sum_{k=j+1..i} a[..., k]) for i >= j
// and 0 above the diagonal, times cb (broadcast over the heads of a group).
// The sums accumulate in double and round once, as at::cumsum does on the CPU,
// so the result equals exp(masked cumsum) of the reference form bit for bit.
// a: [B, G, R, C, L] float32; cb: [B, G, 1, C, L, L] float32. Off the CPU, or
// when autograd records (training), it is the tensor form.
torch::Tensor DecayTimes(const torch::Tensor& a_in, const torch::Tensor& cb) {
  const bool autograd = at::GradMode::is_enabled() && (a_in.requires_grad() || cb.requires_grad());
  if (!a_in.is_cpu() || autograd) return cb * SegmentSum(a_in).exp();
  const torch::Tensor a = a_in.contiguous();
  const int64_t L = a.size(-1), rows = a.numel() / L;
  std::vector<int64_t> sizes = a.sizes().vec();
  sizes.push_back(L);
  torch::Tensor out = at::empty(sizes, a.options());
  const float* in = a.data_ptr<float>();
  float* o = out.data_ptr<float>();
  at::parallel_for(0, rows, 1, [&](int64_t begin, int64_t end) {
    std::vector<double> acc(L);
    for (int64_t row = begin; row < end; ++row) {
      const float* ar = in + row * L;
      float* m = o + row * L * L;
      std::fill(acc.begin(), acc.end(), 0.0);
      for (int64_t i = 0; i < L; ++i) {
        float* mi = m + i * L;
        for (int64_t j = 0; j < i; ++j) mi[j] = static_cast<float>(acc[j] += ar[i]);
        mi[i] = 0.0f;
        std::fill(mi + i + 1, mi + L, -std::numeric_limits<float>::infinity());
      }
    }
  });
  return out.exp_().mul_(cb);
}

}  // namespace

SsdOutput ChunkedSsdScan(const torch::Tensor& x_in, const torch::Tensor& dt_in, const torch::Tensor& A_in,
                         const torch::Tensor& B_in, const torch::Tensor& C_in, const torch::Tensor& initial_state,
                         int64_t chunk_size) {
  ScanInputs s = PrepareScan(x_in, dt_in, A_in, B_in, C_in);
  const int64_t b = s.x.size(0), t = s.x.size(1), h = s.x.size(2), p = s.x.size(3);
  const int64_t g = s.B.size(2), n = s.B.size(3), r = s.rep;
  const int64_t L = chunk_size, pad = (L - t % L) % L, tp = t + pad, nc = tp / L;
  // Pad the end with zeros (dt = 0: no decay, no input); heads split as [G, R]
  // (head = group * R + r) so that B and C are used per group, never copied per head.
  auto chunk = [&](const torch::Tensor& v) {  // [B, T, K, D] -> [B, K, C, L, D]
    const torch::Tensor padded = pad == 0 ? v : at::constant_pad_nd(v, {0, 0, 0, 0, 0, pad});
    return padded.reshape({b, nc, L, v.size(2), v.size(3)}).permute({0, 3, 1, 2, 4});
  };
  torch::Tensor xc = chunk(s.x).reshape({b, g, r, nc, L, p});  // [B, G, R, C, L, P]
  torch::Tensor Bc = chunk(s.B).unsqueeze(2);                  // [B, G, 1, C, L, N]
  torch::Tensor Cc = chunk(s.C).unsqueeze(2);                  // [B, G, 1, C, L, N]
  torch::Tensor dtc = at::constant_pad_nd(s.dt, {0, 0, 0, pad}).view({b, nc, L, g, r}).permute({0, 3, 4, 1, 2});
  torch::Tensor a = dtc * s.A.view({1, g, r, 1, 1});  // [B, G, R, C, L]
  torch::Tensor a_cum = a.cumsum(-1);
  torch::Tensor xdt = xc * dtc.unsqueeze(-1);  // [B, G, R, C, L, P]
  // 1. Intra-chunk (diagonal blocks): (C B^T per group) * decay per head, applied to x dt.
  torch::Tensor cb = at::matmul(Cc, Bc.transpose(-1, -2));         // [B, G, 1, C, L, L]
  torch::Tensor y_diag = PerMatrixMatmul(DecayTimes(a, cb), xdt);  // [B, G, R, C, L, P]
  // 2. Each chunk's own contribution to the state at its end.
  torch::Tensor decay_to_end = (a_cum.narrow(-1, L - 1, 1) - a_cum).exp().unsqueeze(-1);     // [B, G, R, C, L, 1]
  torch::Tensor chunk_states = PerMatrixMatmul((xdt * decay_to_end).transpose(-1, -2), Bc);  // [B, G, R, C, P, N]
  // 3. Inter-chunk recurrence (a loop over chunks only).
  torch::Tensor chunk_decay = a_cum.select(-1, L - 1).exp().unsqueeze(-1).unsqueeze(-1);  // [B, G, R, C, 1, 1]
  torch::Tensor state = InitialState(initial_state, b, h, p, n, s.x.options()).view({b, g, r, p, n});
  std::vector<torch::Tensor> prev;
  prev.reserve(nc);
  for (int64_t i = 0; i < nc; ++i) {
    prev.push_back(state);
    state = state * chunk_decay.select(3, i) + chunk_states.select(3, i);
  }
  torch::Tensor prev_states = at::stack(prev, 3);  // [B, G, R, C, P, N]
  // 4. State -> output (off-diagonal blocks).
  torch::Tensor y_off = PerMatrixMatmul(Cc, prev_states.transpose(-1, -2)) * a_cum.exp().unsqueeze(-1);
  torch::Tensor y = (y_diag + y_off).reshape({b, h, nc, L, p}).permute({0, 2, 3, 1, 4}).reshape({b, tp, h, p});
  return {y.narrow(1, 0, t).contiguous(), state.reshape({b, h, p, n})};
}

SsdOutput SequentialSsdScan(const torch::Tensor& x_in, const torch::Tensor& dt_in, const torch::Tensor& A_in,
                            const torch::Tensor& B_in, const torch::Tensor& C_in, const torch::Tensor& initial_state) {
  ScanInputs s = PrepareScan(x_in, dt_in, A_in, B_in, C_in);
  const int64_t b = s.x.size(0), t = s.x.size(1), h = s.x.size(2), p = s.x.size(3), n = s.B.size(3);
  torch::Tensor Bh = s.B.repeat_interleave(s.rep, 2), Ch = s.C.repeat_interleave(s.rep, 2);  // [B, T, H, N]
  torch::Tensor state = InitialState(initial_state, b, h, p, n, s.x.options());              // [B, H, P, N]
  std::vector<torch::Tensor> outs;
  outs.reserve(t);
  for (int64_t i = 0; i < t; ++i) {
    torch::Tensor dt_t = s.dt.select(1, i);                                        // [B, H]
    torch::Tensor dA = (dt_t * s.A).exp().unsqueeze(-1).unsqueeze(-1);             // [B, H, 1, 1]
    torch::Tensor xdt = (s.x.select(1, i) * dt_t.unsqueeze(-1)).unsqueeze(-1);     // [B, H, P, 1]
    state = state * dA + xdt * Bh.select(1, i).unsqueeze(-2);                      // [B, H, P, N]
    outs.push_back(at::matmul(state, Ch.select(1, i).unsqueeze(-1)).squeeze(-1));  // [B, H, P]
  }
  return {at::stack(outs, 1), state};
}

Mamba2Impl::Mamba2Impl(const Mamba2Options& o) : o_(o) {
  TORCH_CHECK(o.n_heads * o.head_dim == o.d_ssm && o.n_groups > 0 && o.n_heads % o.n_groups == 0,
              "Mamba2: bad head/group sizes");
  const int64_t gn = o.n_groups * o.d_state, conv_dim = o.d_ssm + 2 * gn;
  const int64_t proj = o.d_ssm + conv_dim + o.n_heads;
  in_proj_ = register_module("in_proj", Linear(o.hidden, proj, o.proj_bias));
  conv1d_ = register_module("conv1d", CausalConv1d(conv_dim, o.conv_kernel, o.conv_bias));
  dt_bias_ = register_parameter("dt_bias", torch::empty({o.n_heads}));
  A_log_ = register_parameter("A_log", torch::empty({o.n_heads}));
  D_ = register_parameter("D", torch::empty({o.n_heads}));
  if (o.rms_norm) {
    norm_ = register_module(
        "norm", GatedRMSNorm(GatedRMSNormOptions{
                    .dim = o.d_ssm, .eps = o.norm_eps, .groups = o.n_groups, .norm_before_gate = o.norm_before_gate}));
  }
  out_proj_ = register_module("out_proj", Linear(o.d_ssm, o.hidden, o.out_bias));
  bool all_one = true;
  for (double m : o.segment_multipliers) all_one = all_one && m == 1.0;
  if (!all_one) {
    // Columns [z | x | B | C | dt] of sizes [d_ssm, d_ssm, G*N, G*N, H].
    const int64_t sizes[5] = {o.d_ssm, o.d_ssm, gn, gn, o.n_heads};
    std::vector<torch::Tensor> parts;
    for (int i = 0; i < 5; ++i) parts.push_back(at::full({sizes[i]}, o.segment_multipliers[i]));
    mup_vector_ = register_buffer("mup_vector", at::cat(parts));
  }
}

torch::Tensor Mamba2Impl::Forward(const torch::Tensor& x, const MixerInputs& /*in*/, MixerState* state) {
  TORCH_CHECK(x.dim() == 3 && x.size(2) == o_.hidden, "Mamba2: expected [B, T, ", o_.hidden, "]");
  const int64_t b = x.size(0), t = x.size(1), gn = o_.n_groups * o_.d_state, conv_dim = o_.d_ssm + 2 * gn;
  torch::Tensor proj = in_proj_(x);  // [B, T, proj]
  if (mup_vector_.defined()) proj = proj * mup_vector_;
  torch::Tensor gate = proj.narrow(-1, 0, o_.d_ssm);
  torch::Tensor xbc = proj.narrow(-1, o_.d_ssm, conv_dim);
  torch::Tensor dt = proj.narrow(-1, o_.d_ssm + conv_dim, o_.n_heads);  // [B, T, H]
  auto [conv_out, conv_state] = conv1d_(xbc.transpose(1, 2), state ? state->conv : torch::Tensor());
  if (state) state->conv = conv_state;
  conv_out = conv_out.transpose(1, 2);  // [B, T, conv_dim]
  // x in float32 once: the scan's input and the D skip.
  torch::Tensor xs = conv_out.narrow(-1, 0, o_.d_ssm).reshape({b, t, o_.n_heads, o_.head_dim}).to(torch::kFloat32);
  torch::Tensor Bm = conv_out.narrow(-1, o_.d_ssm, gn).reshape({b, t, o_.n_groups, o_.d_state});
  torch::Tensor Cm = conv_out.narrow(-1, o_.d_ssm + gn, gn).reshape({b, t, o_.n_groups, o_.d_state});
  dt = at::softplus(dt.to(torch::kFloat32) + dt_bias_.to(torch::kFloat32));
  dt = at::clamp(dt, o_.dt_min, o_.dt_max);
  torch::Tensor A = -A_log_.to(torch::kFloat32).exp();  // [H]
  torch::Tensor initial = state ? state->recurrent : torch::Tensor();
  SsdOutput r = (initial.defined() && t == 1)
                    ? SequentialSsdScan(xs, dt, A, Bm, Cm, initial)
                    : ChunkedSsdScan(xs, dt, A, Bm, Cm, initial, std::min(o_.chunk_size, kMaxScanChunk));
  if (state) state->recurrent = r.state;
  torch::Tensor y = r.out + D_.to(torch::kFloat32).view({o_.n_heads, 1}) * xs;
  y = y.reshape({b, t, o_.d_ssm});  // float32
  y = o_.rms_norm ? norm_(y, gate) : y * at::silu(gate.to(torch::kFloat32));
  return out_proj_(y.to(x.scalar_type()));
}

void Mamba2Impl::Initialize(double std, at::Generator& gen) {
  torch::NoGradGuard ng;
  in_proj_->Initialize(std, gen);
  out_proj_->Initialize(std, gen);
  conv1d_->Initialize(std, gen);
  dt_bias_.fill_(1.0);
  A_log_.copy_(at::arange(1, o_.n_heads + 1, at::TensorOptions().dtype(at::kFloat)).log());
  D_.fill_(1.0);
  if (o_.rms_norm) norm_->Initialize();
}

}  // namespace ablate::models
