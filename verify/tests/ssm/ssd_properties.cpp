#include "verify/tests/ssm/ssd_properties.hpp"

#include "seqref/core/random.hpp"
#include "seqref/ref/ssm/selective_scan.hpp"
#include "verify/support/error.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>
#include <type_traits>

namespace seqref::verify::ssd {

namespace {

double u64() { return unit_roundoff<double>(); }

std::string describe(std::string_view what, const SsdShape& s, Index chunk, std::uint64_t seed) {
  std::ostringstream os;
  os << what << ": " << s.to_string() << " chunk=" << chunk << " seed=" << seed;
  return os.str();
}

/// ‖y − r‖₂ / ‖scale‖₂ with the difference taken above both precisions.
template <class X, class R>
double scaled_error(const std::vector<X>& y, const std::vector<R>& r, const std::vector<double>& scale) {
  if (y.size() != r.size() || y.size() != scale.size()) return std::numeric_limits<double>::infinity();
  using Acc = std::conditional_t<std::is_same_v<R, Oracle> || std::is_same_v<X, Oracle>, Oracle, long double>;
  Acc num = 0;
  long double den = 0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    using std::isnan;
    if (isnan(y[i])) return std::numeric_limits<double>::infinity();
    const Acc d = static_cast<Acc>(y[i]) - static_cast<Acc>(r[i]);
    num += d * d;
    den += static_cast<long double>(scale[i]) * scale[i];
  }
  using std::sqrt;
  return den > 0 ? static_cast<double>(sqrt(num)) / static_cast<double>(std::sqrt(den))
                 : static_cast<double>(sqrt(num));
}

/// Y_abs and h_abs of the file comment: the recurrence on absolute values (double).
std::pair<std::vector<double>, std::vector<double>> abs_bound(const Data<double>& d) {
  Data<double> a = d;
  for (auto* v : {&a.X, &a.B, &a.C, &a.h0})
    for (double& e : *v) e = std::abs(e);
  return run_form(Form::recurrence, a);
}

template <class S>
std::pair<std::vector<S>, std::vector<S>> outputs(const SsdShape& s) {
  return {std::vector<S>(static_cast<std::size_t>(s.x_size())),
          std::vector<S>(static_cast<std::size_t>(s.state_size()))};
}

/// Poison: a wrong-size or unwritten output shows as NaN.
template <class S>
void poison(std::vector<S>& v) {
  v = poisoned<S>(v.size());
}

/// The [T0, T1) time slice of a problem (h0 supplied separately).
template <class S>
Data<S> slice(const Data<S>& d, Index T0, Index T1, std::vector<S> h0) {
  const SsdShape& s = d.shape;
  Data<S> r;
  r.shape = s;
  r.shape.len = T1 - T0;
  auto take = [&](const std::vector<S>& v, Index per_step) {
    std::vector<S> out;
    for (Index b = 0; b < s.batch; ++b)
      out.insert(out.end(), v.begin() + (b * s.len + T0) * per_step, v.begin() + (b * s.len + T1) * per_step);
    return out;
  };
  r.X = take(d.X, s.heads * s.headdim);
  r.A = take(d.A, s.heads);
  r.B = take(d.B, s.groups * s.dstate);
  r.C = take(d.C, s.groups * s.dstate);
  r.h0 = std::move(h0);
  return r;
}

/// Concatenate two Y pieces along T.
template <class S>
std::vector<S> join(const SsdShape& s, Index T0, const std::vector<S>& y1, const std::vector<S>& y2) {
  const Index row = s.heads * s.headdim, T1 = s.len - T0;
  std::vector<S> y;
  for (Index b = 0; b < s.batch; ++b) {
    y.insert(y.end(), y1.begin() + b * T0 * row, y1.begin() + (b + 1) * T0 * row);
    y.insert(y.end(), y2.begin() + b * T1 * row, y2.begin() + (b + 1) * T1 * row);
  }
  return y;
}

double depth(const SsdShape& s) { return static_cast<double>(s.len + s.dstate + 4); }

/// Tier-3 errors divided by the condition number of the sums: kappa = ‖Y_abs‖/‖y*‖ (and ‖h_abs‖/‖h*‖ for the
/// state), so that cancellation in y (which scales every backend's error, and lets one backend be luckier than
/// another) does not decide the verdict. Each of opt and ref is max(err_y/kappa_y, err_h/kappa_h).
struct Conditioned {
  double opt, ref, kappa;
};
template <class S, class R>
Conditioned conditioned(const std::vector<S>& y, const std::vector<S>& h, const std::vector<S>& yr,
                        const std::vector<S>& hr, const std::vector<R>& yo, const std::vector<R>& ho,
                        const std::vector<double>& ya, const std::vector<double>& ha) {
  auto norm = [](const auto& v) {
    long double s = 0;
    for (const auto& e : v) s += static_cast<long double>(static_cast<double>(e)) * static_cast<double>(e);
    return static_cast<double>(std::sqrt(s));
  };
  const double ny = norm(yo), nh = norm(ho);
  const double ky = ny > 0 ? std::max(1.0, norm(ya) / ny) : 1.0, kh = nh > 0 ? std::max(1.0, norm(ha) / nh) : 1.0;
  return {std::max(relative_error(y, yo) / ky, relative_error(h, ho) / kh),
          std::max(relative_error(yr, yo) / ky, relative_error(hr, ho) / kh), std::max(ky, kh)};
}

}  // namespace

