#pragma once
/// \file
/// Properties of ssm/rtf, written once and used by the tests (rtf_ref_test, rtf_equiv_test, rtf_cuda_test) and by
/// `seqref report` (rtf_checks.cpp). Each returns what it measured; the caller asserts or tabulates.
///
/// Test systems: a stable denominator built from its poles, 1 + a_1 z + … + a_N z^N = Π_i (1 − p_i z) with
/// |p_i| ≤ rho < 1 (real poles and conjugate pairs), so the impulse response decays like rho^k; numerators
/// N(0, 1). Dense systems: Ā = rho·G/‖G‖_F (G Gaussian, so every |eigenvalue| ≤ rho), B̄, C̄ Gaussian.

#include "seqref/opt/ssm/rtf.hpp"
#include "seqref/ref/ssm/rtf.hpp"
#include "verify/support/harness.hpp"

#include <cstdint>
#include <string>

namespace seqref::verify::rtf {

inline constexpr std::string_view kMethod = "ssm/rtf";

/// (a, b) with N poles of modulus in [0.2, rho] (see the file comment), in double, from the seed.
ref::RtfCoefficients<double> stable_rtf(Index N, double rho, std::uint64_t seed);

/// A dense stable SISO system of order N (spectral radius ≤ rho), in double.
ref::SisoSystem<double> stable_dense_system(Index N, double rho, std::uint64_t seed);

template <class T, class S>
ref::RtfCoefficients<T> cast(const ref::RtfCoefficients<S>& c);
template <class T, class S>
ref::SisoSystem<T> cast(const ref::SisoSystem<S>& s);

// ---- tier 2: the reference against the Oracle (errors in u of double) ------------------------------------------

/// The first-order condition number κ of eq. (2) under relative coefficient perturbations:
/// ‖((‖b‖₁ + |H_j|(1 + ‖a‖₁))/|A_j|)_j‖₂ / ‖H‖₂, A_j, B_j the polynomials at the L-th roots of unity, H = B/A.
/// Large when the denominator nearly vanishes on the unit circle (poles near it): eq. (2) then loses digits by
/// construction, whatever the FFT.
double kernel_condition(const ref::RtfCoefficients<double>& c, Index L);

/// min over channels and over the L-th roots of unity ω^j of |1 + a_1 ω^j + … + a_N ω^{jN}| / (1 + ‖a‖₁), for the
/// float-rounded coefficients the f32 properties use (long double). The rounding of any transform of the denominator
/// at one bin is O((log L + N)·u)·(1 + ‖a‖₁), so where the margin is below that the computed bin can be exactly 0 or
/// tiny, and a backend may refuse the problem ("vanishes" / "overflows") instead of returning noise.
double float_denominator_margin(Index channels, Index N, Index L, double rho, std::uint64_t seed);

/// Eq. (2) at double vs eq. (2) at Oracle (op "kernel"); the verdict is on error/κ.
Measured kernel_vs_oracle(Index N, Index L, double rho, std::uint64_t seed);

/// Eq. (2) at double vs the aliased impulse response Σ_m h_{k+mL} of the companion recurrence (eq. 3) run at
/// Oracle for as many periods as it takes the tail to fall below 1e-40 (op "kernel", error/κ): FFT kernel =
/// recurrence.
Measured kernel_vs_aliased_recurrence(Index N, Index L, double rho, std::uint64_t seed);

/// The companion recurrence's impulse response (eq. 3, O(N) steps) at double vs the dense powers C̄ Ā_c^k B̄ of the
/// companion matrices at Oracle (op "recurrence", error/κ with κ = (1 + ‖a‖₁)‖b‖₁‖w‖/‖h‖, w the response of
/// 1/A: the companion form carries w, which can dwarf h).
Measured recurrence_vs_dense_powers(Index N, Index L, double rho, std::uint64_t seed);

/// ‖(|C̄||Ā|^k|B̄|)_k‖₂ / ‖(C̄Ā^kB̄)_k‖₂, k < L: the componentwise condition of the dense kernel (>= 1; large when
/// the taps cancel).
double dense_kernel_condition(const ref::SisoSystem<double>& sys, Index L);

/// Eqs. (4)-(5) at double: rtf_kernel(rtf_from_dense(truncation_corrected(sys, L)), L) vs the dense kernel
/// C̄ Ā^k B̄ at Oracle (op "from_dense", error/κ with κ = dense_kernel_condition + kernel_condition of the exact
/// (a, b)).
Measured dense_conversion_vs_oracle(Index N, Index L, double rho, std::uint64_t seed);

/// The same chain entirely at Oracle: how far apart the two sides are, in u of double (an identity: ~1e-30 u).
double dense_conversion_identity_u(Index N, Index L, double rho, std::uint64_t seed);

/// Similarity invariance at Oracle: (a, b) of (T⁻¹ĀT, T⁻¹B̄, C̄T) vs (a, b) of (Ā, B̄, C̄), T = I + 0.5·G/‖G‖_F (cond₂ T ≤ 3);
/// the relative difference of the concatenated (a, b), in u of double (an identity: ~1e-30 u).
double similarity_invariance_u(Index N, double rho, std::uint64_t seed);

/// The same at double: (a, b) of the double-transformed system vs (a, b) of the original at Oracle, judged
/// relative to the double conversion of the untransformed system (op "similarity", tier-3 style rule).
Measured similarity_invariance_double(Index N, double rho, std::uint64_t seed);

/// a = 0 (FIR): eq. (2) at double returns b (folded modulo L when L < N) — error in u vs the exact folded b
/// (op "fir").
Measured fir_kernel(Index N, Index L, std::uint64_t seed);

// ---- the accurate range of rtf_from_dense, the lemma on the roots, the recovery of C̄ -----------------------------

/// The accuracy family of rtf_from_dense: Ā = T⁻¹ D T with D block-diagonal (2x2 rotations scaled by moduli drawn
/// uniformly in [0.5, rmax], one real pole when N is odd), T = I + 0.5·G/‖G‖_F (cond₂ T ≤ 3); B̄, C̄ N(0, 1).
/// Unlike stable_dense_system (whose eigenvalues cluster near rho/√N), its poles spread up to rmax: the
/// coefficients of det(λI − Ā) then span many orders of magnitude, which is what the conversion must survive.
ref::SisoSystem<double> spread_pole_system(Index N, double rmax, std::uint64_t seed);

/// Relative 2-norm error of rtf_kernel(rtf_from_dense(truncation_corrected(sys, L)), L), every step at precision S
/// (the system rounded to S), against the dense kernel C̄Ā^kB̄ of the double system at Oracle; sys =
/// spread_pole_system(N, rmax, seed). Throws what rtf_from_dense throws (N past its accurate range).
template <class S>
double conversion_kernel_error(Index N, Index L, double rmax, std::uint64_t seed);

/// (a, b) drawn with Σ|a_i| = s·(1 − margin) exactly in direction and sign pattern from the seed (s uniform in
/// [0, 1)); b unused (zeros). In double; converted exactly to Oracle by the caller.
std::vector<double> coefficients_in_l1_ball(Index N, double margin, std::uint64_t seed);

/// Spectral radius of the companion matrix of λ^N + a_1 λ^{N−1} + … + a_N in double (Eigen's real
/// eigensolver): an independent check of roots_inside_unit_circle away from the circle.
double companion_spectral_radius(const std::vector<double>& a);

/// The post's recovery of C̄ (C̄* = C̃*(I − Ā^L)⁻¹) applied to the companion realization (Ā_c, e_1, C̃ = b) of
/// stable_rtf(N, rho, seed), in double: the first L taps C̄Ā_c^k e_1 of the recovered system vs the L-point kernel
/// of eq. (2) at Oracle (op "recover", error/κ with κ = kernel_condition · cond₁(I − Ā_c^L)).
Measured recovered_system_reproduces_kernel(Index N, Index L, double rho, std::uint64_t seed);

// ---- tier 3: optimized vs oracle, relative to the reference -------------------------------------------------------

/// cpu::rtf_kernel at precision S over `channels` channels vs the oracle (float: the double reference; double:
/// the Oracle reference), relative to ref::rtf_kernel<S> (op "kernel", backend cpu), both errors divided by κ
/// (kernel_condition, max over channels) so that the rule's floor is κ·u. Output buffer poisoned.
template <class S>
Measured cpu_vs_oracle(Index channels, Index N, Index L, double rho, std::uint64_t seed);

/// cuda::rtf_kernel (float) vs the double reference, relative to the float reference. Requires a device.
Measured cuda_vs_oracle(Index channels, Index N, Index L, double rho, std::uint64_t seed);

}  // namespace seqref::verify::rtf
