#pragma once
/// \file
/// Reference selective scan (Mamba's S6, Gu & Dao, arXiv 2312.00752, Algorithm 2 and §3.5; the shapes and options of
/// state-spaces/mamba's `selective_scan_fn` with variable B, C in one group). For every sequence β and channel c,
/// with state h ∈ R^N (N = dstate), t = 1..T:
///
///   (1)  Δ_t   = softplus(δ_t + δ_bias)   if delta_softplus, else δ_t + δ_bias       (δ_bias = 0 when absent)
///   (2)  Ā_t   = exp(Δ_t A)                      (ZOH for A; A[c, :] is diagonal)
///   (3)  B̄_t   = Δ_t B_t                          (BDiscretization::euler — Mamba's choice, "δBu")
///        B̄_t   = (exp(Δ_t A) − 1)/A · B_t       (BDiscretization::zoh; = expm1(Δ_t A)/A, → Δ_t as A → 0)
///   (4)  h_t   = Ā_t ∘ h_{t−1} + B̄_t u_t,        h_0 = h0[β, c, :] (zero when absent)
///   (5)  y_t   = Σ_n C_t[n] h_t[n] + D u_t        (D = 0 when absent)
///   (6)  y_t  ← y_t · silu(z_t) = y_t · z_t / (1 + exp(−z_t))        (only when z is given)
///
/// softplus(x) = log1p(exp(x)) for x <= 20 and x above (torch's threshold, which Mamba's kernels copy).
/// Eq. (4) is a diagonal first-order linear recurrence: the reference solves it with the scan engine's
/// seqref::ref::linear_recurrence (Transition::diagonal), one (β, c) pair at a time, and then forms (5)-(6).
///
/// Shapes (row-major, contiguous; batch = Bt, T = len, channels = Dc, dstate = N):
///   u, delta, z     [Bt, T, Dc]         (z optional: empty span = no gating)
///   A               [Dc, N]             (Mamba: A = −exp(A_log), but any finite A is accepted)
///   B, C            [Bt, T, N]          (shared by all channels: Mamba's "variable B/C, one group")
///   D, delta_bias   [Dc]                (optional: empty span)
///   h0              [Bt, Dc, N]         (optional: empty span = zero initial state)
///   y   (output)    [Bt, T, Dc]         (may be empty when only the last state is wanted)
///   h_last (output) [Bt, Dc, N] = h_T   (may be empty)
/// Errors: std::invalid_argument naming the function, the argument and the shapes for sizes < 1, a span whose size
/// does not match its shape, both outputs empty, a non-finite entry in any input, or coefficients of eq. (4) that
/// would overflow (exp(Δ A) not finite for the channel's extreme Δ, or the bound max|Δ|·max(1, exp(ΔA))·max|B|·max|u|
/// on B̄ u not finite). A state that grows without bound when Δ A > 0 is not an error (it is what the recurrence
/// computes, and shows as ±inf, or NaN in y where C mixes infinities); Δ A <= 0 keeps it bounded.
///
/// Error model (used by the tests): with |Ā| <= 1 every step adds O(u)·(|Ā h| + |B̄ u|), so the computed state is
/// off by at most ~(T + c)·u·max_t ‖h_t‖ componentwise (the recurrence does not amplify old errors), and y by
/// ~(T + N)·u·Σ_n |C_t[n]| max|h[n]| + u|D u|.
///
/// Templated on the scalar; instantiated for float, double and Oracle, and for the judge's Eigen::half,
/// Eigen::bfloat16 and long double (reference/src/ssm/selective_scan.cpp).

#include "seqref/core/oracle.hpp"
#include "seqref/core/tensor.hpp"
#include "seqref/core/validate.hpp"

#include <bit>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace seqref {

/// How the input matrix B is discretized (eq. 3). The state matrix is always ZOH: Ā = exp(Δ A).
enum class BDiscretization {
  euler,  ///< B̄ = Δ B (Mamba's simplification, selective_scan_ref's "deltaB_u")
  zoh,    ///< B̄ = (exp(Δ A) − 1)/A · B, computed as expm1(Δ A)/A and as Δ where A = 0 (the exact limit)
};

