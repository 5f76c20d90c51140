// Properties of ssm/selective_scan; see selective_scan_properties.hpp for the error model.

#include "verify/tests/ssm/selective_scan_properties.hpp"

#include "seqref/core/oracle.hpp"
#include "seqref/core/random.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>

namespace seqref::verify::selective_scan {

namespace {

template <class S, class T>
std::vector<S> cast(const std::vector<T>& v) {
  std::vector<S> out(v.size());
  for (std::size_t i = 0; i < v.size(); ++i) out[i] = static_cast<S>(v[i]);
  return out;
}

template <class S>
bool same_bits(const std::vector<S>& a, const std::vector<S>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(S)) == 0;
}

std::size_t sz(Index n) { return static_cast<std::size_t>(n); }

std::string sci(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", x);
  return buf;
}

template <class S>
Outputs<S> poisoned(const Problem& p) {
  Outputs<S> o;
  o.y = seqref::verify::poisoned<S>(sz(p.batch * p.len * p.channels));
  o.h = seqref::verify::poisoned<S>(sz(p.batch * p.channels * p.dstate));
  return o;
}

template <class S>
Outputs<S> run_reference(const Problem& p) {
  const Arrays<S> a(p);
  Outputs<S> o = poisoned<S>(p);
  ref::selective_scan<S>(a.view(), o.y, o.h);
  return o;
}

// Both outputs of `run` judged against the exact solution: the worse of the two, in model units.
template <class S>
double both_errors(const Outputs<S>& o, const Outputs<long double>& exact, const Model& m, std::string* note) {
  const double ey = model_error(o.y, exact.y, m.Y), eh = model_error(o.h, exact.h, m.H);
  if (note) *note = "y " + sci(ey) + ", h_last " + sci(eh);
  return std::max(ey, eh);
}

std::string sizes(Index batch, Index len, Index channels, Index dstate) {
  return "[batch, T, channels, dstate] = [" + std::to_string(batch) + ", " + std::to_string(len) + ", " +
         std::to_string(channels) + ", " + std::to_string(dstate) + "]";
}

}  // namespace

std::string Variant::describe() const {
  std::string s = std::string(to_string(discretization));
  if (softplus) s += ", softplus";
  if (bias) s += ", bias";
  if (D) s += ", D";
  if (z) s += ", z-gate";
  if (h0) s += ", h0";
  return s;
}

Variant variant_from_seed(std::uint64_t seed) {
  Variant v;
  v.softplus = (seed & 1) != 0;
  v.bias = (seed & 2) != 0;
  v.D = (seed & 4) != 0;
  v.z = (seed & 8) != 0;
  v.h0 = (seed & 16) != 0;
  v.discretization = (seed & 32) != 0 ? BDiscretization::zoh : BDiscretization::euler;
  return v;
}

template <class S>
Problem Problem::rounded() const {
  Problem r = *this;
  for (auto* v : {&r.u, &r.delta, &r.A, &r.B, &r.C, &r.D, &r.z, &r.delta_bias, &r.h0})
    for (double& x : *v) x = static_cast<double>(static_cast<S>(x));
  return r;
}
template Problem Problem::rounded<float>() const;
template Problem Problem::rounded<double>() const;

std::string Problem::describe() const {
  Variant v;
  v.softplus = delta_softplus;
  v.bias = !delta_bias.empty();
  v.D = !D.empty();
  v.z = !z.empty();
  v.h0 = !h0.empty();
  v.discretization = discretization;
  return sizes(batch, len, channels, dstate) + " (" + v.describe() + ")";
}

