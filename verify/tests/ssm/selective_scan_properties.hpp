#pragma once
/// \file
/// Properties of ssm/selective_scan (Mamba S6; equations (1)-(6) of seqref/ref/ssm/selective_scan.hpp), written once
/// and used by the tests (selective_scan_{ref,equiv,cuda}_test) and by `seqref report` (selective_scan_checks.cpp).
///
/// Error model ("model units", as for the scan engine in verify/tests/scan/linear_recurrence_properties.hpp). Per
/// (sequence, channel, state n), with a_t = exp(Δ_t A), b_t = B̄_t u_t computed exactly from the (rounded) inputs,
/// the magnitude recurrence m_t = |a_t| m_{t−1} + |b_t| (m_0 = |h0|) bounds every intermediate. One step commits at
/// most, in units of u:
///   a_t:  (4 + 4|Δ_t A|)·|a_t| m_{t−1}   exp within 2 ulp (4u), and a relative error of <= 4u in the argument ΔA
///                                        (Δ: softplus / bias <= 3u, the product 1u) scaled by |ΔA|;
///   b_t:  12·|b_t|                       Δ (3u), B̄'s factor (ZOH: expm1 within 2 ulp, one product, one division),
///                                        two products;
///   h_t:  2·m_t                          one product and one sum,
/// and the recurrence carries older errors forward by |a_t|, so
///   E_t = |a_t| E_{t−1} + (4 + 4|Δ_t A|)|a_t| m_{t−1} + 12|b_t| + 2 m_t,   E_0 = 0,
/// bounds |h_t − h*_t| / u to first order, for any order of evaluation built from the same factors (a two-level
/// scan's chunk products included: see the scan engine's model). For |a| <= 1 it grows at most linearly in T. Then
///   Y_t = Σ_n |C_t[n]| (E_t[n] + (N + 1) m_t[n]) + 2|D u_t|          (N products, N − 1 sums, + D u)
/// and with the gate g = silu(z_t) (exp 4u, one sum, one division, one product: 7u)
///   Y_t ← |g| Y_t + 7|g| (Σ_n |C_t[n]| m_t[n] + |D u_t|).
/// Errors are max over entries of |x − x*| / (u·model) for y (model Y) and the last state (model E_T); both are
/// computed in long double from the moduli of the inputs, so no scaling of the inputs can satisfy them. The exact
/// x* is the Oracle run of the reference (for double results) or the double reference (for float results: its own
/// error is ~1e-9 of a float u) on the same rounded inputs.

#include "seqref/opt/ssm/selective_scan.hpp"
#include "seqref/ref/ssm/selective_scan.hpp"
#include "verify/support/harness.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace seqref::verify::selective_scan {

inline constexpr std::string_view kMethod = "ssm/selective_scan";

/// Which optional parts of Mamba's interface a problem uses.
struct Variant {
  bool softplus = true;  ///< delta_softplus (raw δ ~ U[−5, 1], 1 in 8 U[1, 25]); false: δ ~ U[0.001, 1] as Δ
  bool bias = true;      ///< delta_bias ~ U[−1, 1]
  bool D = true;         ///< D ~ N(0, 1)
  bool z = true;         ///< z ~ N(0, 2²)
  bool h0 = false;       ///< h0 ~ N(0, 1)
  BDiscretization discretization = BDiscretization::euler;
  std::string describe() const;
};

/// The variant encoded by the low bits of a seed (so a RapidCheck seed covers every combination).
Variant variant_from_seed(std::uint64_t seed);

/// A generated problem, owning its arrays in double (rounded to S and back by `rounded<S>()` for S runs).
/// A[c, n] = −(n + 1)·s_c with s_c ~ U[0.1, 2] (S4D-real, Mamba's init, scaled per channel).
struct Problem {
  Index batch = 1, len = 1, channels = 1, dstate = 1;
  std::vector<double> u, delta, A, B, C, D, z, delta_bias, h0;
  bool delta_softplus = false;
  BDiscretization discretization = BDiscretization::euler;

  /// The same problem with every input rounded to S (and stored back in double).
  template <class S>
  Problem rounded() const;
  std::string describe() const;
};

Problem make_problem(Index batch, Index len, Index channels, Index dstate, const Variant& variant, std::uint64_t seed);