Data<double> make_problem(const SsdShape& s, std::uint64_t seed, double amax, bool with_h0) {
  SplitMix64 rng(seed);
  Data<double> d;
  d.shape = s;
  auto normal = [&](Index n) {
    std::vector<double> v(static_cast<std::size_t>(n));
    for (double& e : v) e = rng.normal();
    return v;
  };
  d.X = normal(s.x_size());
  d.A.resize(static_cast<std::size_t>(s.a_size()));
  for (double& a : d.A) a = -amax * rng.uniform();
  d.B = normal(s.bc_size());
  d.C = normal(s.bc_size());
  if (with_h0) d.h0 = normal(s.state_size());
  return d;
}

std::string to_string(Form f, Index chunk) {
  switch (f) {
    case Form::quadratic: return "quadratic";
    case Form::chunked: return "chunked(Q=" + std::to_string(chunk) + ")";
    case Form::recurrence: return "recurrence";
  }
  return "?";
}

template <class S>
std::pair<std::vector<S>, std::vector<S>> run_form(Form f, const Data<S>& d, Index chunk) {
  auto [y, h] = outputs<S>(d.shape);
  const auto p = d.problem();
  switch (f) {
    case Form::quadratic: ref::ssd_quadratic<S>(p, y, h); break;
    case Form::chunked: ref::ssd_chunked<S>(p, chunk, y, h); break;
    case Form::recurrence: ref::ssd_recurrence<S>(p, y, h); break;
  }
  return {std::move(y), std::move(h)};
}

// ---- tier 2 ----------------------------------------------------------------------------------------------------------

Measured form_vs_oracle(Form f, const SsdShape& shape, Index chunk, std::uint64_t seed, double amax) {
  const auto d = make_problem(shape, seed, amax);
  const auto [y, h] = run_form(f, d, chunk);
  const auto [yo, ho] = run_form(Form::recurrence, d.cast<Oracle>());
  const auto [ya, ha] = abs_bound(d);
  const double ey = scaled_error(y, yo, ya) / u64(), eh = scaled_error(h, ho, ha) / u64();
  const double n = depth(shape);
  std::ostringstream os;
  os << describe(to_string(f, chunk) + " f64 vs recurrence at Oracle, (error/|terms|)/n", shape, chunk, seed) << ": y "
     << ey << "u, h_final " << eh << "u, n = " << n;
  return {judge_absolute(tolerance(kMethod, "form", Precision::f64, Backend::ref), std::max(ey, eh) / n), os.str()};
}

