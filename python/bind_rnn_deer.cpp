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
using seqref::python::CArray;
using seqref::python::convert;
using seqref::python::convert_optional;
using seqref::python::copy_out;
using seqref::python::is_float32;
using seqref::python::new_array;
using seqref::python::span_of;
using seqref::python::to_numpy;

seqref::DeerMethod parse_method(const std::string& m, const char* fn) {
  if (m == "newton") return seqref::DeerMethod::newton;
  if (m == "fixed_a" || m == "fixed") return seqref::DeerMethod::fixed_a;
  if (m == "quasi") return seqref::DeerMethod::quasi;
  if (m == "at_zero") return seqref::DeerMethod::at_zero;
  if (m == "post_fixed") return seqref::DeerMethod::post_fixed;
  throw py::value_error(std::string(fn) +
                        ": method must be 'newton', 'fixed_a', 'quasi', 'at_zero' or 'post_fixed'; got '" + m + "'");
}

template <class T>
std::vector<T> to_vector(const CArray<T>& a) {
  return std::vector<T>(a.data(), a.data() + a.size());
}

// The arguments every run shares, converted with their shapes checked against each other: u [T, m] with m the
// cell's input size, x0 [d], initial_guess [T, d].
template <class T>
struct Sequence {
  CArray<T> u, x0;
  Index len = 0;
  Sequence(const py::object& u_in, const py::object& x0_in, Index d, Index m, const char* fn)
      : u(convert<T>(u_in, fn, "u", {{"T"}, {"m", m}})),
        x0(convert_optional<T>(x0_in, fn, "x0", {{"d", d}})),
        len(u.shape(0)) {}
};

template <class T>
seqref::DeerOptions<T> options(const std::string& method, double tol, Index max_sweeps, double damping,
                               const py::object& guess, bool keep, Index T_len, Index d, const char* fn, double clip) {
  seqref::DeerOptions<T> o;
  o.clip = clip;
  o.method = parse_method(method, fn);
  o.tolerance = tol;
  o.max_sweeps = max_sweeps;
  o.damping = damping;
  if (!guess.is_none()) o.initial_guess = to_vector(convert<T>(guess, fn, "initial_guess", {{"T", T_len}, {"d", d}}));
  o.keep_iterates = keep;
  return o;
}

template <class T>
py::dict to_dict(const seqref::DeerResult<T>& r, Index T_len, Index d, const char* fn) {
  py::dict out;
  out["states"] = to_numpy(r.states, fn, "states", {{"T", T_len}, {"d", d}});
  out["sweeps"] = r.sweeps;
  out["best_sweep"] = r.best_sweep;
  out["residual"] = r.residual;
  out["tolerance"] = r.tolerance;
  out["converged"] = r.converged;
  out["status"] = std::string(seqref::to_string(r.status));
  out["reason"] = r.reason;
  out["residuals"] = to_numpy(r.residuals, fn, "residuals");
  if (!r.iterates.empty()) {
    auto it = new_array<T>(fn, "iterates", {{"sweeps", static_cast<Index>(r.iterates.size())}, {"T", T_len}, {"d", d}});
    const std::size_t step = static_cast<std::size_t>(T_len * d);
    for (std::size_t k = 0; k < r.iterates.size(); ++k) {
      if (r.iterates[k].size() != step) throw std::runtime_error(std::string(fn) + ": internal error: iterate size");
      if (step > 0) std::memcpy(it.mutable_data() + k * step, r.iterates[k].data(), step * sizeof(T));
    }
    out["iterates"] = it;
  }
  return out;
}

template <class T>
seqref::TanhCell<T> tanh_cell(const py::object& A_in, const char* fn) {
  const auto A = convert<T>(A_in, fn, "A", {{"d"}, {"d"}});
  if (A.shape(0) != A.shape(1))
    throw py::value_error(std::string(fn) + ": A must be square [d, d]; got shape " + seqref::python::shape_of(A));
  seqref::TanhCell<T> cell;
  cell.A = to_vector(A);
  cell.dim = A.shape(0);
  return cell;
}