Problem make_problem(Index batch, Index len, Index channels, Index dstate, const Variant& v, std::uint64_t seed) {
  Problem p;
  p.batch = batch;
  p.len = len;
  p.channels = channels;
  p.dstate = dstate;
  p.delta_softplus = v.softplus;
  p.discretization = v.discretization;
  SplitMix64 rng(seed * 0x9e3779b97f4a7c15ull + 17);
  const Index btd = batch * len * channels, btn = batch * len * dstate;
  p.u.resize(sz(btd));
  for (auto& x : p.u) x = rng.normal();
  p.delta.resize(sz(btd));
  // softplus: raw δ mostly in Mamba's range (Δ = softplus(δ + bias) ~ 0.002..1.7), 1 in 8 in [1, 25] so that both
  // sides of the threshold 20 are exercised; otherwise Δ = δ (+ bias) directly in [0.001, 1]
  for (auto& x : p.delta)
    x = !v.softplus ? 0.001 + 0.999 * rng.uniform()
                    : (rng.uniform() < 0.125 ? 1.0 + 24.0 * rng.uniform() : -5.0 + 6.0 * rng.uniform());
  p.A.resize(sz(channels * dstate));
  for (Index c = 0; c < channels; ++c) {
    const double s = 0.1 + 1.9 * rng.uniform();
    for (Index n = 0; n < dstate; ++n) p.A[sz(c * dstate + n)] = -static_cast<double>(n + 1) * s;
  }
  p.B.resize(sz(btn));
  for (auto& x : p.B) x = rng.normal();
  p.C.resize(sz(btn));
  for (auto& x : p.C) x = rng.normal();
  if (v.D) {
    p.D.resize(sz(channels));
    for (auto& x : p.D) x = rng.normal();
  }
  if (v.z) {
    p.z.resize(sz(btd));
    for (auto& x : p.z) x = 2.0 * rng.normal();
  }
  if (v.bias) {
    p.delta_bias.resize(sz(channels));
    for (auto& x : p.delta_bias) x = -1.0 + 2.0 * rng.uniform();
    // without softplus Δ = δ + bias must stay > 0 for the decaying regime: shift the bias up
    if (!v.softplus)
      for (auto& x : p.delta_bias) x = 0.5 * (x + 1.0);
  }
  if (v.h0) {
    p.h0.resize(sz(batch * channels * dstate));
    for (auto& x : p.h0) x = rng.normal();
  }
  return p;
}

template <class S>
Arrays<S>::Arrays(const Problem& p)
    : u(cast<S>(p.u)),
      delta(cast<S>(p.delta)),
      A(cast<S>(p.A)),
      B(cast<S>(p.B)),
      C(cast<S>(p.C)),
      D(cast<S>(p.D)),
      z(cast<S>(p.z)),
      delta_bias(cast<S>(p.delta_bias)),
      h0(cast<S>(p.h0)),
      delta_softplus(p.delta_softplus),
      discretization(p.discretization),
      batch(p.batch),
      len(p.len),
      channels(p.channels),
      dstate(p.dstate) {}

template <class S>
SelectiveScan<S> Arrays<S>::view() const {
  SelectiveScan<S> v;
  v.batch = batch;
  v.len = len;
  v.channels = channels;
  v.dstate = dstate;
  v.u = u;
  v.delta = delta;
  v.A = A;
  v.B = B;
  v.C = C;
  v.D = D;
  v.z = z;
  v.delta_bias = delta_bias;
  v.h0 = h0;
  v.delta_softplus = delta_softplus;
  v.discretization = discretization;
  return v;
}
template struct Arrays<float>;
template struct Arrays<double>;
template struct Arrays<Oracle>;