double forms_identity_u(const SsdShape& shape, const std::vector<Index>& chunks, std::uint64_t seed) {
  const auto d = make_problem(shape, seed).cast<Oracle>();
  const auto [yr, hr] = run_form(Form::recurrence, d);
  const auto [yq, hq] = run_form(Form::quadratic, d);
  double worst = std::max(relative_error(yq, yr), relative_error(hq, hr));
  for (Index Q : chunks) {
    const auto [yc, hc] = run_form(Form::chunked, d, Q);
    worst = std::max({worst, relative_error(yc, yr), relative_error(hc, hr)});
  }
  return worst / u64();
}

template <class S>
Exact segsum_stable_matches_naive(Index T, std::uint64_t seed, double amax, bool mixed_signs) {
  SplitMix64 rng(seed);
  std::vector<S> a(static_cast<std::size_t>(T));
  for (S& v : a) v = static_cast<S>(mixed_signs ? amax * (2 * rng.uniform() - 1) : -amax * rng.uniform());
  const Matrix<S> naive = ref::segsum_naive<S>(a), stable = ref::segsum_stable<S>(a);
  long double sum_abs = 0;
  for (S v : a) sum_abs += std::abs(static_cast<long double>(v));
  const double bound = (2.0 * T + 2.0) * unit_roundoff<S>() * static_cast<double>(sum_abs);
  double worst = 0;
  bool ok = true;
  for (Index i = 0; i < T; ++i)
    for (Index j = 0; j < T; ++j) {
      if (j > i) {
        ok = ok && std::isinf(stable(i, j)) && stable(i, j) < 0 && std::isinf(naive(i, j)) && naive(i, j) < 0;
        continue;
      }
      if (!std::isfinite(naive(i, j))) continue;
      const double diff = std::abs(static_cast<double>(naive(i, j)) - static_cast<double>(stable(i, j)));
      worst = std::max(worst, bound > 0 ? diff / bound : diff);
      ok = ok && diff <= bound && std::isfinite(stable(i, j)) && (mixed_signs || stable(i, j) <= 0);
    }
  std::ostringstream os;
  os << "T=" << T << " amax=" << amax << (mixed_signs ? " mixed signs" : " a<=0") << " seed=" << seed
     << ": max |naive - stable| / ((2T+2) u sum|a|) = " << worst;
  return {ok, os.str()};
}

template <class S>
Exact stable_segsum_finite_where_naive_is_not() {
  const S big = std::numeric_limits<S>::max() * S(0.75);
  std::vector<S> a{-big, -big, S(0.5), S(-0.25), S(0), S(-1)};
  const Matrix<S> naive = ref::segsum_naive<S>(a), stable = ref::segsum_stable<S>(a);
  const Index T = static_cast<Index>(a.size());
  bool naive_bad = false, stable_finite = true;
  for (Index i = 0; i < T; ++i)
    for (Index j = 0; j <= i; ++j) {
      naive_bad = naive_bad || std::isnan(naive(i, j));
      // no segment a_{j+1} + … + a_i contains both −big entries (a_0 is never in a segment), so all are finite
      stable_finite = stable_finite && std::isfinite(stable(i, j));
    }
  const bool exact = stable(2, 1) == S(0.5) && stable(5, 2) == S(-1.25) && stable(1, 0) == -big;
  std::ostringstream os;
  os << "a = (-0.75 max, -0.75 max, 0.5, -0.25, 0, -1): naive has NaN: " << naive_bad
     << "; stable finite on and below the diagonal: " << stable_finite << "; stable exact on hand entries: " << exact
     << " (naive[2,1] = " << static_cast<double>(naive(2, 1)) << ")";
  return {naive_bad && stable_finite && exact, os.str()};
}

