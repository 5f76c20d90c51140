#pragma once
/// \file
/// The one NumPy <-> C++ conversion layer of the python/bind_*.cpp files. Every array argument goes through
/// `convert<T>(obj, fn, name, {extents...})`, which checks, in this order and before any C++ call:
///
///   1. the object is an array (or convertible: lists, scalars);
///   2. its dtype kind: real targets take bool / int / uint / float (converted); complex targets also complex;
///      object, str, bytes, void and datetime arrays, and complex where real is expected, are refused;
///   3. its number of dimensions and every extent the other arguments already fix (a free extent is read);
///   4. the memory budget for the C-contiguous copy (a zero-stride view of 10^12 elements is refused, not
///      materialized), and an allocation failure surfaces as MemoryError, never as a null array.
///
/// Outputs are allocated by `new_array<T>(fn, name, {extents...})` from validated extents only, and C++ results are
/// copied with `copy_out`, which refuses (RuntimeError naming the function) a result whose size differs from the
/// array's. Messages: "<fn>: <argument> must ...; got <shape> <dtype>". std::invalid_argument is ValueError.

#include "seqref/core/contract.hpp"
#include "seqref/core/limits.hpp"
#include "seqref/core/tensor.hpp"

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <complex>
#include <cstring>
#include <initializer_list>
#include <sstream>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace seqref::python {

namespace py = pybind11;

/// A C-contiguous array of T (what every conversion returns).
template <class T>
using CArray = py::array_t<T, py::array::c_style | py::array::forcecast>;

/// One dimension of an expected shape: a name for messages and the value the other arguments fix (< 0: free).
struct Dim {
  const char* name;
  Index value = -1;
};

/// "(4, 30)" (NumPy's spelling).
inline std::string shape_of(const py::array& a) {
  std::ostringstream os;
  os << '(';
  for (py::ssize_t i = 0; i < a.ndim(); ++i) os << (i ? ", " : "") << a.shape(i);
  if (a.ndim() == 1) os << ',';
  os << ')';
  return os.str();
}

/// "float64", "<U3", "object".
inline std::string dtype_of(const py::array& a) { return py::str(a.dtype()).cast<std::string>(); }

/// "[T=4, d=3]" with "?" for free extents.
inline std::string layout_of(std::initializer_list<Dim> shape) {
  std::ostringstream os;
  os << '[';
  bool first = true;
  for (const auto& d : shape) {
    os << (first ? "" : ", ") << d.name;
    if (d.value >= 0) os << '=' << d.value;
    first = false;
  }
  os << ']';
  return os.str();
}

/// The dtype a conversion to T produces, for messages ("float64", "complex64").
template <class T>
std::string dtype_name() {
  return py::str(py::dtype::of<T>()).cast<std::string>();
}

[[noreturn]] inline void value_error(const std::string& fn, const std::string& message) {
  throw py::value_error(fn + ": " + message);
}

/// np.asarray(o) without a dtype change; ValueError when o cannot be an array (None, a ragged list, …).
inline py::array as_array(const py::handle& o, const std::string& fn, const char* name) {
  if (o.is_none()) value_error(fn, std::string(name) + " must be an array; got None");
  py::array a = py::array::ensure(o);
  if (!a)
    value_error(fn, std::string(name) + " must be an array (or convertible to one); got " +
                        py::repr(py::type::of(o)).cast<std::string>());
  return a;
}

/// The dtype kind check: numbers only, complex only where the target is complex.
inline void require_numeric_dtype(const py::array& a, const std::string& fn, const char* name, bool complex_ok,
                                  const std::string& expected) {
  const char kind = a.dtype().kind();
  const bool ok = kind == 'b' || kind == 'i' || kind == 'u' || kind == 'f' || (complex_ok && kind == 'c');
  if (!ok)
    value_error(fn, std::string(name) + " must be a numeric array convertible to " + expected + "; got dtype " +
                        dtype_of(a) + ", shape " + shape_of(a));
}

/// ndim and the fixed extents of `shape`.
inline void require_shape(const py::array& a, const std::string& fn, const char* name,
                          std::initializer_list<Dim> shape) {
  bool ok = a.ndim() == static_cast<py::ssize_t>(shape.size());
  py::ssize_t i = 0;
  for (const auto& d : shape) {
    if (ok && d.value >= 0 && a.shape(i) != d.value) ok = false;
    ++i;
  }
  if (a.ndim() != static_cast<py::ssize_t>(shape.size()))
    value_error(fn, std::string(name) + " must have " + std::to_string(shape.size()) + " dimensions " +
                        layout_of(shape) + "; got ndim " + std::to_string(a.ndim()) + ", shape " + shape_of(a));
  if (!ok)
    value_error(fn, std::string(name) + " must have shape " + layout_of(shape) +
                        " (fixed by the other arguments); got shape " + shape_of(a));
}

