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
// so the two differ only by contraction into FMAs. The time loop, the lane blocks and the threads are the scan
// engine's (cpu/scan/engine.hpp), with this step as an opaque policy: results independent of the thread count.

#include "seqref/opt/ssm/hippo.hpp"

#include "cpu/scan/engine.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

namespace seqref::cpu {

namespace {

// The LegS online memory as a policy of the scan engine (cpu/scan/engine.hpp): opaque structure (the step is the
// fused O(N) matvec + solve, never a materialized N×N J_k, so it is not chunked in time), lanes = channels.
// Step t = 0 is x_1 = B_0 u_0 e_0 from x_0 = 0; step t = k >= 1 is the bilinear update above.
template <class S>
struct LegsPolicy {
  using Scalar = S;
  static constexpr int width =
      static_cast<int>(sizeof(S) == 4 ? blocking::hippo::lanes_f32 : blocking::hippo::lanes_f64);
  static constexpr scan::Structure structure = scan::Structure::opaque;

  const S* u;
  S* states;
  Index C, L, N;
  const S* v;
  const S* Bn;
  bool log_weight;

  Index blocks() const { return (C + width - 1) / width; }
  Index len() const { return L; }
  Index state() const { return N; }
  Index lanes(Index blk) const { return std::min<Index>(width, C - blk * width); }
  S input(Index blk, Index l, Index k) const { return l < lanes(blk) ? u[(blk * width + l) * L + k] : S(0); }

  void initial(Index, S* x) const { std::fill(x, x + N * width, S(0)); }

  void step(Index blk, Index k, S* x) const {
    constexpr int W = width;
    S uk[W];
    for (Index l = 0; l < W; ++l) uk[l] = input(blk, l, k);
    if (k == 0) {
      for (Index l = 0; l < W; ++l) x[l] = Bn[0] * uk[l];  // x_1 = B_0 u_0 e_0
      return;
    }
    const S kk = S(k);
    const S w = log_weight ? std::log((kk + S(1)) / kk) : S(1) / kk;
    const S c = S(1) / (S(2) * kk);
    const S lambda = S(1) / (S(2) * (kk + S(1)));
    alignas(64) S cum[W] = {}, Sprev[W] = {};
    for (Index n = 0; n < N; ++n) {
      const S nn = S(n);
      const S denom = S(1) + lambda * nn + lambda;
      const S a = (S(1) - lambda * nn) / denom, b = v[n] / denom;
      const S wB = w * Bn[n];
      S* xn = x + n * W;
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
  }

  void emit(Index blk, Index k, const S* x) const {
    for (Index l = 0; l < lanes(blk); ++l) {
      S* row = states + ((blk * width + l) * L + k) * N;
      for (Index n = 0; n < N; ++n) row[n] = x[n * width + l];
    }
  }
  void final(Index, const S*) const {}
};

template <class S>
void legs_online(ConstTensorView<S> u, TensorView<S> states, LegsOnlineOptions options) {
  constexpr std::string_view fn = "seqref::cpu::hippo_legs_online";
  detail::check_legs_online_args<S>(fn, u, states, options);
  const Index C = u.heads, L = u.len, N = states.dim;
  std::vector<S> v(static_cast<std::size_t>(N)), Bn(static_cast<std::size_t>(N));
  for (Index n = 0; n < N; ++n) {
    v[static_cast<std::size_t>(n)] = std::sqrt(S(2 * n + 1));
    Bn[static_cast<std::size_t>(n)] = static_cast<S>(options.b_scale) * v[static_cast<std::size_t>(n)];
  }
  scan::run(LegsPolicy<S>{u.data, states.data, C, L, N, v.data(), Bn.data(), options.log_weight});
}

}  // namespace

void hippo_legs_online(ConstTensorView<float> u, TensorView<float> states, LegsOnlineOptions options) {
  legs_online<float>(u, states, options);
}
void hippo_legs_online(ConstTensorView<double> u, TensorView<double> states, LegsOnlineOptions options) {
  legs_online<double>(u, states, options);
}

}  // namespace seqref::cpu