template <class S>
Exact cpu_decays_nonpositive(Index q, std::uint64_t seed) {
  SplitMix64 rng(seed);
  std::vector<S> a(static_cast<std::size_t>(q));
  for (Index i = 0; i < q; ++i) {
    const double r = rng.uniform();
    a[static_cast<std::size_t>(i)] = r < 0.15   ? S(0)
                                     : r < 0.3  ? static_cast<S>(-1e-30 * rng.uniform())
                                     : r < 0.45 ? static_cast<S>(-50.0 * rng.uniform())
                                                : static_cast<S>(-0.3 * rng.uniform());
  }
  std::vector<S> seg(static_cast<std::size_t>(q * q)), cs(static_cast<std::size_t>(q));
  cpu::ssd_chunk_decays(a, q, seg, cs);
  const Matrix<S> stable = ref::segsum_stable<S>(a);
  bool nonpos = true, same = true;
  for (Index i = 0; i < q; ++i) {
    nonpos = nonpos && cs[static_cast<std::size_t>(i)] <= S(0);
    for (Index j = 0; j <= i; ++j) {
      const S v = seg[static_cast<std::size_t>(i * q + j)];
      nonpos = nonpos && v <= S(0);
      same = same && std::memcmp(&v, &stable(i, j), sizeof(S)) == 0;
    }
  }
  std::ostringstream os;
  os << "q=" << q << " seed=" << seed << " (a with zeros, -1e-30.., -50..): all exponents <= 0: " << nonpos
     << "; = reference stable segsum bit for bit: " << same;
  return {nonpos && same, os.str()};
}

Measured split_equals_one_run_ref(const SsdShape& shape, Index chunk, Index split, std::uint64_t seed) {
  const auto d = make_problem(shape, seed);
  const auto first = slice(d, 0, split, d.h0);
  const auto [y1, h1] = run_form(Form::chunked, first, chunk);
  const auto second = slice(d, split, shape.len, h1);
  const auto [y2, h2] = run_form(Form::chunked, second, chunk);
  const auto y = join(shape, split, y1, y2);
  const auto [yo, ho] = run_form(Form::recurrence, d.cast<Oracle>());
  const auto [ya, ha] = abs_bound(d);
  const double ey = scaled_error(y, yo, ya) / u64(), eh = scaled_error(h2, ho, ha) / u64();
  const double n = depth(shape);
  std::ostringstream os;
  os << describe("split at " + std::to_string(split) + " with the state carried vs one run (Oracle), (error/|terms|)/n",
                 shape, chunk, seed)
     << ": y " << ey << "u, h_final " << eh << "u";
  return {judge_absolute(tolerance(kMethod, "form", Precision::f64, Backend::ref), std::max(ey, eh) / n), os.str()};
}

double ssd_equals_selective_scan_u(const SsdShape& s, Index chunk, std::uint64_t seed) {
  // SSD data built from (Δ, A_h, u) in Oracle: a = Δ·A_h, X = Δ·u (Euler: B̄u = Δ B u = B (Δ u)).
  SplitMix64 rng(seed);
  const Index Dc = s.heads * s.headdim;
  std::vector<double> dt(static_cast<std::size_t>(s.a_size())), Ah(static_cast<std::size_t>(s.heads));
  for (double& v : dt) v = 0.01 + 0.99 * rng.uniform();
  for (double& v : Ah) v = -(0.05 + 0.95 * rng.uniform());
  Data<Oracle> d;
  d.shape = s;
  d.shape.groups = 1;  // the selective scan has one B, C for all channels
  const SsdShape& sh = d.shape;
  std::vector<Oracle> u(static_cast<std::size_t>(sh.x_size())), delta(u.size());
  d.X.resize(u.size());
  d.A.resize(dt.size());
  for (Index b = 0; b < sh.batch; ++b)
    for (Index t = 0; t < sh.len; ++t)
      for (Index h = 0; h < sh.heads; ++h) {
        const Index ia = (b * sh.len + t) * sh.heads + h;
        d.A[ia] = Oracle(dt[ia]) * Oracle(Ah[h]);
        for (Index p = 0; p < sh.headdim; ++p) {
          const Index ix = ia * sh.headdim + p;
          u[ix] = rng.normal();
          delta[ix] = dt[ia];
          d.X[ix] = Oracle(dt[ia]) * u[ix];
        }
      }
  d.B.resize(static_cast<std::size_t>(sh.bc_size()));
  d.C.resize(d.B.size());
  for (auto& v : d.B) v = rng.normal();
  for (auto& v : d.C) v = rng.normal();
  d.h0.resize(static_cast<std::size_t>(sh.state_size()));
  for (auto& v : d.h0) v = rng.normal();
  std::vector<Oracle> A_ss(static_cast<std::size_t>(Dc * sh.dstate));
  for (Index c = 0; c < Dc; ++c)
    for (Index n = 0; n < sh.dstate; ++n) A_ss[c * sh.dstate + n] = Ah[c / sh.headdim];
  SelectiveScan<Oracle> ss;
  ss.batch = sh.batch;
  ss.len = sh.len;
  ss.channels = Dc;
  ss.dstate = sh.dstate;
  ss.u = u;
  ss.delta = delta;
  ss.A = A_ss;
  ss.B = d.B;
  ss.C = d.C;
  ss.h0 = d.h0;
  ss.discretization = BDiscretization::euler;
  const auto r = ref::selective_scan(ss);
  double worst = 0;
  for (Form f : {Form::recurrence, Form::quadratic, Form::chunked}) {
    const auto [y, h] = run_form(f, d, chunk);
    worst = std::max({worst, relative_error(y, r.y), relative_error(h, r.h_last)});
  }
  return worst / u64();
}

