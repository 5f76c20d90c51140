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
