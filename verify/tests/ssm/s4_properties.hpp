#pragma once
/// \file
/// Properties of ssm/s4, written once and used twice: by the GoogleTest/RapidCheck suites (s4_*_test.cpp) and by
/// `seqref report` (s4_checks.cpp). Each returns what it measured; the caller asserts or tabulates.
/// Errors are normwise relative (verify/support/error.hpp), in units of u of the precision under test.

#include "seqref/opt/ssm/s4.hpp"
#include "seqref/ref/ssm/s4.hpp"
#include "verify/support/harness.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace seqref::verify::s4 {

inline constexpr std::string_view kMethod = "ssm/s4";

/// A measurement judged by the tolerance table.

/// HiPPO-LegS (A, B) with a seeded C ~ N(0, 1) (1 x N), in precision S.
template <class S>
struct LegsSystem {
  Matrix<S> A, B, C;
};
template <class S>
LegsSystem<S> legs_system(Index N, std::uint64_t seed);

// ---- tiers 1-2: the reference -----------------------------------------------------------------------------------

/// The S4 identity at Oracle precision: ‖K_DPLR − K_Krylov‖/‖K_Krylov‖ with both kernels at 50 digits (NPLR by
/// the Oracle eigensolver, C̃, Woodbury, Cauchy, iDFT, z = −1 limit vs plain powers). Returns the relative error
/// (a correct derivation gives ~1e−45; any algebra slip gives O(1)). Keep N·L small.
double dplr_identity_oracle(Index N, Index L, double dt, std::uint64_t seed);

/// f64 reference route vs Oracle Krylov powers: "dplr" (s4_kernel_dplr of legs_nplr<double>) or "krylov"
/// (krylov_kernel<double>). Judged by rows ("dplr_kernel" | "krylov", f64, ref).
Measured reference_vs_oracle(Index N, Index L, double dt, std::uint64_t seed, std::string_view route);

/// ‖V(Λ − PQ*)V* − A‖/‖A‖ and ‖V*V − I‖ for legs_nplr<S>(N), in units of u of S.
struct NplrQuality {
  double reconstruction_u, unitarity_u;
};
template <class S>
NplrQuality nplr_quality(Index N);

/// Length doubling: the first L taps of the kernel for 2L equal the kernel for L (f64, DPLR route; the C̃ of each
/// length from its own Ā^L), and C̃_{2L} = C̃_L (I + Ā^L). Row ("length_doubling", f64, ref).
Measured length_doubling(Index N, Index L, double dt, std::uint64_t seed);

/// Step mode = convolution mode: the recurrence x_k = Āx_{k−1} + B̄u_k vs causal_conv_fft(K_DPLR, u) (f64), and
/// causal_conv_direct; the worse of the two, judged by ("step_vs_conv", f64, ref).
Measured step_vs_conv(Index N, Index L, double dt, std::uint64_t seed);

/// The S4 paper's point: the kernel through a numerical eigendecomposition of LegS (f64) against the Oracle
/// Krylov kernel, beside the NPLR route (f64), for each N.
struct EigenPoint {
  Index N;
  double err_naive;  ///< relative error of eigendecomposition_kernel<double>
  double err_nplr;   ///< relative error of the NPLR/DPLR route in double
};
std::vector<EigenPoint> eigendecomposition_curve(const std::vector<Index>& Ns, Index L, double dt, std::uint64_t seed);

/// The post's eigenvector analysis of −A, A = HiPPO-LegS (kexue.fm/archives/10162, "特征向量"), at Oracle precision,
/// d = N states, 0-based n = 0..d−1 as in the post. For each eigenvalue λ = 1..d of −A the eigenvector is found
/// independently of the post's algebra, by forward substitution of the lower-triangular (A + λI)v = 0
/// (v_n = 0 for n < λ−1, v_{λ−1} = 1, then rows n ≥ λ); S_n = Σ_{k≤n} √(2k+1) v_k is scaled to S_{d−1} = 1 and set
/// beside the post's closed form S_n = (−1)^{d−n−1} (d−λ)!(n+λ)! / ((d+λ−1)!(n−λ+1)!).
struct LegsEigenvectorCheck {
  double closed_form_rel;     ///< max over λ and n ≥ λ−1 of |S_n − closed form| / |closed form|
  double eigen_residual;      ///< max over λ of ‖(−A − λI)v‖ / ‖v‖
  double max_abs_below;       ///< max over λ ≥ 2 of |S_n|, n ≤ λ−2 (the corrected statement: exactly 0)
  double min_abs_at_lm1;      ///< min over λ of |S_{λ−1}| (the post says S_{λ−1} = 0)
  double at_lm1_formula_rel;  ///< max over λ of | |S_{λ−1}| − (d−λ)!(2λ−1)!/(d+λ−1)! | / that value
};
LegsEigenvectorCheck legs_eigenvector_check(Index d);

