#pragma once
/// \file
/// Properties of rnn/deer, written once and used by the tests (deer_ref_test, deer_equiv_test, deer_cuda_test) and by
/// `seqref report` (deer_checks.cpp). Each returns what it measured; the caller asserts or tabulates.
///
/// Test problems: the tanh cell with A = rho · G / ρ(G) (G Gaussian, ρ the spectral radius, so ρ(A) = rho; the
/// post's setting is d = 8, T = 200, rho = 0.9), inputs u ~ N(0, 1), x_0 = 0; the GRU cell with U_* ~ N(0, 1/d),
/// W_* ~ N(0, 1/m), b_* ~ N(0, 0.25). Errors are normwise relative over the whole trajectory [T, d], in u of the
/// tested precision, against the sequential solve at a higher precision (Oracle for double, double for float).

#include "seqref/opt/rnn/deer.hpp"
#include "seqref/ref/rnn/deer.hpp"
#include "verify/support/harness.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace seqref::verify::deer {

inline constexpr std::string_view kMethod = "rnn/deer";

TanhCell<double> tanh_cell(Index d, double rho, std::uint64_t seed);
GruCell<double> gru_cell(Index d, Index m, std::uint64_t seed);
/// The GRU with U_z = U_r = U_h = 0: f(x, u) = diag(1 − z(u)) x + z(u) ∘ h̃(u) is affine in x.
GruCell<double> affine_gru_cell(Index d, Index m, std::uint64_t seed);
std::vector<double> gaussian_inputs(Index T, Index m, std::uint64_t seed);

template <class T>
TanhCell<T> cast(const TanhCell<double>& c);
template <class T>
GruCell<T> cast(const GruCell<double>& c);
template <class T>
std::vector<T> cast(const std::vector<double>& v);

// ---- tier 1-2: the reference ----------------------------------------------------------------------------------------

/// ref::deer<double> (method) converges, and its states match the Oracle sequential solve as well as the double
/// sequential solve does (op "fixed_point", judged relative to the sequential solve's own error). gru: the GRU cell
/// (input size m = d + 1) instead of the tanh cell.
Measured fixed_point_vs_sequential(DeerMethod method, bool gru, Index d, Index T, double rho, std::uint64_t seed);

/// After k undamped sweeps (k = 1..min(T, 12) and k = T/2), states 1..k equal the sequential solve to rounding:
/// their error vs the Oracle sequential solve, relative to the double sequential solve's error on the same prefix
/// (op "prefix"); max over k reported. Also: with max_sweeps = T the run converges.
Measured exact_prefix(DeerMethod method, bool gru, Index d, Index T, double rho, std::uint64_t seed);

/// Newton on the affine GRU converges in exactly one sweep (the run's sweep count and status; value = sweeps), and
/// fixed_a on it needs more than one (non-vacuity: the test can tell).
Exact affine_cell_one_sweep(Index d, Index T, std::uint64_t seed);

/// Newton's errors e_k = max_t ‖x^(k)_t − x*_t‖∞ on the tanh cell obey the second-order bound
///   e_{k+1} ≤ (max|tanh″|/2) ‖A‖∞² G_k e_k² + G_k·tol,
/// max|tanh″| = 4/(3√3), G_k = max_t ‖Σ_s |Φ_k(t, s)|‖∞ the sensitivity of sweep k's linear recurrence (|J_t| of the
/// iterate), tol the default tolerance (the rounding floor of a sweep). value = max_k e_{k+1}/(C_k e_k²) over the
/// steps above the floor; at least two such steps are required (the quadratic regime was actually exercised).
/// errors: the e_k, for tables.
struct Quadratic {
  Exact outcome;
  std::vector<double> errors;
};
Quadratic newton_quadratic(Index d, Index T, double rho, std::uint64_t seed);

/// Errors per sweep e_k = max_t ‖x^(k)_t − x*_t‖∞ (x* the double sequential solve) of ref::deer<double> for the
/// post's comparison, for the method, until convergence or `sweeps` sweeps.
std::vector<double> error_per_sweep(DeerMethod method, Index d, Index T, double rho, std::uint64_t seed, Index sweeps);

/// Newton's errors e_k = max_t ‖x^(k)_t − x*_t‖∞ (x^(0) = 0, x* the double sequential solve), k = 0..sweeps, over
/// `draws` draws of the tanh problem (seeds 1..draws): the quartiles of each e_k over the draws.
struct ErrorDistribution {
  Index draws = 0;
  std::vector<double> q1, median, q3;  ///< [sweeps + 1]
};
ErrorDistribution newton_error_distribution(Index d, Index T, double rho, Index draws, Index sweeps);

