// Python bindings for ssm/selective_scan (Mamba S6): seqref.ref.selective_scan (float64), seqref.cpu.selective_scan
// (float32 or float64, by u's dtype), seqref.cuda.selective_scan (float32). Arguments as Mamba's selective_scan_fn
// with variable B, C in one group, but time-major: u, delta, z [batch, T, channels]; A [channels, dstate];
// B, C [batch, T, dstate]; D, delta_bias [channels]; h0 [batch, channels, dstate]. Returns (y, h_last) with
// y [batch, T, channels], h_last [batch, channels, dstate]. Bad input raises ValueError (shape checks here, the
// rest from the C++ std::invalid_argument). The GIL is released around the compute call.

#include "binders.hpp"

#include "seqref/opt/ssm/selective_scan.hpp"
#include "seqref/ref/ssm/selective_scan.hpp"

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

std::string shape_of(const py::array& a) {
  std::string s = "(";
  for (py::ssize_t i = 0; i < a.ndim(); ++i) s += (i ? ", " : "") + std::to_string(a.shape(i));
  return s + (a.ndim() == 1 ? ",)" : ")");
}

// The arrays of one call, as C-contiguous S, with their shapes checked against u [batch, T, channels] and
// A [channels, dstate].
template <class S>
struct Inputs {
  using Arr = py::array_t<S, py::array::c_style | py::array::forcecast>;
  Arr u, delta, A, B, C;
  std::optional<Arr> D, z, bias, h0;
  Index batch = 0, len = 0, channels = 0, dstate = 0;

  static Arr get(const py::object& o, const std::string& fn, const char* name, std::vector<Index> want,
                 const char* layout) {
    auto a = Arr::ensure(o);
    if (!a) throw py::value_error(fn + ": " + name + " must be a numeric array " + layout);
    bool ok = a.ndim() == static_cast<py::ssize_t>(want.size());
    for (std::size_t i = 0; ok && i < want.size(); ++i) ok = want[i] < 0 || a.shape(i) == want[i];
    if (!ok) {
      std::string w = "(";
      for (std::size_t i = 0; i < want.size(); ++i)
        w += (i ? ", " : "") + (want[i] < 0 ? std::string("?") : std::to_string(want[i]));
      throw py::value_error(fn + ": " + name + " must have shape " + layout + " = " + w +
                            (want.size() == 1 ? ",)" : ")") + "; got " + shape_of(a));
    }
    return a;
  }

  Inputs(const std::string& fn, const py::object& u_, const py::object& delta_, const py::object& A_,
         const py::object& B_, const py::object& C_, const py::object& D_, const py::object& z_,
         const py::object& bias_, const py::object& h0_) {
    u = get(u_, fn, "u", {-1, -1, -1}, "[batch, T, channels]");
    batch = u.shape(0);
    len = u.shape(1);
    channels = u.shape(2);
    A = get(A_, fn, "A", {channels, -1}, "[channels, dstate]");
    dstate = A.shape(1);
    delta = get(delta_, fn, "delta", {batch, len, channels}, "[batch, T, channels]");
    B = get(B_, fn, "B", {batch, len, dstate}, "[batch, T, dstate]");
    C = get(C_, fn, "C", {batch, len, dstate}, "[batch, T, dstate]");
    if (!D_.is_none()) D = get(D_, fn, "D", {channels}, "[channels]");
    if (!z_.is_none()) z = get(z_, fn, "z", {batch, len, channels}, "[batch, T, channels]");
    if (!bias_.is_none()) bias = get(bias_, fn, "delta_bias", {channels}, "[channels]");
    if (!h0_.is_none()) h0 = get(h0_, fn, "h0", {batch, channels, dstate}, "[batch, channels, dstate]");
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
  py::array_t<S> y({static_cast<py::ssize_t>(in.batch), static_cast<py::ssize_t>(in.len),
                    static_cast<py::ssize_t>(in.channels)});
  py::array_t<S> h({static_cast<py::ssize_t>(in.batch), static_cast<py::ssize_t>(in.channels),
                    static_cast<py::ssize_t>(in.dstate)});
  std::span<S> ys(y.mutable_data(), static_cast<std::size_t>(y.size())), hs(h.mutable_data(), static_cast<std::size_t>(h.size()));
  {
    py::gil_scoped_release nogil;
    if (backend == 0) {
      seqref::ref::selective_scan<S>(problem, ys, hs);
    } else if (backend == 1) {
      seqref::cpu::selective_scan(problem, ys, hs, seqref::ScanSchedule{chunk, threads});
    } else {
      if constexpr (std::is_same_v<S, float>) seqref::cuda::selective_scan(problem, ys, hs, seqref::ScanSchedule{chunk, 0});
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
const std::string kCpuDoc = std::string(kDoc) +
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
      py::arg("h0") = py::none(), py::arg("discretization") = "euler",
      kRefDoc.c_str());
  cpu.def(
      "selective_scan",
      [](const py::object& u, const py::object& delta, const py::object& A, const py::object& B, const py::object& C,
         const py::object& D, const py::object& z, const py::object& delta_bias, bool delta_softplus,
         const py::object& h0, const std::string& discretization, Index chunk, int threads) {
        const std::string fn = "seqref.cpu.selective_scan";
        const auto a = py::array::ensure(u);
        if (a && a.dtype().is(py::dtype::of<float>()))
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
      py::arg("h0") = py::none(), py::arg("discretization") = "euler", py::arg("chunk") = 0,
      kCudaDoc.c_str());
}

const seqref::python::RegisterBinder registered(&bind_selective_scan);

}  // namespace