// Every GRU weight's shape is fixed by Wz [d, m]: W* [d, m], U* [d, d], b* [d].
seqref::GruCell<double> gru_cell(const py::object& Wz, const py::object& Wr, const py::object& Wh, const py::object& Uz,
                                 const py::object& Ur, const py::object& Uh, const py::object& bz, const py::object& br,
                                 const py::object& bh, const char* fn, const std::string& convention = "cho",
                                 const py::object& bhn = py::none()) {
  seqref::GruCell<double> g;
  if (convention == "torch")
    g.convention = seqref::GruConvention::torch;
  else if (convention != "cho")
    throw py::value_error(std::string(fn) + ": convention must be 'cho' or 'torch'; got '" + convention + "'");
  const auto wz = convert<double>(Wz, fn, "Wz", {{"d"}, {"m"}});
  const Index d = wz.shape(0), m = wz.shape(1);
  g.dim = d, g.input = m;
  g.Wz = to_vector(wz);
  g.Wr = to_vector(convert<double>(Wr, fn, "Wr", {{"d", d}, {"m", m}}));
  g.Wh = to_vector(convert<double>(Wh, fn, "Wh", {{"d", d}, {"m", m}}));
  g.Uz = to_vector(convert<double>(Uz, fn, "Uz", {{"d", d}, {"d", d}}));
  g.Ur = to_vector(convert<double>(Ur, fn, "Ur", {{"d", d}, {"d", d}}));
  g.Uh = to_vector(convert<double>(Uh, fn, "Uh", {{"d", d}, {"d", d}}));
  g.bz = to_vector(convert<double>(bz, fn, "bz", {{"d", d}}));
  g.br = to_vector(convert<double>(br, fn, "br", {{"d", d}}));
  g.bh = to_vector(convert<double>(bh, fn, "bh", {{"d", d}}));
  if (!bhn.is_none()) {
    if (g.convention != seqref::GruConvention::torch)
      throw py::value_error(std::string(fn) + ": bhn is the torch convention's bias; pass convention='torch'");
    g.bhn = to_vector(convert<double>(bhn, fn, "bhn", {{"d", d}}));
  }
  return g;
}

template <class T, class Run>
py::dict run_tanh(const py::object& A, const py::object& u_in, const py::object& x0_in, const std::string& method,
                  double tol, Index max_sweeps, double damping, const py::object& guess, bool keep, double clip,
                  const char* fn, Run run) {
  const auto cell = tanh_cell<T>(A, fn);
  const Sequence<T> in(u_in, x0_in, cell.dim, cell.dim, fn);
  const auto o = options<T>(method, tol, max_sweeps, damping, guess, keep, in.len, cell.dim, fn, clip);
  seqref::DeerResult<T> r;
  {
    py::gil_scoped_release nogil;
    r = run(cell, span_of(in.u), span_of(in.x0), o);
  }
  return to_dict(r, in.len, cell.dim, fn);
}

template <class T, class Run>
py::array_t<T> sequential_tanh(const py::object& A, const py::object& u_in, const py::object& x0_in, const char* fn,
                               Run run) {
  const auto cell = tanh_cell<T>(A, fn);
  const Sequence<T> in(u_in, x0_in, cell.dim, cell.dim, fn);
  std::vector<T> x;
  {
    py::gil_scoped_release nogil;
    x = run(cell, span_of(in.u), span_of(in.x0));
  }
  return to_numpy(x, fn, "states", {{"T", in.len}, {"d", cell.dim}});
}

#define SEQREF_DEER_ARGS                                                                                      \
  py::arg("A"), py::arg("u"), py::arg("x0") = py::none(), py::arg("method") = "newton", py::arg("tol") = 0.0, \
                              py::arg("max_sweeps") = 0, py::arg("damping") = 1.0,                            \
                              py::arg("initial_guess") = py::none(), py::arg("keep_iterates") = false,        \
                              py::arg("clip") = 0.0

