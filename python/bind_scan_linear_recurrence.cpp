// Python bindings for the scan engine, x_t = J_t x_{t−1} + b_t: seqref.ref.linear_recurrence (float64, the
// sequential loop), seqref.cpu.linear_recurrence (float32/float64 by b's dtype; chunk= forces a chunk length) and
// seqref.cuda.linear_recurrence (float32). The kind of J is read from its shape:
//   J [B, T] scalar; J [B, T, D] diagonal; J [B, T, D, D] dense;   b [B, T, D];   x0 [B, D] or None.
// Returns (x [B, T, D], x_final [B, D]). A tool for checking one's own scan kernels against the reference.
// Bad shapes and non-finite input raise ValueError naming the argument.

#include "binders.hpp"

#include "seqref/opt/scan/linear_recurrence.hpp"
#include "seqref/ref/scan/linear_recurrence.hpp"

#include "numpy_convert.hpp"

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <string>
#include <vector>

namespace py = pybind11;

namespace {

using seqref::Index;
using seqref::LinearRecurrence;
using seqref::Transition;

using seqref::python::as_array;
using seqref::python::CArray;
using seqref::python::convert;
using seqref::python::convert_optional;
using seqref::python::is_float32;
using seqref::python::new_array;

template <class T, class Solve>
py::tuple solve(const py::object& J_in, const py::object& b_in, const py::object& x0_in, const char* fn, Solve f) {
  const auto b = convert<T>(b_in, fn, "b", {{"B"}, {"T"}, {"D"}});
  const Index B = b.shape(0), L = b.shape(1), D = b.shape(2);
  // the kind of J is its number of dimensions: [B, T] scalar, [B, T, D] diagonal, [B, T, D, D] dense
  const py::array J_raw = as_array(J_in, fn, "J");
  const auto nd = J_raw.ndim();
  if (nd < 2 || nd > 4)
    seqref::python::value_error(fn, "J must be [B, T] (scalar), [B, T, D] (diagonal) or [B, T, D, D] (dense) for b " +
                                        seqref::python::shape_of(b) + "; got shape " + seqref::python::shape_of(J_raw));
  const Transition kind = nd == 2 ? Transition::scalar : nd == 3 ? Transition::diagonal : Transition::dense;
  const auto J = nd == 2   ? convert<T>(J_in, fn, "J", {{"B", B}, {"T", L}})
                 : nd == 3 ? convert<T>(J_in, fn, "J", {{"B", B}, {"T", L}, {"D", D}})
                           : convert<T>(J_in, fn, "J", {{"B", B}, {"T", L}, {"D", D}, {"D", D}});
  const auto x0 = convert_optional<T>(x0_in, fn, "x0", {{"B", B}, {"D", D}});
  const auto n = [](const auto& a) { return static_cast<std::size_t>(a.size()); };
  LinearRecurrence<T> p{kind, B, L, D, {J.data(), n(J)}, {b.data(), n(b)}, {}};
  if (!x0_in.is_none()) p.x0 = {x0.data(), n(x0)};
  auto x = new_array<T>(fn, "x", {{"B", B}, {"T", L}, {"D", D}});
  auto xf = new_array<T>(fn, "x_final", {{"B", B}, {"D", D}});
  {
    py::gil_scoped_release nogil;
    f(p, std::span<T>(x.mutable_data(), n(x)), std::span<T>(xf.mutable_data(), n(xf)));
  }
  return py::make_tuple(x, xf);
}

void bind_scan(py::module_& ref, py::module_& cpu, py::module_& cuda) {
  constexpr const char* doc =
      "x_t = J_t x_{t-1} + b_t for t = 1..T. J [B, T] (scalar), [B, T, D] (diagonal) or [B, T, D, D] (dense, "
      "row-major: x_t[i] = sum_j J_t[i, j] x_{t-1}[j] + b_t[i]); b [B, T, D]; x0 [B, D] or None (zeros). "
      "Returns (x [B, T, D], x_final [B, D]).";
  ref.def(
      "linear_recurrence",
      [](const py::object& J, const py::object& b, const py::object& x0) {
        return solve<double>(J, b, x0, "seqref.ref.linear_recurrence",
                             [](const auto& p, auto x, auto xf) { seqref::ref::linear_recurrence<double>(p, x, xf); });
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
