// Python bindings for ssm/s4: seqref.ref.s4_legs_kernels / s4_kernel_errors / cauchy_kernel / s4d_kernel and
// seqref.cpu.cauchy_kernel. NumPy in, NumPy out (float64 / complex128 for the reference; complex64 for cpu);
// bad input raises ValueError (std::invalid_argument translated by the module); the GIL is released around compute.

#include "binders.hpp"

#include "seqref/opt/ssm/s4.hpp"
#include "seqref/ref/ssm/hippo.hpp"
#include "seqref/ref/ssm/s4.hpp"

#include "numpy_convert.hpp"

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstring>
#include <stdexcept>
#include <string>

namespace py = pybind11;

namespace {

using seqref::python::convert;
using seqref::python::to_numpy;
using seqref::python::vector1d;

using seqref::Index;
using seqref::Matrix;
using seqref::Oracle;
using namespace seqref::ref;

/// LegS (A, B) in double with the given C (length N).
void legs_with_c(const std::vector<double>& c, Matrix<double>& A, Matrix<double>& B, Matrix<double>& C) {
  const Index N = static_cast<Index>(c.size());
  const auto legs = hippo_transition<double>(HippoMeasure::legs, N, HippoConvention::paper);
  A = legs.A, B = legs.B, C = Matrix<double>(1, N);
  for (Index n = 0; n < N; ++n) C(0, n) = c[static_cast<std::size_t>(n)];
}

/// ‖x − r‖₂ / ‖r‖₂. The relative error of a zero kernel is undefined: a zero reference kernel (C = 0, or C orthogonal
/// to the first L Krylov vectors) is refused with std::invalid_argument rather than answered with 0/0 = NaN.
double rel(const std::vector<double>& x, const std::vector<Oracle>& r, const char* fn, const char* what) {
  Oracle num = 0, den = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const Oracle d = Oracle(x[i]) - r[i];
    num += d * d, den += r[i] * r[i];
  }
  if (den == 0)
    throw std::invalid_argument(std::string(fn) + ": C gives an identically zero kernel of length " +
                                std::to_string(r.size()) + "; the relative error is undefined");
  const double e = static_cast<double>(sqrt(num / den));
  if (!std::isfinite(e)) throw std::runtime_error(std::string(fn) + ": the " + what + " kernel is not finite");
  return e;
}

