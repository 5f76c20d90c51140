// Reference HiPPO (kexue.fm/archives/10114, 10137; arXiv 2008.07669): transition matrices of LegT, LegS, FouT and
// the full-history Fourier system in every named convention, Legendre evaluation and reconstruction, the O(N) LegS
// matvec and solve, and the LegS / LTI online recurrences. Explicit instantiations for float, double and Oracle
// at the end of this file.

#include "seqref/ref/ssm/hippo.hpp"
#include "seqref/ref/scan/linear_recurrence.hpp"

#include "seqref/core/limits.hpp"
#include "seqref/core/validate.hpp"

#include <Eigen/LU>

#include <boost/math/constants/constants.hpp>

#include <cmath>
#include <string>

namespace seqref::ref {

std::string_view to_string(HippoMeasure measure) {
  switch (measure) {
    case HippoMeasure::legt: return "legt";
    case HippoMeasure::legs: return "legs";
    case HippoMeasure::fout: return "fout";
    case HippoMeasure::fourier: return "fourier";
  }
  return "?";
}

std::string_view to_string(HippoConvention convention) {
  switch (convention) {
    case HippoConvention::post: return "post";
    case HippoConvention::paper: return "paper";
    case HippoConvention::lmu: return "lmu";
    case HippoConvention::state_spaces: return "state_spaces";
  }
  return "?";
}

std::string_view to_string(LegsScheme scheme) {
  switch (scheme) {
    case LegsScheme::forward_euler: return "forward_euler";
    case LegsScheme::backward_euler: return "backward_euler";
    case LegsScheme::bilinear: return "bilinear";
  }
  return "?";
}

std::string_view to_string(LegsWeight weight) {
  switch (weight) {
    case LegsWeight::inverse_k: return "inverse_k";
    case LegsWeight::log_ratio: return "log_ratio";
  }
  return "?";
}

namespace {

[[noreturn]] void undefined_pair(std::string_view fn, HippoMeasure m, HippoConvention c) {
  invalid_argument(fn, "the (measure, convention) pair (" + std::string(to_string(m)) + ", " +
                           std::string(to_string(c)) + ") is not defined (see seqref/ref/ssm/hippo.hpp)");
}

template <class S>
S pi() {
  return boost::math::constants::pi<S>();
}

// ∫₀¹ r sin(2πpr) dr and ∫₀¹ r cos(2πpr) dr for integer p.
template <class S>
S r_sin_integral(Index p) {
  return p == 0 ? S(0) : S(-1) / (S(2) * pi<S>() * S(p));
}
template <class S>
S r_cos_integral(Index p) {
  return p == 0 ? S(1) / S(2) : S(0);
}

// LegS, the paper's convention: A = diag(0..N−1) − tril(v vᵀ), v_n = √(2n+1); B = v.
template <class S>
ContinuousSystem<S> legs_paper(Index N) {
  using std::sqrt;
  ContinuousSystem<S> sys{Matrix<S>::Zero(N, N), Matrix<S>::Zero(N, 1)};
  for (Index n = 0; n < N; ++n) {
    for (Index k = 0; k < n; ++k) sys.A(n, k) = -sqrt(S(2 * n + 1)) * sqrt(S(2 * k + 1));
    sys.A(n, n) = -S(n + 1);
    sys.B(n, 0) = sqrt(S(2 * n + 1));
  }
  return sys;
}

// LegT, the post's convention (10114), window θ.
template <class S>
ContinuousSystem<S> legt_post(Index N, S theta) {
  using std::sqrt;
  ContinuousSystem<S> sys{Matrix<S>(N, N), Matrix<S>(N, 1)};
  for (Index n = 0; n < N; ++n) {
    for (Index k = 0; k < N; ++k) {
      const S r = sqrt(S(2 * n + 1)) * sqrt(S(2 * k + 1)) / theta;
      const bool odd = ((n - k) % 2) != 0;
      sys.A(n, k) = (k < n || !odd) ? -r : r;  // −r for k < n; −(−1)^{n−k} r for k ≥ n
    }
    sys.B(n, 0) = sqrt(S(2) * S(2 * n + 1)) / theta;
  }
  return sys;
}

// LegT in the paper's / LMU form: A_nk = −(2n+1)/θ · ((−1)^{n−k} for n ≥ k, 1 for n < k); B_n = (−1)^n (2n+1)/θ.
template <class S>
ContinuousSystem<S> legt_lmu(Index N, S theta) {
  ContinuousSystem<S> sys{Matrix<S>(N, N), Matrix<S>(N, 1)};
  for (Index n = 0; n < N; ++n) {
    const S q = S(2 * n + 1) / theta;
    for (Index k = 0; k < N; ++k) {
      const bool odd = ((n - k) % 2) != 0;
      sys.A(n, k) = (n >= k && odd) ? q : -q;
    }
    sys.B(n, 0) = (n % 2 == 0) ? q : -q;
  }
  return sys;
}

// LegT, state-spaces `legt`: A_nk = −(1/θ)√((2n+1)(2k+1)) · (1 for n ≥ k, (−1)^{n−k} for n < k); B_n = √(2n+1)/θ.
template <class S>
ContinuousSystem<S> legt_state_spaces(Index N, S theta) {
  using std::sqrt;
  ContinuousSystem<S> sys{Matrix<S>(N, N), Matrix<S>(N, 1)};
  for (Index n = 0; n < N; ++n) {
    for (Index k = 0; k < N; ++k) {
      const S r = sqrt(S(2 * n + 1)) * sqrt(S(2 * k + 1)) / theta;
      const bool odd = ((n - k) % 2) != 0;
      sys.A(n, k) = (n < k && odd) ? r : -r;
    }
    sys.B(n, 0) = sqrt(S(2 * n + 1)) / theta;
  }
  return sys;
}

// ψ(0) (= ψ(1)) of the real Fourier basis: 1, √2 (cosines), 0 (sines).
template <class S>
S fourier_endpoint(Index j) {
  using std::sqrt;
  if (j == 0) return S(1);
  return (j % 2 == 1) ? sqrt(S(2)) : S(0);
}

// FouT (paper's construction, jump-average closure): A = (−2eeᵀ + R)/θ, B = 2e/θ.
template <class S>
ContinuousSystem<S> fout_paper(Index N, S theta) {
  ContinuousSystem<S> sys{Matrix<S>::Zero(N, N), Matrix<S>::Zero(N, 1)};
  for (Index j = 0; j < N; ++j) {
    for (Index k = 0; k < N; ++k) sys.A(j, k) = -S(2) * fourier_endpoint<S>(j) * fourier_endpoint<S>(k);
    sys.B(j, 0) = S(2) * fourier_endpoint<S>(j);
  }
  for (Index m = 1; 2 * m < N; ++m) {  // the pair (cos_m, sin_m) = (2m−1, 2m): d/dt cos += 2πm sin, sin −= 2πm cos
    sys.A(2 * m - 1, 2 * m) += S(2) * pi<S>() * S(m);
    sys.A(2 * m, 2 * m - 1) -= S(2) * pi<S>() * S(m);
  }
  sys.A /= theta;
  sys.B /= theta;
  return sys;
}

// Full-history Fourier in the real basis: A = −I − M, M_jk = ∫₀¹ r ψ_j'(r) ψ_k(r) dr (Galerkin closure, exactly the
// post's truncation |n|, |k| ≤ M), B_j = ψ_j(1).
template <class S>
ContinuousSystem<S> fourier_post(Index N) {
  using std::sqrt;
  ContinuousSystem<S> sys{Matrix<S>::Zero(N, N), Matrix<S>::Zero(N, 1)};
  const S two_pi = S(2) * pi<S>();
  auto freq = [](Index j) { return (j + 1) / 2; };
  for (Index j = 1; j < N; ++j) {
    const Index m = freq(j);
    const bool j_cos = (j % 2 == 1);
    for (Index k = 0; k < N; ++k) {
      const Index b = freq(k);
      S Mjk;
      if (j_cos) {  // ψ_j' = −2πm √2 sin(2πmr)
        if (k == 0)
          Mjk = -two_pi * S(m) * sqrt(S(2)) * r_sin_integral<S>(m);
        else if (k % 2 == 1)
          Mjk = -two_pi * S(m) * (r_sin_integral<S>(m + b) + r_sin_integral<S>(m - b));
        else
          Mjk = -two_pi * S(m) * (r_cos_integral<S>(m - b) - r_cos_integral<S>(m + b));
      } else {  // ψ_j' = 2πm √2 cos(2πmr)
        if (k == 0)
          Mjk = two_pi * S(m) * sqrt(S(2)) * r_cos_integral<S>(m);
        else if (k % 2 == 1)
          Mjk = two_pi * S(m) * (r_cos_integral<S>(m - b) + r_cos_integral<S>(m + b));
        else
          Mjk = two_pi * S(m) * (r_sin_integral<S>(b + m) + r_sin_integral<S>(b - m));
      }
      sys.A(j, k) = -Mjk;
    }
  }
  for (Index j = 0; j < N; ++j) {
    sys.A(j, j) -= S(1);
    sys.B(j, 0) = fourier_endpoint<S>(j);
  }
  return sys;
}

template <class S>
void require_finite_span(std::span<const S> x, std::string_view fn, std::string_view name) {
  using std::isfinite;
  for (std::size_t i = 0; i < x.size(); ++i)
    if (!isfinite(x[i]))
      invalid_argument(fn, std::string(name) + " has a non-finite value at index " + std::to_string(i) + " (length " +
                               std::to_string(x.size()) + ")");
}

template <class S>
void require_finite_matrix(const Matrix<S>& m, std::string_view fn, std::string_view name) {
  using std::isfinite;
  for (Index i = 0; i < m.rows(); ++i)
    for (Index j = 0; j < m.cols(); ++j)
      if (!isfinite(m(i, j)))
        invalid_argument(fn, std::string(name) + " has a non-finite value at (" + std::to_string(i) + ", " +
                                 std::to_string(j) + ") (shape " + std::to_string(m.rows()) + " x " +
                                 std::to_string(m.cols()) + ")");
}

}  // namespace

template <class S>
ContinuousSystem<S> hippo_transition(HippoMeasure measure, Index N, HippoConvention convention, S window) {
  constexpr std::string_view fn = "seqref::ref::hippo_transition";
  using std::isfinite;
  require(N >= 1, fn, "N must be >= 1; got " + std::to_string(N));
  require(static_cast<bool>(isfinite(window)) && window > S(0), fn, "window must be finite and > 0");
  require_memory(fn, 2.0 * double(N) * double(N) * sizeof(S), "an N x N transition with N = " + std::to_string(N));
  switch (measure) {
    case HippoMeasure::legs: {
      if (convention == HippoConvention::lmu) undefined_pair(fn, measure, convention);
      ContinuousSystem<S> sys = legs_paper<S>(N);
      sys.B *= legs_b_scale<S>(convention);
      return sys;
    }
    case HippoMeasure::legt:
      switch (convention) {
        case HippoConvention::post: return legt_post<S>(N, window);
        case HippoConvention::paper:
        case HippoConvention::lmu: return legt_lmu<S>(N, window);
        case HippoConvention::state_spaces: return legt_state_spaces<S>(N, window);
      }
      break;
    case HippoMeasure::fout:
      if (convention != HippoConvention::paper) undefined_pair(fn, measure, convention);
      return fout_paper<S>(N, window);
    case HippoMeasure::fourier:
      if (convention != HippoConvention::post) undefined_pair(fn, measure, convention);
      require(N % 2 == 1, fn,
              "N must be odd (2M + 1 real states) for the full-history Fourier system; got " + std::to_string(N));
      return fourier_post<S>(N);
  }
  undefined_pair(fn, measure, convention);
}

template <class S>
ContinuousSystem<S> hippo_transition(HippoMeasure measure, Index N, HippoConvention convention) {
  return hippo_transition<S>(measure, N, convention, S(1));
}

template <class S>
ComplexSystem<S> fourier_post_complex(Index M) {
  require(M >= 0, "seqref::ref::fourier_post_complex", "M must be >= 0; got " + std::to_string(M));
  using C = std::complex<S>;
  const Index n_states = 2 * M + 1;
  ComplexSystem<S> sys{Matrix<C>(n_states, n_states), Matrix<C>(n_states, 1)};
  for (Index n = -M; n <= M; ++n) {
    for (Index k = -M; k <= M; ++k)
      sys.A(n + M, k + M) = (k == n) ? C(S(-1), pi<S>() * S(n)) : C(-S(n) / S(n - k), S(0));
    sys.B(n + M, 0) = C(S(1), S(0));
  }
  return sys;
}

template <class S>
ComplexSystem<S> fout_post_complex(Index M, S window) {
  constexpr std::string_view fn = "seqref::ref::fout_post_complex";
  require(M >= 0, fn, "M must be >= 0; got " + std::to_string(M));
  using std::isfinite;
  require(static_cast<bool>(isfinite(window)) && window > S(0), fn, "window must be finite and > 0");
  using C = std::complex<S>;
  const Index n_states = 2 * M + 1;
  ComplexSystem<S> sys{Matrix<C>(n_states, n_states), Matrix<C>(n_states, 1)};
  for (Index n = -M; n <= M; ++n) {
    for (Index k = -M; k <= M; ++k)  // d c_n/dT = (1/w) u(T) − (1/w) Σ_k c_k + (2iπn/w) c_n
      sys.A(n + M, k + M) = (k == n) ? C(S(-1) / window, S(2) * pi<S>() * S(n) / window) : C(S(-1) / window, S(0));
    sys.B(n + M, 0) = C(S(1) / window, S(0));
  }
  return sys;
}

template <class S>
S legs_b_scale(HippoConvention convention) {
  using std::sqrt;
  switch (convention) {
    case HippoConvention::paper:
    case HippoConvention::state_spaces: return S(1);
    case HippoConvention::post: return sqrt(S(2));
    case HippoConvention::lmu: break;
  }
  undefined_pair("seqref::ref::legs_b_scale", HippoMeasure::legs, convention);
}

template <class S>
std::vector<S> legendre_p(Index N, S s) {
  require(N >= 1, "seqref::ref::legendre_p", "N must be >= 1; got " + std::to_string(N));
  std::vector<S> p(static_cast<std::size_t>(N));
  p[0] = S(1);
  if (N > 1) p[1] = s;
  for (Index n = 1; n + 1 < N; ++n)  // Bonnet: (n+1) P_{n+1} = (2n+1) s P_n − n P_{n−1}
    p[static_cast<std::size_t>(n + 1)] =
        (S(2 * n + 1) * s * p[static_cast<std::size_t>(n)] - S(n) * p[static_cast<std::size_t>(n - 1)]) / S(n + 1);
  return p;
}

template <class S>
std::vector<S> hippo_basis(HippoMeasure measure, HippoConvention convention, Index N, S s) {
  constexpr std::string_view fn = "seqref::ref::hippo_basis";
  using std::cos;
  using std::isfinite;
  using std::sin;
  using std::sqrt;
  require(N >= 1, fn, "N must be >= 1; got " + std::to_string(N));
  require(static_cast<bool>(isfinite(s)) && s >= S(-1) && s <= S(1), fn, "s must lie in [-1, 1]");
  require_memory(fn, 2.0 * double(N) * sizeof(S), "a basis of N = " + std::to_string(N) + " functions");
  std::vector<S> psi(static_cast<std::size_t>(N));
  const bool legendre = measure == HippoMeasure::legt || measure == HippoMeasure::legs;
  if (legendre) {
    if (measure == HippoMeasure::legs && convention == HippoConvention::lmu) undefined_pair(fn, measure, convention);
    const bool reversed =
        measure == HippoMeasure::legt && (convention == HippoConvention::paper || convention == HippoConvention::lmu);
    const std::vector<S> p = legendre_p<S>(N, reversed ? -s : s);
    for (Index n = 0; n < N; ++n) {
      S scale;
      if (reversed)
        scale = S(1);  // P_n(−s)
      else if (convention == HippoConvention::post)
        scale = sqrt(S(2 * n + 1) / S(2));  // orthonormal on [−1, 1]
      else
        scale = sqrt(S(2 * n + 1));  // orthonormal for ds/2
      psi[static_cast<std::size_t>(n)] = scale * p[static_cast<std::size_t>(n)];
    }
    return psi;
  }
  if ((measure == HippoMeasure::fout && convention != HippoConvention::paper) ||
      (measure == HippoMeasure::fourier && convention != HippoConvention::post))
    undefined_pair(fn, measure, convention);
  const S r = (s + S(1)) / S(2);
  for (Index j = 0; j < N; ++j) {
    const Index m = (j + 1) / 2;
    const S arg = S(2) * pi<S>() * S(m) * r;
    psi[static_cast<std::size_t>(j)] = j == 0 ? S(1) : (j % 2 == 1 ? sqrt(S(2)) * cos(arg) : sqrt(S(2)) * sin(arg));
  }
  return psi;
}

template <class S>
std::vector<S> hippo_reconstruct(HippoMeasure measure, HippoConvention convention, std::span<const S> x,
                                 std::span<const S> s) {
  constexpr std::string_view fn = "seqref::ref::hippo_reconstruct";
  require(!x.empty(), fn, "x must hold N >= 1 coefficients; got 0");
  require_finite_span(x, fn, "x");
  std::vector<S> out(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const std::vector<S> psi = hippo_basis<S>(measure, convention, static_cast<Index>(x.size()), s[i]);
    S sum = S(0);
    for (std::size_t n = 0; n < x.size(); ++n) sum += x[n] * psi[n];  // u ≈ Σ_n x_n ψ_n(s)
    out[i] = sum;
  }
  return out;
}

template <class S>
std::vector<S> legs_matvec(std::span<const S> x) {
  constexpr std::string_view fn = "seqref::ref::legs_matvec";
  require(!x.empty(), fn, "x must hold N >= 1 values; got 0");
  require_finite_span(x, fn, "x");
  using std::sqrt;
  std::vector<S> y(x.size());
  S cumsum = S(0);  // Σ_{k≤n} √(2k+1) x_k
  for (std::size_t n = 0; n < x.size(); ++n) {
    const S v = sqrt(S(2 * n + 1));
    cumsum += v * x[n];
    y[n] = S(static_cast<Index>(n)) * x[n] - v * cumsum;  // (Ax)_n = n x_n − √(2n+1) Σ_{k≤n} √(2k+1) x_k
  }
  return y;
}

template <class S>
std::vector<S> legs_solve(S lambda, std::span<const S> v) {
  constexpr std::string_view fn = "seqref::ref::legs_solve";
  using std::isfinite;
  using std::sqrt;
  require(!v.empty(), fn, "v must hold N >= 1 values; got 0");
  require(static_cast<bool>(isfinite(lambda)), fn, "lambda must be finite");
  require_finite_span(v, fn, "v");
  std::vector<S> z(v.size());
  S S_prev = S(0);
  for (std::size_t n = 0; n < v.size(); ++n) {
    const S nn = S(static_cast<Index>(n));
    const S denom = S(1) + lambda * nn + lambda;  // the n-th eigenvalue 1 + λ(n+1) of I − λA
    require(denom != S(0), fn, "I - lambda*A is singular (1 + lambda*(n+1) = 0 at n = " + std::to_string(n) + ")");
    const S r = sqrt(S(2 * n + 1));
    const S S_n = (S(1) - lambda * nn) / denom * S_prev + r / denom * v[n];  // 10137, the scalar recurrence
    z[n] = (S_n - S_prev) / r;
    S_prev = S_n;
  }
  return z;
}

namespace {

template <class S>
void check_legs_args(std::string_view fn, std::span<const S> u, S dt) {
  using std::isfinite;
  require(!u.empty(), fn, "u must hold L >= 1 samples; got 0");
  require(static_cast<bool>(isfinite(dt)) && dt > S(0), fn, "dt must be finite and > 0");
  require_finite_span(u, fn, "u");
}

// w_k = ∫_t^{t+ε} ds/s: ε/t or ln((t+ε)/t).
template <class S>
S legs_input_weight(S t, S dt, LegsWeight weight) {
  using std::log;
  return weight == LegsWeight::inverse_k ? dt / t : log((t + dt) / t);
}

template <class S>
Matrix<S> checked_inverse(const Matrix<S>& M, std::string_view fn) {
  Eigen::FullPivLU<Matrix<S>> lu(M);
  require(lu.isInvertible(), fn, "a step matrix I - lambda*A is singular");
  return lu.inverse();
}

}  // namespace

template <class S>
Matrix<S> legs_online(const ContinuousSystem<S>& sys, std::span<const S> u, S dt, LegsScheme scheme,
                      LegsWeight weight) {
  constexpr std::string_view fn = "seqref::ref::legs_online";
  const Index N = sys.A.rows();
  require(N >= 1 && sys.A.cols() == N && sys.B.rows() == N && sys.B.cols() == 1, fn,
          "A must be N x N and B N x 1 with N >= 1; got A " + std::to_string(sys.A.rows()) + " x " +
              std::to_string(sys.A.cols()) + ", B " + std::to_string(sys.B.rows()) + " x " +
              std::to_string(sys.B.cols()));
  check_legs_args(fn, u, dt);
  const Index L = static_cast<Index>(u.size());
  const std::string what = "states [L, N] = [" + std::to_string(L) + ", " + std::to_string(N) + "]";
  require_memory(fn, (double(L) * N + 4.0 * double(N) * N) * sizeof(S), what);
  require_work(fn, double(L) * 4.0 * double(N) * N * N, what);  // an N x N inverse per step (implicit schemes)
  const Matrix<S> I = Matrix<S>::Identity(N, N);
  Matrix<S> X(L, N);
  // x_1 = −A⁻¹ B u_0: the exact solution on [0, ε] (constant input)
  Matrix<S> x = -checked_inverse<S>(sys.A, fn) * sys.B * u[0];
  X.row(0) = x.transpose();
  for (Index k = 1; k < L; ++k) {
    const S t = S(k) * dt;  // t = kε, computed in floating point: ε cancels from εA/t only up to rounding
    const S w = legs_input_weight(t, dt, weight);
    const Matrix<S> Bu = sys.B * (w * u[static_cast<std::size_t>(k)]);
    switch (scheme) {
      case LegsScheme::forward_euler: x = (I + (dt / t) * sys.A) * x + Bu; break;
      case LegsScheme::backward_euler: x = checked_inverse<S>(I - (dt / (t + dt)) * sys.A, fn) * (x + Bu); break;
      case LegsScheme::bilinear:
        x = checked_inverse<S>(I - (dt / (S(2) * (t + dt))) * sys.A, fn) * ((I + (dt / (S(2) * t)) * sys.A) * x + Bu);
        break;
    }
    X.row(k) = x.transpose();
  }
  return X;
}

namespace {
// The arguments legs_online_fast and legs_online_dense share: N >= 1, a finite b_scale, finite u. Returns the
// states' description for the budget messages.
template <class S>
std::string check_legs_online_args(std::string_view fn, Index N, S b_scale, std::span<const S> u) {
  using std::isfinite;
  require(N >= 1, fn, "N must be >= 1; got " + std::to_string(N));
  require(static_cast<bool>(isfinite(b_scale)), fn, "b_scale must be finite");
  check_legs_args(fn, u, S(1));
  return "states [L, N] = [" + std::to_string(u.size()) + ", " + std::to_string(N) + "]";
}
}  // namespace

template <class S>
Matrix<S> legs_online_fast(Index N, S b_scale, std::span<const S> u, LegsScheme scheme, LegsWeight weight) {
  constexpr std::string_view fn = "seqref::ref::legs_online_fast";
  using std::sqrt;
  const std::string what = check_legs_online_args(fn, N, b_scale, u);
  const Index L = static_cast<Index>(u.size());
  require_memory(fn, (double(L) * N + 4.0 * double(N)) * sizeof(S), what);
  require_work(fn, 10.0 * double(L) * N, what);
  std::vector<S> B(static_cast<std::size_t>(N)), x(static_cast<std::size_t>(N), S(0));
  for (Index n = 0; n < N; ++n) B[static_cast<std::size_t>(n)] = b_scale * sqrt(S(2 * n + 1));
  Matrix<S> X(L, N);
  x[0] = B[0] * u[0];  // x_1 = −A⁻¹Bu_0 = B_0 u_0 e_0 (A e_0 = −v, B = b_scale v)
  for (Index n = 0; n < N; ++n) X(0, n) = x[static_cast<std::size_t>(n)];
  for (Index k = 1; k < L; ++k) {
    const S kk = S(k);
    const S w = legs_input_weight(kk, S(1), weight);
    const S uk = u[static_cast<std::size_t>(k)];
    std::vector<S> rhs(static_cast<std::size_t>(N));
    if (scheme == LegsScheme::backward_euler) {
      for (Index n = 0; n < N; ++n)
        rhs[static_cast<std::size_t>(n)] = x[static_cast<std::size_t>(n)] + w * B[static_cast<std::size_t>(n)] * uk;
      x = legs_solve<S>(S(1) / (kk + S(1)), rhs);
    } else {
      const S c = scheme == LegsScheme::forward_euler ? S(1) / kk : S(1) / (S(2) * kk);
      const std::vector<S> Ax = legs_matvec<S>(x);
      for (Index n = 0; n < N; ++n) {
        const auto i = static_cast<std::size_t>(n);
        rhs[i] = x[i] + c * Ax[i] + w * B[i] * uk;
      }
      x = scheme == LegsScheme::forward_euler ? rhs : legs_solve<S>(S(1) / (S(2) * (kk + S(1))), rhs);
    }
    for (Index n = 0; n < N; ++n) X(k, n) = x[static_cast<std::size_t>(n)];
  }
  return X;
}

template <class S>
Matrix<S> legs_online_dense(Index N, S b_scale, std::span<const S> u, LegsScheme scheme, LegsWeight weight) {
  constexpr std::string_view fn = "seqref::ref::legs_online_dense";
  using std::sqrt;
  const std::string what = check_legs_online_args(fn, N, b_scale, u);
  const Index L = static_cast<Index>(u.size());
  require_memory(fn, (double(L) * N + double(N) * N + 4.0 * double(N)) * sizeof(S), what);
  require_work(fn, 2.0 * double(L) * N * N, what);
  // the LegS A (lower triangular): A_nk = −√(2n+1)√(2k+1) for n > k, −(n+1) on the diagonal; B_n = b_scale·√(2n+1)
  std::vector<S> v(static_cast<std::size_t>(N)), B(v.size()), x(v.size(), S(0)), r(v.size());
  Matrix<S> A = Matrix<S>::Zero(N, N);
  for (Index n = 0; n < N; ++n) {
    v[static_cast<std::size_t>(n)] = sqrt(S(2 * n + 1));
    B[static_cast<std::size_t>(n)] = b_scale * v[static_cast<std::size_t>(n)];
    for (Index k = 0; k < n; ++k) A(n, k) = -(v[static_cast<std::size_t>(n)] * v[static_cast<std::size_t>(k)]);
    A(n, n) = -S(n + 1);
  }
  Matrix<S> X(L, N);
  x[0] = B[0] * u[0];  // x_1 = B_0 u_0 e_0, as legs_online_fast
  for (Index n = 0; n < N; ++n) X(0, n) = x[static_cast<std::size_t>(n)];
  for (Index k = 1; k < L; ++k) {
    const S kk = S(k);
    const S w = legs_input_weight(kk, S(1), weight);
    const S uk = u[static_cast<std::size_t>(k)];
    // the explicit half: r = x + c A x + w B u (c = 0 for backward Euler)
    const S c = scheme == LegsScheme::backward_euler  ? S(0)
                : scheme == LegsScheme::forward_euler ? S(1) / kk
                                                      : S(1) / (S(2) * kk);
    for (Index i = 0; i < N; ++i) {
      S Ax = S(0);
      for (Index j = 0; j <= i; ++j) Ax += A(i, j) * x[static_cast<std::size_t>(j)];
      r[static_cast<std::size_t>(i)] =
          x[static_cast<std::size_t>(i)] + c * Ax + w * B[static_cast<std::size_t>(i)] * uk;
    }
    if (scheme == LegsScheme::forward_euler) {
      x = r;
    } else {  // the implicit half: (I − λA) x = r by forward substitution
      const S lambda = scheme == LegsScheme::backward_euler ? S(1) / (kk + S(1)) : S(1) / (S(2) * (kk + S(1)));
      for (Index i = 0; i < N; ++i) {
        S acc = r[static_cast<std::size_t>(i)];
        for (Index j = 0; j < i; ++j) acc -= (-lambda * A(i, j)) * x[static_cast<std::size_t>(j)];
        x[static_cast<std::size_t>(i)] = acc / (S(1) - lambda * A(i, i));
      }
    }
    for (Index n = 0; n < N; ++n) X(k, n) = x[static_cast<std::size_t>(n)];
  }
  return X;
}

template <class S>
Matrix<S> lti_online(const Matrix<S>& Abar, const Matrix<S>& Bbar, std::span<const S> u) {
  constexpr std::string_view fn = "seqref::ref::lti_online";
  const Index N = Abar.rows();
  require(N >= 1 && Abar.cols() == N && Bbar.rows() == N && Bbar.cols() == 1, fn,
          "Abar must be N x N and Bbar N x 1 with N >= 1; got Abar " + std::to_string(Abar.rows()) + " x " +
              std::to_string(Abar.cols()) + ", Bbar " + std::to_string(Bbar.rows()) + " x " +
              std::to_string(Bbar.cols()));
  require(!u.empty(), fn, "u must hold L >= 1 samples; got 0");
  require_finite_matrix(Abar, fn, "Abar");  // non-finite inputs are refused, never propagated into the states
  require_finite_matrix(Bbar, fn, "Bbar");
  require_finite_span(u, fn, "u");
  const Index L = static_cast<Index>(u.size());
  Matrix<S> X(L, N);
  std::vector<S> x(static_cast<std::size_t>(N), S(0)), b(static_cast<std::size_t>(N));
  const std::span<const S> J(Abar.data(), static_cast<std::size_t>(N * N));  // row-major, as the scan engine's J
  for (Index k = 0; k < L; ++k) {
    for (Index n = 0; n < N; ++n) b[static_cast<std::size_t>(n)] = Bbar(n, 0) * u[static_cast<std::size_t>(k)];
    recurrence_step<S>(Transition::dense, J, b, x);  // x_{k+1} = Ā x_k + B̄ u_k: one step of the scan engine
    for (Index n = 0; n < N; ++n) X(k, n) = x[static_cast<std::size_t>(n)];
  }
  return X;
}

// ---- explicit instantiations --------------------------------------------------------------------------------------
#define SEQREF_INSTANTIATE_HIPPO(S)                                                                                 \
  template ContinuousSystem<S> hippo_transition(HippoMeasure, Index, HippoConvention);                              \
  template ContinuousSystem<S> hippo_transition(HippoMeasure, Index, HippoConvention, S);                           \
  template std::vector<S> hippo_basis(HippoMeasure, HippoConvention, Index, S);                                     \
  template std::vector<S> hippo_reconstruct(HippoMeasure, HippoConvention, std::span<const S>, std::span<const S>); \
  template std::vector<S> legendre_p(Index, S);                                                                     \
  template std::vector<S> legs_matvec(std::span<const S>);                                                          \
  template std::vector<S> legs_solve(S, std::span<const S>);                                                        \
  template Matrix<S> legs_online(const ContinuousSystem<S>&, std::span<const S>, S, LegsScheme, LegsWeight);        \
  template Matrix<S> legs_online_fast(Index, S, std::span<const S>, LegsScheme, LegsWeight);                        \
  template S legs_b_scale<S>(HippoConvention);                                                                      \
  template Matrix<S> lti_online(const Matrix<S>&, const Matrix<S>&, std::span<const S>);
SEQREF_INSTANTIATE_HIPPO(float)
SEQREF_INSTANTIATE_HIPPO(double)
SEQREF_INSTANTIATE_HIPPO(Oracle)
#undef SEQREF_INSTANTIATE_HIPPO
// The judge's precisions (seqref::judge): the plain matrix form is the yardstick in every precision and, in long
// double, the truth of float64 candidates; legs_online_fast and legs_b_scale run in them too.
#define SEQREF_INSTANTIATE_LEGS_DENSE(S) \
  template Matrix<S> legs_online_dense(Index, S, std::span<const S>, LegsScheme, LegsWeight);
#define SEQREF_INSTANTIATE_LEGS_ONLINE(S)                                                    \
  SEQREF_INSTANTIATE_LEGS_DENSE(S)                                                           \
  template Matrix<S> legs_online_fast(Index, S, std::span<const S>, LegsScheme, LegsWeight); \
  template S legs_b_scale<S>(HippoConvention);
SEQREF_INSTANTIATE_LEGS_DENSE(float)
SEQREF_INSTANTIATE_LEGS_DENSE(double)
SEQREF_INSTANTIATE_LEGS_ONLINE(Eigen::half)
SEQREF_INSTANTIATE_LEGS_ONLINE(Eigen::bfloat16)
SEQREF_INSTANTIATE_LEGS_ONLINE(long double)
#undef SEQREF_INSTANTIATE_LEGS_ONLINE
#undef SEQREF_INSTANTIATE_LEGS_DENSE

template ComplexSystem<float> fourier_post_complex(Index);
template ComplexSystem<double> fourier_post_complex(Index);
template ComplexSystem<float> fout_post_complex(Index, float);
template ComplexSystem<double> fout_post_complex(Index, double);
template ComplexSystem<Oracle> fout_post_complex(Index, Oracle);

}  // namespace seqref::ref