/// The median of the distribution shows Newton's quadratic shape: the median contraction e_{k+1}/e_k shrinks from
/// sweep to sweep while above 1e-13, and the median reaches 1e-12 within `sweeps`. value = the median e at the last
/// sweep; detail: median [q1, q3] per sweep.
Exact newton_error_distribution_check(Index d, Index T, double rho, Index draws, Index sweeps);

/// The post's schemes side by side on the tanh problem (seed): sweeps until max_t ‖x^(k)_t − x*_t‖∞ ≤ 1e-10 for
/// newton, at_zero (the post's A_t = sech²(u_t)∘A) and fixed_a; pass iff all three get there within T sweeps and
/// newton ≤ at_zero ≤ fixed_a. value = at_zero's count.
Exact post_schemes_ordered(Index d, Index T, double rho, std::uint64_t seed);

/// The GRU's post_fixed matrix ½(I + ½U_h) vs its fixed_a matrix (the Jacobian at zero), for `convention`: equal to
/// rounding (≤ 4u) when every bias is zero, different (max entry difference > 0.05) with the default biases; and DEER
/// with post_fixed converges to the sequential solve (within 1e-10) on the default cell. value = the difference with
/// biases.
Exact gru_post_matrix(GruConvention convention, std::uint64_t seed);

/// float32 DEER (backend "ref" or "cpu", method) against the plain float32 sequential loop, both vs the double
/// sequential solve of the same float inputs (max-abs): pass iff the run converged and DEER's error over the whole
/// trajectory is ≤ 2× the loop's; value = the final-state ratio (the loop's error floored at u/2 ‖x_T‖∞, the rounding
/// of the result itself), reported only: one entry's rounding noise at the 1u level.
Exact f32_deer_vs_loop(std::string_view backend, DeerMethod method, Index d, Index T, double rho, std::uint64_t seed);

/// float32 Newton on a strongly expanding tanh RNN (A = 50 I, d = 2, T = 400): without clip the first sweep
/// overflows (status non_finite); with clip = 1e8 it converges, its states within 4·1e-6 of the double sequential
/// solve. backend "ref" or "cpu". value = the clipped run's sweeps.
Exact clip_rescues_expanding_f32(std::string_view backend);

/// Non-finite inputs (A, u, x0, initial guess) and bad options throw std::invalid_argument from ref, cpu (and cuda when
/// available); pass iff every case threw.
Exact bad_input_throws();

/// Divergent fixed_a (A = 50 I, T = 400): status non_finite, not converged, the best iterate returned with its
/// (finite) residual, equal to the smallest residual of the history, and the states are those of that sweep.
/// backend: "ref" or "cpu".
Exact divergence_reported(std::string_view backend);

/// fixed_a stopped by max_sweeps = 3 on the post's problem: status max_sweeps, not converged, residual = min of the
/// history, states = the iterate of best_sweep (ref with keep_iterates; cpu compared against ref).
Exact max_sweeps_reported(std::string_view backend);

// ---- tier 3: optimized vs oracle, relative to the reference --------------------------------------------------------

/// One sweep about a fixed iterate (the Newton iterate after two sweeps; method as given) by cpu::deer_sweep with a
/// forced chunk length vs ref::deer_sweep<Oracle>, relative to ref::deer_sweep<S>'s error (op "sweep").
template <class S>
Measured cpu_sweep_vs_oracle(DeerMethod method, Index d, Index T, Index chunk, double rho, std::uint64_t seed);

/// cpu::deer<S> (default schedule) converges and its states vs the higher-precision sequential solve, relative to
/// ref::deer<S>'s error (op "deer").
template <class S>
Measured cpu_deer_vs_oracle(DeerMethod method, Index d, Index T, double rho, std::uint64_t seed);

/// cpu::rnn_sequential<S> vs the oracle, relative to ref::rnn_sequential<S> (op "sequential").
template <class S>
Measured cpu_sequential_vs_oracle(Index d, Index T, double rho, std::uint64_t seed);

/// cuda::deer (fp32) vs the double sequential solve, relative to ref::deer<float> (op "deer", backend cuda).
Measured cuda_deer_vs_oracle(DeerMethod method, Index d, Index T, double rho, std::uint64_t seed);

}  // namespace seqref::verify::deer
