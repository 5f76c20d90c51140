#pragma once
/// \file
/// The high-precision scalar every reference template also runs at: 50 decimal digits (Boost.Multiprecision
/// cpp_bin_float_50, expression templates off), usable inside Eigen through boost/multiprecision/eigen.hpp.
/// Its unit roundoff is about 1e-50, so against float (u = 6e-8) or double (u = 1.1e-16) it is exact for all
/// practical purposes. It is 100-1000x slower than double: oracle runs use small sizes.

#include <boost/multiprecision/cpp_bin_float.hpp>
#include <boost/multiprecision/eigen.hpp>

#include <limits>

namespace seqref {

using Oracle = boost::multiprecision::cpp_bin_float_50;

/// Unit roundoff u = eps/2 of a scalar type (2^-24 for float, 2^-53 for double).
template <class S>
inline double unit_roundoff() {
  return static_cast<double>(std::numeric_limits<S>::epsilon()) / 2.0;
}

}  // namespace seqref