// ---- tier 3 ----------------------------------------------------------------------------------------------------------

template <class S>
Measured cpu_vs_oracle(const SsdShape& shape, Index chunk, std::uint64_t seed, double amax, ScanSchedule scan,
                       bool with_h0) {
  const auto d = make_problem(shape, seed, amax, with_h0);
  const auto ds = d.cast<S>();
  auto [y, h] = outputs<S>(shape);
  poison(y);
  poison(h);
  SsdOptions opt;
  opt.chunk = chunk;
  opt.scan = scan;
  cpu::ssd(ds.problem(), y, h, opt);
  const auto [yr, hr] = run_form(Form::chunked, ds, chunk);
  const auto [ya, ha] = abs_bound(d);
  Conditioned e;
  if constexpr (std::is_same_v<S, double>) {
    const auto [yo, ho] = run_form(Form::recurrence, d.cast<Oracle>());
    e = conditioned(y, h, yr, hr, yo, ho, ya, ha);
  } else {
    const auto [yo, ho] = run_form(Form::recurrence, d);
    e = conditioned(y, h, yr, hr, yo, ho, ya, ha);
  }
  const double u = unit_roundoff<S>();
  const Precision prec = precision_of<S>();
  std::ostringstream os;
  os << describe(std::string("cpu ") + (std::is_same_v<S, double> ? "f64 vs Oracle" : "f32 vs f64") + ", errors/kappa",
                 shape, chunk, seed)
     << " amax=" << amax << " scan.chunk=" << scan.chunk << " threads=" << scan.threads << (with_h0 ? " h0" : " no h0")
     << ": kappa " << e.kappa;
  return {judge_relative(tolerance(kMethod, "chunked", prec, Backend::cpu), e.opt / u, e.ref / u), os.str()};
}

template <class S>
Exact cpu_thread_independent(const SsdShape& shape, Index chunk, int threads, std::uint64_t seed) {
  const auto d = make_problem(shape, seed).cast<S>();
  auto [y1, h1] = outputs<S>(shape);
  auto [y2, h2] = outputs<S>(shape);
  SsdOptions o;
  o.chunk = chunk;
  o.scan.threads = 1;
  cpu::ssd(d.problem(), y1, h1, o);
  o.scan.threads = threads;
  cpu::ssd(d.problem(), y2, h2, o);
  const bool same = bit_identical(y1.data(), y2.data(), static_cast<Index>(y1.size())) &&
                    bit_identical(h1.data(), h2.data(), static_cast<Index>(h1.size()));
  return {same, describe("cpu 1 thread vs " + std::to_string(threads), shape, chunk, seed)};
}

