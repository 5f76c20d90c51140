#include "verify/tests/ssm/rtf_properties.hpp"

#include "seqref/core/random.hpp"
#include "verify/support/error.hpp"

#include <Eigen/Eigenvalues>
#include <Eigen/LU>

#include <algorithm>
#include <cmath>
#include <complex>
#include <limits>
#include <numbers>
#include <sstream>
#include <stdexcept>
#include <type_traits>

namespace seqref::verify::rtf {

namespace {

std::string describe(std::string_view what, Index N, Index L, double rho, std::uint64_t seed, Index channels = 1) {
  std::ostringstream os;
  os << what << ": N=" << N << " L=" << L << " rho=" << rho << " seed=" << seed;
  if (channels > 1) os << " channels=" << channels;
  return os.str();
}

double u64() { return unit_roundoff<double>(); }

/// Multiply polynomial p (coefficients of z^0, z^1, …) by q.
std::vector<double> poly_mul(const std::vector<double>& p, const std::vector<double>& q) {
  std::vector<double> r(p.size() + q.size() - 1, 0.0);
  for (std::size_t i = 0; i < p.size(); ++i)
    for (std::size_t j = 0; j < q.size(); ++j) r[i + j] += p[i] * q[j];
  return r;
}

std::vector<double> concat(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<double> r = a;
  r.insert(r.end(), b.begin(), b.end());
  return r;
}

template <class S>
std::vector<S> concat_t(const ref::RtfCoefficients<S>& c) {
  std::vector<S> r = c.a;
  r.insert(r.end(), c.b.begin(), c.b.end());
  return r;
}

Matrix<double> gaussian(Index r, Index c, SplitMix64& rng) {
  Matrix<double> m(r, c);
  for (Index i = 0; i < r; ++i)
    for (Index j = 0; j < c; ++j) m(i, j) = rng.normal();
  return m;
}

}  // namespace

ref::RtfCoefficients<double> stable_rtf(Index N, double rho, std::uint64_t seed) {
  SplitMix64 rng(seed);
  std::vector<double> den{1.0};
  Index placed = 0;
  while (placed < N) {
    const double r = 0.2 + (rho - 0.2) * rng.uniform();
    if (N - placed >= 2 && rng.uniform() < 0.5) {  // a conjugate pair r e^{±iθ}: 1 − 2r cosθ z + r² z²
      const double theta = std::numbers::pi * rng.uniform();
      den = poly_mul(den, {1.0, -2.0 * r * std::cos(theta), r * r});
      placed += 2;
    } else {  // a real pole ±r: 1 ∓ r z
      den = poly_mul(den, {1.0, rng.uniform() < 0.5 ? -r : r});
      placed += 1;
    }
  }
  ref::RtfCoefficients<double> c;
  c.a.assign(den.begin() + 1, den.end());
  c.b.resize(static_cast<std::size_t>(N));
  for (auto& v : c.b) v = rng.normal();
  return c;
}

ref::SisoSystem<double> stable_dense_system(Index N, double rho, std::uint64_t seed) {
  SplitMix64 rng(seed);
  ref::SisoSystem<double> s;
  const Matrix<double> G = gaussian(N, N, rng);
  s.A = rho * G / G.norm();  // spectral radius ≤ ‖·‖_F = rho
  s.B = gaussian(N, 1, rng);
  s.C = gaussian(1, N, rng);
  return s;
}

template <class T, class S>
ref::RtfCoefficients<T> cast(const ref::RtfCoefficients<S>& c) {
  return {std::vector<T>(c.a.begin(), c.a.end()), std::vector<T>(c.b.begin(), c.b.end())};
}
template <class T, class S>
ref::SisoSystem<T> cast(const ref::SisoSystem<S>& s) {
  return {s.A.template cast<T>(), s.B.template cast<T>(), s.C.template cast<T>()};
}

namespace {
/// Σ_i c_i ω^{(i + first_power)·j}, ω = exp(−2πi/L), in long double: a polynomial at the j-th L-th root of unity.
template <class T>
std::complex<long double> at_root(const std::vector<T>& c, Index first_power, Index j, Index L) {
  std::complex<long double> sum = 0;
  for (std::size_t i = 0; i < c.size(); ++i) {
    const Index power = (static_cast<Index>(i) + first_power) * j % L;
    sum += static_cast<long double>(c[i]) *
           std::polar(1.0L, -2.0L * std::numbers::pi_v<long double> * static_cast<long double>(power) / L);
  }
  return sum;
}
}  // namespace

double kernel_condition(const ref::RtfCoefficients<double>& c, Index L) {
  // First-order bound of eq. (2) under relative perturbations of the coefficients (what the two forward DFTs
  // commit): |δH_j| ≤ (‖num‖₁ + |H_j| ‖den‖₁)/|A_j| per unit perturbation; normwise over the bins, relative to ‖H‖.
  const Index N = static_cast<Index>(c.a.size());
  double num1 = 0, den1 = 1;
  for (Index i = 0; i < N; ++i) num1 += std::abs(c.b[i]), den1 += std::abs(c.a[i]);
  long double dH = 0, H = 0;
  for (Index j = 0; j < L; ++j) {
    const std::complex<long double> A = 1.0L + at_root(c.a, 1, j, L), B = at_root(c.b, 0, j, L);
    const long double h = std::abs(B / A), bound = (num1 + h * den1) / std::abs(A);
    dH += bound * bound, H += h * h;
  }
  return H > 0 ? static_cast<double>(std::sqrt(dH / H)) : 1.0;
}

Measured kernel_vs_oracle(Index N, Index L, double rho, std::uint64_t seed) {
  const auto c = stable_rtf(N, rho, seed);
  const auto co = cast<Oracle>(c);
  const double kappa = kernel_condition(c, L);
  const double err = relative_error(ref::rtf_kernel(c.a, c.b, L), ref::rtf_kernel(co.a, co.b, L)) / u64();
  return {judge_absolute(tolerance(kMethod, "kernel", Precision::f64, Backend::ref), err / kappa),
          describe("eq.(2) f64 vs Oracle, error/kappa", N, L, rho, seed) + ": error " + std::to_string(err) +
              "u, kappa " + std::to_string(kappa)};
}

Measured kernel_vs_aliased_recurrence(Index N, Index L, double rho, std::uint64_t seed) {
  const auto c = stable_rtf(N, rho, seed);
  const auto co = cast<Oracle>(c);
  // periods until rho^t < 1e-40 (the recurrence's tail is then invisible at double precision)
  const double steps = 40.0 * std::log(10.0) / -std::log(rho);
  const Index periods = static_cast<Index>(std::ceil(steps / double(L))) + 1;
  ref::RtfStepper<Oracle> stepper(co.a, co.b);
  std::vector<Oracle> aliased(static_cast<std::size_t>(L), Oracle(0));
  for (Index t = 0; t < periods * L; ++t) aliased[static_cast<std::size_t>(t % L)] += stepper.step(t == 0 ? 1 : 0);
  const double kappa = kernel_condition(c, L);
  const double err = relative_error(ref::rtf_kernel(c.a, c.b, L), aliased) / u64();
  return {judge_absolute(tolerance(kMethod, "kernel", Precision::f64, Backend::ref), err / kappa),
          describe("eq.(2) f64 vs aliased companion recurrence (Oracle), error/kappa", N, L, rho, seed) + ": error " +
              std::to_string(err) + "u, kappa " + std::to_string(kappa)};
}

Measured recurrence_vs_dense_powers(Index N, Index L, double rho, std::uint64_t seed) {
  const auto c = stable_rtf(N, rho, seed);
  const auto co = cast<Oracle>(c);
  std::vector<double> delta(static_cast<std::size_t>(L), 0.0);
  delta[0] = 1.0;
  const auto h = ref::rtf_recurrence(c.a, c.b, delta);
  const auto dense = ref::dense_kernel(ref::rtf_companion(co.a, co.b), L);
  // Each step forms w_t = u_t − Σ a_i w_{t−i}: its rounding is relative to Σ|a_i||w_{t−i}| (factor 1 + ‖a‖₁, up
  // to Π(1 + |p_i|)); then y_t = Σ b_i w_{t−i+1} maps an error in w to ‖b‖₁ times it, relative to ‖h‖ — and w (the
  // response of 1/A alone) can be far larger than h = B/A when nearby poles make it grow like t^{N−1}ρ^t.
  // The rounding ε_s made at step s then propagates through the rest of the recurrence as ε * w (w_0 = 1), so by
  // Young's inequality ‖δw‖₂ <= ‖w‖₁‖ε‖₂ with ‖ε‖₂ <= u(1 + ‖a‖₁)‖w‖₂.
  // κ = (1 + ‖a‖₁)·‖b‖₁·‖w‖₁·‖w‖₂/‖h‖₂.
  double a1 = 1, b1 = 0;
  for (double ai : c.a) a1 += std::abs(ai);
  for (double bi : c.b) b1 += std::abs(bi);
  std::vector<Oracle> e1(c.b.size(), Oracle(0));
  e1[0] = 1;
  const auto w = ref::dense_kernel(ref::rtf_companion(co.a, e1), L);
  Oracle w1 = 0, w2 = 0, h2 = 0;
  for (Index k = 0; k < L; ++k) w1 += abs(w[k]), w2 += w[k] * w[k], h2 += dense[k] * dense[k];
  const double kappa = a1 * b1 * static_cast<double>(w1 * sqrt(w2 / h2));
  const double err = relative_error(h, dense) / u64();
  return {judge_absolute(tolerance(kMethod, "recurrence", Precision::f64, Backend::ref), err / kappa),
          describe("eq.(3) recurrence f64 vs companion dense powers (Oracle), error/kappa", N, L, rho, seed) +
              ": error " + std::to_string(err) + "u, kappa " + std::to_string(kappa)};
}

double dense_kernel_condition(const ref::SisoSystem<double>& sys, Index L) {
  // ‖(|C̄| |Ā|^k |B̄|)_k‖₂ / ‖(C̄ Ā^k B̄)_k‖₂: the scale that rounding relative to each entry of Ā, B̄, C̄ (as in forming
  // C̃ = C̄(I − Ā^L), the Hessenberg reduction, the Markov parameters) reaches the kernel at; large when the taps
  // cancel (e.g. L = 1: h_0 = C̄B̄ with |C̄||B̄| ≫ |C̄B̄|).
  const Matrix<double> Aa = sys.A.cwiseAbs(), Ca = sys.C.cwiseAbs();
  const auto h = ref::dense_kernel(cast<Oracle>(sys), L);
  Matrix<double> x = sys.B.cwiseAbs();
  long double s2 = 0, h2 = 0;
  for (Index k = 0; k < L; ++k) {
    const long double v = (Ca * x)(0, 0);
    s2 += v * v, h2 += static_cast<long double>(h[k] * h[k]);
    x = Aa * x;
  }
  return h2 > 0 ? static_cast<double>(std::sqrt(s2 / h2)) : 1.0;
}

Measured dense_conversion_vs_oracle(Index N, Index L, double rho, std::uint64_t seed) {
  const auto sys = stable_dense_system(N, rho, seed);
  const auto rtf = ref::rtf_from_dense(ref::truncation_corrected(sys, L));
  const auto kernel = ref::rtf_kernel(rtf.a, rtf.b, L);
  const auto dense = ref::dense_kernel(cast<Oracle>(sys), L);
  // Two stages, two sensitivities: the conversion's rounding (relative to the entries of the realization) reaches
  // the kernel at dense_kernel_condition; eq. (2)'s (relative to the coefficients) at kernel_condition of the exact
  // (a, b). Their sum is the first-order bound; the verdict is on error/κ.
  const auto exact = ref::rtf_from_dense(ref::truncation_corrected(cast<Oracle>(sys), L));
  const double kappa = dense_kernel_condition(sys, L) + kernel_condition(cast<double>(exact), L);
  const double err = relative_error(kernel, dense) / u64();
  return {judge_absolute(tolerance(kMethod, "from_dense", Precision::f64, Backend::ref), err / kappa),
          describe("eqs.(4)-(5) dense -> (a,b) -> eq.(2) f64 vs C A^k B (Oracle), error/kappa", N, L, rho, seed) +
              ": error " + std::to_string(err) + "u, kappa " + std::to_string(kappa)};
}

double dense_conversion_identity_u(Index N, Index L, double rho, std::uint64_t seed) {
  const auto sys = cast<Oracle>(stable_dense_system(N, rho, seed));
  const auto rtf = ref::rtf_from_dense(ref::truncation_corrected(sys, L));
  return relative_error(ref::rtf_kernel(rtf.a, rtf.b, L), ref::dense_kernel(sys, L)) / u64();
}

namespace {
template <class S>
ref::SisoSystem<S> similar(const ref::SisoSystem<S>& s, const Matrix<S>& T) {
  const Matrix<S> Ti = T.inverse();
  return {(Ti * s.A * T).eval(), (Ti * s.B).eval(), (s.C * T).eval()};
}
Matrix<double> transform_matrix(Index N, std::uint64_t seed) {
  SplitMix64 rng(seed ^ 0x5bd1e995u);
  // ‖T − I‖₂ ≤ ‖0.5·G/‖G‖_F‖₂ ≤ 1/2, so cond₂(T) ≤ 3 (a random T could be arbitrarily ill-conditioned)
  const Matrix<double> G = gaussian(N, N, rng);
  return Matrix<double>::Identity(N, N) + 0.5 * G / G.norm();
}
}  // namespace

double similarity_invariance_u(Index N, double rho, std::uint64_t seed) {
  const auto sys = cast<Oracle>(stable_dense_system(N, rho, seed));
  const Matrix<Oracle> T = transform_matrix(N, seed).cast<Oracle>();
  const auto x = concat_t(ref::rtf_from_dense(sys)), y = concat_t(ref::rtf_from_dense(similar(sys, T)));
  return relative_error(y, x) / u64();
}

Measured similarity_invariance_double(Index N, double rho, std::uint64_t seed) {
  const auto sys = stable_dense_system(N, rho, seed);
  const auto y = concat_t(ref::rtf_from_dense(similar(sys, transform_matrix(N, seed))));
  const auto x0 = concat_t(ref::rtf_from_dense(sys));
  const auto x = concat_t(ref::rtf_from_dense(cast<Oracle>(sys)));
  const double err = relative_error(y, x) / u64(), err_plain = relative_error(x0, x) / u64();
  // judged relative to the conversion's own error on the untransformed system
  return {judge_relative(tolerance(kMethod, "similarity", Precision::f64, Backend::ref), err, err_plain),
          describe("(a,b) of T^-1 A T, T^-1 B, C T (f64) vs (a,b) of A, B, C (Oracle)", N, 0, rho, seed)};
}

Measured fir_kernel(Index N, Index L, std::uint64_t seed) {
  SplitMix64 rng(seed);
  std::vector<double> a(static_cast<std::size_t>(N), 0.0), b(static_cast<std::size_t>(N));
  for (auto& v : b) v = rng.normal();
  std::vector<long double> folded(static_cast<std::size_t>(L), 0.0L);  // h_k = Σ_{i ≡ k (mod L)} b_{i+1}
  for (Index i = 0; i < N; ++i) folded[static_cast<std::size_t>(i % L)] += b[static_cast<std::size_t>(i)];
  const double err = relative_error(ref::rtf_kernel(a, b, L), folded) / u64();
  return {judge_absolute(tolerance(kMethod, "fir", Precision::f64, Backend::ref), err),
          describe("a = 0: eq.(2) f64 = FIR b", N, L, 0.0, seed)};
}

ref::SisoSystem<double> spread_pole_system(Index N, double rmax, std::uint64_t seed) {
  SplitMix64 rng(seed ^ 0x9e3779b97f4a7c15u);
  Matrix<double> D = Matrix<double>::Zero(N, N);
  for (Index i = 0; i < N; i += 2) {
    const double r = 0.5 + (rmax - 0.5) * rng.uniform();
    if (i + 1 < N) {
      const double th = std::numbers::pi * rng.uniform();
      D(i, i) = r * std::cos(th), D(i, i + 1) = -r * std::sin(th);
      D(i + 1, i) = r * std::sin(th), D(i + 1, i + 1) = r * std::cos(th);
    } else {
      D(i, i) = r;
    }
  }
  const Matrix<double> G = gaussian(N, N, rng);
  const Matrix<double> T = Matrix<double>::Identity(N, N) + 0.5 * G / G.norm();
  return {(T.inverse() * D * T).eval(), gaussian(N, 1, rng), gaussian(1, N, rng)};
}

template <class S>
double conversion_kernel_error(Index N, Index L, double rmax, std::uint64_t seed) {
  const auto sys = spread_pole_system(N, rmax, seed);
  const auto rtf = ref::rtf_from_dense(ref::truncation_corrected(cast<S>(sys), L));
  const auto kernel = ref::rtf_kernel(rtf.a, rtf.b, L);
  return relative_error(kernel, ref::dense_kernel(cast<Oracle>(sys), L));
}
template double conversion_kernel_error<float>(Index, Index, double, std::uint64_t);
template double conversion_kernel_error<double>(Index, Index, double, std::uint64_t);
template double conversion_kernel_error<Oracle>(Index, Index, double, std::uint64_t);

std::vector<double> coefficients_in_l1_ball(Index N, double margin, std::uint64_t seed) {
  SplitMix64 rng(seed);
  std::vector<double> a(static_cast<std::size_t>(N));
  double l1 = 0;
  for (auto& v : a) {
    v = rng.normal() * (rng.uniform() < 0.3 ? 1e-3 : 1.0);  // some near-zero entries: sparse-ish directions
    l1 += std::abs(v);
  }
  const double s = rng.uniform() < 0.5 ? 1.0 : rng.uniform();  // half the draws on the boundary shell
  for (auto& v : a) v *= s * (1 - margin) / l1;
  return a;
}

double companion_spectral_radius(const std::vector<double>& a) {
  const std::vector<double> zeros(a.size(), 0.0);
  const Matrix<double> A = ref::rtf_companion(a, zeros).A;
  return Eigen::EigenSolver<Matrix<double>>(A, false).eigenvalues().cwiseAbs().maxCoeff();
}

Measured recovered_system_reproduces_kernel(Index N, Index L, double rho, std::uint64_t seed) {
  const auto c = stable_rtf(N, rho, seed);
  const auto recovered = ref::recover_c_bar(ref::rtf_companion(c.a, c.b), L);  // (Ā_c, e_1, C̄)
  const auto taps = ref::dense_kernel(recovered, L);
  const auto co = cast<Oracle>(c);
  const auto expected = ref::rtf_kernel(co.a, co.b, L);
  // κ: the kernel's own condition (eq. 2) times that of the linear solve with I − Ā_c^L
  const Matrix<double> Ac = ref::rtf_companion(c.a, c.b).A;
  Matrix<double> P = Matrix<double>::Identity(N, N);
  for (Index k = 0; k < L; ++k) P = (P * Ac).eval();
  const Matrix<double> M = Matrix<double>::Identity(N, N) - P;
  auto norm1 = [](const Matrix<double>& m) { return m.cwiseAbs().colwise().sum().maxCoeff(); };
  const double kappa = kernel_condition(c, L) * norm1(M) * norm1(M.inverse());
  const double err = relative_error(taps, expected) / u64();
  return {judge_absolute(tolerance(kMethod, "recover", Precision::f64, Backend::ref), err / kappa),
          describe("C-bar = C-tilde (I - A^L)^-1 on the companion of (a,b), f64 taps vs eq.(2) at Oracle, "
                   "error/kappa",
                   N, L, rho, seed) +
              ": error " + std::to_string(err) + "u, kappa " + std::to_string(kappa)};
}

// ---- tier 3 ---------------------------------------------------------------------------------------------------------

namespace {

template <class T, class S>
std::vector<T> ref_kernels(const std::vector<ref::RtfCoefficients<S>>& cs, Index L) {
  std::vector<T> out;
  for (const auto& c : cs) {
    const auto ct = cast<T>(c);
    const auto k = ref::rtf_kernel(ct.a, ct.b, L);
    out.insert(out.end(), k.begin(), k.end());
  }
  return out;
}

template <class S>
std::vector<ref::RtfCoefficients<S>> channel_coefficients(Index channels, Index N, double rho, std::uint64_t seed) {
  std::vector<ref::RtfCoefficients<S>> cs;
  for (Index c = 0; c < channels; ++c) cs.push_back(cast<S>(stable_rtf(N, rho, seed * 1000 + std::uint64_t(c))));
  return cs;
}

template <class S>
void flatten(const std::vector<ref::RtfCoefficients<S>>& cs, std::vector<S>& a, std::vector<S>& b) {
  for (const auto& c : cs) {
    a.insert(a.end(), c.a.begin(), c.a.end());
    b.insert(b.end(), c.b.begin(), c.b.end());
  }
}

template <class S>
Measured judge_kernels(const std::vector<ref::RtfCoefficients<S>>& cs, const std::vector<S>& out, Index L,
                       Backend backend, std::string detail) {
  const double u = unit_roundoff<S>();
  const auto reference = ref_kernels<S>(cs, L);
  using O = Truth<S>;
  const auto oracle = ref_kernels<O>(cs, L);
  const double err_opt = relative_error(out, oracle) / u, err_ref = relative_error(reference, oracle) / u;
  // The floor of the rule is κ·u, not u: near-vanishing denominators make eq. (2) ill-conditioned, and there a
  // reference that happens to round favourably (e.g. a sequential bin-0 sum) is no standard to hold a different
  // but equally stable order to. Both errors are divided by κ (max over channels) before the rule is applied.
  double kappa = 1;
  for (const auto& c : cs) kappa = std::max(kappa, kernel_condition(cast<double>(c), L));
  const auto& tol = tolerance(kMethod, "kernel", precision_of<S>(), backend);
  return {judge_relative(tol, err_opt / kappa, err_ref / kappa),
          std::move(detail) + " (errors/kappa, kappa " + std::to_string(kappa) + ")"};
}

}  // namespace

template <class S>
Measured cpu_vs_oracle(Index channels, Index N, Index L, double rho, std::uint64_t seed) {
  const auto cs = channel_coefficients<S>(channels, N, rho, seed);
  std::vector<S> a, b;
  flatten(cs, a, b);
  auto out = poisoned<S>(static_cast<std::size_t>(channels * L));
  cpu::rtf_kernel(a, b, out, channels, N, L);
  return judge_kernels(cs, out, L, Backend::cpu,
                       describe(std::is_same_v<S, float> ? "cpu f32" : "cpu f64", N, L, rho, seed, channels));
}

Measured cuda_vs_oracle(Index channels, Index N, Index L, double rho, std::uint64_t seed) {
#ifdef SEQREF_HAS_CUDA
  const auto cs = channel_coefficients<float>(channels, N, rho, seed);
  std::vector<float> a, b;
  flatten(cs, a, b);
  auto out = poisoned<float>(static_cast<std::size_t>(channels * L));
  cuda::rtf_kernel(a, b, out, channels, N, L);
  return judge_kernels(cs, out, L, Backend::cuda, describe("cuda f32", N, L, rho, seed, channels));
#else
  (void)channels, (void)N, (void)L, (void)rho, (void)seed;
  throw std::runtime_error("rtf::cuda_vs_oracle: seqref was built without CUDA");
#endif
}

template ref::RtfCoefficients<float> cast<float, double>(const ref::RtfCoefficients<double>&);
template ref::RtfCoefficients<double> cast<double, float>(const ref::RtfCoefficients<float>&);
template ref::RtfCoefficients<double> cast<double, double>(const ref::RtfCoefficients<double>&);
template ref::RtfCoefficients<Oracle> cast<Oracle, double>(const ref::RtfCoefficients<double>&);
template ref::SisoSystem<float> cast<float, double>(const ref::SisoSystem<double>&);
template ref::SisoSystem<Oracle> cast<Oracle, double>(const ref::SisoSystem<double>&);
double float_denominator_margin(Index channels, Index N, Index L, double rho, std::uint64_t seed) {
  double worst = std::numeric_limits<double>::infinity();
  for (const auto& c : channel_coefficients<float>(channels, N, rho, seed)) {
    long double norm1 = 1;
    for (float ai : c.a) norm1 += std::abs(static_cast<long double>(ai));
    for (Index j = 0; j < L; ++j)
      worst = std::min(worst, static_cast<double>(std::abs(1.0L + at_root(c.a, 1, j, L)) / norm1));
  }
  return worst;
}

template Measured cpu_vs_oracle<float>(Index, Index, Index, double, std::uint64_t);
template Measured cpu_vs_oracle<double>(Index, Index, Index, double, std::uint64_t);

}  // namespace seqref::verify::rtf