/// Copies of a problem's arrays in S and the SelectiveScan<S> view over them.
template <class S>
struct Arrays {
  std::vector<S> u, delta, A, B, C, D, z, delta_bias, h0;
  bool delta_softplus = false;
  BDiscretization discretization = BDiscretization::euler;
  Index batch = 1, len = 1, channels = 1, dstate = 1;
  explicit Arrays(const Problem& p);
  SelectiveScan<S> view() const;
};

/// Outputs of one run (long double for the exact ones).
template <class S>
struct Outputs {
  std::vector<S> y, h;
};

/// The error model: Y [batch, len, channels] and H = E_T [batch, channels, dstate] (see the file comment).
struct Model {
  std::vector<double> Y, H;
};
Model error_model(const Problem& p);

/// The exact solution of the problem's (already rounded) inputs: Oracle reference (oracle = true) or double
/// reference, as long double.
Outputs<long double> exact_solution(const Problem& p, bool oracle);

/// Tier 2: ref::selective_scan<S> vs the exact solution (Oracle for double, the double reference for float), y and
/// the last state, in model units (op "sequential").
template <class S>
Measured reference_vs_exact(Index batch, Index len, Index channels, Index dstate, const Variant& v, std::uint64_t seed);

/// Tier 3: cpu::selective_scan<S> at `chunk` (0: automatic) and `threads` vs the exact solution (Oracle for
/// double: keep batch·len·channels·dstate small), judged relative to the same-precision reference (op "fused").
/// Outputs are poisoned with NaN before the call.
template <class S>
Measured cpu_vs_exact(Index batch, Index len, Index channels, Index dstate, const Variant& v, Index chunk, int threads,
                      std::uint64_t seed);

/// Tier 3 on the GPU, fp32 (op "fused"), at `chunk` (0 or 256/512/1024/2048). Requires a device.
Measured cuda_vs_exact(Index batch, Index len, Index channels, Index dstate, const Variant& v, Index chunk,
                       std::uint64_t seed);

/// The cpu result at a fixed chunk length does not depend on the thread count (1 vs `threads`): bit-identical,
/// y and h_last, float and double.
Exact cpu_threads_bit_identical(Index batch, Index len, Index channels, Index dstate, Index chunk, int threads,
                                std::uint64_t seed);

/// Splitting [0, T) at `split` and passing h_last of the first part as h0 of the second equals one run, bit for
/// bit: the reference (f64) and the cpu with one chunk per part (f32 and f64).
Exact split_carry_bit_identical(Index batch, Index len, Index channels, Index dstate, Index split, std::uint64_t seed);

/// Δ = 0 (no softplus, no bias, h0 = 0): y = D u exactly (and h_last = 0), for the backend "ref", "cpu" or
/// "cuda", both discretizations.
Exact zero_delta_gives_Du(const std::string& backend, Index batch, Index len, Index channels, Index dstate,
                          std::uint64_t seed);

/// A = 0, Δ = 1 (no softplus): h_t = h_{t−1} + B_t u_t, a running sum; on small integers every backend must give
/// the closed form y_t = Σ_n C_t[n] Σ_{s<=t} B_s[n] u_s + D u_t bit for bit (all partial sums are exact integers
/// below 2^24), for both discretizations (ZOH's A → 0 limit is Δ). Backend "ref", "cpu" (at `chunk`) or "cuda".
Exact zero_A_is_running_sum(const std::string& backend, Index batch, Index len, Index channels, Index dstate,
                            Index chunk, std::uint64_t seed);

/// ZOH and Euler differ per step by B̄_zoh − B̄_euler = (expm1(ΔA)/A − Δ)B = (Δ²A/2 + O(Δ³))B: with every Δ
/// scaled by ε (and T fixed), d(ε) = ‖y_zoh − y_euler‖ = O(ε²). Returns the observed order log10(d(ε)/d(ε/10))
/// (2 expected; the O(ε³) term shifts it by ~0.4·(c₃/c₂)·ε, < 0.01 here) for the double reference at
/// ε = 1e-3 → 1e-4, and d at both.
struct Order {
  double order, d_coarse, d_fine;
  std::string detail;
};
Order zoh_euler_order(Index len, Index channels, Index dstate, std::uint64_t seed);

}  // namespace seqref::verify::selective_scan
