// Python bindings for ssm/rtf and the shared FFTs: seqref.ref.rtf_kernel / rtf_recurrence / rtf_companion /
// dense_kernel / rtf_from_dense / causal_conv; seqref.cpu.rtf_kernel / causal_conv / dft; seqref.cuda.rtf_kernel /
// causal_conv. NumPy in, NumPy out (float64 for the reference; float32/float64 for cpu by the input dtype; float32
// for cuda); bad input raises ValueError (std::invalid_argument translated by the module); GIL released around compute.

#include "binders.hpp"

#include "seqref/opt/ssm/fft.hpp"
#include "seqref/opt/ssm/rtf.hpp"
#include "seqref/ref/ssm/fourier.hpp"
#include "seqref/ref/ssm/rtf.hpp"

#include "numpy_convert.hpp"

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <complex>
#include <cstring>
#include <optional>
#include <span>
#include <string>

namespace py = pybind11;

namespace {

using seqref::python::convert;
using seqref::python::is_float32;
using seqref::python::matrix;
using seqref::python::new_array;
using seqref::python::to_numpy;
using seqref::python::vector1d;

using seqref::Index;
using seqref::Matrix;

template <class T, class Backend>
py::array_t<T> rtf_kernel_batched(const py::object& a_in, const py::object& b_in, Index L, const char* fn, Backend f) {
  const auto a = convert<T>(a_in, fn, "a", {{"channels"}, {"N"}});
  const Index C = a.shape(0), N = a.shape(1);
  const auto b = convert<T>(b_in, fn, "b", {{"channels", C}, {"N", N}});
  seqref::require_extent(fn, "L", L, 1);
  auto out = new_array<T>(fn, "kernel", {{"channels", C}, {"L", L}});
  {
    py::gil_scoped_release nogil;
    f(std::span<const T>(a.data(), static_cast<std::size_t>(a.size())),
      std::span<const T>(b.data(), static_cast<std::size_t>(b.size())),
      std::span<T>(out.mutable_data(), static_cast<std::size_t>(out.size())), C, N, L);
  }
  return out;
}

template <class T, class Backend>
py::array_t<T> conv_batched(const py::object& k_in, const py::object& u_in, const char* fn, Backend f) {
  const auto k = convert<T>(k_in, fn, "kernel", {{"channels"}, {"L"}});
  const Index C = k.shape(0), L = k.shape(1);
  const auto u = convert<T>(u_in, fn, "u", {{"channels", C}, {"L", L}});
  auto out = new_array<T>(fn, "y", {{"channels", C}, {"L", L}});
  {
    py::gil_scoped_release nogil;
    f(std::span<const T>(k.data(), static_cast<std::size_t>(k.size())),
      std::span<const T>(u.data(), static_cast<std::size_t>(u.size())),
      std::span<T>(out.mutable_data(), static_cast<std::size_t>(out.size())), C, L);
  }
  return out;
}

void bind_rtf(py::module_& ref, py::module_& cpu, py::module_& cuda) {
  using namespace seqref;
  ref.def(
      "rtf_kernel",
      [](const py::object& a, const py::object& b, Index L) {
        return to_numpy(ref::rtf_kernel<double>(vector1d<double>(a, "seqref.ref.rtf_kernel", "a"),
                                                vector1d<double>(b, "seqref.ref.rtf_kernel", "b"), L));
      },
      py::arg("a"), py::arg("b"), py::arg("L"),
      "RTF kernel, float64: IDFT_L(DFT_L(b)/DFT_L(1, a)) for G(z) = (b_1 + ... + b_N z^{N-1})/(1 + a_1 z + ... + a_N "
      "z^N).");
  ref.def(
      "rtf_recurrence",
      [](const py::object& a, const py::object& b, const py::object& u) {
        const char* fn = "seqref.ref.rtf_recurrence";
        return to_numpy(ref::rtf_recurrence<double>(vector1d<double>(a, fn, "a"), vector1d<double>(b, fn, "b"),
                                                    vector1d<double>(u, fn, "u")));
      },
      py::arg("a"), py::arg("b"), py::arg("u"), "y = G u by the companion recurrence, O(N) per step (float64).");
  ref.def(
      "rtf_companion",
      [](const py::object& a, const py::object& b) {
        const auto s = ref::rtf_companion<double>(vector1d<double>(a, "seqref.ref.rtf_companion", "a"),
                                                  vector1d<double>(b, "seqref.ref.rtf_companion", "b"));
        return py::make_tuple(to_numpy(s.A), to_numpy(s.B), to_numpy(s.C));
      },
      py::arg("a"), py::arg("b"), "Companion realization (A [N,N], B [N,1], C [1,N]) of the RTF.");
  ref.def(
      "dense_kernel",
      [](const py::object& A, const py::object& B, const py::object& C, Index L) {
        const char* fn = "seqref.ref.dense_kernel";
        return to_numpy(ref::dense_kernel<double>({matrix(A, fn, "A"), matrix(B, fn, "B"), matrix(C, fn, "C")}, L));
      },
      py::arg("A"), py::arg("B"), py::arg("C"), py::arg("L"), "h_k = C A^k B, k < L (float64).");
  ref.def(
      "rtf_from_dense",
      [](const py::object& A, const py::object& B, const py::object& C, std::optional<Index> L) {
        const char* fn = "seqref.ref.rtf_from_dense";
        ref::SisoSystem<double> s{matrix(A, fn, "A"), matrix(B, fn, "B"), matrix(C, fn, "C")};
        if (L) s = ref::truncation_corrected(s, *L);
        const auto c = ref::rtf_from_dense(s);
        return py::make_tuple(to_numpy(c.a), to_numpy(c.b));
      },
      py::arg("A"), py::arg("B"), py::arg("C"), py::arg("L") = py::none(),
      "(a, b) of C (I - zA)^-1 B; with L, of the truncation-corrected C~ = C (I - A^L).");
  ref.def(
      "recover_c_bar",
      [](const py::object& A, const py::object& B, const py::object& C_tilde, Index L) {
        const char* fn = "seqref.ref.recover_c_bar";
        const auto s =
            ref::recover_c_bar<double>({matrix(A, fn, "A"), matrix(B, fn, "B"), matrix(C_tilde, fn, "C_tilde")}, L);
        return py::make_tuple(to_numpy(s.A), to_numpy(s.B), to_numpy(s.C));
      },
      py::arg("A"), py::arg("B"), py::arg("C_tilde"), py::arg("L"),
      "The post's C-bar = C-tilde (I - A^L)^-1: (A, B, C-bar) whose taps C-bar A^k B, k < L, equal the L-point RTF "
      "kernel of the realization (A, B, C-tilde) (float64). ValueError if I - A^L is singular.");
  ref.def(
      "roots_inside_unit_circle",
      [](const py::object& a) {
        const auto v = vector1d<double>(a, "seqref.ref.roots_inside_unit_circle", "a");
        return ref::roots_inside_unit_circle<seqref::Oracle>(std::vector<seqref::Oracle>(v.begin(), v.end()));
      },
      py::arg("a"),
      "True iff every root of x^N + a_1 x^(N-1) + ... + a_N is strictly inside the unit circle (Schur-Cohn at 50 "
      "digits).");
  ref.def(
      "causal_conv",
      [](const py::object& k, const py::object& u) {
        return to_numpy(ref::causal_conv_fft<double>(vector1d<double>(k, "seqref.ref.causal_conv", "kernel"),
                                                     vector1d<double>(u, "seqref.ref.causal_conv", "u")));
      },
      py::arg("kernel"), py::arg("u"), "y_t = sum_{s<=t} k_s u_{t-s} by FFT (float64, 1-D).");

  cpu.def(
      "rtf_kernel",
      [](const py::object& a, const py::object& b, Index L) -> py::object {
        const char* fn = "seqref.cpu.rtf_kernel";
        if (is_float32(a))
          return rtf_kernel_batched<float>(a, b, L, fn, [](auto... x) { seqref::cpu::rtf_kernel(x...); });
        return rtf_kernel_batched<double>(a, b, L, fn, [](auto... x) { seqref::cpu::rtf_kernel(x...); });
      },
      py::arg("a"), py::arg("b"), py::arg("L"),
      "Batched RTF kernels: a, b [channels, N] -> [channels, L] (dtype of a).");
  cpu.def(
      "causal_conv",
      [](const py::object& k, const py::object& u) -> py::object {
        const char* fn = "seqref.cpu.causal_conv";
        if (is_float32(k)) return conv_batched<float>(k, u, fn, [](auto... x) { seqref::cpu::causal_conv(x...); });
        return conv_batched<double>(k, u, fn, [](auto... x) { seqref::cpu::causal_conv(x...); });
      },
      py::arg("kernel"), py::arg("u"), "Batched FFT causal convolution: kernel, u [channels, L] (dtype of kernel).");
  cpu.def(
      "dft",
      [](const py::object& x_in, bool inverse) {
        constexpr const char* fn = "seqref.cpu.dft";
        const auto x = convert<std::complex<double>>(x_in, fn, "x", {{"batch"}, {"n"}});
        auto out = new_array<std::complex<double>>(fn, "X", {{"batch", x.shape(0)}, {"n", x.shape(1)}});
        seqref::python::copy_out(x.data(), static_cast<std::size_t>(x.size()), out, fn, "X");
        {
          py::gil_scoped_release nogil;
          seqref::cpu::dft_batched(
              std::span<std::complex<double>>(out.mutable_data(), static_cast<std::size_t>(out.size())), x.shape(0),
              x.shape(1), inverse);
        }
        return out;
      },
      py::arg("x"), py::arg("inverse") = false, "Row-wise DFT of a complex128 [batch, n] array (any n).");
#ifdef SEQREF_HAS_CUDA  // without the CUDA backend these entry points have no stubs (optimized/cuda/not_built.cpp)
  cuda.def(
      "rtf_kernel",
      [](const py::object& a, const py::object& b, Index L) {
        return rtf_kernel_batched<float>(a, b, L, "seqref.cuda.rtf_kernel",
                                         [](auto... x) { seqref::cuda::rtf_kernel(x...); });
      },
      py::arg("a"), py::arg("b"), py::arg("L"),
      "Batched RTF kernels on the GPU (float32); RuntimeError without a device.");
  cuda.def(
      "causal_conv",
      [](const py::object& k, const py::object& u) {
        return conv_batched<float>(k, u, "seqref.cuda.causal_conv", [](auto... x) { seqref::cuda::causal_conv(x...); });
      },
      py::arg("kernel"), py::arg("u"), "Batched FFT causal convolution on the GPU (float32).");
#else
  (void)cuda;
#endif
}

}  // namespace

static seqref::python::RegisterBinder registered(&bind_rtf);
