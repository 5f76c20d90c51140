#pragma once
/// \file
/// Properties of the scan engine (x_t = J_t x_{t−1} + b_t), written once and used by the tests
/// (linear_recurrence_{ref,equiv,cuda}_test) and by `seqref report` (linear_recurrence_checks.cpp).
///
/// Error model. A step rounds one product and one sum per entry (scalar, diagonal) or D products and D sums
/// (dense), so the rounding committed at step s is at most n·u·m_s (n = 2, resp. D + 1) with m the magnitude
/// recurrence m_t = |J_t| m_{t−1} + |b_t|, m_0 = |x_0|, and it is then carried forward by the later J's. The first-
/// order forward error of x_t is therefore bounded componentwise by u·E_t with
///
///   E_t = |J_t| E_{t−1} + n·m_t,   E_0 = 0,
///
/// whatever the order of evaluation, provided each composed map is formed from the same factors: a two-level scan's
/// chunk product P = J_{t1}⋯J_{t0} has rounding ≤ L·n·u·|J_{t1}|⋯|J_{t0}|, and applied to a carry it is bounded by
/// the same E (E sums n·m_s over the chunk, and m_s ≥ |J_s|⋯|J_{t0}| m_{t0−1}). Errors are reported as
/// max_{t,i} |x_t,i − x*_t,i| / (u·E_t,i): "model units". E is computed in long double from the inputs' moduli,
/// so the metric cannot be satisfied by scaling. Where E_t,i = 0 the exact result is 0 and any error is infinite.
///
/// Test problems: a ∈ [−ρ, ρ] for scalar/diagonal (ρ ∈ {0.5, 1, 1.01}: decaying, neutral with sign flips, slowly
/// growing), J_t = ρ·G/‖G‖_F for dense (G Gaussian), b ~ N(0, 1), x_0 ~ N(0, 1) or empty.

#include "seqref/opt/scan/linear_recurrence.hpp"
#include "seqref/ref/scan/linear_recurrence.hpp"
#include "verify/support/harness.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace seqref::verify::scan {

inline constexpr std::string_view kMethod = "scan/linear_recurrence";

/// A generated problem, owning its arrays (in double; cast for float runs).
struct Problem {
  Transition kind = Transition::diagonal;
  Index batch = 1, len = 1, dim = 1;
  std::vector<double> J, b, x0;
  template <class S>
  LinearRecurrence<S> view(const std::vector<S>& J_s, const std::vector<S>& b_s, const std::vector<S>& x0_s) const {
    return {kind, batch, len, dim, J_s, b_s, x0_s};
  }
};

Problem make_problem(Transition kind, Index batch, Index len, Index dim, double rho, bool with_x0, std::uint64_t seed);

/// The error model E (see the file comment), [B, T, D].
std::vector<double> error_model(const Problem& p);

/// The Oracle solution (ref::linear_recurrence<Oracle>), rounded to long double (64-bit significand: its own
/// rounding is 2^-11 of a double's u and does not pollute the metric), [B, T, D].
std::vector<long double> oracle_solution(const Problem& p);

/// Tier 2: ref::linear_recurrence<S> (S = float or double) vs Oracle, in model units (op "sequential").
template <class S>
Measured reference_vs_oracle(Transition kind, Index batch, Index len, Index dim, double rho, std::uint64_t seed);

/// Tier 3: cpu::linear_recurrence<S> with the given chunk (0: automatic) and threads vs Oracle, judged relative to
/// the reference's error (op "chunked"). Also checks that x_final equals the last emitted state bit for bit.
template <class S>
Measured cpu_vs_oracle(Transition kind, Index batch, Index len, Index dim, double rho, Index chunk, int threads,
                       std::uint64_t seed);

/// Tier 3 on the GPU (fp32; op "block_scan"). Requires a device.
Measured cuda_vs_oracle(Transition kind, Index batch, Index len, Index dim, double rho, std::uint64_t seed);

/// The cpu result at a fixed chunk does not depend on the thread count (1 vs `threads`): bit-identical.
Exact cpu_threads_bit_identical(Transition kind, Index batch, Index len, Index dim, Index chunk, int threads,
                                std::uint64_t seed);

/// Splitting [0, T) at `split` and carrying x_final as the next x0 equals one run, bit for bit, for the reference
/// and for the cpu engine with one chunk (the same arithmetic in the same order).
Exact split_carry_bit_identical(Transition kind, Index batch, Index len, Index dim, Index split, std::uint64_t seed);

}  // namespace seqref::verify::scan
