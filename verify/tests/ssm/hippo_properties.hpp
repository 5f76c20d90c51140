#pragma once
/// \file
/// Properties of ssm/hippo, written once and used twice: by the GoogleTest/RapidCheck suites and by `seqref report`
/// (hippo_checks.cpp). Each returns what it measured; the caller asserts or tabulates. The two continuous oracles
/// live here: the projection by Gauss–Legendre quadrature (Boost.Math) and the ODE by Boost.Odeint.

#include "seqref/opt/ssm/hippo.hpp"
#include "seqref/ref/ssm/hippo.hpp"
#include "verify/support/harness.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace seqref::verify::hippo {

inline constexpr std::string_view kMethod = "ssm/hippo";

/// A measurement judged by the tolerance table.

/// The post's test signal (10114): u(t) = sin 3t + ½ cos(7t²) e^{−t}.
double post_signal(double t);

// ---- continuous oracles ---------------------------------------------------------------------------------------------

/// Coefficients of the orthogonal projection of f on [a, b] onto the basis ψ_n of (measure, convention) (window
/// position s ∈ [−1, 1] ↔ τ = a + (b − a)(s + 1)/2): x_n = ∫ f ψ_n ds / ∫ ψ_n² ds, both by 200-point Gauss–Legendre
/// quadrature (exact for polynomials of degree < 400; 1e-15-accurate for the smooth test signals here).
std::vector<double> project(ref::HippoMeasure measure, ref::HippoConvention convention, Index N,
                            const std::function<double(double)>& f, double a, double b);

/// Root-mean-square of f − Σ x_n ψ_n over [a, b] (by the same quadrature), and the maximum over 2001 points.
struct ReconstructionError {
  double rms = 0, max = 0;
};
ReconstructionError reconstruction_error(ref::HippoMeasure measure, ref::HippoConvention convention,
                                         const std::vector<double>& x, const std::function<double(double)>& f, double a,
                                         double b);

/// x(t1) of the time-invariant system x' = Ax + Bu(t) (LegT, FouT) from x(t0) = x0, by Boost.Odeint (adaptive
/// Runge–Kutta–Fehlberg 7(8), abs/rel tolerance `tol`).
std::vector<double> ode_lti(const ref::ContinuousSystem<double>& sys, const std::function<double(double)>& u,
                            std::vector<double> x0, double t0, double t1, double tol = 1e-13);

/// x(T) of the LegS system t x' = Ax + Bu(t) from t0 → 0⁺ with x(t0) = the coefficients of the constant u(0)
/// (error O(t0)), integrated in log time τ = ln t (dx/dτ = Ax + Bu(e^τ): not stiff) by Boost.Odeint.
std::vector<double> ode_legs(const ref::ContinuousSystem<double>& sys, const std::function<double(double)>& u, double T,
                             double t0 = 1e-10, double tol = 1e-13);

// ---- the post's reconstruction experiment ---------------------------------------------------------------------------

struct ExperimentRow {
  Index N = 0;
  double projection_rms = 0;  ///< best approximation (quadrature projection)
  double ode_rms = 0;         ///< the memory's own state: the ODE from t = 0 (x(0) = 0 for LegT), by Odeint
  double ode_max = 0;
  double discrete_rms = 0;  ///< the bilinear discrete memory with `steps` steps (LegT: ref::discretize; LegS:
                            ///< ref::legs_online_fast, 1/k weight)
};
/// The post's signal on [0, 1], memory read at t = 1 (LegT window 1, post convention; LegS post convention).
std::vector<ExperimentRow> reconstruction_experiment(ref::HippoMeasure measure, const std::vector<Index>& Ns,
                                                     Index steps);

// ---- tier 2: reference vs Oracle, and structure ---------------------------------------------------------------------

/// The double transition of every defined (measure, convention) pair vs the Oracle one, worst case.
Measured transition_vs_oracle(Index N);

/// legs_online_fast (O(N) per step) in double vs the same at Oracle precision, for u ~ N(0, 1).
Measured legs_online_vs_oracle(Index N, Index L, ref::LegsScheme scheme, ref::LegsWeight weight, std::uint64_t seed);

/// O(N) solve vs the dense solve of (I − λA)z = v at Oracle precision; error of the double O(N) solve in u.
Measured legs_solve_vs_dense(Index N, double lambda, std::uint64_t seed);

/// Max over k of the relative difference between legs_online(dt = 1) and legs_online(dt) in double, in units of u:
/// the step ε cancels from εA/t (timescale invariance), so the difference is rounding only.
Measured timescale_invariance(Index N, Index L, double dt, ref::LegsScheme scheme, ref::LegsWeight weight,
                              std::uint64_t seed);

/// ‖A + ½vvᵀ + ½I + (A + ½vvᵀ + ½I)ᵀ‖_F / ‖A‖_F for LegS (paper) in double, in u.
double legs_skew_defect_u(Index N);

// ---- tier 3: optimized vs oracle, relative to the reference ---------------------------------------------------------

/// cpu float (oracle: double ref::legs_online_fast) or cpu double (oracle: Oracle ref; keep C·L·N small).
template <class S>
/// b_scale: B_n = b_scale·√(2n+1); values other than 1 (exact in binary: 0.5, 1.5) make the first step's B_0 u_0
/// differ from u_0, so a kernel that drops the scale on one branch fails.
Measured cpu_vs_oracle(Index channels, Index L, Index N, bool log_weight, std::uint64_t seed, double b_scale = 1.0);

/// cuda fp32 vs the double reference, relative to the float reference. Requires a device.
Measured cuda_vs_oracle(Index channels, Index L, Index N, bool log_weight, std::uint64_t seed);

}  // namespace seqref::verify::hippo
