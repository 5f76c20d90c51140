#pragma once
/// \file
/// The one generic harness every method's properties plug into. A method's <method>_properties.{hpp,cpp} keeps only
/// its generators and identities; everything below is written once:
///
///   - Measured / Exact: what a property returns (an error judged by the tolerance table, or a pass/fail fact);
///   - precision_of<S>, Truth<S>: the precision under test and the oracle chosen by it (DESIGN.md: a float result
///     is judged by the double reference, a double result by the 50-digit Oracle);
///   - judge<S>(…): tier 2 (reference vs oracle, err ≤ K·u) and tier 3 (optimized vs oracle relative to the
///     same-precision reference, err ≤ K·max(err_ref, u)) from the one tolerance table;
///   - the error metrics side by side: normwise relative (error.hpp), model units (|x − x*| / (u·E) with E a
///     first-order forward-error bound, e.g. recurrence_error_model below) and scaled (|x − x*| / (u·scale));
///   - poisoned<S>(n): NaN-filled outputs, so an element a kernel forgets to write fails loudly.
/// Seeds: RapidCheck's seed is fixed by the test binaries' main (test_main.cpp); value draws take their seed from
/// the property (gen::seed()), so every case replays from RC_PARAMS alone.

#include "seqref/core/oracle.hpp"
#include "seqref/core/tensor.hpp"
#include "seqref/ref/scan/linear_recurrence.hpp"
#include "verify/support/error.hpp"
#include "verify/support/tolerance.hpp"

#include <cmath>
#include <complex>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace seqref::verify {

/// An error judged by the tolerance table, with what was compared (sizes, precision, seed).
struct Measured {
  Verdict verdict;
  std::string detail;
};

/// A property that holds or not (bit equality, an exact count, a status), with what was seen and, where there is
/// one, its headline number (sweeps, a ratio, …).
struct Exact {
  bool pass = false;
  std::string detail;
  double value = 0;
};

// ---- precision and its oracle ----------------------------------------------------------------------------------

/// The tolerance table's precision of a scalar type.
template <class S>
constexpr Precision precision_of() {
  using R = std::remove_cv_t<S>;
  if constexpr (std::is_same_v<R, float> || std::is_same_v<R, std::complex<float>>)
    return Precision::f32;
  else if constexpr (std::is_same_v<R, double> || std::is_same_v<R, std::complex<double>>)
    return Precision::f64;
  else
    static_assert(std::is_same_v<R, float>, "precision_of: float, double or their complex types");
}

/// The unit roundoff of the precision under test (float 2^-24, double 2^-53).
template <class S>
double u_of() {
  return unit_roundoff<std::conditional_t<precision_of<S>() == Precision::f32, float, double>>();
}

/// The oracle's scalar for a result computed in S: double for float (its own error is ~1e-9 of float's u),
/// Oracle (50 digits) for double.
template <class S>
using Truth = std::conditional_t<precision_of<S>() == Precision::f32, double, Oracle>;

// ---- judges ------------------------------------------------------------------------------------------------------

/// Tier 2: the reference in precision S vs the oracle, err_u ≤ K (K from the table row (method, op, S, ref)).
template <class S>
Measured judge_reference(std::string_view method, std::string_view op, double err_u, std::string detail) {
  return {judge_absolute(tolerance(method, op, precision_of<S>(), Backend::ref), err_u), std::move(detail)};
}

/// Tier 3: an optimized result in precision S vs the oracle, relative to the same-precision reference's error:
/// err_u ≤ K·max(ref_err_u, 1) (K from the row (method, op, S, backend)).
template <class S>
Measured judge_optimized(std::string_view method, std::string_view op, Backend backend, double err_u, double ref_err_u,
                         std::string detail) {
  return {judge_relative(tolerance(method, op, precision_of<S>(), backend), err_u, ref_err_u), std::move(detail)};
}

// ---- metrics beside the normwise one -------------------------------------------------------------------------------

/// Model units: max_k |x_k − x*_k| / (u_S · E_k), E a componentwise first-order forward-error bound (so the metric
/// charges a kernel only with the rounding its algorithm amplifies, independent of scaling and cancellation). NaN in
/// x gives +inf; E_k = 0 (an exactly zero result) with any error gives +inf.
template <class S, class X>
double model_error(const std::vector<S>& x, const std::vector<X>& exact, const std::vector<double>& E) {
  if (x.size() != exact.size() || x.size() != E.size()) return std::numeric_limits<double>::infinity();
  const long double u = static_cast<long double>(u_of<S>());
  double worst = 0;
  for (std::size_t k = 0; k < x.size(); ++k) {
    if (std::isnan(static_cast<double>(x[k]))) return std::numeric_limits<double>::infinity();
    const long double diff = std::fabs(static_cast<long double>(x[k]) - static_cast<long double>(exact[k]));
    if (diff == 0) continue;
    worst = std::max(worst, static_cast<double>(diff / (u * static_cast<long double>(E[k]))));
  }
  return worst;
}

/// Scaled error: max_k |x_k − x*_k| / (u_S · scale), for results whose rounding is set by a known scale (e.g. a
/// convolution's u·‖k‖‖u‖) rather than by the result's own norm. NaN gives +inf.
template <class S, class X>
double scaled_error(const std::vector<S>& x, const std::vector<X>& exact, double scale) {
  if (x.size() != exact.size()) return std::numeric_limits<double>::infinity();
  long double worst = 0;
  for (std::size_t k = 0; k < x.size(); ++k) {
    if (std::isnan(static_cast<double>(x[k]))) return std::numeric_limits<double>::infinity();
    worst = std::max(worst, std::fabs(static_cast<long double>(x[k]) - static_cast<long double>(exact[k])));
  }
  return static_cast<double>(worst / (static_cast<long double>(u_of<S>()) * scale));
}

/// The first-order forward-error model of x_t = J_t x_{t−1} + b_t (componentwise, [B, T, D]): a step rounds one
/// product and one sum per entry (scalar, diagonal J) or D products and D sums (dense J), so the rounding committed
/// at step s is at most n·u·m_s (n = 2, resp. D + 1) with m_t = |J_t| m_{t−1} + |b_t|, m_0 = |x_0|, and it is
/// carried forward by the later J's: E_t = |J_t| E_{t−1} + n·m_t, E_0 = 0. Any evaluation order that forms each
/// composed map from the same factors (chunked scans, tree scans) is bounded by the same E. J, b, x0 as for
/// seqref::LinearRecurrence (x0 empty: zero); computed in long double.
std::vector<double> recurrence_error_model(Transition kind, Index batch, Index len, Index dim,
                                           const std::vector<double>& J, const std::vector<double>& b,
                                           const std::vector<double>& x0);

// ---- outputs ---------------------------------------------------------------------------------------------------

/// An output buffer of n NaNs: an element the kernel under test forgets to write fails every comparison.
/// Complex outputs get NaN in both parts, so a kernel that writes only one of them still fails.
template <class T>
inline constexpr bool is_std_complex = false;
template <class R>
inline constexpr bool is_std_complex<std::complex<R>> = true;

template <class S>
std::vector<S> poisoned(std::size_t n) {
  if constexpr (is_std_complex<S>) {
    using R = typename S::value_type;
    return std::vector<S>(n, S(std::numeric_limits<R>::quiet_NaN(), std::numeric_limits<R>::quiet_NaN()));
  } else {
    return std::vector<S>(n, std::numeric_limits<S>::quiet_NaN());
  }
}

}  // namespace seqref::verify
