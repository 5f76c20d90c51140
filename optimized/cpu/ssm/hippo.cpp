// HiPPO-LegS online memory on the CPU (kexue.fm/archives/10137, "计算高效"): O(N) per step, channels in SIMD lanes.
//
// For a block of W channels (W = 16 floats / 8 doubles: one AVX-512 register) the state is held as x[n][lane]. One
// step k >= 1 of the bilinear scheme is one pass over n = 0..N−1 that fuses the matvec and the solve:
//
//   cum_n = cum_{n−1} + v_n x_n                                   (Σ_{j≤n} √(2j+1) x_j)
//   r_n   = x_n + c (n x_n − v_n cum_n) + (w_k B_n) u_k           ((I + cA) x + w B u,  c = 1/(2k))
//   S_n   = a_n S_{n−1} + b_n r_n,   z_n = (S_n − S_{n−1}) / v_n  ((I − λA)⁻¹ r, λ = 1/(2(k+1)): the post's recurrence)
//
// with a_n = (1 − λn)/(1 + λ(n+1)), b_n = v_n/(1 + λ(n+1)) shared by every lane. Each pass only reads entries <= n,
// so z overwrites x in place. The arithmetic per lane is that of seqref::ref::legs_online_fast, in the same order,
// so the two differ only by contraction into FMAs. Blocks are independent: OpenMP over blocks, results independent
// of the thread count.

#include "seqref/opt/ssm/hippo.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace seqref::cpu {

namespace {

template <class S, int W>
void legs_block(const S* u, S* states, Index c0, Index lanes, Index L, Index N, const S* v, const S* Bn,
                bool log_weight, std::vector<S>& x) {
  // x: N * W scratch, lane-minor
  std::fill(x.begin(), x.end(), S(0));
  S uk[W];
  for (Index l = 0; l < W; ++l) uk[l] = l < lanes ? u[(c0 + l) * L] : S(0);
  for (Index l = 0; l < W; ++l) x[l] = Bn[0] * uk[l];  // x_1 = B_0 u_0 e_0
  auto store = [&](Index k) {
    for (Index l = 0; l < lanes; ++l) {
      S* row = states + ((c0 + l) * L + k) * N;
      for (Index n = 0; n < N; ++n) row[n] = x[n * W + l];
    }
  };
  store(0);
  for (Index k = 1; k < L; ++k) {
    const S kk = S(k);
    const S w = log_weight ? std::log((kk + S(1)) / kk) : S(1) / kk;
    const S c = S(1) / (S(2) * kk);
    const S lambda = S(1) / (S(2) * (kk + S(1)));
    for (Index l = 0; l < W; ++l) uk[l] = l < lanes ? u[(c0 + l) * L + k] : S(0);
    alignas(64) S cum[W] = {}, Sprev[W] = {};
    for (Index n = 0; n < N; ++n) {
      const S nn = S(n);
      const S denom = S(1) + lambda * nn + lambda;
      const S a = (S(1) - lambda * nn) / denom, b = v[n] / denom;
      const S wB = w * Bn[n];
      S* xn = x.data() + n * W;
#pragma omp simd
      for (Index l = 0; l < W; ++l) {
        cum[l] += v[n] * xn[l];
        const S y = nn * xn[l] - v[n] * cum[l];
        const S r = xn[l] + c * y + wB * uk[l];
        const S Sn = a * Sprev[l] + b * r;
        xn[l] = (Sn - Sprev[l]) / v[n];
        Sprev[l] = Sn;
      }
    }
    store(k);
  }
}

template <class S>
void legs_online(ConstTensorView<S> u, TensorView<S> states, LegsOnlineOptions options) {
  constexpr std::string_view fn = "seqref::cpu::hippo_legs_online";
  detail::check_legs_online_args<S>(fn, u, states, options);
  constexpr int W = 64 / static_cast<int>(sizeof(S));
  const Index C = u.heads, L = u.len, N = states.dim;
  std::vector<S> v(static_cast<std::size_t>(N)), Bn(static_cast<std::size_t>(N));
  for (Index n = 0; n < N; ++n) {
    v[static_cast<std::size_t>(n)] = std::sqrt(S(2 * n + 1));
    Bn[static_cast<std::size_t>(n)] = static_cast<S>(options.b_scale) * v[static_cast<std::size_t>(n)];
  }
  const Index blocks = (C + W - 1) / W;
#pragma omp parallel
  {
    std::vector<S> x(static_cast<std::size_t>(N * W));
#pragma omp for schedule(dynamic, 1)
    for (Index blk = 0; blk < blocks; ++blk) {
      const Index c0 = blk * W;
      legs_block<S, W>(u.data, states.data, c0, std::min<Index>(W, C - c0), L, N, v.data(), Bn.data(),
                       options.log_weight, x);
    }
  }
}

}  // namespace

void hippo_legs_online(ConstTensorView<float> u, TensorView<float> states, LegsOnlineOptions options) {
  legs_online<float>(u, states, options);
}
void hippo_legs_online(ConstTensorView<double> u, TensorView<double> states, LegsOnlineOptions options) {
  legs_online<double>(u, states, options);
}

}  // namespace seqref::cpu
