#pragma once
/// \file
/// The op contract's vocabulary: every public entry point (reference, cpu, cuda, Python) states its problem as
/// named extents, and one function per concern checks it, in this order, before any memory is touched:
///
///   1. extents         require_extent: each named extent is within its domain ([lo, hi], 0 allowed or not);
///   2. sizes           checked_size: products of extents without overflow (a [T, d] buffer has T·d elements);
///   3. buffers         require_length: every span's length equals its shape's product (never inferred from it);
///   4. budget          require_budget: memory and work stay within the process budget (seqref/core/limits.hpp);
///   5. values          require_finite (validate.hpp), domains of options.
///
/// Every failure throws std::invalid_argument("<function>: <argument> <what>; got <shapes>") (validate.hpp), which
/// the Python bindings turn into ValueError. Refusals on budget grounds say which limit and how to raise it.

#include "seqref/core/limits.hpp"
#include "seqref/core/validate.hpp"

#include <cstdint>
#include <initializer_list>
#include <limits>
#include <span>
#include <sstream>
#include <string>
#include <string_view>

namespace seqref {

/// One named extent of a shape, e.g. {"T", 1000}.
struct Extent {
  std::string_view name;
  Index value;
};

/// "[T=1000, d=8]" for messages.
inline std::string shape_string(std::initializer_list<Extent> shape) {
  std::ostringstream os;
  os << '[';
  bool first = true;
  for (const auto& e : shape) {
    os << (first ? "" : ", ") << e.name << '=' << e.value;
    first = false;
  }
  os << ']';
  return os.str();
}

/// lo ≤ value ≤ hi, else std::invalid_argument naming the extent and its domain.
inline void require_extent(std::string_view fn, std::string_view name, Index value, Index lo,
                           Index hi = std::numeric_limits<Index>::max()) {
  if (value >= lo && value <= hi) return;
  std::ostringstream os;
  os << name << " must be in [" << lo << ", ";
  if (hi == std::numeric_limits<Index>::max())
    os << "inf";
  else
    os << hi;
  os << "]; got " << value;
  invalid_argument(fn, os.str());
}

/// The number of elements of a buffer of the given shape: the product of its extents, each ≥ 0, without overflow
/// (a product past 2^62 is refused: no buffer of that size can exist, and a wrapped product would under-allocate).
inline Index checked_size(std::string_view fn, std::string_view buffer, std::initializer_list<Extent> shape) {
  constexpr Index kMax = Index(1) << 62;
  Index n = 1;
  for (const auto& e : shape) {
    if (e.value < 0)
      invalid_argument(
          fn, std::string(buffer) + " has a negative extent " + std::string(e.name) + "; shape " + shape_string(shape));
    if (e.value != 0 && n > kMax / e.value)
      invalid_argument(fn, std::string(buffer) + " would have more than 2^62 elements; shape " + shape_string(shape));
    n *= e.value;
  }
  return n;
}

/// A span's length equals the product of its shape's extents (the only way a length is known: never inferred).
template <class T>
void require_length(std::string_view fn, std::string_view buffer, std::span<T> s, std::initializer_list<Extent> shape) {
  const Index want = checked_size(fn, buffer, shape);
  if (static_cast<Index>(s.size()) == want) return;
  std::ostringstream os;
  os << buffer << " must have " << want << " elements (shape " << shape_string(shape) << "); got " << s.size();
  invalid_argument(fn, os.str());
}

/// As require_length, but an empty span is also accepted (an optional argument, e.g. an initial state).
template <class T>
void require_length_or_empty(std::string_view fn, std::string_view buffer, std::span<T> s,
                             std::initializer_list<Extent> shape) {
  if (!s.empty()) require_length(fn, buffer, s, shape);
}

}  // namespace seqref