void bind_s4(py::module_& ref, py::module_& cpu, py::module_& cuda) {
  ref.def(
      "s4_legs_kernels",
      [](const py::object& c_in, Index L, double dt) {
        constexpr const char* fn = "seqref.ref.s4_legs_kernels";
        const auto c = vector1d<double>(c_in, fn, "C");
        // the NPLR decomposition first: its budget check (an O(N^3) eigenproblem) refuses a huge N before the
        // N x N matrices are built
        const auto nplr = legs_nplr<double>(static_cast<Index>(c.size()));
        Matrix<double> A, B, C;
        legs_with_c(c, A, B, C);
        std::vector<double> krylov, dplr;
        {
          py::gil_scoped_release nogil;
          krylov = krylov_kernel<double>(A, B, C, dt, L);
          dplr = s4_kernel_dplr(dplr_kernel_params<double>(A, B, C, nplr, dt, L), L);
        }
        return py::make_tuple(to_numpy(krylov, fn, "krylov"), to_numpy(dplr, fn, "dplr"));
      },
      py::arg("C"), py::arg("L"), py::arg("dt"),
      "HiPPO-LegS (paper convention) with output row C (length N), bilinear step dt: returns (Krylov kernel "
      "C Ā^j B̄, S4 DPLR kernel via generating function + Woodbury + Cauchy + iDFT), each of length L, float64.");
  ref.def(
      "s4_kernel_errors",
      [](const py::object& c_in, Index L, double dt) {
        constexpr const char* fn = "seqref.ref.s4_kernel_errors";
        const auto c = vector1d<double>(c_in, fn, "C");
        if (std::all_of(c.begin(), c.end(), [](double x) { return x == 0.0; }))
          throw std::invalid_argument(std::string(fn) + ": C must not be all zeros (got " + std::to_string(c.size()) +
                                      " zeros): the kernel is zero and its relative error undefined");
        const auto decomposition = legs_nplr<double>(static_cast<Index>(c.size()));  // budgeted before A is built
        Matrix<double> A, B, C;
        legs_with_c(c, A, B, C);
        double naive = 0, nplr = 0;
        {
          py::gil_scoped_release nogil;
          const auto oracle =
              krylov_kernel<Oracle>(A.cast<Oracle>(), B.cast<Oracle>(), C.cast<Oracle>(), Oracle(dt), L);
          naive = rel(eigendecomposition_kernel<double>(A, B, C, dt, L), oracle, fn, "naive eigendecomposition");
          nplr = rel(s4_kernel_dplr(dplr_kernel_params<double>(A, B, C, decomposition, dt, L), L), oracle, fn, "NPLR");
        }
        return py::make_tuple(naive, nplr);
      },
      py::arg("C"), py::arg("L"), py::arg("dt"),
      "Relative errors ||K - K_oracle|| / ||K_oracle|| (naive eigendecomposition kernel, NPLR/DPLR kernel), both "
      "float64, against the 50-digit Krylov kernel of the same LegS system. A zero kernel (C = 0) has no relative "
      "error: ValueError.");
  ref.def(
      "cauchy_kernel",
      [](const py::object& w, const py::object& lambda, const py::object& z) {
        using Cd = std::complex<double>;
        return to_numpy(cauchy_kernel<double>(vector1d<Cd>(w, "seqref.ref.cauchy_kernel", "w"),
                                              vector1d<Cd>(lambda, "seqref.ref.cauchy_kernel", "lambda"),
                                              vector1d<Cd>(z, "seqref.ref.cauchy_kernel", "z")));
      },
      py::arg("w"), py::arg("lambda_"), py::arg("z"), "k(z_k) = Σ_n w_n / (z_k − λ_n), complex128.");
  ref.def(
      "s4d_kernel",
      [](const std::string& init, const py::object& c_in, double dt, Index L) {
        using Cd = std::complex<double>;
        const auto C = vector1d<Cd>(c_in, "seqref.ref.s4d_kernel", "C");
        const S4dInit i = init == "lin"   ? S4dInit::lin
                          : init == "inv" ? S4dInit::inv
                          : init == "real"
                              ? S4dInit::real
                              : throw py::value_error("seqref.ref.s4d_kernel: init must be 'lin', 'inv' or 'real'");
        const auto lambda = s4d_eigenvalues<double>(i, static_cast<Index>(C.size()));
        return to_numpy(s4d_kernel<double>(lambda, CVector<double>(C.size(), Cd(1, 0)), C, dt, L));
      },
      py::arg("init"), py::arg("C"), py::arg("dt"), py::arg("L"),
      "S4D kernel (ZOH, B = 1, modes of the named initialisation, N = len(C) complex modes, i.e. the paper's state "
      "size 2N): K_j = 2 Re Σ_n C_n B̄_n Ā_n^j.");
  cpu.def(
      "cauchy_kernel",
      [](const py::object& w_in, const py::object& l_in, const py::object& z_in) {
        using Cf = std::complex<float>;
        const char* fn = "seqref.cpu.cauchy_kernel";
        const auto w = convert<Cf>(w_in, fn, "w", {{"channels"}, {"N"}});
        const Index C = w.shape(0), N = w.shape(1);
        const auto l = convert<Cf>(l_in, fn, "lambda_", {{"channels", C}, {"N", N}});
        const auto z = convert<Cf>(z_in, fn, "z", {{"nodes"}});
        const Index M = z.shape(0);
        seqref::require_work(fn, 8.0 * double(C) * double(N) * double(M),
                             "[channels, N] = [" + std::to_string(C) + ", " + std::to_string(N) + "] at " +
                                 std::to_string(M) + " nodes");
        auto out = seqref::python::new_array<Cf>(fn, "k", {{"channels", C}, {"nodes", M}});
        {
          py::gil_scoped_release nogil;
          auto view = [](const auto& a) { return std::span(a.data(), static_cast<std::size_t>(a.size())); };
          seqref::cpu::cauchy_kernel(view(w), view(l), view(z),
                                     std::span<Cf>(out.mutable_data(), static_cast<std::size_t>(out.size())), C, N, M);
        }
        return out;
      },
      py::arg("w"), py::arg("lambda_"), py::arg("z"),
      "Batched Cauchy kernel, complex64: out[c, k] = Σ_n w[c, n] / (z[k] − λ[c, n]).");
  (void)cuda;
}

static seqref::python::RegisterBinder registered(&bind_s4);

}  // namespace
