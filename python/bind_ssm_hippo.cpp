// Python bindings for ssm/hippo: seqref.ref.hippo_transition / hippo_basis / hippo_reconstruct / legs_matvec /
// legs_solve / legs_online, seqref.cpu.hippo_legs_online, seqref.cuda.hippo_legs_online. NumPy float64 in and out
// for the reference; float32/float64 for the cpu backend, float32 for cuda. Bad input raises ValueError (the C++
// std::invalid_argument, translated by the module). The GIL is released around compute calls.

#include "binders.hpp"

#include "seqref/opt/ssm/hippo.hpp"
#include "seqref/ref/ssm/hippo.hpp"

#include "numpy_convert.hpp"

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>
#include <cstring>
#include <string>

namespace py = pybind11;

namespace {

using seqref::python::convert;
using seqref::python::matrix;
using seqref::python::to_numpy;
using seqref::python::vector1d;

using seqref::Index;
using seqref::Matrix;
using namespace seqref::ref;

HippoMeasure measure_of(const std::string& s) {
  if (s == "legt") return HippoMeasure::legt;
  if (s == "legs") return HippoMeasure::legs;
  if (s == "fout") return HippoMeasure::fout;
  if (s == "fourier") return HippoMeasure::fourier;
  throw py::value_error("seqref hippo: measure must be 'legt', 'legs', 'fout' or 'fourier'; got '" + s + "'");
}
HippoConvention convention_of(const std::string& s) {
  if (s == "post") return HippoConvention::post;
  if (s == "paper") return HippoConvention::paper;
  if (s == "lmu") return HippoConvention::lmu;
  if (s == "state_spaces") return HippoConvention::state_spaces;
  throw py::value_error("seqref hippo: convention must be 'post', 'paper', 'lmu' or 'state_spaces'; got '" + s + "'");
}
LegsScheme scheme_of(const std::string& s) {
  if (s == "forward_euler") return LegsScheme::forward_euler;
  if (s == "backward_euler") return LegsScheme::backward_euler;
  if (s == "bilinear") return LegsScheme::bilinear;
  throw py::value_error("seqref.ref.legs_online: scheme must be 'forward_euler', 'backward_euler' or 'bilinear'");
}
LegsWeight weight_of(const std::string& s) {
  if (s == "inverse_k") return LegsWeight::inverse_k;
  if (s == "log_ratio") return LegsWeight::log_ratio;
  throw py::value_error("seqref.ref.legs_online: weight must be 'inverse_k' or 'log_ratio'");
}

template <class S>
py::array cpu_legs(const py::object& u_in, Index N, double b_scale, bool log_weight, bool cuda) {
  const char* fn = cuda ? "seqref.cuda.hippo_legs_online" : "seqref.cpu.hippo_legs_online";
  const auto u = convert<S>(u_in, fn, "u", {{"channels"}, {"L"}});
  const Index C = u.shape(0), L = u.shape(1);
  seqref::require_extent(fn, "N", N, 1);
  auto out = seqref::python::new_array<S>(fn, "states", {{"channels", C}, {"L", L}, {"N", N}});
  seqref::ConstTensorView<S> uv{u.data(), C, L, 1};
  seqref::TensorView<S> sv{out.mutable_data(), C, L, N};
  {
    py::gil_scoped_release nogil;
    if constexpr (std::is_same_v<S, float>) {
      if (cuda)
        seqref::cuda::hippo_legs_online(uv, sv, {b_scale, log_weight});
      else
        seqref::cpu::hippo_legs_online(uv, sv, {b_scale, log_weight});
    } else {
      seqref::cpu::hippo_legs_online(uv, sv, {b_scale, log_weight});
    }
  }
  return out;
}

void bind_hippo(py::module_& ref, py::module_& cpu, py::module_& cuda) {
  ref.def(
      "hippo_transition",
      [](const std::string& measure, Index N, const std::string& convention, double window) {
        const auto s = hippo_transition<double>(measure_of(measure), N, convention_of(convention), window);
        return py::make_tuple(to_numpy(s.A), to_numpy(s.B));
      },
      py::arg("measure"), py::arg("N"), py::arg("convention") = "paper", py::arg("window") = 1.0,
      "(A, B) of the HiPPO system (float64). measure: legt|legs|fout|fourier; convention: "
      "post|paper|lmu|state_spaces.");
  ref.def(
      "hippo_basis",
      [](const std::string& measure, const std::string& convention, Index N, const py::object& s) {
        constexpr const char* fn = "seqref.ref.hippo_basis";
        const auto sv = vector1d<double>(s, fn, "s");
        seqref::require_extent(fn, "N", N, 1);
        seqref::require_memory(
            fn, double(sv.size()) * double(N) * sizeof(double),
            "the result [len(s), N] = [" + std::to_string(sv.size()) + ", " + std::to_string(N) + "]");
        Matrix<double> out(static_cast<Index>(sv.size()), N);
        for (std::size_t i = 0; i < sv.size(); ++i) {
          const auto psi = hippo_basis<double>(measure_of(measure), convention_of(convention), N, sv[i]);
          for (Index n = 0; n < N; ++n) out(static_cast<Index>(i), n) = psi[static_cast<std::size_t>(n)];
        }
        return to_numpy(out);
      },
      py::arg("measure"), py::arg("convention"), py::arg("N"), py::arg("s"),
      "psi_n(s_i) as a [len(s), N] array: u(tau(s)) ~ sum_n x_n psi_n(s), s in [-1, 1].");
  ref.def(
      "hippo_reconstruct",
      [](const std::string& measure, const std::string& convention, const py::object& x, const py::object& s) {
        const auto xv = vector1d<double>(x, "seqref.ref.hippo_reconstruct", "x");
        const auto sv = vector1d<double>(s, "seqref.ref.hippo_reconstruct", "s");
        return to_numpy(hippo_reconstruct<double>(measure_of(measure), convention_of(convention), xv, sv));
      },
      py::arg("measure"), py::arg("convention"), py::arg("x"), py::arg("s"));
  ref.def(
      "legs_matvec",
      [](const py::object& x) {
        return to_numpy(legs_matvec<double>(vector1d<double>(x, "seqref.ref.legs_matvec", "x")));
      },
      py::arg("x"), "A x for the LegS A in O(N).");
  ref.def(
      "legs_solve",
      [](double lambda, const py::object& v) {
        return to_numpy(legs_solve<double>(lambda, vector1d<double>(v, "seqref.ref.legs_solve", "v")));
      },
      py::arg("lam"), py::arg("v"), "(I - lam A)^{-1} v for the LegS A in O(N) (the post's scalar recurrence).");
  ref.def(
      "legs_online",
      [](const py::object& u, Index N, const std::string& convention, const std::string& scheme,
         const std::string& weight, double dt, bool dense) {
        constexpr const char* fn = "seqref.ref.legs_online";
        const auto uv = vector1d<double>(u, fn, "u");
        // dt is validated on both paths: the O(N) path does not use it (timescale invariance), but a NaN or
        // non-positive step is an error whichever path runs
        seqref::require(std::isfinite(dt) && dt > 0, fn, "dt must be finite and > 0; got " + std::to_string(dt));
        Matrix<double> X;
        {
          py::gil_scoped_release nogil;
          if (dense) {
            const auto sys = hippo_transition<double>(HippoMeasure::legs, N, convention_of(convention));
            X = legs_online<double>(sys, uv, dt, scheme_of(scheme), weight_of(weight));
          } else {
            X = legs_online_fast<double>(N, legs_b_scale<double>(convention_of(convention)), uv, scheme_of(scheme),
                                         weight_of(weight));
          }
        }
        return to_numpy(X);
      },
      py::arg("u"), py::arg("N"), py::arg("convention") = "paper", py::arg("scheme") = "bilinear",
      py::arg("weight") = "inverse_k", py::arg("dt") = 1.0, py::arg("dense") = false,
      "LegS memory x_1..x_L of the samples u (an [L, N] array).");
  ref.def(
      "lti_online",
      [](const py::object& Abar, const py::object& Bbar, const py::object& u) {
        constexpr const char* fn = "seqref.ref.lti_online";
        const Matrix<double> Am = matrix(Abar, fn, "Abar");
        const Matrix<double> Bm = matrix(Bbar, fn, "Bbar", Am.rows(), 1);
        return to_numpy(lti_online<double>(Am, Bm, vector1d<double>(u, fn, "u")));
      },
      py::arg("Abar"), py::arg("Bbar"), py::arg("u"), "x_{k+1} = Abar x_k + Bbar u_k from x_0 = 0: [L, N].");
  cpu.def(
      "hippo_legs_online",
      [](const py::object& u, Index N, double b_scale, bool log_weight) {
        if (seqref::python::is_float32(u)) return cpu_legs<float>(u, N, b_scale, log_weight, false);
        return cpu_legs<double>(u, N, b_scale, log_weight, false);
      },
      py::arg("u"), py::arg("N"), py::arg("b_scale") = 1.0, py::arg("log_weight") = false,
      "Batched LegS bilinear memory: u [C, L] float32/float64 -> states [C, L, N].");
  cuda.def(
      "hippo_legs_online",
      [](const py::object& u, Index N, double b_scale, bool log_weight) {
        constexpr const char* fn = "seqref.cuda.hippo_legs_online";
        // the CUDA kernel is float32 only: say so before any conversion, device check or launch
        const py::array a = seqref::python::as_array(u, fn, "u");
        if (!a.dtype().is(py::dtype::of<float>()))
          seqref::python::value_error(fn, "u must be float32 (the CUDA backend takes float32); got dtype " +
                                              seqref::python::dtype_of(a) + ", shape " + seqref::python::shape_of(a));
        return cpu_legs<float>(u, N, b_scale, log_weight, true);
      },
      py::arg("u"), py::arg("N"), py::arg("b_scale") = 1.0, py::arg("log_weight") = false,
      "As seqref.cpu.hippo_legs_online on the GPU (float32); RuntimeError without a device.");
}

static seqref::python::RegisterBinder registered(&bind_hippo);

}  // namespace
