// The judge of ssm/s4: a candidate S4D convolution kernel K [L] (or [H, L], one per channel) of the diagonal SSM
// with ZOH (arXiv 2206.11893): K_j = 2 Re Σ_n C_n B̄_n Ā_n^j, Ā_n = e^{Δλ_n}, B̄_n = (e^{Δλ_n} − 1)/λ_n · B_n.
//
// Why S4D and not S4's DPLR kernel: both have a cpu kernel (seqref::cpu::vandermonde_kernel,
// seqref::cpu::s4_kernel_dplr), but the Vandermonde kernel is the one users write themselves — a few lines of
// PyTorch (state-spaces' standalone s4d.py, DSS, the diagonal SSMs that followed), while the DPLR kernel needs
// the NPLR decomposition and a Cauchy kernel (pykeops or a CUDA extension) and is used as shipped.
//
// Complex inputs are real arrays with a trailing dimension 2 (re, im), as torch.view_as_real gives them (s4d.py
// stores C that way). Units are channels; the truth is eq. (7) in float64 then seqref::cpu::vandermonde_kernel, the
// yardstick seqref::ref::s4d_kernel (std::complex<S>) for float32/float64 and its real-arithmetic form
// seqref::ref::s4d_kernel_real for 16-bit candidates (std::complex is not specified for Eigen::half/bfloat16).

#include "seqref/opt/ssm/s4.hpp"
#include "seqref/judge/method.hpp"
#include "seqref/ref/ssm/s4.hpp"

#include <cmath>
#include <complex>

