// Python bindings for the scan engine, x_t = J_t x_{t−1} + b_t: seqref.ref.linear_recurrence (float64, the
// sequential loop), seqref.cpu.linear_recurrence (float32/float64 by b's dtype; chunk= forces a chunk length) and
// seqref.cuda.linear_recurrence (float32). The kind of J is read from its shape:
//   J [B, T] scalar; J [B, T, D] diagonal; J [B, T, D, D] dense;   b [B, T, D];   x0 [B, D] or None.
// Returns (x [B, T, D], x_final [B, D]). A tool for checking one's own scan kernels against the reference.
// Bad shapes and non-finite input raise ValueError naming the argument.

#include "binders.hpp"

#include "seqref/opt/scan/linear_recurrence.hpp"
#include "seqref/ref/scan/linear_recurrence.hpp"

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>
#include <vector>

namespace py = pybind11;

namespace {

using seqref::Index;
using seqref::LinearRecurrence;
using seqref::Transition;

template <class T>
using Array = py::array_t<T, py::array::c_style | py::array::forcecast>;

std::string shape_of(const py::array& a) {
  std::string s = "[";
  for (py::ssize_t k = 0; k < a.ndim(); ++k) s += (k ? ", " : "") + std::to_string(a.shape(k));
  return s + "]";
}

template <class V, class Solve>
py::tuple solve(const py::object& J_in, const py::object& b_in, const py::object& x0_in, const char* fn, Solve f) {
  using T = V;
  auto b = Array<T>::ensure(b_in);
  auto J = Array<T>::ensure(J_in);
  if (!b || b.ndim() != 3)
    throw py::value_error(std::string(fn) + ": b must be a 3-D array [B, T, D]" + (b ? "; got " + shape_of(b) : ""));
  if (!J || J.ndim() < 2 || J.ndim() > 4)
    throw py::value_error(std::string(fn) + ": J must be [B, T] (scalar), [B, T, D] (diagonal) or [B, T, D, D] "
                          "(dense)" + (J ? "; got " + shape_of(J) : ""));
  const Index B = b.shape(0), L = b.shape(1), D = b.shape(2);
  const Transition kind = J.ndim() == 2 ? Transition::scalar : J.ndim() == 3 ? Transition::diagonal : Transition::dense;
  bool ok = J.shape(0) == B && J.shape(1) == L;
  if (J.ndim() >= 3) ok = ok && J.shape(2) == D;
  if (J.ndim() == 4) ok = ok && J.shape(3) == D;
  if (!ok)
    throw py::value_error(std::string(fn) + ": J " + shape_of(J) + " does not match b " + shape_of(b) +
                          " (J must be [B, T], [B, T, D] or [B, T, D, D])");
  Array<T> x0;
  if (!x0_in.is_none()) {
    x0 = Array<T>::ensure(x0_in);
    if (!x0 || x0.ndim() != 2 || x0.shape(0) != B || x0.shape(1) != D)
      throw py::value_error(std::string(fn) + ": x0 must be [B, D] = [" + std::to_string(B) + ", " +
                            std::to_string(D) + "]" + (x0 ? "; got " + shape_of(x0) : ""));
  }
  const auto n = [](const Array<T>& a) { return static_cast<std::size_t>(a.size()); };
  LinearRecurrence<T> p{kind, B, L, D, {J.data(), n(J)}, {b.data(), n(b)}, {}};
  if (x0) p.x0 = {x0.data(), n(x0)};
  Array<T> x({B, L, D}), xf({B, D});
  {
    py::gil_scoped_release nogil;
    f(p, std::span<T>(x.mutable_data(), n(x)), std::span<T>(xf.mutable_data(), n(xf)));
  }
  return py::make_tuple(x, xf);
}

bool is_float32(const py::object& o) {
  auto a = py::array::ensure(o);
  return a && a.dtype().is(py::dtype::of<float>());
}

void bind_scan(py::module_& ref, py::module_& cpu, py::module_& cuda) {
  constexpr const char* doc =
      "x_t = J_t x_{t-1} + b_t for t = 1..T. J [B, T] (scalar), [B, T, D] (diagonal) or [B, T, D, D] (dense, "
      "row-major: x_t[i] = sum_j J_t[i, j] x_{t-1}[j] + b_t[i]); b [B, T, D]; x0 [B, D] or None (zeros). "
      "Returns (x [B, T, D], x_final [B, D]).";
  ref.def(
      "linear_recurrence",
      [](const py::object& J, const py::object& b, const py::object& x0) {
        return solve<double>(J, b, x0, "seqref.ref.linear_recurrence", [](const auto& p, auto x, auto xf) {
          seqref::ref::linear_recurrence<double>(p, x, xf);
        });
      },
      py::arg("J"), py::arg("b"), py::arg("x0") = py::none(), doc);
  cpu.def(
      "linear_recurrence",
      [](const py::object& J, const py::object& b, const py::object& x0, Index chunk, int threads) -> py::tuple {
        const seqref::ScanSchedule s{chunk, threads};
        if (is_float32(b))
          return solve<float>(J, b, x0, "seqref.cpu.linear_recurrence",
                              [&](const auto& p, auto x, auto xf) { seqref::cpu::linear_recurrence(p, x, xf, s); });
        return solve<double>(J, b, x0, "seqref.cpu.linear_recurrence",
                             [&](const auto& p, auto x, auto xf) { seqref::cpu::linear_recurrence(p, x, xf, s); });
      },
      py::arg("J"), py::arg("b"), py::arg("x0") = py::none(), py::arg("chunk") = 0, py::arg("threads") = 0,
      (std::string(doc) + " Two-level chunked scan; chunk=0 picks the chunk length from the shape; float32 if b is "
                          "float32, else float64.")
          .c_str());
  cuda.def(
      "linear_recurrence",
      [](const py::object& J, const py::object& b, const py::object& x0) {
        return solve<float>(J, b, x0, "seqref.cuda.linear_recurrence",
                            [](const auto& p, auto x, auto xf) { seqref::cuda::linear_recurrence(p, x, xf); });
      },
      py::arg("J"), py::arg("b"), py::arg("x0") = py::none(), (std::string(doc) + " float32, device 0.").c_str());
}

static seqref::python::RegisterBinder registered(&bind_scan);

}  // namespace