Model error_model(const Problem& p) {
  using LD = long double;
  const Index Bt = p.batch, T = p.len, Dc = p.channels, N = p.dstate;
  Model model;
  model.Y.assign(sz(Bt * T * Dc), 0.0);
  model.H.assign(sz(Bt * Dc * N), 0.0);
  std::vector<LD> m(sz(N)), E(sz(N)), Cm(sz(T)), CE(sz(T));
  for (Index beta = 0; beta < Bt; ++beta)
    for (Index c = 0; c < Dc; ++c) {
      for (Index n = 0; n < N; ++n) {
        m[sz(n)] = p.h0.empty() ? 0.0L : std::fabs(static_cast<LD>(p.h0[sz((beta * Dc + c) * N + n)]));
        E[sz(n)] = 0;
      }
      const LD bias = p.delta_bias.empty() ? 0.0L : static_cast<LD>(p.delta_bias[sz(c)]);
      for (Index t = 0; t < T; ++t) {
        const Index btc = (beta * T + t) * Dc + c, btn = (beta * T + t) * N;
        const LD x = static_cast<LD>(p.delta[sz(btc)]) + bias;
        const LD dt = !p.delta_softplus ? x : (x <= 20 ? std::log1p(std::exp(x)) : x);
        const LD ut = static_cast<LD>(p.u[sz(btc)]);
        LD cm = 0, ce = 0;
        for (Index n = 0; n < N; ++n) {
          const LD a = static_cast<LD>(p.A[sz(c * N + n)]);
          const LD aa = std::exp(dt * a);
          const LD f = p.discretization == BDiscretization::euler || a == 0 ? dt : std::expm1(dt * a) / a;
          const LD b = std::fabs(f * static_cast<LD>(p.B[sz(btn + n)]) * ut);
          const LD m_old = m[sz(n)];
          m[sz(n)] = std::fabs(aa) * m_old + b;
          E[sz(n)] =
              std::fabs(aa) * E[sz(n)] + (4 + 4 * std::fabs(dt * a)) * std::fabs(aa) * m_old + 12 * b + 2 * m[sz(n)];
          const LD Cn = std::fabs(static_cast<LD>(p.C[sz(btn + n)]));
          cm += Cn * m[sz(n)];
          ce += Cn * (E[sz(n)] + static_cast<LD>(N + 1) * m[sz(n)]);
        }
        const LD du = p.D.empty() ? 0.0L : std::fabs(static_cast<LD>(p.D[sz(c)]) * ut);
        LD Y = ce + 2 * du;
        if (!p.z.empty()) {
          const LD z = static_cast<LD>(p.z[sz(btc)]);
          const LD g = std::fabs(z / (1 + std::exp(-z)));
          Y = g * Y + 7 * g * (cm + du);
        }
        model.Y[sz(btc)] = static_cast<double>(Y);
      }
      for (Index n = 0; n < N; ++n) model.H[sz((beta * Dc + c) * N + n)] = static_cast<double>(E[sz(n)]);
    }
  return model;
}

Outputs<long double> exact_solution(const Problem& p, bool oracle) {
  Outputs<long double> out;
  if (oracle) {
    const auto o = run_reference<Oracle>(p);
    out.y = cast<long double>(o.y);
    out.h = cast<long double>(o.h);
  } else {
    const auto o = run_reference<double>(p);
    out.y = cast<long double>(o.y);
    out.h = cast<long double>(o.h);
  }
  return out;
}

template <class S>
Measured reference_vs_exact(Index batch, Index len, Index channels, Index dstate, const Variant& v,
                            std::uint64_t seed) {
  const Problem p = make_problem(batch, len, channels, dstate, v, seed).rounded<S>();
  const auto exact = exact_solution(p, sizeof(S) == 8);
  std::string note;
  const double err = both_errors(run_reference<S>(p), exact, error_model(p), &note);
  return {judge_absolute(tolerance(kMethod, "sequential", precision_of<S>(), Backend::ref), err),
          "reference " + p.describe() + " vs " + (sizeof(S) == 8 ? "Oracle" : "f64 reference") + ", model units (" +
              note + ")"};
}
template Measured reference_vs_exact<float>(Index, Index, Index, Index, const Variant&, std::uint64_t);
template Measured reference_vs_exact<double>(Index, Index, Index, Index, const Variant&, std::uint64_t);