void bind_deer(py::module_& ref, py::module_& cpu, py::module_& cuda) {
  using namespace seqref;
  ref.def(
      "deer",
      [](const py::object& A, const py::object& u, const py::object& x0, const std::string& method, double tol,
         Index max_sweeps, double damping, const py::object& guess, bool keep, double clip) {
        return run_tanh<double>(A, u, x0, method, tol, max_sweeps, damping, guess, keep, clip, "seqref.ref.deer",
                                [](const auto& c, auto uu, auto xx, const auto& o) { return ref::deer(c, uu, xx, o); });
      },
      SEQREF_DEER_ARGS,
      "DEER for x_t = tanh(A x_{t-1} + u_t), float64 reference: A [d, d], u [T, d], x0 [d] (None: 0); method "
      "'newton' | 'fixed_a' | 'quasi' | 'at_zero' (the post's A_t = sech^2(u_t)*A) | 'post_fixed'; tol 0: default "
      "(stops at the rounding floor); max_sweeps 0: T; clip > 0 clamps every iterate to [-clip, clip] (0: off). "
      "Returns a dict (states, sweeps, residual, "
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
         const py::object& guess, bool keep, double clip, const std::string& convention, const py::object& bhn) {
        constexpr const char* fn = "seqref.ref.deer_gru";
        const auto g = gru_cell(Wz, Wr, Wh, Uz, Ur, Uh, bz, br, bh, fn, convention, bhn);
        const Sequence<double> in(u_in, x0_in, g.dim, g.input, fn);
        const auto o = options<double>(method, tol, max_sweeps, damping, guess, keep, in.len, g.dim, fn, clip);
        DeerResult<double> r;
        {
          py::gil_scoped_release nogil;
          r = ref::deer(g, span_of(in.u), span_of(in.x0), o);
        }
        return to_dict(r, in.len, g.dim, fn);
      },
      py::arg("Wz"), py::arg("Wr"), py::arg("Wh"), py::arg("Uz"), py::arg("Ur"), py::arg("Uh"), py::arg("bz"),
      py::arg("br"), py::arg("bh"), py::arg("u"), py::arg("x0") = py::none(), py::arg("method") = "newton",
      py::arg("tol") = 0.0, py::arg("max_sweeps") = 0, py::arg("damping") = 1.0, py::arg("initial_guess") = py::none(),
      py::arg("keep_iterates") = false, py::arg("clip") = 0.0, py::arg("convention") = "cho",
      py::arg("bhn") = py::none(),
      "DEER for the GRU cell, float64: W* [d, m], U* [d, d], b* [d], u [T, m]. convention 'cho' (the post's; "
      "h = tanh(Wh u + Uh (r*x) + bh); x' = (1-z) x + z h) or 'torch' (torch.nn.GRUCell: n = tanh(Wh u + bh + "
      "r*(Uh x + bhn)); x' = (1-z) n + z x, bhn [d] or None). fixed_a uses the cell Jacobian at (x=0, u=0), "
      "post_fixed the post's 0.5 (I + 0.5 Uh). Returns the dict of deer().");
  ref.def(
      "gru_sequential",
      [](const py::object& Wz, const py::object& Wr, const py::object& Wh, const py::object& Uz, const py::object& Ur,
         const py::object& Uh, const py::object& bz, const py::object& br, const py::object& bh, const py::object& u_in,
         const py::object& x0_in, const std::string& convention, const py::object& bhn) {
        constexpr const char* fn = "seqref.ref.gru_sequential";
        const auto g = gru_cell(Wz, Wr, Wh, Uz, Ur, Uh, bz, br, bh, fn, convention, bhn);
        const Sequence<double> in(u_in, x0_in, g.dim, g.input, fn);
        std::vector<double> x;
        {
          py::gil_scoped_release nogil;
          x = ref::rnn_sequential(g, span_of(in.u), span_of(in.x0));
        }
        return to_numpy(x, fn, "states", {{"T", in.len}, {"d", g.dim}});
      },
      py::arg("Wz"), py::arg("Wr"), py::arg("Wh"), py::arg("Uz"), py::arg("Ur"), py::arg("Uh"), py::arg("bz"),
      py::arg("br"), py::arg("bh"), py::arg("u"), py::arg("x0") = py::none(), py::arg("convention") = "cho",
      py::arg("bhn") = py::none(), "Sequential GRU, float64: [T, d] (convention as deer_gru).");

  cpu.def(
      "deer",
      [](const py::object& A, const py::object& u, const py::object& x0, const std::string& method, double tol,
         Index max_sweeps, double damping, const py::object& guess, bool keep, double clip) -> py::dict {
        auto run = [](const auto& c, auto uu, auto xx, const auto& o) { return cpu::deer(c, uu, xx, o); };
        if (is_float32(A))
          return run_tanh<float>(A, u, x0, method, tol, max_sweeps, damping, guess, keep, clip, "seqref.cpu.deer", run);
        return run_tanh<double>(A, u, x0, method, tol, max_sweeps, damping, guess, keep, clip, "seqref.cpu.deer", run);
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
         Index max_sweeps, double damping, const py::object& guess, bool keep, double clip) {
        return run_tanh<float>(A, u, x0, method, tol, max_sweeps, damping, guess, keep, clip, "seqref.cuda.deer",
                               [](const auto& c, auto uu, auto xx, const auto& o) { return cuda::deer(c, uu, xx, o); });
      },
      SEQREF_DEER_ARGS,
      "DEER on the GPU, float32, d <= 8 (chunked block scans); RuntimeError without a device. As seqref.ref.deer.");
}

static seqref::python::RegisterBinder registered(&bind_deer);

}  // namespace
