// blocks_test.cc: each block's fast path against its naive oracle, and its
// stateful (incremental) path against the stateless one.
#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <c10/core/InferenceMode.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <vector>

#include "gtest/gtest.h"
#include "worker/models/blocks/attention.h"
#include "worker/models/blocks/causal_conv.h"
#include "worker/models/blocks/gated_delta_net.h"
#include "worker/models/blocks/mamba2.h"
#include "worker/models/blocks/per_matrix.h"
#include "worker/models/blocks/rotary.h"

namespace ablate::models {
namespace {

double MaxDiff(const torch::Tensor& a, const torch::Tensor& b) {
  return (a.to(torch::kFloat64) - b.to(torch::kFloat64)).abs().max().item<double>();
}

class BlocksTest : public ::testing::Test {
 protected:
  torch::Tensor Randn(std::vector<int64_t> shape) { return at::randn(shape, gen_); }
  at::Generator gen_ = at::make_generator<at::CPUGeneratorImpl>(1234);
  c10::InferenceMode guard_;
};

TEST_F(BlocksTest, ChunkedGatedDeltaRuleMatchesRecurrent) {
  const int64_t b = 2, t = 50, hk = 2, hv = 4, dk = 8, dv = 6;
  torch::Tensor q = Randn({b, t, hk, dk}), k = Randn({b, t, hk, dk}), v = Randn({b, t, hv, dv});
  torch::Tensor g = -at::softplus(Randn({b, t, hv}));  // <= 0
  torch::Tensor beta = at::sigmoid(Randn({b, t, hv}));
  torch::Tensor init = Randn({b, hv, dk, dv}) * 0.1;
  for (int64_t chunk : {16, 64}) {
    for (const torch::Tensor& s0 : {torch::Tensor(), init}) {
      DeltaRuleOutput fast = ChunkedGatedDeltaRule(q, k, v, g, beta, s0, chunk);
      DeltaRuleOutput slow = RecurrentGatedDeltaRule(q, k, v, g, beta, s0);
      EXPECT_LT(MaxDiff(fast.out, slow.out), 1e-4) << "chunk " << chunk;
      EXPECT_LT(MaxDiff(fast.state, slow.state), 1e-4) << "chunk " << chunk;
    }
  }
}

// Heads are independent: running the rule over groups of heads (bounded
// temporaries at long T) gives the same bits as all heads at once.
TEST_F(BlocksTest, ChunkedGatedDeltaRuleHeadGroupsChangeNoNumber) {
  const int64_t b = 2, t = 70, hk = 3, hv = 6, dk = 8, dv = 6;
  for (torch::ScalarType dtype : {torch::kFloat32, torch::kBFloat16}) {
    torch::Tensor q = Randn({b, t, hk, dk}).to(dtype), k = Randn({b, t, hk, dk}).to(dtype);
    torch::Tensor v = Randn({b, t, hv, dv}).to(dtype);
    torch::Tensor g = -at::softplus(Randn({b, t, hv})).to(dtype), beta = at::sigmoid(Randn({b, t, hv})).to(dtype);
    torch::Tensor init = Randn({b, hv, dk, dv}) * 0.1;
    for (const torch::Tensor& s0 : {torch::Tensor(), init}) {
      DeltaRuleOutput all = ChunkedGatedDeltaRule(q, k, v, g, beta, s0, 16, std::numeric_limits<int64_t>::max());
      // b * t * max(dk, dv) elements per head: groups of 2 heads (one key head), then 4 (a ragged last group).
      for (int64_t heads : {2, 4}) {
        DeltaRuleOutput grouped = ChunkedGatedDeltaRule(q, k, v, g, beta, s0, 16, heads * b * t * dk);
        EXPECT_TRUE(at::equal(grouped.out, all.out)) << "heads " << heads;
        EXPECT_TRUE(at::equal(grouped.state, all.state)) << "heads " << heads;
        EXPECT_EQ(grouped.out.sizes(), all.out.sizes());
      }
    }
  }
}

TEST_F(BlocksTest, GatedDeltaRuleSplitsAcrossCalls) {
  const int64_t b = 1, t = 40, h = 2, d = 8;
  torch::Tensor q = Randn({b, t, h, d}), k = Randn({b, t, h, d}), v = Randn({b, t, h, d});
  torch::Tensor g = -at::softplus(Randn({b, t, h})), beta = at::sigmoid(Randn({b, t, h}));
  DeltaRuleOutput whole = ChunkedGatedDeltaRule(q, k, v, g, beta, {}, 16);
  auto part = [&](int64_t s, int64_t n) {
    return std::vector<torch::Tensor>{q.narrow(1, s, n), k.narrow(1, s, n), v.narrow(1, s, n), g.narrow(1, s, n),
                                      beta.narrow(1, s, n)};
  };
  auto a = part(0, 23), c = part(23, 17);
  DeltaRuleOutput first = ChunkedGatedDeltaRule(a[0], a[1], a[2], a[3], a[4], {}, 16);
  DeltaRuleOutput second = ChunkedGatedDeltaRule(c[0], c[1], c[2], c[3], c[4], first.state, 16);
  EXPECT_LT(MaxDiff(at::cat({first.out, second.out}, 1), whole.out), 1e-4);
  EXPECT_LT(MaxDiff(second.state, whole.state), 1e-4);
}

TEST_F(BlocksTest, ChunkedSsdMatchesSequential) {
  const int64_t b = 2, t = 45, h = 4, p = 5, g = 2, n = 6;
  torch::Tensor x = Randn({b, t, h, p}), B = Randn({b, t, g, n}), C = Randn({b, t, g, n});
  torch::Tensor dt = at::softplus(Randn({b, t, h}));
  torch::Tensor A = -at::exp(Randn({h}) * 0.5);
  torch::Tensor init = Randn({b, h, p, n});
  for (int64_t chunk : {8, 16, 64}) {
    for (const torch::Tensor& s0 : {torch::Tensor(), init}) {
      SsdOutput fast = ChunkedSsdScan(x, dt, A, B, C, s0, chunk);
      SsdOutput slow = SequentialSsdScan(x, dt, A, B, C, s0);
      EXPECT_LT(MaxDiff(fast.out, slow.out), 1e-4) << "chunk " << chunk;
      EXPECT_LT(MaxDiff(fast.state, slow.state), 1e-4) << "chunk " << chunk;
    }
  }
}

// The chunked SSD as it was written before PerMatrixMatmul and the fused
// decay kernel (batched at::matmul, masked cumsum): the product must equal it
// bit for bit, since both make the same roundings.
SsdOutput BatchedChunkedSsdScan(const torch::Tensor& x_in, const torch::Tensor& dt_in, const torch::Tensor& A,
                                const torch::Tensor& B_in, const torch::Tensor& C_in, const torch::Tensor& initial,
                                int64_t L) {
  torch::Tensor x = x_in.to(torch::kFloat32), dt = dt_in.to(torch::kFloat32);
  torch::Tensor Bs = B_in.to(torch::kFloat32), Cs = C_in.to(torch::kFloat32);
  const int64_t b = x.size(0), t = x.size(1), h = x.size(2), p = x.size(3), g = Bs.size(2), n = Bs.size(3);
  const int64_t r = h / g, pad = (L - t % L) % L, tp = t + pad, nc = tp / L;
  auto chunk = [&](const torch::Tensor& v) {
    return at::constant_pad_nd(v, {0, 0, 0, 0, 0, pad}).view({b, nc, L, v.size(2), v.size(3)}).permute({0, 3, 1, 2, 4});
  };
  torch::Tensor xc = chunk(x).reshape({b, g, r, nc, L, p});
  torch::Tensor Bc = chunk(Bs).unsqueeze(2), Cc = chunk(Cs).unsqueeze(2);
  torch::Tensor dtc = at::constant_pad_nd(dt, {0, 0, 0, pad}).view({b, nc, L, g, r}).permute({0, 3, 4, 1, 2});
  torch::Tensor a = dtc * A.to(torch::kFloat32).view({1, g, r, 1, 1});
  torch::Tensor a_cum = a.cumsum(-1);
  torch::Tensor xdt = xc * dtc.unsqueeze(-1);
  auto bopts = at::TensorOptions().dtype(at::kBool);
  std::vector<int64_t> sizes = a.sizes().vec();
  sizes.push_back(L);
  torch::Tensor seg = a.unsqueeze(-1).expand(sizes).masked_fill(at::ones({L, L}, bopts).tril(-1).logical_not(), 0.0);
  seg = seg.cumsum(-2).masked_fill(at::ones({L, L}, bopts).tril(0).logical_not(),
                                   -std::numeric_limits<double>::infinity());
  torch::Tensor cb = at::matmul(Cc, Bc.transpose(-1, -2));
  torch::Tensor y_diag = at::matmul(cb * seg.exp(), xdt);
  torch::Tensor decay_to_end = (a_cum.narrow(-1, L - 1, 1) - a_cum).exp().unsqueeze(-1);
  torch::Tensor chunk_states = at::matmul((xdt * decay_to_end).transpose(-1, -2), Bc);
  torch::Tensor chunk_decay = a_cum.select(-1, L - 1).exp().unsqueeze(-1).unsqueeze(-1);
  torch::Tensor state =
      initial.defined() ? initial.to(torch::kFloat32).view({b, g, r, p, n}) : at::zeros({b, g, r, p, n}, x.options());
  std::vector<torch::Tensor> prev;
  for (int64_t i = 0; i < nc; ++i) {
    prev.push_back(state);
    state = state * chunk_decay.select(3, i) + chunk_states.select(3, i);
  }
  torch::Tensor y_off = at::matmul(Cc, at::stack(prev, 3).transpose(-1, -2)) * a_cum.exp().unsqueeze(-1);
  torch::Tensor y = (y_diag + y_off).reshape({b, h, nc, L, p}).permute({0, 2, 3, 1, 4}).reshape({b, tp, h, p});
  return {y.narrow(1, 0, t).contiguous(), state.reshape({b, h, p, n})};
}

TEST_F(BlocksTest, ChunkedSsdEqualsTheBatchedFormBitForBit) {
  // Falcon-H1-0.5B's head sizes (and a smaller grouped case), one and two
  // intra-op threads, with and without padding and an initial state.
  struct Shape {
    int64_t b, t, h, p, g, n, chunk;
  };
  const int previous_threads = at::get_num_threads();
  for (int threads : {1, 2}) {
    at::set_num_threads(threads);
    for (const Shape& z : {Shape{1, 300, 24, 64, 1, 128, 128}, Shape{2, 45, 8, 16, 2, 32, 16}}) {
      torch::Tensor x = Randn({z.b, z.t, z.h, z.p}), B = Randn({z.b, z.t, z.g, z.n}), C = Randn({z.b, z.t, z.g, z.n});
      torch::Tensor dt = at::softplus(Randn({z.b, z.t, z.h}));
      torch::Tensor A = -at::exp(Randn({z.h}) * 0.5);
      for (const torch::Tensor& s0 : {torch::Tensor(), Randn({z.b, z.h, z.p, z.n})}) {
        SsdOutput fast = ChunkedSsdScan(x, dt, A, B, C, s0, z.chunk);
        SsdOutput batched = BatchedChunkedSsdScan(x, dt, A, B, C, s0, z.chunk);
        EXPECT_TRUE(at::equal(fast.out, batched.out))
            << "threads " << threads << " t " << z.t << " max diff " << MaxDiff(fast.out, batched.out);
        EXPECT_TRUE(at::equal(fast.state, batched.state)) << "threads " << threads << " t " << z.t;
      }
    }
  }
  at::set_num_threads(previous_threads);
}

TEST_F(BlocksTest, PerMatrixMatmulEqualsMatmulBitForBit) {
  const int previous_threads = at::get_num_threads();
  torch::Tensor m = Randn({2, 3, 96, 80}), k = Randn({2, 3, 80, 64});
  torch::Tensor shared = Randn({2, 1, 80, 64});                         // broadcast over dim 1
  torch::Tensor strided = Randn({2, 64, 3, 80}).permute({0, 2, 3, 1});  // [2, 3, 80, 64], rows strided
  torch::Tensor transposed = Randn({2, 3, 64, 80}).transpose(-1, -2);   // columns contiguous
  torch::Tensor tiny_a = Randn({4, 3, 5}), tiny_b = Randn({4, 5, 6});   // the batched call (too small to spread)
  for (int threads : {1, 2}) {
    at::set_num_threads(threads);
    for (const torch::Tensor& rhs : {k, shared, strided, transposed}) {
      torch::Tensor expected = at::matmul(m, rhs), got = PerMatrixMatmul(m, rhs);
      EXPECT_EQ(got.sizes(), expected.sizes());
      EXPECT_TRUE(at::equal(got, expected)) << "threads " << threads << " strides " << rhs.strides();
    }
    EXPECT_TRUE(at::equal(PerMatrixMatmul(strided.transpose(-1, -2), m.transpose(-1, -2)),
                          at::matmul(strided.transpose(-1, -2), m.transpose(-1, -2))));
    EXPECT_TRUE(at::equal(PerMatrixMatmul(tiny_a, tiny_b), at::matmul(tiny_a, tiny_b)));
  }
  at::set_num_threads(previous_threads);
}

TEST_F(BlocksTest, PerMatrixSolveEqualsBatchedSolveBitForBit) {
  // The Gated DeltaNet's UT transform: [B, H, C, L, L] unit lower systems, [B, H, C, L, 2D] right-hand sides.
  const int previous_threads = at::get_num_threads();
  torch::Tensor a = Randn({2, 3, 4, 64, 64}) * 0.1, rhs = Randn({2, 3, 4, 64, 96});
  torch::Tensor strided_rhs = Randn({2, 3, 4, 96, 64}).transpose(-1, -2);
  for (int threads : {1, 2}) {
    at::set_num_threads(threads);
    for (const torch::Tensor& b : {rhs, strided_rhs}) {
      torch::Tensor expected =
          at::linalg_solve_triangular(a, b, /*upper=*/false, /*left=*/true, /*unitriangular=*/true);
      torch::Tensor got = PerMatrixSolveUnitLower(a, b);
      EXPECT_EQ(got.sizes(), expected.sizes());
      EXPECT_TRUE(at::equal(got, expected)) << "threads " << threads << " strides " << b.strides();
    }
  }
  at::set_num_threads(previous_threads);
}

TEST_F(BlocksTest, CausalConvStateCarriesAcrossCalls) {
  CausalConv1d conv(6, 4, true);
  conv->Initialize(0.5, gen_);
  torch::Tensor x = Randn({2, 6, 11});
  auto [whole, whole_state] = conv->forward(x, {});
  auto [a, sa] = conv->forward(x.narrow(2, 0, 2), {});  // shorter than the kernel
  auto [b, sb] = conv->forward(x.narrow(2, 2, 1), sa);
  auto [c, sc] = conv->forward(x.narrow(2, 3, 8), sb);
  EXPECT_LT(MaxDiff(at::cat({a, b, c}, 2), whole), 1e-6);
  EXPECT_LT(MaxDiff(sc, whole_state), 1e-6);
}

// The channels-last multiply-adds against at::conv1d(groups = C) (the
// oracle), float32 and bfloat16, with and without bias, from a projection's
// transposed (non-contiguous) output and with a carried state. On x86-64 AVX2
// the two are bit-identical (the same float32 accumulation order); the bound
// allows one rounding of the output dtype elsewhere.
TEST_F(BlocksTest, CausalConvMatchesDepthwiseConv1d) {
  const int64_t c = 40, k = 4;
  int exact = 0, cases = 0;
  for (torch::ScalarType dtype : {torch::kFloat32, torch::kBFloat16}) {
    for (bool with_bias : {false, true}) {
      CausalConv1d conv(c, k, with_bias);
      conv->Initialize(0.5, gen_);
      if (with_bias) conv->bias.copy_(Randn({c}) * 0.1);
      conv->to(dtype);
      for (int64_t t : {1, 3, 37}) {
        for (bool with_state : {false, true}) {
          torch::Tensor x = Randn({2, t, c}).to(dtype).transpose(1, 2);  // [B, C, T], strided like the callers'
          torch::Tensor state = with_state ? Randn({2, c, k - 1}).to(dtype) : torch::Tensor();
          auto [y, new_state] = conv->forward(x, state);
          torch::Tensor xs = with_state ? at::cat({state, x}, 2) : at::constant_pad_nd(x, {k - 1, 0});
          torch::Tensor want = at::silu(
              at::conv1d(xs, conv->weight, conv->bias, at::IntArrayRef{1}, at::IntArrayRef{0}, at::IntArrayRef{1}, c));
          ASSERT_EQ(y.sizes(), want.sizes());
          ASSERT_EQ(y.scalar_type(), dtype);
          const double bound = dtype == torch::kFloat32 ? 1e-6 : 1.6e-2;  // one bfloat16 ulp at |y| < 2
          EXPECT_LT(MaxDiff(y, want), bound) << "dtype " << dtype << " bias " << with_bias << " t " << t;
          EXPECT_TRUE(at::equal(new_state, xs.narrow(2, t, k - 1)));
          exact += at::equal(y.contiguous(), want.contiguous());
          ++cases;
        }
      }
    }
  }
  std::printf("CausalConv: %d of %d cases bit-identical to at::conv1d\n", exact, cases);
}

TEST_F(BlocksTest, RotaryPartialLeavesTailUntouched) {
  RotaryEmbedding rope({.head_dim = 16, .theta = 10000.0, .partial_factor = 0.25});
  ASSERT_EQ(rope.rotary_dim(), 4);
  auto [cos, sin] = rope.Tables(3, 5, torch::kCPU, torch::kFloat32);
  torch::Tensor x = Randn({1, 2, 5, 16});
  torch::Tensor y = ApplyRotary(x, cos, sin);
  EXPECT_EQ(MaxDiff(y.narrow(-1, 4, 12), x.narrow(-1, 4, 12)), 0.0);
  EXPECT_GT(MaxDiff(y.narrow(-1, 0, 4), x.narrow(-1, 0, 4)), 1e-3);
  // Rotation preserves the norm of each rotated pair.
  EXPECT_LT(MaxDiff(y.narrow(-1, 0, 4).norm(2, -1), x.narrow(-1, 0, 4).norm(2, -1)), 1e-5);
}

// Stateful mixers: feeding a sequence in pieces equals feeding it whole.
void ExpectIncrementalMatches(MixerImpl& m, const torch::Tensor& x, const RotaryEmbedding* rope, double tol) {
  const int64_t t = x.size(1);
  auto inputs = [&](int64_t offset, int64_t len) {
    MixerInputs in;
    in.offset = offset;
    if (rope) std::tie(in.cos, in.sin) = rope->Tables(offset, len, torch::kCPU, torch::kFloat32);
    return in;
  };
  torch::Tensor whole = m.Forward(x, inputs(0, t), nullptr);
  MixerState state;
  std::vector<torch::Tensor> parts;
  int64_t pos = 0;
  for (int64_t len : {5, 1, 1, 7, 1}) {
    parts.push_back(m.Forward(x.narrow(1, pos, len), inputs(pos, len), &state));
    pos += len;
  }
  parts.push_back(m.Forward(x.narrow(1, pos, t - pos), inputs(pos, t - pos), &state));
  EXPECT_LT(MaxDiff(at::cat(parts, 1), whole), tol);
}

// The eager form: grouped-query keys/values expanded to every head, the full
// [T x S] score matrix, one mask, one softmax.
torch::Tensor NaiveCausalAttention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v) {
  const int64_t b = q.size(0), h = q.size(1), t = q.size(2), d = q.size(3), s = k.size(2), rep = h / k.size(1);
  torch::Tensor ke = k.repeat_interleave(rep, 1), ve = v.repeat_interleave(rep, 1);  // [B, H, S, D]
  torch::Tensor scores = at::matmul(q, ke.transpose(2, 3)) / std::sqrt(static_cast<double>(d));
  torch::Tensor future = at::ones({t, s}, at::kBool).triu(s - t + 1);
  scores = scores.masked_fill(future, -std::numeric_limits<double>::infinity());
  torch::Tensor probs = at::softmax(scores, -1, at::kFloat).to(q.scalar_type());
  return at::matmul(probs, ve).transpose(1, 2).reshape({b, t, h * d});
}

TEST_F(BlocksTest, BlockedCausalAttentionMatchesNaive) {
  const int64_t b = 2, h = 6, d = 8;
  for (int64_t kv : {1, 3, 6}) {
    for (int64_t past : {0, 5}) {
      const int64_t t = 37, s = past + t;
      torch::Tensor q = Randn({b, h, t, d}), k = Randn({b, kv, s, d}), v = Randn({b, kv, s, d});
      torch::Tensor want = NaiveCausalAttention(q, k, v);
      // Blocks of 1, 2, 13 and all 37 queries.
      for (int64_t block : {int64_t{1}, int64_t{2}, int64_t{13}, int64_t{1000}}) {
        torch::Tensor got = CausalAttention(q, k, v, block * b * h * s);
        EXPECT_LT(MaxDiff(got, want), 1e-5) << "kv " << kv << " past " << past << " block " << block;
      }
      torch::Tensor got16 =
          CausalAttention(q.to(at::kBFloat16), k.to(at::kBFloat16), v.to(at::kBFloat16), 13 * b * h * s);
      EXPECT_EQ(got16.scalar_type(), at::kBFloat16);
      EXPECT_LT(MaxDiff(got16, want), 0.05) << "bf16 kv " << kv << " past " << past;
    }
  }
  // Non-contiguous inputs, as the block passes them (transposed [B, T, H, D]).
  torch::Tensor q = Randn({1, 9, 4, d}).transpose(1, 2), k = Randn({1, 9, 2, d}).transpose(1, 2);
  torch::Tensor v = Randn({1, 9, 2, d}).transpose(1, 2);
  EXPECT_LT(MaxDiff(CausalAttention(q, k, v, 3 * 4 * 9), NaiveCausalAttention(q, k, v)), 1e-5);
}

TEST_F(BlocksTest, AttentionIncrementalMatchesFull) {
  AttentionImpl attn({.hidden = 32,
                      .heads = 4,
                      .kv_heads = 2,
                      .head_dim = 8,
                      .qkv_bias = true,
                      .qk_norm = true,
                      .output_gate = true,
                      .key_multiplier = 0.7});
  attn.Initialize(0.2, gen_);
  RotaryEmbedding rope({.head_dim = 8, .theta = 10000.0, .partial_factor = 0.5});
  ExpectIncrementalMatches(attn, Randn({2, 20, 32}), &rope, 1e-5);
}

TEST_F(BlocksTest, GatedDeltaNetIncrementalMatchesFull) {
  GatedDeltaNetImpl gdn({.hidden = 32,
                         .num_k_heads = 2,
                         .num_v_heads = 4,
                         .k_head_dim = 8,
                         .v_head_dim = 8,
                         .conv_kernel = 4,
                         .chunk_size = 8});
  gdn.Initialize(0.2, gen_);
  ExpectIncrementalMatches(gdn, Randn({2, 20, 32}), nullptr, 1e-4);
}

TEST_F(BlocksTest, Mamba2IncrementalMatchesFull) {
  Mamba2Impl m({.hidden = 32,
                .d_ssm = 32,
                .n_heads = 4,
                .head_dim = 8,
                .n_groups = 2,
                .d_state = 8,
                .conv_kernel = 4,
                .chunk_size = 8,
                .segment_multipliers = {0.9, 1.1, 0.8, 1.2, 0.5}});
  m.Initialize(0.2, gen_);
  ExpectIncrementalMatches(m, Randn({2, 20, 32}), nullptr, 1e-4);
}

}  // namespace
}  // namespace ablate::models