template <class S>
Exact cpu_split_bit_identical(const SsdShape& shape, Index chunk, Index split, std::uint64_t seed) {
  const auto d = make_problem(shape, seed).cast<S>();
  SsdOptions o;
  o.chunk = chunk;
  auto [y, h] = outputs<S>(shape);
  cpu::ssd(d.problem(), y, h, o);
  const auto first = slice(d, 0, split, d.h0);
  auto [y1, h1] = outputs<S>(first.shape);
  cpu::ssd(first.problem(), y1, h1, o);
  const auto second = slice(d, split, shape.len, h1);
  auto [y2, h2] = outputs<S>(second.shape);
  cpu::ssd(second.problem(), y2, h2, o);
  const auto yj = join(shape, split, y1, y2);
  const bool same = bit_identical(y.data(), yj.data(), static_cast<Index>(y.size())) &&
                    bit_identical(h.data(), h2.data(), static_cast<Index>(h.size()));
  return {same,
          describe("cpu split at " + std::to_string(split) + " (a chunk multiple) vs one run", shape, chunk, seed)};
}

Measured cuda_vs_oracle(const SsdShape& shape, Index chunk, std::uint64_t seed, double amax) {
  const auto d = make_problem(shape, seed, amax);
  const auto df = d.cast<float>();
  auto [y, h] = outputs<float>(shape);
  poison(y);
  poison(h);
  SsdOptions opt;
  opt.chunk = chunk;
  cuda::ssd(df.problem(), y, h, opt);
  const auto [yr, hr] = run_form(Form::chunked, df, chunk);
  const auto [yo, ho] = run_form(Form::recurrence, d);
  const auto [ya, ha] = abs_bound(d);
  const Conditioned e = conditioned(y, h, yr, hr, yo, ho, ya, ha);
  const double u = unit_roundoff<float>();
  return {judge_relative(tolerance(kMethod, "chunked", Precision::f32, Backend::cuda), e.opt / u, e.ref / u),
          describe("cuda f32 vs f64, errors/kappa", shape, chunk, seed) + " amax=" + std::to_string(amax) + ": kappa " +
              std::to_string(e.kappa)};
}

Exact cuda_decays_match_cpu(Index q, std::uint64_t seed) {
  SplitMix64 rng(seed);
  std::vector<float> a(static_cast<std::size_t>(q));
  for (float& v : a) v = rng.uniform() < 0.2 ? 0.f : static_cast<float>(-2.0 * rng.uniform());
  std::vector<float> seg(static_cast<std::size_t>(q * q)), cs(static_cast<std::size_t>(q)), seg_c(seg.size()),
      cs_c(cs.size());
  cuda::ssd_chunk_decays(a, q, seg, cs);
  cpu::ssd_chunk_decays(a, q, seg_c, cs_c);
  bool nonpos = true;
  for (float v : seg) nonpos = nonpos && v <= 0.f;
  for (float v : cs) nonpos = nonpos && v <= 0.f;
  const bool same = bit_identical(seg.data(), seg_c.data(), q * q) && bit_identical(cs.data(), cs_c.data(), q);
  return {same && nonpos, "q=" + std::to_string(q) + ": cuda exponents = cpu bit for bit: " + std::to_string(same) +
                              ", all <= 0: " + std::to_string(nonpos)};
}

#define SEQREF_SSD_PROPS(S)                                                                              \
  template std::pair<std::vector<S>, std::vector<S>> run_form<S>(Form, const Data<S>&, Index);           \
  template Exact segsum_stable_matches_naive<S>(Index, std::uint64_t, double, bool);                     \
  template Exact stable_segsum_finite_where_naive_is_not<S>();                                           \
  template Exact cpu_decays_nonpositive<S>(Index, std::uint64_t);                                        \
  template Measured cpu_vs_oracle<S>(const SsdShape&, Index, std::uint64_t, double, ScanSchedule, bool); \
  template Exact cpu_thread_independent<S>(const SsdShape&, Index, int, std::uint64_t);                  \
  template Exact cpu_split_bit_identical<S>(const SsdShape&, Index, Index, std::uint64_t);
SEQREF_SSD_PROPS(float)
SEQREF_SSD_PROPS(double)
template std::pair<std::vector<Oracle>, std::vector<Oracle>> run_form<Oracle>(Form, const Data<Oracle>&, Index);
#undef SEQREF_SSD_PROPS

}  // namespace seqref::verify::ssd
