#pragma once
/// \file
/// Error metrics: normwise relative error ‖x − x*‖_F / ‖x*‖_F, reported in units of the unit roundoff u of the
/// precision under test. The difference is accumulated in a precision above both operands (long double for
/// float/double, Oracle when the oracle is an Oracle tensor), so the metric adds no error of its own worth naming.

#include "seqref/core/oracle.hpp"
#include "seqref/core/tensor.hpp"

#include <cmath>
#include <complex>
#include <cstring>
#include <limits>
#include <type_traits>
#include <vector>

namespace seqref::verify {

/// ‖x − r‖_F / ‖r‖_F over n elements; NaN anywhere in x gives +inf (never a silent pass). If ‖r‖ = 0 the absolute
/// norm ‖x‖_F is returned.
template <class X, class R>
double relative_error(const X* x, const R* r, Index n) {
  using Acc = std::conditional_t<std::is_same_v<R, Oracle> || std::is_same_v<X, Oracle>, Oracle, long double>;
  Acc num = 0, den = 0;
  for (Index i = 0; i < n; ++i) {
    Acc xi = static_cast<Acc>(x[i]), ri = static_cast<Acc>(r[i]);
    using std::isnan;
    if (isnan(xi)) return std::numeric_limits<double>::infinity();
    Acc diff = xi - ri;
    num += diff * diff;
    den += ri * ri;
  }
  using std::sqrt;
  if (den == 0) return static_cast<double>(sqrt(num));
  return static_cast<double>(sqrt(num / den));
}

namespace detail {
template <class T>
struct real_of {
  using type = T;
};
template <class T>
struct real_of<std::complex<T>> {
  using type = T;
};
}  // namespace detail

/// Complex version: ‖x − r‖₂ / ‖r‖₂ with |·| the complex modulus (real and imaginary parts both count).
template <class X, class R>
double relative_error(const std::complex<X>* x, const std::complex<R>* r, Index n) {
  using Acc = std::conditional_t<std::is_same_v<R, Oracle> || std::is_same_v<X, Oracle>, Oracle, long double>;
  Acc num = 0, den = 0;
  for (Index i = 0; i < n; ++i) {
    Acc xr = static_cast<Acc>(x[i].real()), xi = static_cast<Acc>(x[i].imag());
    Acc rr = static_cast<Acc>(r[i].real()), ri = static_cast<Acc>(r[i].imag());
    using std::isnan;
    if (isnan(xr) || isnan(xi)) return std::numeric_limits<double>::infinity();
    num += (xr - rr) * (xr - rr) + (xi - ri) * (xi - ri);
    den += rr * rr + ri * ri;
  }
  using std::sqrt;
  if (den == 0) return static_cast<double>(sqrt(num));
  return static_cast<double>(sqrt(num / den));
}

/// Vectors and Eigen matrices of the same size (real or complex).
template <class X, class R>
double relative_error(const std::vector<X>& x, const std::vector<R>& r) {
  if (x.size() != r.size()) return std::numeric_limits<double>::infinity();
  return relative_error(x.data(), r.data(), static_cast<Index>(x.size()));
}
template <class DX, class DR>
double relative_error(const Eigen::MatrixBase<DX>& x, const Eigen::MatrixBase<DR>& r) {
  if (x.rows() != r.rows() || x.cols() != r.cols()) return std::numeric_limits<double>::infinity();
  const auto xe = x.eval();  // plain storage (either storage order; both are compared element by element)
  const auto re = r.eval();
  using XS = typename DX::Scalar;
  using RS = typename DR::Scalar;
  std::vector<XS> xs(static_cast<std::size_t>(xe.size()));
  std::vector<RS> rs(static_cast<std::size_t>(re.size()));
  for (Index i = 0; i < xe.rows(); ++i)
    for (Index j = 0; j < xe.cols(); ++j) {
      xs[static_cast<std::size_t>(i * xe.cols() + j)] = xe(i, j);
      rs[static_cast<std::size_t>(i * xe.cols() + j)] = re(i, j);
    }
  return relative_error(xs, rs);
}

template <class X, class R>
double relative_error(const Tensor3<X>& x, const Tensor3<R>& r) {
  if (x.heads() != r.heads() || x.len() != r.len() || x.dim() != r.dim())
    return std::numeric_limits<double>::infinity();
  return relative_error(x.data(), r.data(), x.size());
}

/// relative_error in units of u of precision S (S = float: u = 2^-24; double: 2^-53).
template <class S, class X, class R>
double error_in_u(const Tensor3<X>& x, const Tensor3<R>& r) {
  return relative_error(x, r) / unit_roundoff<S>();
}

/// True when every element is finite.
template <class S>
bool all_finite(const Tensor3<S>& x) {
  using std::isfinite;
  for (Index i = 0; i < x.size(); ++i)
    if (!isfinite(x.data()[i])) return false;
  return true;
}

/// True when x and y have the same shape and the same bits (NaN payloads included).
template <class S>
bool bit_identical(const S* x, const S* y, Index n) {
  static_assert(std::is_trivially_copyable_v<S>);
  for (Index i = 0; i < n; ++i)
    if (std::memcmp(&x[i], &y[i], sizeof(S)) != 0) return false;
  return true;
}

}  // namespace seqref::verify
