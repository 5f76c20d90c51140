// Tier 1-2 for the shared reference pieces every SSM method uses: DFT/FFT, causal convolution, discretizations and
// the matrix exponential (reference/include/seqref/ref/ssm/{fourier,discretize}.hpp).

#include "seqref/core/random.hpp"
#include "seqref/ref/ssm/discretize.hpp"
#include "seqref/ref/ssm/fourier.hpp"
#include "verify/support/error.hpp"

#include <gtest/gtest.h>

#include <rapidcheck/gtest.h>
#include <limits>
#include <string>
#include <utility>

#include <cmath>

namespace seqref::ref {
namespace {

using verify::relative_error;

template <class S>
std::vector<Complex<S>> random_complex(Index n, std::uint64_t seed) {
  SplitMix64 rng(seed);
  std::vector<Complex<S>> x(static_cast<std::size_t>(n));
  for (auto& v : x) v = Complex<S>(S(rng.normal()), S(rng.normal()));
  return x;
}

TEST(FourierRef, DeltaAndConstant) {
  // DFT of a delta is all ones; DFT of all ones is n at k = 0 and zero elsewhere.
  for (Index n : {1, 2, 3, 7, 8}) {
    std::vector<Complex<double>> delta(static_cast<std::size_t>(n)), ones(static_cast<std::size_t>(n), {1, 0});
    delta[0] = {1, 0};
    const auto D = dft(delta), O = dft(ones);
    for (Index k = 0; k < n; ++k) {
      EXPECT_EQ(D[static_cast<std::size_t>(k)], Complex<double>(1, 0));
      EXPECT_NEAR(std::abs(O[static_cast<std::size_t>(k)] - Complex<double>(k == 0 ? double(n) : 0.0, 0)), 0.0,
                  8 * n * unit_roundoff<double>());
    }
  }
}

RC_GTEST_PROP(FourierRef, FftEqualsDftAndInverts, ()) {
  const Index n = Index{1} << *rc::gen::inRange(0, 9);
  const auto x = random_complex<double>(n, *rc::gen::arbitrary<std::uint64_t>());
  std::vector<Complex<Oracle>> xo(x.begin(), x.end());
  const auto oracle = dft(xo);
  const double u = unit_roundoff<double>();
  RC_ASSERT(relative_error(fft(x), oracle) <= 4 * (std::log2(double(n)) + 1) * u);
  RC_ASSERT(relative_error(dft(x), oracle) <= 4 * std::sqrt(double(n)) * 4 * u + 4 * u);
  RC_ASSERT(relative_error(fft(fft(x), true), x) <= 8 * (std::log2(double(n)) + 1) * u);
}

RC_GTEST_PROP(FourierRef, FftConvolutionEqualsDirect, ()) {
  const Index L = *rc::gen::element<Index>(1, 2, 3, 17, 64, 65, 100);
  SplitMix64 rng(*rc::gen::arbitrary<std::uint64_t>());
  std::vector<double> k(static_cast<std::size_t>(L)), u(static_cast<std::size_t>(L));
  for (auto& v : k) v = rng.normal() * std::exp(-0.05 * double(&v - k.data()));  // a decaying kernel
  for (auto& v : u) v = rng.normal();
  std::vector<Oracle> ko(k.begin(), k.end()), uo(u.begin(), u.end());
  const auto oracle = causal_conv_direct(ko, uo);
  // Absolute bounds in the scale of the inputs, ‖k‖₂‖u‖₂ (relative to ‖y‖ they would fail under cancellation):
  // direct sums of <= L products: ‖ŷ − y‖₂ <= ~L·u·‖k‖₂‖u‖₂ (γ_L per element, ‖y‖∞ <= ‖k‖₂‖u‖₂);
  // FFT of size n = 2^m: O(m)·u·‖k‖₂‖u‖₂ (each transform is stable to O(log n)·u in 2-norm).
  auto norm = [](const std::vector<double>& x) {
    double s = 0;
    for (double v : x) s += v * v;
    return std::sqrt(s);
  };
  auto abs_err = [&](const std::vector<double>& y) {
    double s = 0;
    for (std::size_t i = 0; i < y.size(); ++i) {
      double d = static_cast<double>(Oracle(y[i]) - oracle[i]);
      s += d * d;
    }
    return std::sqrt(s);
  };
  const double scale = norm(k) * norm(u), u64 = unit_roundoff<double>();
  const double m = std::log2(double(next_pow2(2 * L)));
  const double direct = abs_err(causal_conv_direct(k, u)) / (scale * u64);
  const double via_fft = abs_err(causal_conv_fft(k, u)) / (scale * u64);
  RC_LOG() << "L=" << L << ": direct " << direct << " u‖k‖‖u‖, fft " << via_fft << " u‖k‖‖u‖\n";
  RC_ASSERT(direct <= 2 * double(L));  // observed <= ~3 at L = 100
  RC_ASSERT(via_fft <= 2 * (m + 1));   // observed <= ~2 at n = 256
}

TEST(FourierRef, RejectsBadInput) {
  EXPECT_THROW(fft(std::vector<Complex<double>>(6)), std::invalid_argument);
  EXPECT_THROW(dft(std::vector<Complex<double>>{}), std::invalid_argument);
  EXPECT_THROW(causal_conv_fft(std::vector<double>(3), std::vector<double>(4)), std::invalid_argument);
}

TEST(FourierRef, CausalConvolutionRefusesNonFiniteInput) {
  // One NaN policy: a non-finite kernel or u is refused up front (it would otherwise spread through every output
  // of the FFT route), naming the function, the argument and the index — as seqref::cpu::causal_conv does.
  const double bad[] = {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
                        -std::numeric_limits<double>::infinity()};
  for (double v : bad) {
    std::vector<double> k(5, 1.0), u(5, 1.0);
    u[3] = v;
    try {
      (void)causal_conv_fft(k, u);
      FAIL() << "no throw for u[3] = " << v;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("seqref::ref::causal_conv_fft"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("u has a non-finite value at index 3"), std::string::npos) << e.what();
    }
    std::swap(k, u);
    EXPECT_THROW((void)causal_conv_fft(k, u), std::invalid_argument);
    EXPECT_THROW((void)causal_conv_direct(k, u), std::invalid_argument);
    EXPECT_THROW((void)causal_conv_direct(std::vector<float>(5, 1.0f), std::vector<float>(5, float(v))),
                 std::invalid_argument);
    EXPECT_THROW((void)causal_conv_fft(std::vector<Oracle>(5, Oracle(1)), std::vector<Oracle>(5, Oracle(v))),
                 std::invalid_argument);
  }
}

// ---- discretizations ----------------------------------------------------------------------------------------------

TEST(DiscretizeRef, ScalarClosedForms) {
  // x' = a x + b u:  Euler 1 + aΔ; backward 1/(1 − aΔ); bilinear (1 + aΔ/2)/(1 − aΔ/2); ZOH e^{aΔ}, (e^{aΔ} − 1) b / a
  const double a = -0.7, b = 1.3, dt = 0.1, u = unit_roundoff<double>();
  Matrix<double> A(1, 1), B(1, 1);
  A(0, 0) = a, B(0, 0) = b;
  auto fe = discretize(A, B, dt, Discretization::forward_euler);
  EXPECT_NEAR(fe.A(0, 0), 1 + a * dt, 4 * u);
  EXPECT_NEAR(fe.B(0, 0), b * dt, 4 * u);
  auto be = discretize(A, B, dt, Discretization::backward_euler);
  EXPECT_NEAR(be.A(0, 0), 1 / (1 - a * dt), 4 * u);
  EXPECT_NEAR(be.B(0, 0), b * dt / (1 - a * dt), 4 * u);
  auto bl = discretize(A, B, dt, Discretization::bilinear);
  EXPECT_NEAR(bl.A(0, 0), (1 + a * dt / 2) / (1 - a * dt / 2), 4 * u);
  EXPECT_NEAR(bl.B(0, 0), b * dt / (1 - a * dt / 2), 4 * u);
  auto zoh = discretize(A, B, dt, Discretization::zoh);
  EXPECT_NEAR(zoh.A(0, 0), std::exp(a * dt), 8 * u);
  EXPECT_NEAR(zoh.B(0, 0), std::expm1(a * dt) * b / a, 8 * u);
}

TEST(DiscretizeRef, ZohWithSingularA) {
  // A = 0 (not invertible): ZOH gives Ā = I, B̄ = ΔB exactly in the limit; A nilpotent [[0,1],[0,0]]: e^{AΔ} = I + AΔ
  Matrix<double> A = Matrix<double>::Zero(2, 2), B(2, 1);
  B << 1, 2;
  auto z = discretize(A, B, 0.25, Discretization::zoh);
  EXPECT_EQ(z.A, (Matrix<double>::Identity(2, 2)));
  EXPECT_NEAR(z.B(0, 0), 0.25, 1e-16);
  EXPECT_NEAR(z.B(1, 0), 0.5, 1e-16);
  A(0, 1) = 1;
  z = discretize(A, B, 0.25, Discretization::zoh);
  EXPECT_NEAR(z.A(0, 1), 0.25, 1e-16);
  EXPECT_NEAR(z.B(0, 0), 0.25 + 0.25 * 0.25 / 2 * 2, 1e-15);  // ∫₀^Δ (1·1 + s·2) ds = Δ + Δ²
}

TEST(DiscretizeRef, MatrixExponentialOfRotationGenerator) {
  // e^{θ [[0, −1], [1, 0]]} = [[cos θ, −sin θ], [sin θ, cos θ]]; at Oracle precision too (θ = 30: many squarings)
  for (double theta : {0.1, 1.0, 30.0}) {
    Matrix<Oracle> G(2, 2);
    G << Oracle(0), Oracle(-theta), Oracle(theta), Oracle(0);
    const auto E = matrix_exponential(G);
    using boost::multiprecision::cos;
    using boost::multiprecision::sin;
    const Oracle c = cos(Oracle(theta)), s = sin(Oracle(theta));
    EXPECT_LT(static_cast<double>(abs(E(0, 0) - c) + abs(E(1, 0) - s) + abs(E(0, 1) + s)), 1e-40) << theta;
    Matrix<double> Gd = G.cast<double>();
    const auto Ed = matrix_exponential(Gd);
    EXPECT_LT(relative_error(Ed, E), 64 * theta * unit_roundoff<double>()) << theta;  // error grows with ‖G‖
  }
}

TEST(DiscretizeRef, RejectsBadInput) {
  Matrix<double> A = Matrix<double>::Identity(2, 2), B(3, 1);
  EXPECT_THROW(discretize(A, B, 0.1, Discretization::zoh), std::invalid_argument);
  B.resize(2, 1);
  B.setOnes();
  EXPECT_THROW(discretize(A, B, -0.1, Discretization::zoh), std::invalid_argument);
  EXPECT_THROW(discretize(A, B, double(NAN), Discretization::bilinear), std::invalid_argument);
  EXPECT_THROW(discretize(A, B, 1.0, Discretization::backward_euler), std::invalid_argument);  // I − A singular
}

}  // namespace
}  // namespace seqref::ref