/// The post's asymptotic |S_{d/3}| = ((2d/3)!)² / (4d/3 − 1)! ~ O(√d · 2^{−4d/3}), d a multiple of 3, evaluated
/// exactly (50 digits) and divided by three candidate envelopes.
struct SThirdPoint {
  Index d;
  double log2_s;            ///< log2 |S_{d/3}| (n = λ = d/3)
  double over_sqrt_d;       ///< |S_{d/3}| / (√d · 2^{−4d/3}): the post's envelope; grows like d
  double over_d32;          ///< |S_{d/3}| / (d^{3/2} · 2^{−4d/3}): → 2√π (2/3)^{3/2} ≈ 1.9295
  double prev_over_sqrt_d;  ///< |S_{d/3−1}| / (√d · 2^{−4d/3}) (n = λ−1): → 3√π (2/3)^{3/2} ≈ 2.8944
};
std::vector<SThirdPoint> s_third_asymptotics(const std::vector<Index>& ds);

/// S4D: the Vandermonde kernel (ZOH closed form, f64) vs Krylov powers of the real 2N-state realization discretized
/// by the matrix exponential at Oracle precision. Row ("s4d_kernel", f64, ref).
Measured s4d_vs_krylov(ref::S4dInit init, Index N, Index L, double dt, std::uint64_t seed);

/// Reference Cauchy kernel f64 vs Oracle. Row ("cauchy", f64, ref).
Measured cauchy_reference_vs_oracle(Index N, Index nodes, std::uint64_t seed);

// ---- tier 3: optimized vs oracle, relative to the reference ------------------------------------------------------

/// cpu float (oracle: double reference) or cpu double (oracle: Oracle reference; keep sizes small). Inputs:
/// w ~ complex N(0,1), λ = S4D-Lin modes with per-channel jitter, nodes with Re z ∈ [0, 1] (away from the poles).
template <class S>
Measured cpu_cauchy_vs_oracle(Index channels, Index N, Index nodes, std::uint64_t seed);

/// The FlashAttention rule for the f32 Cauchy kernel: its error against the f64 reference beside that of a
/// straightforward f32 implementation as the peers write it (each term w_n/(z_k − λ_n) by std::complex<float>
/// division, the N terms reduced pairwise, as NumPy's sum and torch's cascade sum do), and beside the f32
/// reference (one running sum: error ~N u). Inputs: `s4` = cauchy_inputs (S4-scaled S4D-Lin poles, imaginary nodes),
/// `random` = w, λ, z complex normal with Re λ ∈ [−1, 0], Re z ∈ [0, 1] (no input-rounding floor, so the summation
/// order is what is measured). Judged by ("cauchy_vs_peer", f32, cpu): err_cpu ≤ K·max(err_peer, u).
struct CauchyPeer {
  Measured judged;
  double err_cpu_u, err_peer_u, err_ref_u;
};
CauchyPeer cpu_cauchy_vs_peer(Index channels, Index N, Index nodes, std::uint64_t seed, bool random_inputs);

/// cpu Vandermonde kernel on S4D modes (ZOH of an initialisation, C random) vs the reference.
template <class S>
Measured cpu_vandermonde_vs_oracle(Index channels, Index N, Index L, std::uint64_t seed,
                                   ref::S4dInit init = ref::S4dInit::lin);

/// cpu full S4 DPLR kernel (LegS NPLR, per-channel C and dt) vs the reference s4_kernel_dplr.
template <class S>
Measured cpu_s4_vs_oracle(Index channels, Index N, Index L, std::uint64_t seed);

/// cuda fp32 Cauchy / Vandermonde vs the double reference (requires a device).
Measured cuda_cauchy_vs_oracle(Index channels, Index N, Index nodes, std::uint64_t seed);
Measured cuda_vandermonde_vs_oracle(Index channels, Index N, Index L, std::uint64_t seed);

}  // namespace seqref::verify::s4
