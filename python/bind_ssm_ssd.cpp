// Python bindings for ssm/ssd (Mamba-2 SSD): seqref.ref.ssd / segsum, seqref.cpu.ssd, seqref.cuda.ssd.
// Mamba-2 layouts: X [batch, T, heads, P], A [batch, T, heads] (the per-step log decay Δ·A), B, C [batch, T, groups, N],
// h0 [batch, heads, P, N] (optional); returns (Y [batch, T, heads, P], h_final [batch, heads, P, N]).
// NumPy float64 for the reference; float32/float64 (by X's dtype) for cpu, float32 for cuda. Bad input raises
// ValueError (the C++ std::invalid_argument, translated by the module). The GIL is released around compute calls.

#include "binders.hpp"

#include "seqref/opt/ssm/ssd.hpp"
#include "seqref/ref/ssm/ssd.hpp"

#include "numpy_convert.hpp"

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>
#include <vector>

namespace py = pybind11;

namespace {

using seqref::Index;
using seqref::SsdProblem;
using seqref::SsdShape;

template <class T>
using CArray = py::array_t<T, py::array::c_style | py::array::forcecast>;

template <class T>
CArray<T> ndarray(const py::object& o, int ndim, const std::string& fn, const char* name, const char* layout) {
  auto a = CArray<T>::ensure(o);
  if (!a || a.ndim() != ndim)
    throw py::value_error(fn + ": " + name + " must be a " + std::to_string(ndim) + "-D array " + layout);
  return a;
}

/// Owning inputs converted from NumPy, with the shape read from X and B.
template <class T>
struct Inputs {
  SsdShape shape;
  CArray<T> X, A, B, C, h0;
  bool has_h0 = false;
  SsdProblem<T> problem() const {
    auto span = [](const CArray<T>& a) { return std::span<const T>(a.data(), static_cast<std::size_t>(a.size())); };
    return {shape, span(X), span(A), span(B), span(C), has_h0 ? span(h0) : std::span<const T>{}};
  }
};

template <class T>
Inputs<T> inputs(const std::string& fn, const py::object& X, const py::object& A, const py::object& B,
                 const py::object& C, const py::object& h0) {
  Inputs<T> in;
  in.X = ndarray<T>(X, 4, fn, "X", "[batch, T, heads, P]");
  in.A = ndarray<T>(A, 3, fn, "A", "[batch, T, heads]");
  in.B = ndarray<T>(B, 4, fn, "B", "[batch, T, groups, N]");
  in.C = ndarray<T>(C, 4, fn, "C", "[batch, T, groups, N]");
  in.shape = {in.X.shape(0), in.X.shape(1), in.X.shape(2), in.X.shape(3), in.B.shape(2), in.B.shape(3)};
  auto same = [&](const CArray<T>& a, std::vector<Index> want, const char* name) {
    for (std::size_t i = 0; i < want.size(); ++i)
      if (a.shape(static_cast<py::ssize_t>(i)) != want[i])
        throw py::value_error(fn + ": " + name + " has shape mismatching X and B; need " + name + " " +
                              (std::string(name) == "A" ? "[batch, T, heads]" : std::string(name) == "h0"
                                                                                     ? "[batch, heads, P, N]"
                                                                                     : "[batch, T, groups, N]") +
                              " for " + in.shape.to_string());
  };
  const SsdShape& s = in.shape;
  same(in.A, {s.batch, s.len, s.heads}, "A");
  same(in.B, {s.batch, s.len}, "B");
  same(in.C, {s.batch, s.len, s.groups, s.dstate}, "C");
  if (!h0.is_none()) {
    in.h0 = ndarray<T>(h0, 4, fn, "h0", "[batch, heads, P, N]");
    same(in.h0, {s.batch, s.heads, s.headdim, s.dstate}, "h0");
    in.has_h0 = true;
  }
  return in;
}

template <class T>
py::tuple outputs_tuple(const SsdShape& s, std::vector<T>& y, std::vector<T>& h) {
  py::array_t<T> Y({s.batch, s.len, s.heads, s.headdim}), H({s.batch, s.heads, s.headdim, s.dstate});
  std::copy(y.begin(), y.end(), Y.mutable_data());
  std::copy(h.begin(), h.end(), H.mutable_data());
  return py::make_tuple(Y, H);
}

template <class T>
py::tuple run_opt(const py::object& X, const py::object& A, const py::object& B, const py::object& C,
                  const py::object& h0, Index chunk, bool cuda) {
  const std::string fn = cuda ? "seqref.cuda.ssd" : "seqref.cpu.ssd";
  const auto in = inputs<T>(fn, X, A, B, C, h0);
  std::vector<T> y(static_cast<std::size_t>(in.shape.x_size())), h(static_cast<std::size_t>(in.shape.state_size()));
  seqref::SsdOptions o;
  o.chunk = chunk;
  {
    py::gil_scoped_release nogil;
    if constexpr (std::is_same_v<T, float>) {
      if (cuda) seqref::cuda::ssd(in.problem(), y, h, o);
      else seqref::cpu::ssd(in.problem(), y, h, o);
    } else {
      seqref::cpu::ssd(in.problem(), y, h, o);
    }
  }
  return outputs_tuple(in.shape, y, h);
}

void bind_ssd(py::module_& ref, py::module_& cpu, py::module_& cuda) {
  ref.def(
      "ssd",
      [](const py::object& X, const py::object& A, const py::object& B, const py::object& C, const py::object& h0,
         const std::string& form, Index chunk) {
        const auto in = inputs<double>("seqref.ref.ssd", X, A, B, C, h0);
        std::vector<double> y(static_cast<std::size_t>(in.shape.x_size())),
            h(static_cast<std::size_t>(in.shape.state_size()));
        if (form != "chunked" && form != "quadratic" && form != "recurrence")
          throw py::value_error("seqref.ref.ssd: form must be 'chunked', 'quadratic' or 'recurrence'; got '" + form + "'");
        {
          py::gil_scoped_release nogil;
          if (form == "chunked") seqref::ref::ssd_chunked<double>(in.problem(), chunk, y, h);
          else if (form == "quadratic") seqref::ref::ssd_quadratic<double>(in.problem(), y, h);
          else seqref::ref::ssd_recurrence<double>(in.problem(), y, h);
        }
        return outputs_tuple(in.shape, y, h);
      },
      py::arg("X"), py::arg("A"), py::arg("B"), py::arg("C"), py::arg("h0") = py::none(),
      py::arg("form") = "chunked", py::arg("chunk") = 64,
      "Reference SSD (float64): form 'chunked' (chunk length `chunk`), 'quadratic' ((L o C B^T) X) or 'recurrence' "
      "(the scan engine). Returns (Y [batch, T, heads, P], h_final [batch, heads, P, N]).");
  ref.def(
      "segsum",
      [](const py::object& a, bool stable) {
        const auto v = seqref::python::vector1d<double>(a, "seqref.ref.segsum", "a");
        return seqref::python::to_numpy(stable ? seqref::ref::segsum_stable<double>(v) : seqref::ref::segsum_naive<double>(v));
      },
      py::arg("a"), py::arg("stable") = true,
      "segsum(a)[i, j] = a[j+1] + ... + a[i] (j <= i), -inf above: stable (segment sums) or naive (cumsum "
      "differences).");
  cpu.def(
      "ssd",
      [](const py::array& X, const py::object& A, const py::object& B, const py::object& C, const py::object& h0,
         Index chunk) {
        if (X.dtype().is(py::dtype::of<float>())) return run_opt<float>(X, A, B, C, h0, chunk, false);
        return run_opt<double>(X, A, B, C, h0, chunk, false);
      },
      py::arg("X"), py::arg("A"), py::arg("B"), py::arg("C"), py::arg("h0") = py::none(), py::arg("chunk") = 0,
      "Chunked SSD on the CPU, float32 or float64 (X's dtype); chunk 0: the default (64).");
  cuda.def(
      "ssd",
      [](const py::object& X, const py::object& A, const py::object& B, const py::object& C, const py::object& h0,
         Index chunk) { return run_opt<float>(X, A, B, C, h0, chunk, true); },
      py::arg("X"), py::arg("A"), py::arg("B"), py::arg("C"), py::arg("h0") = py::none(), py::arg("chunk") = 0,
      "Chunked SSD on the GPU (float32, chunk <= 64); RuntimeError without a device.");
}

static seqref::python::RegisterBinder registered(&bind_ssd);

}  // namespace
