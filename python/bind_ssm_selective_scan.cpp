// Python bindings for ssm/selective_scan (Mamba S6): seqref.ref.selective_scan (float64), seqref.cpu.selective_scan
// (float32 or float64, by u's dtype), seqref.cuda.selective_scan (float32). Arguments as Mamba's selective_scan_fn
// with variable B, C in one group, but time-major: u, delta, z [batch, T, channels]; A [channels, dstate];
// B, C [batch, T, dstate]; D, delta_bias [channels]; h0 [batch, channels, dstate]. Returns (y, h_last) with
// y [batch, T, channels], h_last [batch, channels, dstate]. Bad input raises ValueError (shape checks here, the
// rest from the C++ std::invalid_argument). The GIL is released around the compute call.

#include "binders.hpp"

#include "seqref/opt/ssm/selective_scan.hpp"
#include "seqref/ref/ssm/selective_scan.hpp"

#include "numpy_convert.hpp"

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <optional>
#include <string>
#include <vector>

namespace py = pybind11;

namespace {

using seqref::Index;

seqref::BDiscretization discretization_of(const std::string& s, const std::string& fn) {
  if (s == "euler") return seqref::BDiscretization::euler;
  if (s == "zoh") return seqref::BDiscretization::zoh;
  throw py::value_error(fn + ": discretization must be 'euler' or 'zoh'; got '" + s + "'");
}

// The arrays of one call, as C-contiguous S, with their shapes checked against u [batch, T, channels] and
// A [channels, dstate].
template <class S>
struct Inputs {
  using Arr = seqref::python::CArray<S>;
  Arr u, delta, A, B, C;
  std::optional<Arr> D, z, bias, h0;
  Index batch = 0, len = 0, channels = 0, dstate = 0;

  Inputs(const std::string& fn, const py::object& u_, const py::object& delta_, const py::object& A_,
         const py::object& B_, const py::object& C_, const py::object& D_, const py::object& z_,
         const py::object& bias_, const py::object& h0_) {
    using seqref::python::convert;
    u = convert<S>(u_, fn, "u", {{"batch"}, {"T"}, {"channels"}});
    batch = u.shape(0);
    len = u.shape(1);
    channels = u.shape(2);
    A = convert<S>(A_, fn, "A", {{"channels", channels}, {"dstate"}});
    dstate = A.shape(1);
    delta = convert<S>(delta_, fn, "delta", {{"batch", batch}, {"T", len}, {"channels", channels}});
    B = convert<S>(B_, fn, "B", {{"batch", batch}, {"T", len}, {"dstate", dstate}});
    C = convert<S>(C_, fn, "C", {{"batch", batch}, {"T", len}, {"dstate", dstate}});
    if (!D_.is_none()) D = convert<S>(D_, fn, "D", {{"channels", channels}});
    if (!z_.is_none()) z = convert<S>(z_, fn, "z", {{"batch", batch}, {"T", len}, {"channels", channels}});
    if (!bias_.is_none()) bias = convert<S>(bias_, fn, "delta_bias", {{"channels", channels}});
    if (!h0_.is_none()) h0 = convert<S>(h0_, fn, "h0", {{"batch", batch}, {"channels", channels}, {"dstate", dstate}});
  }

  static std::span<const S> span(const Arr& a) { return {a.data(), static_cast<std::size_t>(a.size())}; }
  static std::span<const S> span(const std::optional<Arr>& a) { return a ? span(*a) : std::span<const S>{}; }

