// Tiers 1-2 for the reference selective scan (seqref::ref::selective_scan, Mamba S6): hand values and closed forms,
// the Oracle in model units (selective_scan_properties.hpp), Mamba's identities (Δ = 0, A = 0, split and carry,
// ZOH vs Euler, the z gate, softplus and bias) and bad input.

#include "verify/tests/ssm/selective_scan_properties.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>

namespace seqref::verify::selective_scan {
namespace {

const auto kLengths = rc::gen::element<Index>(1, 2, 3, 127, 129, 2047, 2048, 2049);

RC_GTEST_PROP(SelectiveScanReference, DoubleWithinErrorModelOfOracle, ()) {
  // Oracle runs cost ~µs per step and state: batch·channels·dstate <= 4 at the long lengths
  const Index T = *kLengths;
  const bool small = T <= 129;
  const Index batch = *rc::gen::inRange<Index>(1, small ? 3 : 2);
  const Index channels = *rc::gen::element<Index>(1, 2, 3);
  const Index dstate = small ? *rc::gen::element<Index>(1, 2, 5) : (channels == 1 ? 4 : 1);
  const std::uint64_t seed = *rc::gen::arbitrary<std::uint64_t>();
  const auto m = reference_vs_exact<double>(batch, T, channels, dstate, variant_from_seed(seed), seed);
  RC_LOG() << m.detail << ": " << m.verdict.err_u << " (bound " << m.verdict.bound_u << ")\n";
  RC_ASSERT(m.verdict.pass);
}

RC_GTEST_PROP(SelectiveScanReference, FloatWithinErrorModelOfDouble, ()) {
  const std::uint64_t seed = *rc::gen::arbitrary<std::uint64_t>();
  const auto m =
      reference_vs_exact<float>(*rc::gen::inRange<Index>(1, 3), *kLengths, *rc::gen::element<Index>(1, 3, 17),
                                *rc::gen::element<Index>(1, 4, 16), variant_from_seed(seed), seed);
  RC_LOG() << m.detail << ": " << m.verdict.err_u << "\n";
  RC_ASSERT(m.verdict.pass);
}

TEST(SelectiveScanReference, ScalarHelpers) {
  using ref::selective_scan_b_factor;
  using ref::selective_scan_delta;
  EXPECT_DOUBLE_EQ(selective_scan_delta(0.0, 0.0, true), std::log(2.0));
  EXPECT_EQ(selective_scan_delta(25.0, 0.0, true), 25.0);  // above torch's threshold 20: x itself
  EXPECT_DOUBLE_EQ(selective_scan_delta(19.0, 0.0, true), std::log1p(std::exp(19.0)));
  EXPECT_DOUBLE_EQ(selective_scan_delta(-40.0, 0.0, true), std::exp(-40.0));  // log1p(e) = e for tiny e
  EXPECT_EQ(selective_scan_delta(0.25, 0.5, false), 0.75);
  EXPECT_EQ(selective_scan_b_factor(BDiscretization::euler, 0.5, -3.0), 0.5);
  EXPECT_EQ(selective_scan_b_factor(BDiscretization::zoh, 0.5, 0.0), 0.5);  // the A → 0 limit
  // expm1(Δa)/a = Δ(1 + Δa/2 + ...): no cancellation at tiny a
  EXPECT_DOUBLE_EQ(selective_scan_b_factor(BDiscretization::zoh, 0.5, -1e-12), 0.5 * (1 - 0.25e-12));
  EXPECT_DOUBLE_EQ(selective_scan_b_factor(BDiscretization::zoh, 2.0, -1.0), -std::expm1(-2.0));
  EXPECT_EQ(ref::silu(0.0), 0.0);
  EXPECT_DOUBLE_EQ(ref::silu(1.0), 1.0 / (1.0 + std::exp(-1.0)));
  EXPECT_EQ(ref::silu(-1000.0), 0.0);  // exp(1000) = inf: −1000/inf = −0, no NaN
}

TEST(SelectiveScanReference, HandValuesOneChannel) {
  // N = 1, A = 0, Δ = 1: h = 1, 3, 6 (running sum of B u = u), y = C h + D u with C = 2, D = 10
  const std::vector<double> u{1, 2, 3}, delta{1, 1, 1}, A{0}, B{1, 1, 1}, C{2, 2, 2}, D{10};
  SelectiveScan<double> p;
  p.batch = 1;
  p.len = 3;
  p.channels = 1;
  p.dstate = 1;
  p.u = u;
  p.delta = delta;
  p.A = A;
  p.B = B;
  p.C = C;
  p.D = D;
  const auto r = ref::selective_scan<double>(p);
  EXPECT_EQ(r.y, (std::vector<double>{12, 26, 42}));
  EXPECT_EQ(r.h_last, (std::vector<double>{6}));
}

TEST(SelectiveScanReference, OracleMatchesGeometricClosedForm) {
  // constant Δ, A, B, u, C: h_t = b (1 − a^t)/(1 − a) (+ a^t h0), a = exp(ΔA), b = B̄ u; both discretizations
  const Index T = 50;
  const Oracle dt("0.3"), A("-0.7"), Bv("1.25"), uv("-0.5"), Cv("0.75"), h0("2");
  std::vector<Oracle> u(T, uv), delta(T, dt), Av{A}, B(T, Bv), C(T, Cv), H0{h0};
  for (BDiscretization disc : {BDiscretization::euler, BDiscretization::zoh}) {
    SelectiveScan<Oracle> p;
    p.batch = 1;
    p.len = T;
    p.channels = 1;
    p.dstate = 1;
    p.u = u;
    p.delta = delta;
    p.A = Av;
    p.B = B;
    p.C = C;
    p.h0 = H0;
    p.discretization = disc;
    const auto r = ref::selective_scan<Oracle>(p);
    const Oracle a = exp(dt * A);
    const Oracle f = disc == BDiscretization::euler ? dt : (exp(dt * A) - 1) / A;
    const Oracle b = f * Bv * uv;
    Oracle worst = 0;
    for (Index t = 1; t <= T; ++t) {
      const Oracle at = pow(a, static_cast<int>(t));
      const Oracle h = b * (1 - at) / (1 - a) + at * h0;
      worst = std::max(worst, Oracle(abs(r.y[static_cast<std::size_t>(t - 1)] - Cv * h) / abs(Cv * h)));
    }
    EXPECT_LT(static_cast<double>(worst), 1e-40) << to_string(disc);
  }
}

TEST(SelectiveScanReference, ZeroDeltaGivesDu) {
  for (Index T : {1, 129, 2049}) {
    const auto e = zero_delta_gives_Du("ref", 2, T, 3, 4, 7 + static_cast<std::uint64_t>(T));
    EXPECT_TRUE(e.pass) << e.detail;
  }
}

TEST(SelectiveScanReference, ZeroAIsRunningSum) {
  for (Index T : {1, 2, 127, 2049}) {
    const auto e = zero_A_is_running_sum("ref", 2, T, 3, 5, 0, 11 + static_cast<std::uint64_t>(T));
    EXPECT_TRUE(e.pass) << e.detail;
  }
}

TEST(SelectiveScanReference, SplitAndCarryIsOneRun) {
  for (Index split : {1, 64, 128, 199}) {
    const auto e = split_carry_bit_identical(2, 200, 3, 4, split, 13 + static_cast<std::uint64_t>(split));
    EXPECT_TRUE(e.pass) << e.detail;
  }
}

TEST(SelectiveScanReference, ZohAndEulerAgreeToSecondOrderInDelta) {
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    const auto o = zoh_euler_order(16, 3, 4, seed);
    // d = c₂ε² + c₃ε³ + …: the observed order is 2 + O(ε); the third-order term moved it by 0.08 at ε = 1e-2
    EXPECT_NEAR(o.order, 2.0, 0.02) << o.detail;
    EXPECT_GT(o.d_fine, 0.0) << o.detail;  // non-vacuous: the discretizations do differ
  }
}

TEST(SelectiveScanReference, GateAndSoftplusBiasAreMambas) {
  // y with z = y without z, times silu(z); softplus(δ + bias) given as Δ directly = the flags — bit for bit
  Variant v;
  v.softplus = true;
  v.bias = true;
  v.z = true;
  v.h0 = true;
  const Problem p = make_problem(2, 129, 3, 4, v, 5);
  Problem plain = p;
  plain.z.clear();
  plain.delta_bias.clear();
  plain.delta_softplus = false;
  for (std::size_t i = 0; i < plain.delta.size(); ++i)
    plain.delta[i] = ref::selective_scan_delta(p.delta[i], p.delta_bias[i % 3], true);
  const auto gated = ref::selective_scan<double>(Arrays<double>(p).view());
  const auto raw = ref::selective_scan<double>(Arrays<double>(plain).view());
  bool nonzero = false;
  for (std::size_t i = 0; i < raw.y.size(); ++i) {
    EXPECT_EQ(gated.y[i], raw.y[i] * ref::silu(p.z[i])) << i;
    nonzero = nonzero || gated.y[i] != 0;
  }
  EXPECT_TRUE(nonzero);
  EXPECT_EQ(gated.h_last, raw.h_last);
}

TEST(SelectiveScanReference, BadInputIsRejectedWithShapes) {
  const Problem good = make_problem(2, 5, 3, 4, Variant{}, 1);
  auto expect_message = [](Arrays<double> a, std::vector<double> y, std::vector<double> h, const std::string& needle) {
    try {
      ref::selective_scan<double>(a.view(), y, h);
      ADD_FAILURE() << "no exception; expected one naming " << needle;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("seqref::ref::selective_scan"), std::string::npos) << e.what();
    }
  };
  const std::vector<double> y(30), h(24);
  const Arrays<double> ok(good);
  {
    auto a = ok;
    a.u.pop_back();
    expect_message(a, y, h, "u must have shape [batch, len, channels] (30 entries)");
  }
  {
    auto a = ok;
    a.A.push_back(0);
    expect_message(a, y, h, "A must have shape [channels, dstate]");
  }
  {
    auto a = ok;
    a.B.resize(5 * 4);
    expect_message(a, y, h, "B must have shape [batch, len, dstate]");
  }
  {
    auto a = ok;
    a.D.resize(2);
    expect_message(a, y, h, "D must have shape [channels]");
  }
  {
    auto a = ok;
    a.h0.resize(3);
    expect_message(a, y, h, "h0 must have shape [batch, channels, dstate]");
  }
  expect_message(ok, std::vector<double>(29), h, "y must have shape");
  expect_message(ok, y, std::vector<double>(23), "h_last must have shape");
  expect_message(ok, {}, {}, "nothing to compute");
  {
    auto a = ok;
    a.len = 0;
    expect_message(a, y, h, "must be >= 1");
  }
  {
    auto a = ok;
    a.delta[7] = std::numeric_limits<double>::infinity();
    expect_message(a, y, h, "delta has a non-finite entry at flat index 7");
  }
  {
    auto a = ok;
    a.C[3] = std::nan("");
    expect_message(a, y, h, "C has a non-finite entry");
  }
  {
    auto a = ok;
    a.z[0] = std::nan("");
    expect_message(a, y, h, "z has a non-finite entry");
  }
  {
    auto a = ok;  // exp(Δ·A) overflows: A = +1e5 with Δ > 0.0025
    a.A[5] = 1e5;
    expect_message(a, y, h, "exp(delta*A) or the bound on (B-bar u) overflows for channel 1, state 1");
  }
  {
    auto a = ok;  // B̄u overflows although every input is finite
    a.B[0] = 1e200;
    a.u[0] = 1e200;
    expect_message(a, y, h, "overflows");
  }
}

}  // namespace
}  // namespace seqref::verify::selective_scan