/// A C-contiguous copy (or the array itself when it already is one) of `a` as T, the copy's memory budgeted first.
template <class T>
CArray<T> contiguous(const py::array& a, const std::string& fn, const char* name) {
  const bool same = a.dtype().is(py::dtype::of<T>()) && (a.flags() & py::array::c_style);
  if (!same)
    require_memory(fn, double(a.size()) * sizeof(T),
                   std::string("the contiguous ") + dtype_name<T>() + " copy of " + name + " " + shape_of(a));
  // array_t(object) raises the conversion's own Python error (MemoryError on a failed allocation)
  return CArray<T>(py::reinterpret_borrow<py::object>(a));
}

/// The full conversion of one array argument (see the file comment).
template <class T>
CArray<T> convert(const py::handle& o, const std::string& fn, const char* name, std::initializer_list<Dim> shape) {
  constexpr bool is_complex = !std::is_arithmetic_v<T>;
  const py::array a = as_array(o, fn, name);
  require_numeric_dtype(a, fn, name, is_complex, dtype_name<T>());
  require_shape(a, fn, name, shape);
  return contiguous<T>(a, fn, name);
}

/// As convert, or an empty array when o is None (an optional argument).
template <class T>
CArray<T> convert_optional(const py::handle& o, const std::string& fn, const char* name,
                           std::initializer_list<Dim> shape) {
  if (o.is_none()) return CArray<T>(std::vector<py::ssize_t>{0});
  return convert<T>(o, fn, name, shape);
}

/// The span of a converted array (empty for an empty array).
template <class T>
std::span<const T> span_of(const CArray<T>& a) {
  return {a.data(), static_cast<std::size_t>(a.size())};
}

/// A 1-D argument as a std::vector<T>.
template <class T>
std::vector<T> vector1d(const py::handle& o, const std::string& fn, const char* name, Index n = -1) {
  const auto a = convert<T>(o, fn, name, {{"n", n}});
  return std::vector<T>(a.data(), a.data() + a.size());
}

/// A 2-D argument as a seqref::Matrix<double> (row-major).
inline Matrix<double> matrix(const py::handle& o, const std::string& fn, const char* name, Index rows = -1,
                             Index cols = -1) {
  const auto a = convert<double>(o, fn, name, {{"rows", rows}, {"cols", cols}});
  Matrix<double> m(a.shape(0), a.shape(1));
  if (m.size() > 0) std::memcpy(m.data(), a.data(), sizeof(double) * static_cast<std::size_t>(m.size()));
  return m;
}

/// True when o is (or converts to) a float32 array: the cpu backends' precision dispatch.
inline bool is_float32(const py::handle& o) {
  if (o.is_none()) return false;
  py::array a = py::array::ensure(o);
  return a && a.dtype().is(py::dtype::of<float>());
}

/// An output array of validated extents; its size is checked for overflow and against the memory budget.
template <class T>
py::array_t<T> new_array(const std::string& fn, const char* name, std::initializer_list<Dim> shape) {
  Index n = 1;
  std::vector<py::ssize_t> dims;
  for (const auto& d : shape) {
    if (d.value < 0)
      value_error(fn, std::string(name) + " has a negative extent " + d.name + " in " + layout_of(shape));
    if (d.value != 0 && n > (Index(1) << 62) / d.value)
      value_error(fn, std::string(name) + " " + layout_of(shape) + " would have more than 2^62 elements");
    n *= d.value;
    dims.push_back(static_cast<py::ssize_t>(d.value));
  }
  require_memory(fn, double(n) * sizeof(T), std::string("the result ") + name + " " + layout_of(shape));
  return py::array_t<T>(dims);
}

/// Copies a C++ result into an output array of the same number of elements; a size mismatch is a library bug and
/// is refused (RuntimeError naming the function) instead of overrunning the array.
template <class T>
void copy_out(const T* src, std::size_t n, py::array_t<T>& out, const std::string& fn, const char* name) {
  if (n != static_cast<std::size_t>(out.size()))
    throw std::runtime_error(fn + ": internal error: " + name + " has " + std::to_string(n) +
                             " elements, the output array " + std::to_string(out.size()));
  if (n > 0) std::memcpy(out.mutable_data(), src, n * sizeof(T));
}

/// A result vector as an array of the given validated shape (default: 1-D of its own length).
template <class T>
py::array_t<T> to_numpy(const std::vector<T>& v, const std::string& fn = "seqref", const char* name = "result") {
  auto out = new_array<T>(fn, name, {{"n", static_cast<Index>(v.size())}});
  copy_out(v.data(), v.size(), out, fn, name);
  return out;
}
template <class T>
py::array_t<T> to_numpy(const std::vector<T>& v, const std::string& fn, const char* name,
                        std::initializer_list<Dim> shape) {
  auto out = new_array<T>(fn, name, shape);
  copy_out(v.data(), v.size(), out, fn, name);
  return out;
}

/// A matrix as a 2-D array (row-major).
inline py::array_t<double> to_numpy(const Matrix<double>& m, const std::string& fn = "seqref",
                                    const char* name = "result") {
  auto out = new_array<double>(fn, name, {{"rows", m.rows()}, {"cols", m.cols()}});
  copy_out(m.data(), static_cast<std::size_t>(m.size()), out, fn, name);
  return out;
}

}  // namespace seqref::python