template <class S>
Measured cpu_vs_exact(Index batch, Index len, Index channels, Index dstate, const Variant& v, Index chunk, int threads,
                      std::uint64_t seed) {
  const Problem p = make_problem(batch, len, channels, dstate, v, seed).rounded<S>();
  const auto exact = exact_solution(p, sizeof(S) == 8);
  const Model model = error_model(p);
  const Arrays<S> a(p);
  Outputs<S> o = poisoned<S>(p);
  const Index used = cpu::selective_scan(a.view(), std::span<S>(o.y), std::span<S>(o.h), ScanSchedule{chunk, threads});
  std::string note_opt, note_ref;
  const double err_opt = both_errors(o, exact, model, &note_opt);
  const double err_ref = both_errors(run_reference<S>(p), exact, model, &note_ref);
  return {judge_relative(tolerance(kMethod, "fused", precision_of<S>(), Backend::cpu), err_opt, err_ref),
          "cpu " + p.describe() + ", chunk " + std::to_string(used) + ", " + std::to_string(threads) +
              " threads, model units (" + note_opt + "; reference " + note_ref + ")"};
}
template Measured cpu_vs_exact<float>(Index, Index, Index, Index, const Variant&, Index, int, std::uint64_t);
template Measured cpu_vs_exact<double>(Index, Index, Index, Index, const Variant&, Index, int, std::uint64_t);

Measured cuda_vs_exact(Index batch, Index len, Index channels, Index dstate, const Variant& v, Index chunk,
                       std::uint64_t seed) {
  const Problem p = make_problem(batch, len, channels, dstate, v, seed).rounded<float>();
  const auto exact = exact_solution(p, false);
  const Model model = error_model(p);
  const Arrays<float> a(p);
  Outputs<float> o = poisoned<float>(p);
  const Index used =
      cuda::selective_scan(a.view(), std::span<float>(o.y), std::span<float>(o.h), ScanSchedule{chunk, 0});
  std::string note_opt, note_ref;
  const double err_opt = both_errors(o, exact, model, &note_opt);
  const double err_ref = both_errors(run_reference<float>(p), exact, model, &note_ref);
  return {judge_relative(tolerance(kMethod, "fused", Precision::f32, Backend::cuda), err_opt, err_ref),
          "cuda " + p.describe() + ", tile " + std::to_string(used) + ", model units (" + note_opt + "; reference " +
              note_ref + ")"};
}

Exact cpu_threads_bit_identical(Index batch, Index len, Index channels, Index dstate, Index chunk, int threads,
                                std::uint64_t seed) {
  Variant v = variant_from_seed(seed);
  v.h0 = true;
  const Problem p = make_problem(batch, len, channels, dstate, v, seed);
  bool pass = true;
  Index used = 0;
  auto compare = [&](auto tag) {
    using S = decltype(tag);
    const Arrays<S> a(p.rounded<S>());
    Outputs<S> one = poisoned<S>(p), many = poisoned<S>(p);
    used = cpu::selective_scan(a.view(), std::span<S>(one.y), std::span<S>(one.h), ScanSchedule{chunk, 1});
    cpu::selective_scan(a.view(), std::span<S>(many.y), std::span<S>(many.h), ScanSchedule{chunk, threads});
    pass = pass && same_bits(one.y, many.y) && same_bits(one.h, many.h);
  };
  compare(float{});
  compare(double{});
  return {pass, "cpu f32 and f64 " + p.describe() + ", chunk " + std::to_string(used) + ": 1 vs " +
                    std::to_string(threads) + " threads"};
}

