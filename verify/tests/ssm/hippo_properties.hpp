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

// ---- the LegT figures 3.1e−2, 1.9e−4, 1.4e−5, 8.3e−7 (a reconstruction's, not the post's) -------------------------

/// The LegT figures at N = 4, 8, 16, 32 for the post's signal. They are not in posts 10114/10137 (which contain no
/// experiment): an earlier catalogue attributed them to the post. They reproduce in the setting `LegtSetting{}`.
inline constexpr double kLegtFigures[4] = {3.1e-2, 1.9e-4, 1.4e-5, 8.3e-7};
inline const std::vector<Index> kLegtFigureNs = {4, 8, 16, 32};

/// How the LegT memory is advanced from t = 0 to the horizon.
enum class LegtSolver {
  bilinear,  ///< ref::discretize bilinear, input held at the step midpoints, ref::lti_online
  zoh,       ///< ref::discretize ZOH (exact for the held input), same samples
  exact,     ///< the continuous ODE with the smooth input, Boost.Odeint (the step-size limit of both)
};
/// What the memory holds at t = 0.
enum class LegtStart {
  empty,   ///< x(0) = 0, i.e. u = 0 before t = 0: the input jumps from 0 to u(0) = ½ at t = 0
  smooth,  ///< x(0) = the projection of the signal's own formula on [−θ, 0] (no jump)
};
/// One point of the setting space. The defaults are the setting found to reproduce kLegtFigures: window θ = 0.5,
/// memory read at t = 1 (two windows after an empty start), 4000 bilinear steps with midpoint samples, the post's
/// convention, error = RMS over the last window [t − θ, t].
struct LegtSetting {
  double window = 0.5;
  double horizon = 1.0;
  Index steps = 4000;  ///< on [0, horizon] (ignored by LegtSolver::exact)
  LegtSolver solver = LegtSolver::bilinear;
  LegtStart start = LegtStart::empty;
  ref::HippoConvention convention = ref::HippoConvention::post;
};
std::string describe(const LegtSetting& setting);

/// Reconstruction error of the LegT memory over its last window [horizon − θ, horizon] (RMS by quadrature, max on
/// 2001 points), for each N.
std::vector<ReconstructionError> legt_window_errors(const LegtSetting& setting, const std::vector<Index>& Ns);

/// Two-digit agreement with a printed figure: |ours − figure| at most one unit of the figure's second significant
/// digit (3.1e−2: ±0.1e−2).
bool agrees_to_two_digits(double ours, double figure);

// ---- the full-history Fourier system (10137, 傅立叶基): truncation ----------------------------------------------------

struct FourierTruncationRow {
  Index M = 0;           ///< truncation |n|, |k| ≤ M (N = 2M + 1 real states)
  double low_error = 0;  ///< max |x_j − x*_j| over the states of |n| ≤ 2 (j < 5)
  double c0_error = 0;   ///< |x_0 − c_0|
};
/// The memory of the post's truncated full-history Fourier system (hippo_transition(fourier, 2M + 1, post)) for the
/// post's signal on [0, T], integrated exactly (ode_legs: Odeint in log time from t0 = 1e−10), against the true
/// coefficients of u(sT), s ∈ [0, 1] (quadrature projection), for each M ≥ 2.
std::vector<FourierTruncationRow> fourier_truncation(const std::vector<Index>& Ms, double T = 1.0);

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
