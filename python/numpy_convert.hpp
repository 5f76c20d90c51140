#pragma once
/// \file
/// NumPy <-> C++ conversions shared by the python/bind_*.cpp files (C-contiguous copies, ValueError naming the
/// function and the argument on a wrong number of dimensions).

#include "seqref/core/tensor.hpp"

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstring>
#include <string>
#include <vector>

namespace seqref::python {

namespace py = pybind11;

/// A 1-D array holding a copy of v.
template <class T>
py::array_t<T> to_numpy(const std::vector<T>& v) {
  py::array_t<T> out(static_cast<py::ssize_t>(v.size()));
  if (!v.empty()) std::memcpy(out.mutable_data(), v.data(), v.size() * sizeof(T));
  return out;
}

/// A 2-D array holding a copy of m (row-major).
inline py::array_t<double> to_numpy(const Matrix<double>& m) {
  py::array_t<double> out({static_cast<py::ssize_t>(m.rows()), static_cast<py::ssize_t>(m.cols())});
  if (m.size() > 0) std::memcpy(out.mutable_data(), m.data(), sizeof(double) * static_cast<std::size_t>(m.size()));
  return out;
}

/// A C-contiguous array of T with 2 dimensions (converted if needed); ValueError otherwise. `layout` is appended
/// to the message (e.g. " [channels, n]").
template <class T>
py::array_t<T, py::array::c_style | py::array::forcecast> array2d(const py::object& o, const char* fn,
                                                                const char* name, const char* layout = "") {
  auto a = py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(o);
  if (!a || a.ndim() != 2) throw py::value_error(std::string(fn) + ": " + name + " must be a 2-D array" + layout);
  return a;
}

/// A 1-D array as a std::vector<T> (converted if needed); ValueError otherwise.
template <class T>
std::vector<T> vector1d(const py::object& o, const char* fn, const char* name) {
  auto a = py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(o);
  if (!a || a.ndim() != 1) throw py::value_error(std::string(fn) + ": " + name + " must be a 1-D array");
  return std::vector<T>(a.data(), a.data() + a.shape(0));
}

/// A 2-D array as a seqref::Matrix<double>.
inline Matrix<double> matrix(const py::object& o, const char* fn, const char* name) {
  const auto a = array2d<double>(o, fn, name);
  Matrix<double> m(a.shape(0), a.shape(1));
  if (m.size() > 0) std::memcpy(m.data(), a.data(), sizeof(double) * static_cast<std::size_t>(m.size()));
  return m;
}

}  // namespace seqref::python