Exact split_carry_bit_identical(Index batch, Index len, Index channels, Index dstate, Index split, std::uint64_t seed) {
  Variant v = variant_from_seed(seed);
  v.h0 = true;
  const Problem p = make_problem(batch, len, channels, dstate, v, seed);
  // the pieces [t0, t1) of the per-step arrays, re-packed per sequence
  auto piece = [&](const std::vector<double>& x, Index per_step, Index t0, Index t1) {
    std::vector<double> out;
    for (Index beta = 0; beta < batch; ++beta)
      out.insert(out.end(), x.begin() + (beta * len + t0) * per_step, x.begin() + (beta * len + t1) * per_step);
    return out;
  };
  auto part = [&](Index t0, Index t1) {
    Problem q = p;
    q.len = t1 - t0;
    q.u = piece(p.u, channels, t0, t1);
    q.delta = piece(p.delta, channels, t0, t1);
    q.B = piece(p.B, dstate, t0, t1);
    q.C = piece(p.C, dstate, t0, t1);
    if (!p.z.empty()) q.z = piece(p.z, channels, t0, t1);
    return q;
  };
  bool pass = true;
  // backend 0: reference f64; 1: cpu f64 one chunk; 2: cpu f32 one chunk
  for (int backend = 0; backend < 3; ++backend) {
    auto run = [&](const Problem& q, auto tag) {
      using S = decltype(tag);
      const Arrays<S> a(q);
      Outputs<S> o = poisoned<S>(q);
      if (backend == 0)
        ref::selective_scan<S>(a.view(), o.y, o.h);
      else
        cpu::selective_scan(a.view(), std::span<S>(o.y), std::span<S>(o.h), ScanSchedule{q.len, 1});
      return o;
    };
    auto check = [&](auto tag) {
      using S = decltype(tag);
      const Problem whole = p.rounded<S>();
      const auto one = run(whole, tag);
      Problem first = part(0, split).rounded<S>(), second = part(split, len).rounded<S>();
      const auto o1 = run(first, tag);
      second.h0 = cast<double>(o1.h);
      const auto o2 = run(second, tag);
      // y is [batch, T, channels]: interleave the two parts per sequence
      std::vector<S> joined;
      for (Index beta = 0; beta < batch; ++beta) {
        joined.insert(joined.end(), o1.y.begin() + beta * split * channels,
                      o1.y.begin() + (beta + 1) * split * channels);
        joined.insert(joined.end(), o2.y.begin() + beta * (len - split) * channels,
                      o2.y.begin() + (beta + 1) * (len - split) * channels);
      }
      return same_bits(joined, one.y) && same_bits(o2.h, one.h);
    };
    pass = pass && (backend == 2 ? check(float{}) : check(double{}));
  }
  return {pass, p.describe() + " split at " + std::to_string(split) + ": reference f64, cpu f64 and f32 (one chunk)"};
}

Exact zero_delta_gives_Du(const std::string& backend, Index batch, Index len, Index channels, Index dstate,
                          std::uint64_t seed) {
  bool pass = true;
  for (BDiscretization disc : {BDiscretization::euler, BDiscretization::zoh}) {
    Variant v;
    v.softplus = false;
    v.bias = false;
    v.D = true;
    v.z = false;
    v.h0 = false;
    v.discretization = disc;
    Problem p = make_problem(batch, len, channels, dstate, v, seed).rounded<float>();
    std::fill(p.delta.begin(), p.delta.end(), 0.0);
    const Arrays<float> a(p);
    Outputs<float> o = poisoned<float>(p);
    if (backend == "ref")
      ref::selective_scan<float>(a.view(), o.y, o.h);
    else if (backend == "cpu")
      cpu::selective_scan(a.view(), std::span<float>(o.y), std::span<float>(o.h));
    else
      cuda::selective_scan(a.view(), std::span<float>(o.y), std::span<float>(o.h));
    std::vector<float> Du(o.y.size());
    for (Index i = 0; i < static_cast<Index>(Du.size()); ++i) Du[sz(i)] = a.D[sz(i % channels)] * a.u[sz(i)];
    pass = pass && same_bits(o.y, Du) && std::all_of(o.h.begin(), o.h.end(), [](float h) { return h == 0.f; });
  }
  return {pass, backend + " f32 " + sizes(batch, len, channels, dstate) + ", delta = 0, euler and zoh: y == D u"};
}

