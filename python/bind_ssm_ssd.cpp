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

using seqref::python::CArray;
using seqref::python::convert;

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
  in.X = convert<T>(X, fn, "X", {{"batch"}, {"T"}, {"heads"}, {"P"}});
  const Index batch = in.X.shape(0), len = in.X.shape(1), heads = in.X.shape(2), P = in.X.shape(3);
  in.B = convert<T>(B, fn, "B", {{"batch", batch}, {"T", len}, {"groups"}, {"N"}});
  const Index groups = in.B.shape(2), N = in.B.shape(3);
  in.A = convert<T>(A, fn, "A", {{"batch", batch}, {"T", len}, {"heads", heads}});
  in.C = convert<T>(C, fn, "C", {{"batch", batch}, {"T", len}, {"groups", groups}, {"N", N}});
  in.shape = {batch, len, heads, P, groups, N};
  if (!h0.is_none()) {
    in.h0 = convert<T>(h0, fn, "h0", {{"batch", batch}, {"heads", heads}, {"P", P}, {"N", N}});
    in.has_h0 = true;
  }
  return in;
}

template <class T>
py::tuple outputs_tuple(const std::string& fn, const SsdShape& s, std::vector<T>& y, std::vector<T>& h) {
  using seqref::python::to_numpy;
  return py::make_tuple(
      to_numpy(y, fn, "Y", {{"batch", s.batch}, {"T", s.len}, {"heads", s.heads}, {"P", s.headdim}}),
      to_numpy(h, fn, "h_final", {{"batch", s.batch}, {"heads", s.heads}, {"P", s.headdim}, {"N", s.dstate}}));
}

// Output buffers of validated extents (sizes budgeted before allocation).
inline void require_output_memory(const std::string& fn, const SsdShape& s, std::size_t scalar) {
  seqref::require_memory(
      fn,
      (double(s.batch) * s.len * s.heads * s.headdim + double(s.batch) * s.heads * s.headdim * s.dstate) * 2 *
          double(scalar),
      "the outputs Y and h_final for " + s.to_string());
}

template <class T>
py::tuple run_opt(const py::object& X, const py::object& A, const py::object& B, const py::object& C,
                  const py::object& h0, Index chunk, bool cuda) {
  const std::string fn = cuda ? "seqref.cuda.ssd" : "seqref.cpu.ssd";
  const auto in = inputs<T>(fn, X, A, B, C, h0);
  require_output_memory(fn, in.shape, sizeof(T));
  std::vector<T> y(static_cast<std::size_t>(in.shape.x_size())), h(static_cast<std::size_t>(in.shape.state_size()));
  seqref::SsdOptions o;
  o.chunk = chunk;
  {
    py::gil_scoped_release nogil;
    if constexpr (std::is_same_v<T, float>) {
      if (cuda)
        seqref::cuda::ssd(in.problem(), y, h, o);
      else
        seqref::cpu::ssd(in.problem(), y, h, o);
    } else {
      seqref::cpu::ssd(in.problem(), y, h, o);
    }
  }
  return outputs_tuple(fn, in.shape, y, h);
}

void bind_ssd(py::module_& ref, py::module_& cpu, py::module_& cuda) {
  ref.def(
      "ssd",
      [](const py::object& X, const py::object& A, const py::object& B, const py::object& C, const py::object& h0,
         const std::string& form, Index chunk) {
        const auto in = inputs<double>("seqref.ref.ssd", X, A, B, C, h0);
        require_output_memory("seqref.ref.ssd", in.shape, sizeof(double));
        std::vector<double> y(static_cast<std::size_t>(in.shape.x_size())),
            h(static_cast<std::size_t>(in.shape.state_size()));
        if (form != "chunked" && form != "quadratic" && form != "recurrence")
          throw py::value_error("seqref.ref.ssd: form must be 'chunked', 'quadratic' or 'recurrence'; got '" + form +
                                "'");
        {
          py::gil_scoped_release nogil;
          if (form == "chunked")
            seqref::ref::ssd_chunked<double>(in.problem(), chunk, y, h);
          else if (form == "quadratic")
            seqref::ref::ssd_quadratic<double>(in.problem(), y, h);
          else
            seqref::ref::ssd_recurrence<double>(in.problem(), y, h);
        }
        return outputs_tuple("seqref.ref.ssd", in.shape, y, h);
      },
      py::arg("X"), py::arg("A"), py::arg("B"), py::arg("C"), py::arg("h0") = py::none(), py::arg("form") = "chunked",
      py::arg("chunk") = 64,
      "Reference SSD (float64): form 'chunked' (chunk length `chunk`), 'quadratic' ((L o C B^T) X) or 'recurrence' "
      "(the scan engine). Returns (Y [batch, T, heads, P], h_final [batch, heads, P, N]).");
  ref.def(
      "segsum",
      [](const py::object& a, bool stable) {
        const auto v = seqref::python::vector1d<double>(a, "seqref.ref.segsum", "a");
        return seqref::python::to_numpy(
            stable ? seqref::ref::segsum_stable<double>(v) : seqref::ref::segsum_naive<double>(v), "seqref.ref.segsum",
            "segsum");
      },
      py::arg("a"), py::arg("stable") = true,
      "segsum(a)[i, j] = a[j+1] + ... + a[i] (j <= i), -inf above: stable (segment sums) or naive (cumsum "
      "differences).");
  cpu.def(
      "ssd",
      [](const py::object& X, const py::object& A, const py::object& B, const py::object& C, const py::object& h0,
         Index chunk) {
        if (seqref::python::is_float32(X)) return run_opt<float>(X, A, B, C, h0, chunk, false);
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