namespace {

using namespace seqref::judge;
using seqref::ref::ComplexPair;
constexpr const char* kId = "ssm/s4";

[[noreturn]] void fail(const std::string& message) {
  throw std::invalid_argument(std::string("seqref.check(") + kId + "): " + message);
}

struct Shape {
  Index H, N, L;
  bool batched;
};

// A complex [N, 2] or [H, N, 2] argument (a [N, 2] Lambda or B is shared by every channel).
void require_complex(const Inputs& in, const char* name, const Shape& s, bool shared_ok) {
  const Array* a = optional_array(in, name);
  if (!a) return;
  if (s.batched && !(shared_ok && a->shape.size() == 2))
    require_shape(kId, name, *a, {"H", "N", "re/im"}, {s.H, s.N, 2});
  else
    require_shape(kId, name, *a, {"N", "re/im"}, {s.N, 2});
}

Shape shape_of(const Inputs& in) {
  const Array& C = array(in, "C", kId);
  Shape s{1, 0, 0, C.shape.size() == 3};
  if (s.batched) {
    const auto c = require_shape(kId, "C", C, {"H", "N", "re/im"}, {-1, -1, 2});
    s.H = c[0], s.N = c[1];
  } else {
    s.N = require_shape(kId, "C", C, {"N", "re/im"}, {-1, 2})[0];
  }
  require_complex(in, "Lambda", s, true);
  require_complex(in, "B", s, true);
  const bool has_init = in.strings.count("init") > 0, has_lambda = optional_array(in, "Lambda") != nullptr;
  if (has_init == has_lambda)
    fail(has_init ? "give either init or Lambda, not both"
                  : "give the modes: init ('lin', 'inv' or 'real') or Lambda [N, 2] / [H, N, 2] (re, im)");
  if (has_init) {
    const std::string init = string(in, "init", "");
    if (init != "lin" && init != "inv" && init != "real")
      fail("init must be 'lin', 'inv' or 'real'; got '" + init + "'");
  }
  const Array* dt = optional_array(in, "dt");
  if (dt) {
    require_shape(kId, "dt", *dt, {"H"}, {s.H});
    if (!s.batched) fail("dt is an array [H] only when C is [H, N, 2]; pass a number for C [N, 2]");
  } else if (in.numbers.count("dt") == 0) {
    fail("missing argument 'dt' (a number, or an array [H] of steps)");
  }
  for (Index h = 0; h < s.H; ++h) {
    const double d = dt ? dt->values[static_cast<std::size_t>(h)] : number(in, "dt", 0);
    if (!(std::isfinite(d) && d > 0))
      fail("dt must be finite and > 0; got " + std::to_string(d) + (dt ? " at dt[" + std::to_string(h) + "]" : ""));
  }
  const double L = number(in, "L", -1);
  if (in.numbers.count("L") == 0) fail("missing number argument 'L' (the kernel's length)");
  if (!(L >= 1 && L == std::floor(L) && L <= 1e9)) fail("L must be an integer >= 1; got " + std::to_string(L));
  s.L = static_cast<Index>(L);
  return s;
}

double dt_of(const Inputs& in, Index h) {
  const Array* dt = optional_array(in, "dt");
  return dt ? dt->values[static_cast<std::size_t>(h)] : number(in, "dt", 0);
}

// Mode n of channel h of a complex argument ([N, 2] shared or [H, N, 2]); `fallback` when the argument is absent.
std::complex<double> entry(const Inputs& in, const char* name, const Shape& s, Index h, Index n,
                           std::complex<double> fallback) {
  const Array* a = optional_array(in, name);
  if (!a) return fallback;
  const Index at = (a->shape.size() == 3 ? h * s.N + n : n) * 2;
  return {a->values[static_cast<std::size_t>(at)], a->values[static_cast<std::size_t>(at + 1)]};
}

seqref::ref::S4dInit init_of(const Inputs& in) {
  const std::string init = string(in, "init", "lin");
  return init == "inv"    ? seqref::ref::S4dInit::inv
         : init == "real" ? seqref::ref::S4dInit::real
                          : seqref::ref::S4dInit::lin;
}

// The modes of channel h in long double (float64 for the 16-bit and float32 runs, rounded to S there: the modes of
// an init are inputs like any other, the yardstick sees them rounded to the candidate's dtype).
template <class R>
std::vector<std::complex<R>> modes(const Inputs& in, const Shape& s, Index h) {
  std::vector<std::complex<R>> lambda(static_cast<std::size_t>(s.N));
  if (optional_array(in, "Lambda")) {
    for (Index n = 0; n < s.N; ++n) {
      const auto l = entry(in, "Lambda", s, h, n, {});
      lambda[static_cast<std::size_t>(n)] = {static_cast<R>(l.real()), static_cast<R>(l.imag())};
    }
  } else {
    lambda = seqref::ref::s4d_eigenvalues<R>(init_of(in), s.N);
  }
  return lambda;
}

// The channels `units` (sorted) in S: seqref::ref::s4d_kernel for float, double and long double,
// seqref::ref::s4d_kernel_real for the 16-bit scalars; inputs rounded to S.
template <class S>
Values channels_in(const Inputs& in, std::span<const Index> units) {
  const Shape s = shape_of(in);
  Values out;
  out.reserve(units.size() * static_cast<std::size_t>(s.L));
  for (const Index h : units) {
    std::vector<std::complex<long double>> lambda;
    if constexpr (std::is_same_v<S, long double>)
      lambda = modes<long double>(in, s, h);
    else
      for (const auto& x : modes<double>(in, s, h)) lambda.emplace_back(x.real(), x.imag());
    auto at = [&](const std::vector<std::complex<long double>>& v, Index n) { return v[static_cast<std::size_t>(n)]; };
    std::vector<S> K;
    if constexpr (has_std_complex<S>) {
      seqref::ref::CVector<S> L(static_cast<std::size_t>(s.N)), B(L), C(L);
      for (Index n = 0; n < s.N; ++n) {
        const auto l = at(lambda, n);
        const auto b = entry(in, "B", s, h, n, {1, 0}), c = entry(in, "C", s, h, n, {});
        L[static_cast<std::size_t>(n)] = {static_cast<S>(l.real()), static_cast<S>(l.imag())};
        B[static_cast<std::size_t>(n)] = {static_cast<S>(b.real()), static_cast<S>(b.imag())};
        C[static_cast<std::size_t>(n)] = {static_cast<S>(c.real()), static_cast<S>(c.imag())};
      }
      K = seqref::ref::s4d_kernel<S>(L, B, C, number_as<S>(dt_of(in, h)), s.L);
    } else {
      std::vector<ComplexPair<S>> L(static_cast<std::size_t>(s.N)), B(L), C(L);
      auto pair = [](double re, double im) { return ComplexPair<S>{number_as<S>(re), number_as<S>(im)}; };
      for (Index n = 0; n < s.N; ++n) {
        const auto l = at(lambda, n);
        const auto b = entry(in, "B", s, h, n, {1, 0}), c = entry(in, "C", s, h, n, {});
        L[static_cast<std::size_t>(n)] = pair(static_cast<double>(l.real()), static_cast<double>(l.imag()));
        B[static_cast<std::size_t>(n)] = pair(b.real(), b.imag());
        C[static_cast<std::size_t>(n)] = pair(c.real(), c.imag());
      }
      K = seqref::ref::s4d_kernel_real<S>(L, B, C, number_as<S>(dt_of(in, h)), s.L);
    }
    for (Index j = 0; j < s.L; ++j) out.emplace_back(h * s.L + j, widen<S>(K[static_cast<std::size_t>(j)]));
  }
  return out;
}

}  // namespace