Exact zero_A_is_running_sum(const std::string& backend, Index batch, Index len, Index channels, Index dstate,
                            Index chunk, std::uint64_t seed) {
  SplitMix64 rng(seed);
  auto small_int = [&] { return std::floor(rng.uniform() * 5.0) - 2.0; };  // in [−2, 2]
  Problem p;
  p.batch = batch;
  p.len = len;
  p.channels = channels;
  p.dstate = dstate;
  p.u.resize(sz(batch * len * channels));
  for (auto& x : p.u) x = small_int();
  // Δ in {1, 2, 3}, not 1: under ZOH the A = 0 limit of (exp(ΔA) − 1)/A is Δ, which differs from 1 (a kernel
  // that takes the limit as 1, or as B, passes at Δ = 1)
  p.delta.resize(p.u.size());
  for (auto& x : p.delta) x = 1.0 + std::floor(rng.uniform() * 3.0);
  p.A.assign(sz(channels * dstate), 0.0);
  p.B.resize(sz(batch * len * dstate));
  for (auto& x : p.B) x = small_int();
  p.C.resize(p.B.size());
  for (auto& x : p.C) x = small_int();
  p.D.resize(sz(channels));
  for (auto& x : p.D) x = small_int();
  // closed form in integers: S_t[n] = Σ_{s<=t} Δ_s B_s[n] u_s, y_t = Σ_n C_t[n] S_t[n] + D u_t
  std::vector<double> y(p.u.size()), h(sz(batch * channels * dstate));
  for (Index beta = 0; beta < batch; ++beta)
    for (Index c = 0; c < channels; ++c) {
      std::vector<double> S(sz(dstate), 0.0);
      for (Index t = 0; t < len; ++t) {
        const Index btc = (beta * len + t) * channels + c, btn = (beta * len + t) * dstate;
        double acc = 0;
        for (Index n = 0; n < dstate; ++n) {
          S[sz(n)] += p.delta[sz(btc)] * p.B[sz(btn + n)] * p.u[sz(btc)];
          acc += p.C[sz(btn + n)] * S[sz(n)];
        }
        y[sz(btc)] = acc + p.D[sz(c)] * p.u[sz(btc)];
      }
      for (Index n = 0; n < dstate; ++n) h[sz((beta * channels + c) * dstate + n)] = S[sz(n)];
    }
  bool pass = true;
  for (BDiscretization disc : {BDiscretization::euler, BDiscretization::zoh}) {
    p.discretization = disc;
    const Arrays<float> a(p);
    Outputs<float> o = poisoned<float>(p);
    if (backend == "ref")
      ref::selective_scan<float>(a.view(), o.y, o.h);
    else if (backend == "cpu")
      cpu::selective_scan(a.view(), std::span<float>(o.y), std::span<float>(o.h), ScanSchedule{chunk, 0});
    else
      cuda::selective_scan(a.view(), std::span<float>(o.y), std::span<float>(o.h), ScanSchedule{chunk, 0});
    pass = pass && same_bits(o.y, cast<float>(y)) && same_bits(o.h, cast<float>(h));
  }
  return {pass, backend + " f32 " + sizes(batch, len, channels, dstate) + ", chunk " + std::to_string(chunk) +
                    ", A = 0, delta = 1, small integers, euler and zoh: y == closed-form running sum"};
}

Order zoh_euler_order(Index len, Index channels, Index dstate, std::uint64_t seed) {
  Variant v;
  v.softplus = false;
  v.bias = false;
  v.D = false;
  v.z = false;
  v.h0 = false;
  const Problem base = make_problem(1, len, channels, dstate, v, seed);
  auto diff = [&](double eps) {
    Problem p = base;
    for (auto& d : p.delta) d *= eps;
    p.discretization = BDiscretization::euler;
    const auto e = run_reference<double>(p);
    p.discretization = BDiscretization::zoh;
    const auto z = run_reference<double>(p);
    long double num = 0;
    for (std::size_t k = 0; k < e.y.size(); ++k) num += (z.y[k] - e.y[k]) * static_cast<long double>(z.y[k] - e.y[k]);
    return static_cast<double>(std::sqrt(num));
  };
  const double coarse = diff(1e-3), fine = diff(1e-4);
  return {std::log10(coarse / fine), coarse, fine,
          "reference f64 " + sizes(1, len, channels, dstate) + ": ||y_zoh - y_euler|| = " + sci(coarse) +
              " at eps = 1e-3, " + sci(fine) + " at 1e-4"};
}

}  // namespace seqref::verify::selective_scan