std::string_view to_string(BDiscretization discretization);

/// A batch of selective scans (views; nothing is owned). See the file comment for the shapes.
template <class S>
struct SelectiveScan {
  Index batch = 1;
  Index len = 0;
  Index channels = 1;
  Index dstate = 1;
  std::span<const S> u;           ///< [batch, len, channels]
  std::span<const S> delta;       ///< [batch, len, channels]
  std::span<const S> A;           ///< [channels, dstate]
  std::span<const S> B;           ///< [batch, len, dstate]
  std::span<const S> C;           ///< [batch, len, dstate]
  std::span<const S> D;           ///< [channels] or empty
  std::span<const S> z;           ///< [batch, len, channels] or empty (no gating)
  std::span<const S> delta_bias;  ///< [channels] or empty
  std::span<const S> h0;          ///< [batch, channels, dstate] or empty (zero initial state)
  bool delta_softplus = false;
  BDiscretization discretization = BDiscretization::euler;
};

namespace detail {
template <class S>
S abs_of(S x) {
  return x < S(0) ? S(-x) : x;
}
/// Eq. (1)'s softplus (x itself when `softplus` is false): log1p(exp(x)) for x <= 20, x above.
template <class S>
S softplus_delta(S x, bool softplus) {
  using std::exp;
  using std::log;
  if (!softplus || x > S(20)) return x;
  if (x < S(-30)) return S(exp(x));  // log1p(e) = e to working precision (e < 1e-13)
  return S(log(S(1) + S(exp(x))));   // only the bounds check uses this; the tiers use selective_scan_delta
}

/// True when every entry is finite. For float and double an OR over the exponent bits (an integer reduction the
/// compiler vectorizes: the check is one streaming pass, not a scalar loop beside a vectorized kernel).
template <class S>
bool all_finite(std::span<const S> v) {
  if constexpr (std::is_same_v<S, float> || std::is_same_v<S, double>) {
    using U = std::conditional_t<std::is_same_v<S, float>, std::uint32_t, std::uint64_t>;
    constexpr U exponent = std::is_same_v<S, float> ? U(0x7f800000u) : U(0x7ff0000000000000ull);
    U bad = 0;
    for (const S& e : v) bad |= static_cast<U>((std::bit_cast<U>(e) & exponent) == exponent);
    return bad == 0;
  } else {
    using std::isfinite;
    for (const S& e : v)
      if (!static_cast<bool>(isfinite(e))) return false;
    return true;
  }
}

/// max |v_i| of finite entries (0 for an empty span). For float and double the maximum of the magnitude bits as
/// unsigned integers (ordered like the magnitudes for finite values; vectorizes).
template <class S>
S max_abs(std::span<const S> v) {
  if constexpr (std::is_same_v<S, float> || std::is_same_v<S, double>) {
    using U = std::conditional_t<std::is_same_v<S, float>, std::uint32_t, std::uint64_t>;
    constexpr U magnitude = std::is_same_v<S, float> ? U(0x7fffffffu) : U(0x7fffffffffffffffull);
    U m = 0;
    for (const S& e : v) {
      const U b = std::bit_cast<U>(e) & magnitude;
      m = b > m ? b : m;
    }
    return std::bit_cast<S>(m);
  } else {
    S m = S(0);
    for (const S& e : v) m = abs_of(e) > m ? abs_of(e) : m;
    return m;
  }
}

/// The string "[batch, len, channels, dstate] = [...]" of the messages.
template <class S>
std::string selective_scan_shape(const SelectiveScan<S>& p) {
  return "[batch, len, channels, dstate] = [" + std::to_string(p.batch) + ", " + std::to_string(p.len) + ", " +
         std::to_string(p.channels) + ", " + std::to_string(p.dstate) + "]";
}

/// Shapes and sizes only (no access to the data: the CUDA device entry point uses it on device pointers).
/// y_size / h_size: the sizes of the outputs; has_y / has_h: whether they are wanted.
template <class S>
void check_selective_scan_shapes(std::string_view fn, const SelectiveScan<S>& p, std::size_t y_size, std::size_t h_size,
                                 bool has_y, bool has_h) {
  const std::string shape = selective_scan_shape(p);
  require(p.batch >= 1 && p.len >= 1 && p.channels >= 1 && p.dstate >= 1, fn,
          "batch, len, channels and dstate must be >= 1; got " + shape);
  const Index btd = p.batch * p.len * p.channels, btn = p.batch * p.len * p.dstate;
  auto need = [&](std::size_t got, Index want, std::string_view name, std::string_view dims) {
    require(got == static_cast<std::size_t>(want), fn,
            std::string(name) + " must have shape " + std::string(dims) + " (" + std::to_string(want) +
                " entries) for " + shape + "; got " + std::to_string(got) + " entries");
  };
  need(p.u.size(), btd, "u", "[batch, len, channels]");
  need(p.delta.size(), btd, "delta", "[batch, len, channels]");
  need(p.A.size(), p.channels * p.dstate, "A", "[channels, dstate]");
  need(p.B.size(), btn, "B", "[batch, len, dstate]");
  need(p.C.size(), btn, "C", "[batch, len, dstate]");
  if (!p.D.empty()) need(p.D.size(), p.channels, "D", "[channels]");
  if (!p.z.empty()) need(p.z.size(), btd, "z", "[batch, len, channels]");
  if (!p.delta_bias.empty()) need(p.delta_bias.size(), p.channels, "delta_bias", "[channels]");
  if (!p.h0.empty()) need(p.h0.size(), p.batch * p.channels * p.dstate, "h0", "[batch, channels, dstate]");
  if (has_y) need(y_size, btd, "y", "[batch, len, channels]");
  if (has_h) need(h_size, p.batch * p.channels * p.dstate, "h_last", "[batch, channels, dstate]");
  require(has_y || has_h, fn, "y and h_last are both empty: nothing to compute");
}

/// The argument checks every backend shares (same checks, same messages): the shapes (above), then the values —
/// every input finite, and the coefficients of eq. (4) free of overflow.
template <class S>
void check_selective_scan(std::string_view fn, const SelectiveScan<S>& p, std::type_identity_t<std::span<const S>> y,
                          std::type_identity_t<std::span<const S>> h_last) {
  using std::isfinite;
  check_selective_scan_shapes<S>(fn, p, y.size(), h_last.size(), !y.empty(), !h_last.empty());
  const std::string shape = selective_scan_shape(p);
  auto finite = [&](std::span<const S> v, std::string_view name) {
    if (all_finite<S>(v)) return;  // the index is looked up only on failure
    for (std::size_t i = 0; i < v.size(); ++i)
      if (!static_cast<bool>(isfinite(v[i])))
        invalid_argument(
            fn, std::string(name) + " has a non-finite entry at flat index " + std::to_string(i) + " (" + shape + ")");
  };
  finite(p.u, "u");
  finite(p.delta, "delta");
  finite(p.A, "A");
  finite(p.B, "B");
  finite(p.C, "C");
  finite(p.D, "D");
  finite(p.z, "z");
  finite(p.delta_bias, "delta_bias");
  finite(p.h0, "h0");

  // Overflow of the coefficients of eq. (4) is rejected up front, cheaply (one pass over δ, u and B; softplus is
  // monotone, so the extreme Δ of a channel come from the extreme δ): exp(Δ A[c, n]) must be finite for the
  // largest Δ·A[c, n], and the bound max|Δ|·max(1, exp(max Δ·A))·max|B|·max|u| on |B̄ u| must be finite too
  // (conservative: it can reject inputs whose large B and large u never meet). The state itself may still grow
  // without bound when Δ A > 0 (an unstable recurrence): that is what the recurrence computes.
  std::vector<S> dmin(static_cast<std::size_t>(p.channels)), dmax(dmin.size()), umax(dmin.size(), S(0));
  for (std::size_t c = 0; c < dmin.size(); ++c) dmin[c] = dmax[c] = p.delta[c];
  for (Index row = 0; row < p.batch * p.len; ++row) {
    const S* d = p.delta.data() + row * p.channels;
    const S* uv = p.u.data() + row * p.channels;
    for (std::size_t c = 0; c < dmin.size(); ++c) {
      dmin[c] = d[c] < dmin[c] ? d[c] : dmin[c];
      dmax[c] = d[c] > dmax[c] ? d[c] : dmax[c];
      umax[c] = abs_of(uv[c]) > umax[c] ? abs_of(uv[c]) : umax[c];
    }
  }
  const S bmax = max_abs<S>(p.B);
  for (Index c = 0; c < p.channels; ++c) {
    const std::size_t ci = static_cast<std::size_t>(c);
    const S bias = p.delta_bias.empty() ? S(0) : p.delta_bias[ci];
    const S lo = softplus_delta(dmin[ci] + bias, p.delta_softplus);
    const S hi = softplus_delta(dmax[ci] + bias, p.delta_softplus);
    const S dabs = abs_of(lo) > abs_of(hi) ? abs_of(lo) : abs_of(hi);
    for (Index n = 0; n < p.dstate; ++n) {
      using std::exp;
      const S a = p.A[static_cast<std::size_t>(c * p.dstate + n)];
      const S e = lo * a > hi * a ? lo * a : hi * a;
      const S grow = S(exp(e));
      const S bound = dabs * (grow > S(1) ? grow : S(1)) * bmax * umax[ci];
      if (!static_cast<bool>(isfinite(grow)) || !static_cast<bool>(isfinite(bound)))
        invalid_argument(fn, "exp(delta*A) or the bound on (B-bar u) overflows for channel " + std::to_string(c) +
                                 ", state " + std::to_string(n) +
                                 " (max delta*A = " + std::to_string(static_cast<double>(e)) + "; " + shape + ")");
    }
  }
}
}  // namespace detail

}  // namespace seqref

