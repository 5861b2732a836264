// gated_delta_net.cc: see gated_delta_net.h. Arithmetic follows HF
// torch_chunk_gated_delta_rule / torch_recurrent_gated_delta_rule (Qwen3.5).
#include "worker/models/blocks/gated_delta_net.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include "worker/models/blocks/per_matrix.h"

namespace ablate::models {
namespace {

torch::Tensor L2Norm(const torch::Tensor& x) { return x * at::rsqrt((x * x).sum(-1, /*keepdim=*/true) + 1e-6); }

struct Prepared {
  torch::Tensor q, k, v, g, beta;  // [B, H, T, D] / [B, H, T], float32, contiguous
};

// Repeat q/k heads to the value heads, move heads first, float32, L2-normalise, scale q.
Prepared Prepare(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v, const torch::Tensor& g,
                 const torch::Tensor& beta) {
  TORCH_CHECK(
      q.dim() == 4 && k.sizes() == q.sizes() && v.dim() == 4 && v.size(0) == q.size(0) && v.size(1) == q.size(1),
      "GatedDeltaRule: q/k/v shapes");
  const int64_t hv = v.size(2), hk = k.size(2);
  TORCH_CHECK(hv % hk == 0, "GatedDeltaRule: value heads must be a multiple of key heads");
  TORCH_CHECK(g.sizes() == beta.sizes() && g.size(2) == hv, "GatedDeltaRule: g/beta shapes");
  Prepared p;
  torch::Tensor qq = q, kk = k;
  if (hv != hk) {
    qq = qq.repeat_interleave(hv / hk, 2);
    kk = kk.repeat_interleave(hv / hk, 2);
  }
  auto f32 = [](const torch::Tensor& t) { return t.transpose(1, 2).to(torch::kFloat32).contiguous(); };
  p.q = f32(qq);
  p.k = f32(kk);
  p.v = f32(v);
  p.g = f32(g);
  p.beta = f32(beta);
  p.q = L2Norm(p.q);
  p.k = L2Norm(p.k);
  p.q = p.q * (1.0 / std::sqrt(static_cast<double>(p.q.size(-1))));
  return p;
}

torch::Tensor InitialState(const torch::Tensor& initial, const Prepared& p) {
  const int64_t b = p.q.size(0), h = p.q.size(1), dk = p.q.size(3), dv = p.v.size(3);
  if (!initial.defined()) return at::zeros({b, h, dk, dv}, p.q.options());
  TORCH_CHECK(initial.dim() == 4 && initial.size(0) == b && initial.size(1) == h && initial.size(2) == dk &&
                  initial.size(3) == dv,
              "GatedDeltaRule: initial_state shape");
  return initial.to(torch::kFloat32);
}

// The chunked rule over all the heads it is given.
DeltaRuleOutput ChunkedRuleAllHeads(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                    const torch::Tensor& g, const torch::Tensor& beta,
                                    const torch::Tensor& initial_state, int64_t chunk_size) {
  // Each float32 [B, H, T, D] temporary is released (reset) as soon as the
  // last expression that reads it has run, so a long prefill holds a few of
  // them at once rather than every one the rule builds; the arithmetic is the
  // same expressions in the same order.
  Prepared p = Prepare(q, k, v, g, beta);
  const int64_t b = p.q.size(0), h = p.q.size(1), t = p.q.size(2), dk = p.q.size(3), dv = p.v.size(3);
  const int64_t L = chunk_size;
  const int64_t pad = (L - t % L) % L, tp = t + pad, nc = tp / L;
  torch::Tensor state = InitialState(initial_state, p);  // [B, H, Dk, Dv]
  // Zero padding at the end: beta = 0, g = 0 leave the state untouched.
  torch::Tensor qc = at::constant_pad_nd(p.q, {0, 0, 0, pad}).view({b, h, nc, L, dk});
  torch::Tensor kc = at::constant_pad_nd(p.k, {0, 0, 0, pad}).view({b, h, nc, L, dk});
  torch::Tensor vc = at::constant_pad_nd(p.v, {0, 0, 0, pad}).view({b, h, nc, L, dv});
  torch::Tensor bc = at::constant_pad_nd(p.beta, {0, pad}).view({b, h, nc, L, 1});
  torch::Tensor gc = at::constant_pad_nd(p.g, {0, pad}).view({b, h, nc, L});
  p = Prepared{};
  torch::Tensor v_beta = vc * bc;  // [B, H, C, L, Dv]
  vc.reset();
  torch::Tensor k_beta = kc * bc;  // [B, H, C, L, Dk]
  bc.reset();
  torch::Tensor cum = gc.cumsum(-1);  // [B, H, C, L]
  gc.reset();
  torch::Tensor upper = at::ones({L, L}, at::TensorOptions().dtype(at::kBool).device(q.device())).triu(1);
  torch::Tensor pair = (cum.unsqueeze(-1) - cum.unsqueeze(-2))
                           .masked_fill(upper, -std::numeric_limits<double>::infinity())
                           .exp();  // [B, H, C, L, L]
  torch::Tensor kt = kc.transpose(-1, -2);
  torch::Tensor ut = PerMatrixMatmul(k_beta, kt) * pair;
  torch::Tensor intra = PerMatrixMatmul(qc, kt) * pair;
  kt.reset();
  pair.reset();
  torch::Tensor cum_exp = cum.exp().unsqueeze(-1);  // [B, H, C, L, 1]
  // (I + strictly_lower(ut)) X = rhs: the UT transform of the delta rule.
  // One solve for both right-hand sides [v_beta | k_beta * exp(cum)].
  torch::Tensor rhs = at::cat({v_beta, k_beta * cum_exp}, -1);
  v_beta.reset();
  k_beta.reset();
  torch::Tensor solved = PerMatrixSolveUnitLower(ut, rhs);
  rhs.reset();
  ut.reset();
  torch::Tensor new_values = solved.narrow(-1, 0, dv);   // [B, H, C, L, Dv]
  torch::Tensor k_cumdecay = solved.narrow(-1, dv, dk);  // [B, H, C, L, Dk]
  torch::Tensor q_dec = qc * cum_exp;
  qc.reset();
  cum_exp.reset();
  torch::Tensor k_dec = kc * (cum.narrow(-1, L - 1, 1) - cum).exp().unsqueeze(-1);
  kc.reset();
  torch::Tensor chunk_decay = cum.select(-1, L - 1).exp().unsqueeze(-1).unsqueeze(-1);  // [B, H, C, 1, 1]
  cum.reset();
  torch::Tensor out = at::empty({b, h, nc, L, dv}, q_dec.options());
  for (int64_t i = 0; i < nc; ++i) {  // loop over chunks only
    torch::Tensor v_new = new_values.select(2, i) - PerMatrixMatmul(k_cumdecay.select(2, i), state);
    out.select(2, i).copy_(PerMatrixMatmul(q_dec.select(2, i), state) + PerMatrixMatmul(intra.select(2, i), v_new));
    state = state * chunk_decay.select(2, i) + PerMatrixMatmul(k_dec.select(2, i).transpose(-1, -2), v_new);
  }
  new_values.reset();
  k_cumdecay.reset();
  solved.reset();
  q_dec.reset();
  k_dec.reset();
  intra.reset();
  out = out.view({b, h, tp, dv}).narrow(2, 0, t);  // [B, H, T, Dv]
  return {out.transpose(1, 2).contiguous().to(q.scalar_type()), state};
}

}  // namespace

DeltaRuleOutput ChunkedGatedDeltaRule(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                      const torch::Tensor& g, const torch::Tensor& beta,
                                      const torch::Tensor& initial_state, int64_t chunk_size, int64_t group_elements) {
  TORCH_CHECK(q.dim() == 4 && k.dim() == 4 && v.dim() == 4, "GatedDeltaRule: q/k/v shapes");
  const int64_t b = v.size(0), t = v.size(1), hv = v.size(2), dv = v.size(3), hk = k.size(2);
  TORCH_CHECK(hk > 0 && hv % hk == 0, "GatedDeltaRule: value heads must be a multiple of key heads");
  const int64_t rep = hv / hk;
  // Value heads per group: a multiple of rep (so a group owns whole key heads)
  // whose [B, heads, T, D] float32 temporaries hold at most group_elements.
  const int64_t per_head = std::max<int64_t>(1, b * t * std::max(dv, q.size(3)));
  const int64_t heads = std::max<int64_t>(1, group_elements / per_head / rep) * rep;
  if (heads >= hv) return ChunkedRuleAllHeads(q, k, v, g, beta, initial_state, chunk_size);
  std::vector<torch::Tensor> outs, states;
  for (int64_t h0 = 0; h0 < hv; h0 += heads) {
    const int64_t n = std::min(heads, hv - h0);
    DeltaRuleOutput r = ChunkedRuleAllHeads(
        q.narrow(2, h0 / rep, n / rep), k.narrow(2, h0 / rep, n / rep), v.narrow(2, h0, n), g.narrow(2, h0, n),
        beta.narrow(2, h0, n), initial_state.defined() ? initial_state.narrow(1, h0, n) : torch::Tensor(), chunk_size);
    outs.push_back(std::move(r.out));
    states.push_back(std::move(r.state));
  }
  return {at::cat(outs, 2), at::cat(states, 1)};
}

DeltaRuleOutput RecurrentGatedDeltaRule(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                        const torch::Tensor& g, const torch::Tensor& beta,
                                        const torch::Tensor& initial_state) {
  Prepared p = Prepare(q, k, v, g, beta);
  const int64_t t = p.q.size(2);
  torch::Tensor state = InitialState(initial_state, p);  // [B, H, Dk, Dv]
  std::vector<torch::Tensor> outs;
  outs.reserve(t);
  for (int64_t i = 0; i < t; ++i) {
    torch::Tensor q_t = p.q.select(2, i).unsqueeze(-2);  // [B, H, 1, Dk]
    torch::Tensor k_t = p.k.select(2, i).unsqueeze(-2);  // [B, H, 1, Dk]
    torch::Tensor v_t = p.v.select(2, i).unsqueeze(-2);  // [B, H, 1, Dv]
    torch::Tensor decay = p.g.select(2, i).exp().unsqueeze(-1).unsqueeze(-1);
    torch::Tensor beta_t = p.beta.select(2, i).unsqueeze(-1).unsqueeze(-1);
    state = state * decay;
    torch::Tensor kv_mem = at::matmul(k_t, state);  // [B, H, 1, Dv]
    torch::Tensor delta = (v_t - kv_mem) * beta_t;
    state = state + at::matmul(k_t.transpose(-1, -2), delta);
    outs.push_back(at::matmul(q_t, state));  // [B, H, 1, Dv]
  }
  torch::Tensor out = at::cat(outs, 2);  // [B, H, T, Dv]
  return {out.transpose(1, 2).contiguous().to(q.scalar_type()), state};
}

GatedDeltaNetImpl::GatedDeltaNetImpl(const GatedDeltaNetOptions& o) : o_(o) {
  TORCH_CHECK(o.num_k_heads > 0 && o.num_v_heads % o.num_k_heads == 0, "GatedDeltaNet: head counts");
  const int64_t key_dim = o.num_k_heads * o.k_head_dim, value_dim = o.num_v_heads * o.v_head_dim;
  const int64_t conv_dim = 2 * key_dim + value_dim;
  conv1d_ = register_module("conv1d", CausalConv1d(conv_dim, o.conv_kernel, /*bias=*/false));
  dt_bias_ = register_parameter("dt_bias", torch::empty({o.num_v_heads}));
  A_log_ = register_parameter("A_log", torch::empty({o.num_v_heads}));
  norm_ = register_module("norm", GatedRMSNorm(GatedRMSNormOptions{.dim = o.v_head_dim, .eps = o.norm_eps}));
  out_proj_ = register_module("out_proj", Linear(value_dim, o.hidden, false));
  in_proj_qkv_ = register_module("in_proj_qkv", Linear(o.hidden, conv_dim, false));
  in_proj_z_ = register_module("in_proj_z", Linear(o.hidden, value_dim, false));
  in_proj_b_ = register_module("in_proj_b", Linear(o.hidden, o.num_v_heads, false));
  in_proj_a_ = register_module("in_proj_a", Linear(o.hidden, o.num_v_heads, false));
}

torch::Tensor GatedDeltaNetImpl::Forward(const torch::Tensor& x, const MixerInputs& /*in*/, MixerState* state) {
  TORCH_CHECK(x.dim() == 3 && x.size(2) == o_.hidden, "GatedDeltaNet: expected [B, T, ", o_.hidden, "]");
  const int64_t b = x.size(0), t = x.size(1);
  const int64_t key_dim = o_.num_k_heads * o_.k_head_dim, value_dim = o_.num_v_heads * o_.v_head_dim;
  torch::Tensor mixed = in_proj_qkv_(x).transpose(1, 2);  // [B, C, T]
  auto [conv_out, conv_state] = conv1d_(mixed, state ? state->conv : torch::Tensor());
  if (state) state->conv = conv_state;
  mixed.reset();
  conv_out = conv_out.transpose(1, 2);  // [B, T, C]
  torch::Tensor q = conv_out.narrow(-1, 0, key_dim).reshape({b, t, o_.num_k_heads, o_.k_head_dim});
  torch::Tensor k = conv_out.narrow(-1, key_dim, key_dim).reshape({b, t, o_.num_k_heads, o_.k_head_dim});
  torch::Tensor v = conv_out.narrow(-1, 2 * key_dim, value_dim).reshape({b, t, o_.num_v_heads, o_.v_head_dim});
  torch::Tensor z = in_proj_z_(x).reshape({b, t, o_.num_v_heads, o_.v_head_dim});
  torch::Tensor beta = at::sigmoid(in_proj_b_(x));  // [B, T, Hv]
  torch::Tensor g = -A_log_.to(torch::kFloat32).exp() *
                    at::softplus(in_proj_a_(x).to(torch::kFloat32) + dt_bias_.to(torch::kFloat32));
  torch::Tensor initial = state ? state->recurrent : torch::Tensor();
  DeltaRuleOutput r = (initial.defined() && t == 1) ? RecurrentGatedDeltaRule(q, k, v, g, beta, initial)
                                                    : ChunkedGatedDeltaRule(q, k, v, g, beta, initial, o_.chunk_size);
  if (state) state->recurrent = r.state;
  torch::Tensor core = norm_(r.out, z).reshape({b, t, value_dim});  // [B, T, Hv*Dv]
  return out_proj_(core);
}

void GatedDeltaNetImpl::Initialize(double std, at::Generator& gen) {
  torch::NoGradGuard ng;
  for (Linear* l : {&in_proj_qkv_, &in_proj_z_, &in_proj_b_, &in_proj_a_, &out_proj_}) (*l)->Initialize(std, gen);
  conv1d_->Initialize(std, gen);
  dt_bias_.fill_(1.0);
  A_log_.uniform_(0.01, 16.0, gen).log_();  // HF: log(U(0.01, 16))
  norm_->Initialize();
}

}  // namespace ablate::models