SEQREF_REGISTER_JUDGE(ssm, s4) {
  MethodJudge m;
  m.id = kId;
  m.signature =
      "S4D kernel (ZOH): C [N, 2] or [H, N, 2] (re, im: torch.view_as_real), the modes as init ('lin' | 'inv' | "
      "'real', as seqref.ref.s4d_kernel) or Lambda [N, 2] / [H, N, 2], B [N, 2] / [H, N, 2] (default 1), dt (a "
      "number, or [H]), L -> K [L] or [H, L], K_j = 2 Re sum_n C_n B_n (exp(dt lambda_n) - 1)/lambda_n "
      "exp(dt lambda_n)^j (N complex modes, their conjugates implied)";
  m.arrays = {"C", "Lambda", "B", "dt"};
  m.numbers = {"dt", "L"};
  m.strings = {"init"};
  m.K = 4;
  m.K_reason =
      "a correct kernel computes the same N-term sums of 2 Re(w_n z_n^j) as the reference; the reference forms z^j "
      "by repeated multiplication (relative error growing like j u), a candidate by exp(j dt lambda) (the rounding "
      "of j dt lambda, an error of j u |dt lambda|) or by a blocked table of powers (seqref's cpu kernel): the same "
      "first-order growth along j damped by |z|^j, within a small constant of the reference (the project's cpu "
      "K = 4). A mode whose phase advance |dt Im(lambda)| per step is large makes the exp(j dt lambda) form that "
      "many times less accurate than repeated multiplication; such a mode is also heavily aliased (more than a "
      "radian per sample)";
  m.unit_name = "channel";
  m.output_shape = [](const Inputs& in) {
    const Shape s = shape_of(in);
    for (const char* name : {"C", "Lambda", "B"})
      if (const Array* a = optional_array(in, name))
        for (std::size_t i = 0; i < a->values.size(); ++i)
          if (!std::isfinite(a->values[i]))
            fail(std::string(name) + " has a non-finite value at flat index " + std::to_string(i));
    return s.batched ? std::vector<Index>{s.H, s.L} : std::vector<Index>{s.L};
  };
  m.units = [](const Inputs& in) { return shape_of(in).H; };
  m.unit_of = [](const Inputs& in, Index flat) { return flat / shape_of(in).L; };
  m.work_per_unit = [](const Inputs& in) {
    const Shape s = shape_of(in);
    return static_cast<double>(s.N) * (8.0 * static_cast<double>(s.L) + 40.0);
  };
  m.reference = [](const Inputs& in, Precision p, std::span<const Index> units) {
    return dispatch(p, [&]<class S>() { return channels_in<S>(in, units); });
  };
  m.reference_name =
      "seqref::ref::s4d_kernel eqs. (7)-(8) (ZOH, powers by repeated multiplication; for float16/bfloat16 its "
      "real-arithmetic form seqref::ref::s4d_kernel_real, complex numbers as (re, im) pairs, since std::complex is "
      "not specified for Eigen::half/bfloat16)";
  m.fast_truth = [](const Inputs& in) {
    const Shape s = shape_of(in);
    std::vector<std::complex<double>> w(static_cast<std::size_t>(s.H * s.N)), z(w.size());
    for (Index h = 0; h < s.H; ++h) {
      const auto lambda = modes<double>(in, s, h);
      const double dt = dt_of(in, h);
      for (Index n = 0; n < s.N; ++n) {
        const std::complex<double> l = lambda[static_cast<std::size_t>(n)];
        if (l == 0.0) fail("Lambda[" + std::to_string(n) + "] = 0: ZOH's B̄ = (e^{dt λ} − 1)/λ · B divides by λ");
        const std::complex<double> zn = std::exp(dt * l);  // eq. (7): Ā_n = e^{Δλ_n}
        z[static_cast<std::size_t>(h * s.N + n)] = zn;
        w[static_cast<std::size_t>(h * s.N + n)] =
            entry(in, "C", s, h, n, {}) * ((zn - 1.0) / l) * entry(in, "B", s, h, n, {1, 0});  // C_n B̄_n
      }
    }
    std::vector<double> out(static_cast<std::size_t>(s.H * s.L));
    seqref::cpu::vandermonde_kernel(w, z, out, s.H, s.N, s.L);
    return out;
  };
  m.fast_truth_name = "eq. (7) in float64, then seqref::cpu::vandermonde_kernel (blocked tables of powers)";
  return m;
}
