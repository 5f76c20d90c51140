// Python bindings for rnn/deer: seqref.ref.deer / deer_gru / rnn_sequential / gru_sequential (float64),
// seqref.cpu.deer / rnn_sequential (float32 or float64 by the dtype of A), seqref.cuda.deer / rnn_sequential
// (float32). A run returns a dict: states [T, d] (the best iterate), sweeps, best_sweep, residual, tolerance,
// converged, status ("converged" | "max_sweeps" | "non_finite"), reason, residuals (per sweep, [0] = initial guess)
// and, with keep_iterates=True, iterates [sweeps + 1, T, d]. Bad input raises ValueError; GIL released around compute.

#include "binders.hpp"

#include "seqref/opt/rnn/deer.hpp"
#include "seqref/ref/rnn/deer.hpp"

#include "numpy_convert.hpp"

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstring>
#include <string>

namespace py = pybind11;

namespace {

using seqref::Index;
using seqref::python::array2d;
using seqref::python::to_numpy;
using seqref::python::vector1d;

seqref::DeerMethod parse_method(const std::string& m, const char* fn) {
  if (m == "newton") return seqref::DeerMethod::newton;
  if (m == "fixed_a" || m == "fixed") return seqref::DeerMethod::fixed_a;
  if (m == "quasi") return seqref::DeerMethod::quasi;
  throw py::value_error(std::string(fn) + ": method must be 'newton', 'fixed_a' or 'quasi'; got '" + m + "'");
}

template <class T>
std::vector<T> flat2d(const py::object& o, const char* fn, const char* name, Index& rows, Index& cols) {
  auto a = array2d<T>(o, fn, name);
  rows = a.shape(0), cols = a.shape(1);
  return std::vector<T>(a.data(), a.data() + a.size());
}

template <class T>
std::vector<T> optional1d(const py::object& o, const char* fn, const char* name) {
  if (o.is_none()) return {};
  return vector1d<T>(o, fn, name);
}

template <class T>
py::array_t<T> as2d(const std::vector<T>& v, Index rows, Index cols) {
  py::array_t<T> out({static_cast<py::ssize_t>(rows), static_cast<py::ssize_t>(cols)});
  if (!v.empty()) std::memcpy(out.mutable_data(), v.data(), v.size() * sizeof(T));
  return out;
}

template <class T>
seqref::DeerOptions<T> options(const std::string& method, double tol, Index max_sweeps, double damping,
                               const py::object& guess, bool keep, const char* fn) {
  seqref::DeerOptions<T> o;
  o.method = parse_method(method, fn);
  o.tolerance = tol;
  o.max_sweeps = max_sweeps;
  o.damping = damping;
  if (!guess.is_none()) {
    Index r = 0, c = 0;
    o.initial_guess = flat2d<T>(guess, fn, "initial_guess", r, c);
  }
  o.keep_iterates = keep;
  return o;
}

template <class T>
py::dict to_dict(const seqref::DeerResult<T>& r, Index T_len, Index d) {
  py::dict out;
  out["states"] = as2d(r.states, T_len, d);
  out["sweeps"] = r.sweeps;
  out["best_sweep"] = r.best_sweep;
  out["residual"] = r.residual;
  out["tolerance"] = r.tolerance;
  out["converged"] = r.converged;
  out["status"] = std::string(seqref::to_string(r.status));
  out["reason"] = r.reason;
  out["residuals"] = to_numpy(r.residuals);
  if (!r.iterates.empty()) {
    py::array_t<T> it({static_cast<py::ssize_t>(r.iterates.size()), static_cast<py::ssize_t>(T_len),
                       static_cast<py::ssize_t>(d)});
    for (std::size_t k = 0; k < r.iterates.size(); ++k)
      std::memcpy(it.mutable_data() + k * static_cast<std::size_t>(T_len * d), r.iterates[k].data(),
                  r.iterates[k].size() * sizeof(T));
    out["iterates"] = it;
  }
  return out;
}

template <class T>
seqref::TanhCell<T> tanh_cell(const py::object& A, const char* fn) {
  Index r = 0, c = 0;
  seqref::TanhCell<T> cell;
  cell.A = flat2d<T>(A, fn, "A", r, c);
  if (r != c) throw py::value_error(std::string(fn) + ": A must be square [d, d]; got [" + std::to_string(r) + ", " +
                                    std::to_string(c) + "]");
  cell.dim = r;
  return cell;
}

seqref::GruCell<double> gru_cell(const py::object& Wz, const py::object& Wr, const py::object& Wh, const py::object& Uz,
                                 const py::object& Ur, const py::object& Uh, const py::object& bz,
                                 const py::object& br, const py::object& bh, const char* fn) {
  seqref::GruCell<double> g;
  Index r = 0, c = 0;
  g.Wz = flat2d<double>(Wz, fn, "Wz", r, c);
  g.dim = r, g.input = c;
  g.Wr = flat2d<double>(Wr, fn, "Wr", r, c);
  g.Wh = flat2d<double>(Wh, fn, "Wh", r, c);
  g.Uz = flat2d<double>(Uz, fn, "Uz", r, c);
  g.Ur = flat2d<double>(Ur, fn, "Ur", r, c);
  g.Uh = flat2d<double>(Uh, fn, "Uh", r, c);
  g.bz = vector1d<double>(bz, fn, "bz");
  g.br = vector1d<double>(br, fn, "br");
  g.bh = vector1d<double>(bh, fn, "bh");
  return g;  // sizes are checked by the library (ValueError naming the argument)
}

template <class T, class Run>
py::dict run_tanh(const py::object& A, const py::object& u_in, const py::object& x0_in, const std::string& method,
                  double tol, Index max_sweeps, double damping, const py::object& guess, bool keep, const char* fn,
                  Run run) {
  const auto cell = tanh_cell<T>(A, fn);
  Index T_len = 0, m = 0;
  const auto u = flat2d<T>(u_in, fn, "u", T_len, m);
  const auto x0 = optional1d<T>(x0_in, fn, "x0");
  const auto o = options<T>(method, tol, max_sweeps, damping, guess, keep, fn);
  seqref::DeerResult<T> r;
  {
    py::gil_scoped_release nogil;
    r = run(cell, std::span<const T>(u), std::span<const T>(x0), o);
  }
  return to_dict(r, T_len, cell.dim);
}

template <class T, class Run>
py::array_t<T> sequential_tanh(const py::object& A, const py::object& u_in, const py::object& x0_in, const char* fn,
                               Run run) {
  const auto cell = tanh_cell<T>(A, fn);
  Index T_len = 0, m = 0;
  const auto u = flat2d<T>(u_in, fn, "u", T_len, m);
  const auto x0 = optional1d<T>(x0_in, fn, "x0");
  std::vector<T> x;
  {
    py::gil_scoped_release nogil;
    x = run(cell, std::span<const T>(u), std::span<const T>(x0));
  }
  return as2d(x, T_len, cell.dim);
}

bool is_float32(const py::object& o) {
  auto a = py::array::ensure(o);
  return a && a.dtype().is(py::dtype::of<float>());
}

#define SEQREF_DEER_ARGS                                                                                       \
  py::arg("A"), py::arg("u"), py::arg("x0") = py::none(), py::arg("method") = "newton", py::arg("tol") = 0.0, \
      py::arg("max_sweeps") = 0, py::arg("damping") = 1.0, py::arg("initial_guess") = py::none(),             \
      py::arg("keep_iterates") = false

void bind_deer(py::module_& ref, py::module_& cpu, py::module_& cuda) {
  using namespace seqref;
  ref.def(
      "deer",
      [](const py::object& A, const py::object& u, const py::object& x0, const std::string& method, double tol,
         Index max_sweeps, double damping, const py::object& guess, bool keep) {
        return run_tanh<double>(A, u, x0, method, tol, max_sweeps, damping, guess, keep, "seqref.ref.deer",
                                [](const auto& c, auto uu, auto xx, const auto& o) { return ref::deer(c, uu, xx, o); });
      },
      SEQREF_DEER_ARGS,
      "DEER for x_t = tanh(A x_{t-1} + u_t), float64 reference: A [d, d], u [T, d], x0 [d] (None: 0); method "
      "'newton' | 'fixed_a' | 'quasi'; tol 0: default; max_sweeps 0: T. Returns a dict (states, sweeps, residual, "
      "converged, status, reason, residuals, best_sweep, tolerance, iterates with keep_iterates).");
  ref.def(
      "rnn_sequential",
      [](const py::object& A, const py::object& u, const py::object& x0) {
        return sequential_tanh<double>(A, u, x0, "seqref.ref.rnn_sequential",
                                       [](const auto& c, auto uu, auto xx) { return ref::rnn_sequential(c, uu, xx); });
      },
      py::arg("A"), py::arg("u"), py::arg("x0") = py::none(),
      "Sequential x_t = tanh(A x_{t-1} + u_t), float64: states [T, d].");
  ref.def(
      "deer_gru",
      [](const py::object& Wz, const py::object& Wr, const py::object& Wh, const py::object& Uz, const py::object& Ur,
         const py::object& Uh, const py::object& bz, const py::object& br, const py::object& bh, const py::object& u_in,
         const py::object& x0_in, const std::string& method, double tol, Index max_sweeps, double damping,
         const py::object& guess, bool keep) {
        constexpr const char* fn = "seqref.ref.deer_gru";
        const auto g = gru_cell(Wz, Wr, Wh, Uz, Ur, Uh, bz, br, bh, fn);
        Index T_len = 0, m = 0;
        const auto u = flat2d<double>(u_in, fn, "u", T_len, m);
        const auto x0 = optional1d<double>(x0_in, fn, "x0");
        const auto o = options<double>(method, tol, max_sweeps, damping, guess, keep, fn);
        DeerResult<double> r;
        {
          py::gil_scoped_release nogil;
          r = ref::deer(g, std::span<const double>(u), std::span<const double>(x0), o);
        }
        return to_dict(r, T_len, g.dim);
      },
      py::arg("Wz"), py::arg("Wr"), py::arg("Wh"), py::arg("Uz"), py::arg("Ur"), py::arg("Uh"), py::arg("bz"),
      py::arg("br"), py::arg("bh"), py::arg("u"), py::arg("x0") = py::none(), py::arg("method") = "newton",
      py::arg("tol") = 0.0, py::arg("max_sweeps") = 0, py::arg("damping") = 1.0,
      py::arg("initial_guess") = py::none(), py::arg("keep_iterates") = false,
      "DEER for the GRU cell (z, r gates; h = tanh(Wh u + Uh (r*x) + bh); x' = (1-z) x + z h), float64: W* [d, m], "
      "U* [d, d], b* [d], u [T, m]. fixed_a uses the cell Jacobian at (x=0, u=0). Returns the dict of deer().");
  ref.def(
      "gru_sequential",
      [](const py::object& Wz, const py::object& Wr, const py::object& Wh, const py::object& Uz, const py::object& Ur,
         const py::object& Uh, const py::object& bz, const py::object& br, const py::object& bh, const py::object& u_in,
         const py::object& x0_in) {
        constexpr const char* fn = "seqref.ref.gru_sequential";
        const auto g = gru_cell(Wz, Wr, Wh, Uz, Ur, Uh, bz, br, bh, fn);
        Index T_len = 0, m = 0;
        const auto u = flat2d<double>(u_in, fn, "u", T_len, m);
        const auto x0 = optional1d<double>(x0_in, fn, "x0");
        return as2d(ref::rnn_sequential(g, std::span<const double>(u), std::span<const double>(x0)), T_len, g.dim);
      },
      py::arg("Wz"), py::arg("Wr"), py::arg("Wh"), py::arg("Uz"), py::arg("Ur"), py::arg("Uh"), py::arg("bz"),
      py::arg("br"), py::arg("bh"), py::arg("u"), py::arg("x0") = py::none(), "Sequential GRU, float64: [T, d].");

  cpu.def(
      "deer",
      [](const py::object& A, const py::object& u, const py::object& x0, const std::string& method, double tol,
         Index max_sweeps, double damping, const py::object& guess, bool keep) -> py::dict {
        auto run = [](const auto& c, auto uu, auto xx, const auto& o) { return cpu::deer(c, uu, xx, o); };
        if (is_float32(A))
          return run_tanh<float>(A, u, x0, method, tol, max_sweeps, damping, guess, keep, "seqref.cpu.deer", run);
        return run_tanh<double>(A, u, x0, method, tol, max_sweeps, damping, guess, keep, "seqref.cpu.deer", run);
      },
      SEQREF_DEER_ARGS,
      "DEER on the cpu (sweeps through the chunked scan engine, OpenMP); float32 if A is float32, else float64. "
      "Arguments and result as seqref.ref.deer.");
  cpu.def(
      "rnn_sequential",
      [](const py::object& A, const py::object& u, const py::object& x0) -> py::object {
        auto run = [](const auto& c, auto uu, auto xx) { return cpu::rnn_sequential(c, uu, xx); };
        if (is_float32(A)) return sequential_tanh<float>(A, u, x0, "seqref.cpu.rnn_sequential", run);
        return sequential_tanh<double>(A, u, x0, "seqref.cpu.rnn_sequential", run);
      },
      py::arg("A"), py::arg("u"), py::arg("x0") = py::none(),
      "The optimized sequential loop (DEER's baseline); dtype as seqref.cpu.deer.");
  cuda.def(
      "deer",
      [](const py::object& A, const py::object& u, const py::object& x0, const std::string& method, double tol,
         Index max_sweeps, double damping, const py::object& guess, bool keep) {
        return run_tanh<float>(A, u, x0, method, tol, max_sweeps, damping, guess, keep, "seqref.cuda.deer",
                               [](const auto& c, auto uu, auto xx, const auto& o) { return cuda::deer(c, uu, xx, o); });
      },
      SEQREF_DEER_ARGS,
      "DEER on the GPU, float32, d <= 8 (chunked block scans); RuntimeError without a device. As seqref.ref.deer.");
}

static seqref::python::RegisterBinder registered(&bind_deer);

}  // namespace
