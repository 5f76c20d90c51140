#pragma once
/// \file
/// Argument validation shared by every public function: one message format, one exception type.
/// Every failure throws std::invalid_argument("<function>: <argument> <what>; got <shapes>").

#include "seqref/core/tensor.hpp"

#include <cmath>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace seqref {

/// "[heads, len, dim]" for messages.
template <class S>
std::string shape_string(TensorView<S> t) {
  std::ostringstream os;
  os << '[' << t.heads << ", " << t.len << ", " << t.dim << ']';
  return os.str();
}

/// Throws std::invalid_argument with "fn: message".
[[noreturn]] inline void invalid_argument(std::string_view fn, const std::string& message) {
  throw std::invalid_argument(std::string(fn) + ": " + message);
}

inline void require(bool ok, std::string_view fn, const std::string& message) {
  if (!ok) invalid_argument(fn, message);
}

/// Non-finite values in an input are rejected up front (one O(n) pass, negligible beside the O(T²d) work), so no
/// output is ever a silent NaN: the message names the argument and the first offending index.
template <class S>
void require_finite(TensorView<const S> t, std::string_view fn, std::string_view name) {
  using std::isfinite;
  for (Index h = 0; h < t.heads; ++h)
    for (Index i = 0; i < t.len; ++i)
      for (Index c = 0; c < t.dim; ++c)
        if (!isfinite(t(h, i, c))) {
          std::ostringstream os;
          os << name << " has a non-finite value at [" << h << ", " << i << ", " << c << "] (shape " << shape_string(t)
             << ")";
          invalid_argument(fn, os.str());
        }
}

/// The same for a flat vector: the message names the argument, the first offending index and the length.
template <class S>
void require_finite(const std::vector<S>& v, std::string_view fn, std::string_view name) {
  using std::isfinite;
  for (std::size_t i = 0; i < v.size(); ++i)
    if (!isfinite(v[i]))
      invalid_argument(fn, std::string(name) + " has a non-finite value at index " + std::to_string(i) + " (length " +
                               std::to_string(v.size()) + ")");
}

}  // namespace seqref