namespace seqref::ref {

/// Eq. (1)-(6) for the whole batch: y and the last state h_T. Sequential in t; the state update (4) is
/// seqref::ref::linear_recurrence with Transition::diagonal, J_t = exp(Δ_t A[c, :]), b_t = B̄_t u_t.
template <class S>
void selective_scan(const SelectiveScan<S>& problem, std::span<S> y, std::span<S> h_last = {});

/// Owning result of the convenience overload.
template <class S>
struct SelectiveScanResult {
  std::vector<S> y;       ///< [batch, len, channels]
  std::vector<S> h_last;  ///< [batch, channels, dstate]
};

/// Same, allocating y and h_last.
template <class S>
SelectiveScanResult<S> selective_scan(const SelectiveScan<S>& problem);

/// Eq. (1): the step size Δ from the raw δ, its bias and the softplus flag.
template <class S>
S selective_scan_delta(S delta, S bias, bool softplus);

/// Eq. (3): the factor f with B̄ = f·B: Δ (euler) or expm1(Δ a)/a (zoh; Δ when a = 0).
template <class S>
S selective_scan_b_factor(BDiscretization discretization, S delta, S a);

/// silu(z) = z / (1 + exp(−z)) (eq. 6).
template <class S>
S silu(S z);

#define SEQREF_SELECTIVE_SCAN_EXTERN(S)                                                     \
  extern template void selective_scan(const SelectiveScan<S>&, std::span<S>, std::span<S>); \
  extern template SelectiveScanResult<S> selective_scan(const SelectiveScan<S>&);           \
  extern template S selective_scan_delta(S, S, bool);                                       \
  extern template S selective_scan_b_factor(BDiscretization, S, S);                         \
  extern template S silu(S);
SEQREF_SELECTIVE_SCAN_EXTERN(float)
SEQREF_SELECTIVE_SCAN_EXTERN(double)
SEQREF_SELECTIVE_SCAN_EXTERN(Oracle)
SEQREF_SELECTIVE_SCAN_EXTERN(Eigen::half)
SEQREF_SELECTIVE_SCAN_EXTERN(Eigen::bfloat16)
SEQREF_SELECTIVE_SCAN_EXTERN(long double)
#undef SEQREF_SELECTIVE_SCAN_EXTERN

}  // namespace seqref::ref