  seqref::SelectiveScan<S> view(bool softplus, seqref::BDiscretization disc) const {
    seqref::SelectiveScan<S> p;
    p.batch = batch;
    p.len = len;
    p.channels = channels;
    p.dstate = dstate;
    p.u = span(u);
    p.delta = span(delta);
    p.A = span(A);
    p.B = span(B);
    p.C = span(C);
    p.D = span(D);
    p.z = span(z);
    p.delta_bias = span(bias);
    p.h0 = span(h0);
    p.delta_softplus = softplus;
    p.discretization = disc;
    return p;
  }
};

// backend: 0 ref, 1 cpu, 2 cuda
template <class S>
py::tuple run(int backend, const std::string& fn, const py::object& u, const py::object& delta, const py::object& A,
              const py::object& B, const py::object& C, const py::object& D, const py::object& z,
              const py::object& bias, bool softplus, const py::object& h0, const std::string& disc, Index chunk,
              int threads) {
  const Inputs<S> in(fn, u, delta, A, B, C, D, z, bias, h0);
  const auto problem = in.view(softplus, discretization_of(disc, fn));
  auto y = seqref::python::new_array<S>(fn, "y", {{"batch", in.batch}, {"T", in.len}, {"channels", in.channels}});
  auto h = seqref::python::new_array<S>(fn, "h_last",
                                        {{"batch", in.batch}, {"channels", in.channels}, {"dstate", in.dstate}});
  std::span<S> ys(y.mutable_data(), static_cast<std::size_t>(y.size())),
      hs(h.mutable_data(), static_cast<std::size_t>(h.size()));
  {
    py::gil_scoped_release nogil;
    if (backend == 0) {
      seqref::ref::selective_scan<S>(problem, ys, hs);
    } else if (backend == 1) {
      seqref::cpu::selective_scan(problem, ys, hs, seqref::ScanSchedule{chunk, threads});
    } else {
      if constexpr (std::is_same_v<S, float>)
        seqref::cuda::selective_scan(problem, ys, hs, seqref::ScanSchedule{chunk, 0});
    }
  }
  return py::make_tuple(y, h);
}

const char* kDoc =
    "Mamba's selective scan (S6): h_t = exp(delta_t A) h_{t-1} + Bbar_t u_t, y_t = C_t h_t + D u_t, y *= silu(z).\n"
    "u, delta, z: [batch, T, channels]; A: [channels, dstate]; B, C: [batch, T, dstate]; D, delta_bias: "
    "[channels];\nh0: [batch, channels, dstate]. delta = softplus(delta + delta_bias) if delta_softplus. "
    "discretization: 'euler' (Bbar = delta B, Mamba's) or 'zoh' (Bbar = expm1(delta A)/A B).\n"
    "Returns (y [batch, T, channels], h_last [batch, channels, dstate]).";

// Docstrings live as long as the module (pybind11 keeps the pointer).
const std::string kRefDoc = std::string(kDoc) + "\nThe sequential reference in float64.";
const std::string kCpuDoc =
    std::string(kDoc) +
    "\nThe fused cpu scan, float32 if u is float32 (all inputs converted to it), float64 "
    "otherwise. chunk: time steps per chunk (0: automatic); threads: OpenMP threads (0: default).";
const std::string kCudaDoc =
    std::string(kDoc) + "\nThe fused CUDA kernel, float32 (inputs converted). chunk: 0 or 256/512/1024/2048.";

void bind_selective_scan(py::module_& ref, py::module_& cpu, py::module_& cuda) {
  ref.def(
      "selective_scan",
      [](const py::object& u, const py::object& delta, const py::object& A, const py::object& B, const py::object& C,
         const py::object& D, const py::object& z, const py::object& delta_bias, bool delta_softplus,
         const py::object& h0, const std::string& discretization) {
        return run<double>(0, "seqref.ref.selective_scan", u, delta, A, B, C, D, z, delta_bias, delta_softplus, h0,
                           discretization, 0, 0);
      },
      py::arg("u"), py::arg("delta"), py::arg("A"), py::arg("B"), py::arg("C"), py::arg("D") = py::none(),
      py::arg("z") = py::none(), py::arg("delta_bias") = py::none(), py::arg("delta_softplus") = false,
      py::arg("h0") = py::none(), py::arg("discretization") = "euler", kRefDoc.c_str());
  cpu.def(
      "selective_scan",
      [](const py::object& u, const py::object& delta, const py::object& A, const py::object& B, const py::object& C,
         const py::object& D, const py::object& z, const py::object& delta_bias, bool delta_softplus,
         const py::object& h0, const std::string& discretization, Index chunk, int threads) {
        const std::string fn = "seqref.cpu.selective_scan";
        if (seqref::python::is_float32(u))
          return run<float>(1, fn, u, delta, A, B, C, D, z, delta_bias, delta_softplus, h0, discretization, chunk,
                            threads);
        return run<double>(1, fn, u, delta, A, B, C, D, z, delta_bias, delta_softplus, h0, discretization, chunk,
                           threads);
      },
      py::arg("u"), py::arg("delta"), py::arg("A"), py::arg("B"), py::arg("C"), py::arg("D") = py::none(),
      py::arg("z") = py::none(), py::arg("delta_bias") = py::none(), py::arg("delta_softplus") = false,
      py::arg("h0") = py::none(), py::arg("discretization") = "euler", py::arg("chunk") = 0, py::arg("threads") = 0,
      kCpuDoc.c_str());
  cuda.def(
      "selective_scan",
      [](const py::object& u, const py::object& delta, const py::object& A, const py::object& B, const py::object& C,
         const py::object& D, const py::object& z, const py::object& delta_bias, bool delta_softplus,
         const py::object& h0, const std::string& discretization, Index chunk) {
        return run<float>(2, "seqref.cuda.selective_scan", u, delta, A, B, C, D, z, delta_bias, delta_softplus, h0,
                          discretization, chunk, 0);
      },
      py::arg("u"), py::arg("delta"), py::arg("A"), py::arg("B"), py::arg("C"), py::arg("D") = py::none(),
      py::arg("z") = py::none(), py::arg("delta_bias") = py::none(), py::arg("delta_softplus") = false,
      py::arg("h0") = py::none(), py::arg("discretization") = "euler", py::arg("chunk") = 0, kCudaDoc.c_str());
}

const seqref::python::RegisterBinder registered(&bind_selective_scan);

}  // namespace
