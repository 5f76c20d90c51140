// Tiers 1-2 for ssm/hippo: the transition matrices against hand values and the published formulas, the structure
// the posts derive (eigenvalues, skew + low-rank, rescalings between conventions, O(N) matvec/solve), the LegS
// discretizations (timescale invariance, fast = dense), the continuous oracles (polynomials reproduced, projection
// and ODE reconstruction errors; the LegT figures of a reconstruction in the setting that gives them; the truncated
// full-history Fourier system of 10137), the Oracle, and bad input.

#include "verify/tests/ssm/hippo_properties.hpp"

#include "seqref/core/random.hpp"
#include "seqref/ref/ssm/discretize.hpp"
#include "verify/support/error.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <Eigen/Eigenvalues>
#include <Eigen/LU>
#include <boost/math/constants/constants.hpp>

#include <cmath>
#include <complex>
#include <limits>

namespace seqref::verify::hippo {
namespace {

using ref::HippoConvention;
using ref::HippoMeasure;
constexpr double u64 = 0x1p-53;

std::vector<double> random_vector(Index n, std::uint64_t seed) {
  SplitMix64 rng(seed);
  std::vector<double> v(static_cast<std::size_t>(n));
  for (auto& x : v) x = rng.normal();
  return v;
}

// ---- tier 1: hand values ----------------------------------------------------------------------------------------

TEST(HippoRef, LegsPaperHandValuesN3) {
  const auto s = ref::hippo_transition<double>(HippoMeasure::legs, 3, HippoConvention::paper);
  const double r3 = std::sqrt(3.0), r5 = std::sqrt(5.0);
  const double A[3][3] = {{-1, 0, 0}, {-r3, -2, 0}, {-r5, -r3 * r5, -3}};
  for (int n = 0; n < 3; ++n) {
    for (int k = 0; k < 3; ++k) EXPECT_NEAR(s.A(n, k), A[n][k], 4 * u64 * std::abs(A[n][k])) << n << "," << k;
  }
  EXPECT_EQ(s.B(0, 0), 1.0);
  EXPECT_EQ(s.B(1, 0), r3);
  EXPECT_EQ(s.B(2, 0), r5);
  // post: B_n = √(2(2n+1)), same A
  const auto p = ref::hippo_transition<double>(HippoMeasure::legs, 3, HippoConvention::post);
  EXPECT_EQ(p.A, s.A);
  EXPECT_NEAR(p.B(2, 0), std::sqrt(10.0), 2 * u64 * std::sqrt(10.0));
}

TEST(HippoRef, LegtHandValuesN2AllConventions) {
  const double r3 = std::sqrt(3.0), th = 0.5;
  const auto post = ref::hippo_transition<double>(HippoMeasure::legt, 2, HippoConvention::post, th);
  // post: A = −(1/θ)[[1, −√3], [√3, 3]] (k ≥ n: −(−1)^{n−k}√.., k < n: −√..), B = √2 (1, √3)/θ
  EXPECT_NEAR(post.A(0, 0), -2.0, 1e-15);
  EXPECT_NEAR(post.A(0, 1), 2 * r3, 1e-15);
  EXPECT_NEAR(post.A(1, 0), -2 * r3, 1e-15);
  EXPECT_NEAR(post.A(1, 1), -6.0, 1e-15);
  EXPECT_NEAR(post.B(1, 0), std::sqrt(6.0) * 2, 1e-14);
  // paper = LMU: A = −(1/θ)[[1, 1], [−3, 3]], B = (1, −3)/θ
  const auto lmu = ref::hippo_transition<double>(HippoMeasure::legt, 2, HippoConvention::lmu, th);
  const auto paper = ref::hippo_transition<double>(HippoMeasure::legt, 2, HippoConvention::paper, th);
  EXPECT_EQ(lmu.A, paper.A);
  EXPECT_EQ(lmu.A(0, 0), -2.0);
  EXPECT_EQ(lmu.A(0, 1), -2.0);
  EXPECT_EQ(lmu.A(1, 0), 6.0);
  EXPECT_EQ(lmu.A(1, 1), -6.0);
  EXPECT_EQ(lmu.B(0, 0), 2.0);
  EXPECT_EQ(lmu.B(1, 0), -6.0);
  // state-spaces `legt` at θ = 2 (its literal ½ factors): A = −½[[1, −√3], [√3, 3]], B = ½(1, √3)
  const auto ss = ref::hippo_transition<double>(HippoMeasure::legt, 2, HippoConvention::state_spaces, 2.0);
  EXPECT_NEAR(ss.A(0, 1), 0.5 * r3, 1e-15);
  EXPECT_NEAR(ss.A(1, 0), -0.5 * r3, 1e-15);
  EXPECT_NEAR(ss.B(1, 0), 0.5 * r3, 1e-15);
}

TEST(HippoRef, FoutAndFourierHandValues) {
  const auto f = ref::hippo_transition<double>(HippoMeasure::fout, 3, HippoConvention::paper);
  const double r2 = std::sqrt(2.0), pi = std::acos(-1.0);
  EXPECT_EQ(f.A(0, 0), -2.0);
  EXPECT_NEAR(f.A(0, 1), -2 * r2, 1e-15);
  EXPECT_NEAR(f.A(1, 1), -4.0, 1e-15);
  EXPECT_NEAR(f.A(1, 2), 2 * pi, 1e-15);
  EXPECT_NEAR(f.A(2, 1), -2 * pi, 1e-15);
  EXPECT_EQ(f.A(2, 2), 0.0);
  EXPECT_NEAR(f.B(1, 0), 2 * r2, 1e-15);
  EXPECT_EQ(f.B(2, 0), 0.0);
  // full-history Fourier, N = 3: from the post's A_nn = iπn − 1, A_nk = −n/(n−k) in the real basis
  const auto g = ref::hippo_transition<double>(HippoMeasure::fourier, 3, HippoConvention::post);
  EXPECT_NEAR(g.A(0, 0), -1.0, 1e-15);
  EXPECT_NEAR(g.A(1, 2), pi, 1e-14);  // d/dt cos-coefficient += πm · sin-coefficient (m = 1)
  EXPECT_NEAR(g.A(2, 1), -pi, 1e-14);
  EXPECT_NEAR(g.A(1, 0), -r2, 1e-15);  // −M_{cos1,0} = −√2
  EXPECT_NEAR(g.B(1, 0), r2, 1e-15);
}

TEST(HippoRef, LegendreValues) {
  const auto p = ref::legendre_p<double>(5, 0.5);
  EXPECT_EQ(p[0], 1.0);
  EXPECT_EQ(p[1], 0.5);
  EXPECT_NEAR(p[2], -0.125, 1e-16);      // (3s² − 1)/2
  EXPECT_NEAR(p[3], -0.4375, 1e-16);     // (5s³ − 3s)/2
  EXPECT_NEAR(p[4], -0.2890625, 1e-16);  // (35s⁴ − 30s² + 3)/8
  for (Index n = 1; n < 40; ++n) EXPECT_EQ(ref::legendre_p<double>(n, 1.0)[static_cast<std::size_t>(n - 1)], 1.0);
}

// ---- structure ----------------------------------------------------------------------------------------------------

TEST(HippoRef, LegsEigenvaluesAreMinusOneToMinusN) {
  for (Index N : {1, 2, 5, 16, 64}) {
    const auto s = ref::hippo_transition<double>(HippoMeasure::legs, N, HippoConvention::paper);
    // triangular: the eigenvalues are the diagonal, exactly −1..−N
    for (Index n = 0; n < N; ++n) {
      EXPECT_EQ(s.A(n, n), -double(n + 1));
      for (Index k = n + 1; k < N; ++k) EXPECT_EQ(s.A(n, k), 0.0);
    }
  }
  // and a general eigensolver on the dense matrix agrees (N small: the eigenvectors are ill-conditioned)
  const auto s = ref::hippo_transition<double>(HippoMeasure::legs, 8, HippoConvention::paper);
  Eigen::EigenSolver<Eigen::MatrixXd> es(Eigen::MatrixXd(s.A), false);
  std::vector<double> ev;
  for (Index i = 0; i < 8; ++i) ev.push_back(es.eigenvalues()(i).real());
  std::sort(ev.begin(), ev.end());
  for (Index i = 0; i < 8; ++i) EXPECT_NEAR(ev[static_cast<std::size_t>(i)], -8.0 + double(i), 1e-8);
}

TEST(HippoRef, LegsPlusRankOneIsSkew) {
  for (Index N : {1, 2, 7, 64, 257}) EXPECT_LE(legs_skew_defect_u(N), 4.0) << "N = " << N;
  // Oracle: exactly skew to 50 digits
  const Index N = 12;
  const auto s = ref::hippo_transition<Oracle>(HippoMeasure::legs, N, HippoConvention::paper);
  Matrix<Oracle> v(N, 1);
  for (Index n = 0; n < N; ++n) v(n, 0) = sqrt(Oracle(2 * n + 1));
  const Matrix<Oracle> M = s.A + Oracle(0.5) * v * v.transpose() + Oracle(0.5) * Matrix<Oracle>::Identity(N, N);
  EXPECT_LT(static_cast<double>((M + M.transpose()).norm()), 1e-45);
  EXPECT_GT(static_cast<double>(M.norm()), 1.0);  // non-vacuous: the skew part is not zero
}

TEST(HippoRef, LegtAndFoutLowRankCorrectionsAreSkew) {
  for (double th : {1.0, 0.3}) {
    for (Index N : {1, 2, 9, 32}) {
      const auto s = ref::hippo_transition<Oracle>(HippoMeasure::legt, N, HippoConvention::post, Oracle(th));
      // post LegT = skew − (v vᵀ + w wᵀ)/(2θ), v_n = √(2n+1) (the endpoint s = 1), w_n = (−1)^n v_n (s = −1)
      Matrix<Oracle> v(N, 1), w(N, 1);
      for (Index n = 0; n < N; ++n) v(n, 0) = sqrt(Oracle(2 * n + 1)), w(n, 0) = (n % 2 ? -1 : 1) * v(n, 0);
      const Matrix<Oracle> M = s.A + (v * v.transpose() + w * w.transpose()) / (Oracle(2) * Oracle(th));
      EXPECT_LT(static_cast<double>((M + M.transpose()).norm()), 1e-45) << "N = " << N;
      // FouT: A + 2eeᵀ/θ is the rotation R/θ
      const auto f = ref::hippo_transition<Oracle>(HippoMeasure::fout, N, HippoConvention::paper, Oracle(th));
      Matrix<Oracle> e(N, 1);
      for (Index j = 0; j < N; ++j) e(j, 0) = j == 0 ? Oracle(1) : (j % 2 ? sqrt(Oracle(2)) : Oracle(0));
      const Matrix<Oracle> F = f.A + Oracle(2) * e * e.transpose() / Oracle(th);
      EXPECT_LT(static_cast<double>((F + F.transpose()).norm()), 1e-45) << "N = " << N;
    }
  }
}

TEST(HippoRef, ConventionsAreRescalingsOfOneAnother) {
  const Index N = 10;
  const double th = 0.8;
  using O = Oracle;
  const auto post = ref::hippo_transition<O>(HippoMeasure::legt, N, HippoConvention::post, O(th));
  const auto paper = ref::hippo_transition<O>(HippoMeasure::legt, N, HippoConvention::paper, O(th));
  const auto ss = ref::hippo_transition<O>(HippoMeasure::legt, N, HippoConvention::state_spaces, O(th));
  Matrix<O> D = Matrix<O>::Zero(N, N);
  for (Index n = 0; n < N; ++n) D(n, n) = O(n % 2 ? -1 : 1) * sqrt(O(2 * n + 1)) / sqrt(O(2));
  const Matrix<O> Dinv = D.inverse();
  EXPECT_LT(relative_error(Matrix<O>(D * post.A * Dinv), paper.A), 1e-45);
  EXPECT_LT(relative_error(Matrix<O>(D * post.B), paper.B), 1e-45);
  EXPECT_LT(relative_error(ss.A, post.A), 1e-45);
  EXPECT_LT(relative_error(Matrix<O>(ss.B * sqrt(O(2))), post.B), 1e-45);
  // LegS: post = √2 · paper
  const auto lp = ref::hippo_transition<O>(HippoMeasure::legs, N, HippoConvention::post);
  const auto lq = ref::hippo_transition<O>(HippoMeasure::legs, N, HippoConvention::paper);
  EXPECT_LT(relative_error(lp.A, lq.A), 1e-45);
  EXPECT_LT(relative_error(lp.B, Matrix<O>(lq.B * sqrt(O(2)))), 1e-45);
  // and the states reconstruct the same function: Σ x_post ψ_post = Σ (D x_post) ψ_paper
  const std::vector<double> x = random_vector(N, 3);
  std::vector<double> xd(x.size());
  for (Index n = 0; n < N; ++n)
    xd[static_cast<std::size_t>(n)] = static_cast<double>(D(n, n)) * x[static_cast<std::size_t>(n)];
  const std::vector<double> s{-1.0, -0.3, 0.2, 0.9, 1.0};
  const auto r1 = ref::hippo_reconstruct<double>(HippoMeasure::legt, HippoConvention::post, x, s);
  const auto r2 = ref::hippo_reconstruct<double>(HippoMeasure::legt, HippoConvention::paper, xd, s);
  EXPECT_LT(relative_error(r1, r2), 64 * u64);
}

TEST(HippoRef, PostFoutIsExactOnWindowHarmonicsAndConstants) {
  // 10114's FouT closes u(T − w) by the truncated series at s = 0, which is exact when u is a window harmonic
  // u(t) = e^{2πimt/w}: then c(T) = e^{2πimT/w} e_m solves the ODE exactly, i.e. A e_m + B = (2πim/w) e_m.
  // A constant input has the fixed point −A⁻¹B = e_0 (c_0 = 1, the mean over the window). At Oracle precision.
  using C = std::complex<Oracle>;
  for (Index M : {0, 1, 3, 8})
    for (double w : {1.0, 0.37}) {
      const auto sys = ref::fout_post_complex<Oracle>(M, Oracle(w));
      const Index n = 2 * M + 1;
      for (Index m = -M; m <= M; ++m) {
        Matrix<C> r = sys.A.col(m + M) + sys.B;
        r(m + M, 0) -= C(Oracle(0), Oracle(2) * boost::math::constants::pi<Oracle>() * Oracle(m) / Oracle(w));
        EXPECT_LT(static_cast<double>(r.cwiseAbs().maxCoeff()), 1e-45) << "M = " << M << " m = " << m;
      }
      const Matrix<C> x = sys.A.fullPivLu().solve(sys.B);
      for (Index k = 0; k < n; ++k)
        EXPECT_LT(static_cast<double>(abs(x(k, 0) + C(k == M ? Oracle(1) : Oracle(0), Oracle(0)))), 1e-45);
      // low-rank correction: A + 11ᵀ/w is skew-Hermitian (diagonal 2iπn/w, nothing else)
      Matrix<C> S = sys.A + Matrix<C>::Constant(n, n, C(Oracle(1) / Oracle(w), Oracle(0)));
      EXPECT_LT(static_cast<double>((S + S.adjoint()).cwiseAbs().maxCoeff()), 1e-45);
      EXPECT_GT(static_cast<double>(S.cwiseAbs().maxCoeff()), M > 0 ? 1.0 : -1.0);  // non-vacuous for M > 0
    }
  EXPECT_THROW(ref::fout_post_complex<double>(-1), std::invalid_argument);
  EXPECT_THROW(ref::fout_post_complex<double>(2, 0.0), std::invalid_argument);
}

TEST(HippoRef, FourierRealFormIsThePostsComplexSystem) {
  for (Index M : {0, 1, 4, 9}) {
    const Index N = 2 * M + 1;
    const auto c = ref::fourier_post_complex<double>(M);
    const auto r = ref::hippo_transition<double>(HippoMeasure::fourier, N, HippoConvention::post);
    using C = std::complex<double>;
    // c = Q x: c_0 = x_0, c_{±m} = (x_{2m−1} ∓ i x_{2m})/√2; x = P c
    Matrix<C> Q = Matrix<C>::Zero(N, N), P = Matrix<C>::Zero(N, N);
    Q(M, 0) = 1, P(0, M) = 1;
    const double h = 1 / std::sqrt(2.0);
    for (Index m = 1; m <= M; ++m) {
      Q(M + m, 2 * m - 1) = h, Q(M + m, 2 * m) = C(0, -h), Q(M - m, 2 * m - 1) = h, Q(M - m, 2 * m) = C(0, h);
      P(2 * m - 1, M + m) = h, P(2 * m - 1, M - m) = h, P(2 * m, M + m) = C(0, h), P(2 * m, M - m) = C(0, -h);
    }
    const Matrix<C> Ar = P * c.A * Q, Br = P * c.B;
    EXPECT_LT(Ar.imag().norm(), 64 * u64 * (1 + Ar.norm()));
    EXPECT_LT(relative_error(Matrix<double>(Ar.real()), r.A), 64 * u64) << "M = " << M;
    EXPECT_LT(relative_error(Matrix<double>(Br.real()), r.B), 64 * u64) << "M = " << M;
  }
}

TEST(HippoRef, LegsMatvecAndSolveAreTheDenseOnes) {
  for (Index N : {1, 2, 3, 7, 31, 64, 129}) {
    const auto s = ref::hippo_transition<double>(HippoMeasure::legs, N, HippoConvention::paper);
    const std::vector<double> x = random_vector(N, 10 + N);
    const auto y = ref::legs_matvec<double>(x);
    const Eigen::Map<const Matrix<double>> xm(x.data(), N, 1), ym(y.data(), N, 1);
    EXPECT_LT(relative_error(ym, Matrix<double>(s.A * xm)), 8 * N * u64) << "N = " << N;
    for (double lambda : {0.5, 1.0 / 3.0, 1e-3, 10.0, -0.3 / (N + 1.0)}) {
      const auto m = legs_solve_vs_dense(N, lambda, 20 + N);
      EXPECT_TRUE(m.verdict.pass) << m.detail << ": " << m.verdict.err_u << "u, bound " << m.verdict.bound_u;
    }
  }
}

// ---- discretizations ----------------------------------------------------------------------------------------------

TEST(HippoRef, LegsFastEqualsDenseForEverySchemeAndWeight) {
  for (auto scheme : {ref::LegsScheme::forward_euler, ref::LegsScheme::backward_euler, ref::LegsScheme::bilinear})
    for (auto weight : {ref::LegsWeight::inverse_k, ref::LegsWeight::log_ratio})
      for (auto conv : {HippoConvention::paper, HippoConvention::post}) {
        const Index N = 12, L = 300;
        const auto u = random_vector(L, 5);
        const auto sys = ref::hippo_transition<double>(HippoMeasure::legs, N, conv);
        const Matrix<double> dense = ref::legs_online<double>(sys, u, 1.0, scheme, weight);
        const Matrix<double> fast =
            ref::legs_online_fast<double>(N, ref::legs_b_scale<double>(conv), u, scheme, weight);
        EXPECT_LT(relative_error(fast, dense), 256 * u64) << to_string(scheme) << " " << to_string(weight);
        EXPECT_GT(fast.norm(), 1.0);
      }
}

TEST(HippoRef, LegsTimescaleInvariance) {
  for (auto scheme : {ref::LegsScheme::forward_euler, ref::LegsScheme::backward_euler, ref::LegsScheme::bilinear})
    for (auto weight : {ref::LegsWeight::inverse_k, ref::LegsWeight::log_ratio})
      for (double dt : {0.37, 1e-3, 1e3}) {
        const auto m = timescale_invariance(10, 200, dt, scheme, weight, 7);
        EXPECT_TRUE(m.verdict.pass) << m.detail << ": " << m.verdict.err_u << "u, bound " << m.verdict.bound_u;
      }
}

TEST(HippoRef, BilinearStepIsThePostsFormula) {
  // one step by hand: x_{k+1} = (I − A/(2(k+1)))⁻¹[(I + A/(2k))x_k + (1/k)Bu_k], from the state after u_0
  const Index N = 5;
  const auto sys = ref::hippo_transition<double>(HippoMeasure::legs, N, HippoConvention::post);
  const std::vector<double> u{0.7, -1.3, 0.4};
  const Matrix<double> X = ref::legs_online<double>(sys, u, 1.0, ref::LegsScheme::bilinear, ref::LegsWeight::inverse_k);
  const Matrix<double> I = Matrix<double>::Identity(N, N);
  Matrix<double> x = -sys.A.inverse() * sys.B * 0.7;
  EXPECT_NEAR(x(0, 0), std::sqrt(2.0) * 0.7, 1e-15);  // the post's B_0 = √2: constant u_0 has coefficient √2·u_0
  for (int k = 1; k <= 2; ++k) {
    x = (I - sys.A / (2.0 * (k + 1))).inverse() * ((I + sys.A / (2.0 * k)) * x + sys.B * (u[k] / k));
    EXPECT_LT(relative_error(Matrix<double>(X.row(k).transpose()), x), 16 * u64);
  }
}

RC_GTEST_PROP(HippoRef, LegsOnlineDoubleVsOracle, ()) {
  const Index N = *rc::gen::element<Index>(1, 2, 5, 16, 33);
  const Index L = *rc::gen::element<Index>(1, 2, 17, 200);
  const auto scheme =
      *rc::gen::element(ref::LegsScheme::forward_euler, ref::LegsScheme::backward_euler, ref::LegsScheme::bilinear);
  const auto weight = *rc::gen::element(ref::LegsWeight::inverse_k, ref::LegsWeight::log_ratio);
  const auto m = legs_online_vs_oracle(N, L, scheme, weight, *rc::gen::arbitrary<std::uint64_t>());
  RC_LOG() << m.detail << ": " << m.verdict.err_u << "u\n";
  RC_ASSERT(m.verdict.pass);
}

TEST(HippoRef, TransitionVsOracle) {
  for (Index N : {1, 4, 17, 64}) {
    const auto m = transition_vs_oracle(N);
    EXPECT_TRUE(m.verdict.pass) << m.detail << ": " << m.verdict.err_u << "u";
  }
}

// ---- continuous oracles: polynomials, reconstruction ----------------------------------------------------------------

TEST(HippoRef, PolynomialsOfDegreeBelowNAreReproduced) {
  // p(t) = 1 − 2t + 3t² − t³ + 0.5t⁴ (degree 4): reproduced exactly (to rounding) by N >= 5 coefficients
  auto p = [](double t) { return 1 - 2 * t + 3 * t * t - t * t * t + 0.5 * t * t * t * t; };
  struct Case {
    HippoMeasure m;
    HippoConvention c;
  };
  for (auto cs : {Case{HippoMeasure::legt, HippoConvention::post}, Case{HippoMeasure::legt, HippoConvention::lmu},
                  Case{HippoMeasure::legt, HippoConvention::state_spaces},
                  Case{HippoMeasure::legs, HippoConvention::paper}, Case{HippoMeasure::legs, HippoConvention::post}}) {
    const auto x5 = project(cs.m, cs.c, 5, p, 0.3, 1.7);
    EXPECT_LT(reconstruction_error(cs.m, cs.c, x5, p, 0.3, 1.7).max, 1e-13);
    const auto x4 = project(cs.m, cs.c, 4, p, 0.3, 1.7);  // non-vacuous: degree 4 needs 5 coefficients
    EXPECT_GT(reconstruction_error(cs.m, cs.c, x4, p, 0.3, 1.7).max, 1e-3);
  }
  // The ODEs are exact on such polynomials: LegT from the projection on [0, 1] at t = 1 to t = 2.5 equals the
  // projection on [1.5, 2.5]; LegS from t → 0 equals the projection on [0, 2].
  const Index N = 6;
  const auto sys = ref::hippo_transition<double>(HippoMeasure::legt, N, HippoConvention::post);
  const auto x_ode = ode_lti(sys, p, project(HippoMeasure::legt, HippoConvention::post, N, p, 0, 1), 1.0, 2.5, 1e-13);
  const auto x_ref = project(HippoMeasure::legt, HippoConvention::post, N, p, 1.5, 2.5);
  EXPECT_LT(relative_error(x_ode, x_ref), 1e-10);
  const auto ls = ref::hippo_transition<double>(HippoMeasure::legs, N, HippoConvention::paper);
  const auto xs = ode_legs(ls, p, 2.0, 1e-12, 1e-13);
  EXPECT_LT(relative_error(xs, project(HippoMeasure::legs, HippoConvention::paper, N, p, 0, 2)), 1e-9);
}

TEST(HippoRef, LegtReconstructionErrorDecreasesWithN) {
  // Window 1, read at t = 1: the window is [0, 1] and starts with the jump u(0) = 0.5 from an empty memory.
  const auto rows = reconstruction_experiment(HippoMeasure::legt, {4, 8, 16, 32}, 1000);
  for (const auto& r : rows)
    std::printf("LegT N = %2td: projection rms %.2e, ODE rms %.2e (max %.2e), bilinear(1000 steps) rms %.2e\n", r.N,
                r.projection_rms, r.ode_rms, r.ode_max, r.discrete_rms);
  for (std::size_t i = 1; i < rows.size(); ++i) {
    EXPECT_LT(rows[i].projection_rms, rows[i - 1].projection_rms);
    EXPECT_LT(rows[i].ode_rms, rows[i - 1].ode_rms);
  }
  EXPECT_LT(rows.back().projection_rms, 1e-10);
}

TEST(HippoRef, LegsReconstructionErrorDecreasesThenFloors) {
  const auto rows = reconstruction_experiment(HippoMeasure::legs, {4, 8, 16, 32}, 1000);
  for (const auto& r : rows)
    std::printf("LegS N = %2td: projection rms %.2e, ODE rms %.2e (max %.2e), bilinear(1000 steps) rms %.2e\n", r.N,
                r.projection_rms, r.ode_rms, r.ode_max, r.discrete_rms);
  for (std::size_t i = 1; i < rows.size(); ++i) {
    EXPECT_LT(rows[i].projection_rms, rows[i - 1].projection_rms);
    EXPECT_LT(rows[i].ode_rms, rows[i - 1].ode_rms * 1.01);
  }
  // the discrete memory (piecewise-constant input of 1000 steps) cannot beat the step-size floor
  EXPECT_GT(rows.back().discrete_rms, rows.back().ode_rms);
}

TEST(HippoRef, LegtFiguresReproduceInTheFoundSetting) {
  // 3.1e-2, 1.9e-4, 1.4e-5, 8.3e-7 (N = 4, 8, 16, 32) are a reconstruction's figures, not in posts 10114/10137. They
  // reproduce with window 0.5, memory read at t = 1 after an empty start, 4000 bilinear steps (midpoint samples),
  // RMS error over the last window [0.5, 1].
  const LegtSetting found;
  const auto e = legt_window_errors(found, kLegtFigureNs);
  for (std::size_t i = 0; i < e.size(); ++i) {
    std::printf("N = %2td: rms %.3e (figure %.1e)\n", kLegtFigureNs[i], e[i].rms, kLegtFigures[i]);
    EXPECT_TRUE(agrees_to_two_digits(e[i].rms, kLegtFigures[i]))
        << "N = " << kLegtFigureNs[i] << ": " << e[i].rms << " vs " << kLegtFigures[i] << " (" << describe(found)
        << ")";
  }
  // The paper's (LMU) convention is a diagonal similarity of the post's, and bilinear steps commute with it: the
  // same figures up to rounding in the O(1) reconstruction (observed 4e-15 absolute at N = 32)
  LegtSetting paper = found;
  paper.convention = HippoConvention::paper;
  const auto ep = legt_window_errors(paper, kLegtFigureNs);
  for (std::size_t i = 0; i < e.size(); ++i) EXPECT_NEAR(ep[i].rms, e[i].rms, 1e-12);
}

TEST(HippoRef, LegtFiguresAreSpecificToTheSetting) {
  // Each departure from the found setting moves at least one figure out of two-digit agreement.
  auto agree_all = [](const LegtSetting& s) {
    const auto e = legt_window_errors(s, kLegtFigureNs);
    bool all = true;
    for (std::size_t i = 0; i < e.size(); ++i) all = all && agrees_to_two_digits(e[i].rms, kLegtFigures[i]);
    return all;
  };
  LegtSetting w1;  // the notebook's former window 1: even the best projection at N = 4 is above 3.1e-2
  w1.window = 1.0;
  EXPECT_FALSE(agree_all(w1));
  EXPECT_GT(legt_window_errors(w1, {4})[0].rms, 5e-2);
  // no start-up jump: N = 16 falls ~60-fold, to the 4000-step floor (2.4e-7): 1.4e-5 is the jump's trace
  LegtSetting smooth;
  smooth.start = LegtStart::smooth;
  const auto es = legt_window_errors(smooth, {16});
  EXPECT_LT(es[0].rms, 1e-6);
  LegtSetting coarse;  // 1000 steps: N = 32 is the step count's, not the ODE's
  coarse.steps = 1000;
  EXPECT_FALSE(agree_all(coarse));
  // the exact ODE (Odeint, smooth input) is the step-size limit: N = 32 is 7.5e-7 there, so the 8.3e-7 figure
  // carries the 4000-step discretization (cross-checked in NumPy with ZOH at 50000 steps: 7.53e-7)
  LegtSetting exact;
  exact.solver = LegtSolver::exact;
  const auto ee = legt_window_errors(exact, {32});
  EXPECT_TRUE(agrees_to_two_digits(ee[0].rms, 7.5e-7)) << ee[0].rms;
  EXPECT_FALSE(agrees_to_two_digits(ee[0].rms, kLegtFigures[3])) << ee[0].rms;
  LegtSetting late;  // read at t = 2: the jump has been forgotten further
  late.horizon = 2.0;
  late.steps = 8000;
  EXPECT_FALSE(agree_all(late));
}

TEST(HippoRef, FullHistoryFourierTruncationConverges) {
  // 10137: "实际使用的时候，我们只需要截断|n|,|k|≤N ... 截断带来的误差其实是无所谓的" — the truncated system's low
  // coefficients approach the true Fourier coefficients of u(sT) as the truncation M grows.
  const auto rows = fourier_truncation({2, 4, 8, 16, 32});
  for (const auto& r : rows)
    std::printf("M = %2td: |n| <= 2 error %.2e, c_0 error %.1e\n", r.M, r.low_error, r.c0_error);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    // c_0' = (u − c_0)/t involves no other coefficient: exact for every M (up to the ODE tolerance and t0 = 1e-10)
    EXPECT_LT(rows[i].c0_error, 1e-9);
    EXPECT_GT(rows[i].low_error, 1e-4);  // non-vacuous: truncation does cost accuracy at these M
    if (i > 0) EXPECT_LT(rows[i].low_error, rows[i - 1].low_error);
  }
  // slowly: the Fourier series of s (coefficients 1/k) is what is truncated; measured ratio over M = 2 → 32 ≈ 0.16
  EXPECT_LT(rows.back().low_error, 0.25 * rows.front().low_error);
}

// ---- bad input ------------------------------------------------------------------------------------------------------

TEST(HippoRef, BadInputThrowsInvalidArgument) {
  using ref::hippo_transition;
  EXPECT_THROW(hippo_transition<double>(HippoMeasure::legs, 0, HippoConvention::paper), std::invalid_argument);
  EXPECT_THROW(hippo_transition<double>(HippoMeasure::legs, 4, HippoConvention::lmu), std::invalid_argument);
  EXPECT_THROW(hippo_transition<double>(HippoMeasure::fout, 4, HippoConvention::post), std::invalid_argument);
  EXPECT_THROW(hippo_transition<double>(HippoMeasure::fourier, 4, HippoConvention::post), std::invalid_argument);
  EXPECT_THROW(hippo_transition<double>(HippoMeasure::legt, 4, HippoConvention::post, 0.0), std::invalid_argument);
  EXPECT_THROW(hippo_transition<double>(HippoMeasure::legt, 4, HippoConvention::post, std::nan("")),
               std::invalid_argument);
  const std::vector<double> u{1.0, std::numeric_limits<double>::infinity()};
  const auto sys = hippo_transition<double>(HippoMeasure::legs, 3, HippoConvention::paper);
  EXPECT_THROW(ref::legs_online<double>(sys, u, 1.0, ref::LegsScheme::bilinear, ref::LegsWeight::inverse_k),
               std::invalid_argument);
  const std::vector<double> ok{1.0, 2.0};
  EXPECT_THROW(ref::legs_online<double>(sys, ok, 0.0, ref::LegsScheme::bilinear, ref::LegsWeight::inverse_k),
               std::invalid_argument);
  EXPECT_THROW(ref::legs_online<double>(sys, ok, std::nan(""), ref::LegsScheme::bilinear, ref::LegsWeight::inverse_k),
               std::invalid_argument);
  auto bad = sys;
  bad.B = Matrix<double>::Zero(2, 1);
  try {
    ref::legs_online<double>(bad, ok, 1.0, ref::LegsScheme::bilinear, ref::LegsWeight::inverse_k);
    ADD_FAILURE() << "mismatched shapes accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("seqref::ref::legs_online"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("B 2 x 1"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ref::legs_online_fast<double>(0, 1.0, ok, ref::LegsScheme::bilinear, ref::LegsWeight::inverse_k),
               std::invalid_argument);
  EXPECT_THROW(ref::legs_online_fast<double>(3, 1.0, std::vector<double>{}, ref::LegsScheme::bilinear,
                                             ref::LegsWeight::inverse_k),
               std::invalid_argument);
  // I − λA singular at λ = −1/(n+1)
  EXPECT_THROW(ref::legs_solve<double>(-0.5, ok), std::invalid_argument);
  EXPECT_THROW(ref::legs_solve<double>(std::nan(""), ok), std::invalid_argument);
  EXPECT_THROW(ref::legs_matvec<double>(std::vector<double>{}), std::invalid_argument);
  EXPECT_THROW(ref::hippo_basis<double>(HippoMeasure::legt, HippoConvention::post, 3, 1.5), std::invalid_argument);
  EXPECT_THROW(ref::legendre_p<double>(0, 0.0), std::invalid_argument);
  // lti_online: a non-finite Ā or B̄ is refused, naming the argument (never propagated into the states)
  Matrix<double> Abar = Matrix<double>::Identity(2, 2), Bbar = Matrix<double>::Ones(2, 1);
  Abar(1, 0) = std::nan("");
  try {
    ref::lti_online<double>(Abar, Bbar, ok);
    ADD_FAILURE() << "NaN in Abar accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("Abar has a non-finite value at (1, 0)"), std::string::npos) << e.what();
  }
  Abar(1, 0) = 0.0;
  Bbar(0, 0) = std::numeric_limits<double>::infinity();
  EXPECT_THROW(ref::lti_online<double>(Abar, Bbar, ok), std::invalid_argument);
}

}  // namespace
}  // namespace seqref::verify::hippo
