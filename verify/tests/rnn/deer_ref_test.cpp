// Tiers 1-2 for rnn/deer: the reference against hand values, finite-difference Jacobians at Oracle precision, and
// the Oracle sequential solve; the properties METHODS.md lists (fixed point = sequential, exact prefix, affine cell in
// one sweep, quadratic Newton, every sweep a scan, bad input and divergence reported).

#include "verify/tests/rnn/deer_properties.hpp"

#include "seqref/core/limits.hpp"
#include "seqref/core/oracle.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cmath>
#include <iostream>
#include <limits>

namespace seqref::verify::deer {
namespace {

template <class S>
std::span<const S> sp(const std::vector<S>& v) {
  return std::span<const S>(v);
}

TEST(DeerRef, TanhCellHandValues) {
  // d = 1: x_1 = tanh(u_1), x_2 = tanh(a x_1 + u_2), x_3 = tanh(a x_2 + u_3), exactly as written.
  const double a = 0.7;
  TanhCell<double> c{1, {a}};
  const std::vector<double> u{0.3, -1.1, 2.0};
  const auto x = ref::rnn_sequential(c, sp(u), {});
  const double x1 = std::tanh(0.3), x2 = std::tanh(a * x1 + -1.1), x3 = std::tanh(a * x2 + 2.0);
  // EXPECT_DOUBLE_EQ (4 ulp): the compiler may fold the hand expressions with a correctly rounded tanh, libm's is
  // within 1 ulp
  EXPECT_DOUBLE_EQ(x[0], x1);
  EXPECT_DOUBLE_EQ(x[1], x2);
  EXPECT_DOUBLE_EQ(x[2], x3);
  // with x0: x_1 = tanh(a x0 + u_1)
  const std::vector<double> x0{0.5};
  const auto y = ref::rnn_sequential(c, sp(u), sp(x0));
  EXPECT_DOUBLE_EQ(y[0], std::tanh(a * 0.5 + 0.3));
  // the residual of the sequential solution is the rounding of recomputing it: zero here (same operations)
  EXPECT_EQ(ref::rnn_residual(c, sp(u), {}, sp(x)), 0.0);
}

TEST(DeerRef, GruCellHandValues) {
  // d = m = 1: z = σ(wz u + uz x + bz), r = σ(wr u + ur x + br), h = tanh(wh u + uh r x + bh), x' = (1 − z) x + z h
  GruCell<double> c{1, 1, {0.5}, {-0.3}, {1.2}, {0.4}, {0.9}, {-0.7}, {0.1}, {-0.2}, {0.3}, GruConvention::cho, {}};
  const double x = 0.25, u = -0.8;
  const double z = 1 / (1 + std::exp(-(0.5 * u + 0.4 * x + 0.1)));
  const double r = 1 / (1 + std::exp(-(-0.3 * u + 0.9 * x + -0.2)));
  const double h = std::tanh(1.2 * u + -0.7 * (r * x) + 0.3);
  std::vector<double> out(1), xs{x}, us{u};
  ref::cell_step<double>(c, sp(xs), sp(us), out);
  EXPECT_NEAR(out[0], (1 - z) * x + z * h, 4e-16);
}

// ∂f/∂x by central differences at Oracle precision (h = 1e-20: truncation O(h²) = 1e-40, rounding 1e-50/h = 1e-30).
template <class Cell>
double jacobian_fd_error(const Cell& cell, Index m, std::uint64_t seed) {
  const auto co = cast<Oracle>(cell);
  const Index d = cell.dim;
  const auto xd = gaussian_inputs(1, d, seed), ud = gaussian_inputs(1, m, seed + 1);
  const auto x = cast<Oracle>(xd), u = cast<Oracle>(ud);
  std::vector<Oracle> J(static_cast<std::size_t>(d * d));
  ref::cell_jacobian<Oracle>(co, sp(x), sp(u), J);
  const Oracle h("1e-20");
  double worst = 0;
  for (Index k = 0; k < d; ++k) {
    auto xp = x, xm = x;
    xp[k] += h, xm[k] -= h;
    std::vector<Oracle> fp(static_cast<std::size_t>(d)), fm(fp.size());
    ref::cell_step<Oracle>(co, sp(xp), sp(u), fp);
    ref::cell_step<Oracle>(co, sp(xm), sp(u), fm);
    for (Index i = 0; i < d; ++i) {
      const Oracle fd = (fp[i] - fm[i]) / (2 * h);
      worst = std::max(worst, static_cast<double>(abs(fd - J[static_cast<std::size_t>(i * d + k)])));
    }
  }
  return worst;
}

// The GRU in torch.nn.GRUCell's convention, with a non-zero b_hn.
GruCell<double> torch_gru(Index d, Index m, std::uint64_t seed) {
  auto g = gru_cell(d, m, seed);
  g.convention = GruConvention::torch;
  g.bhn = gaussian_inputs(1, d, seed + 7);
  for (double& b : g.bhn) b *= 0.5;
  return g;
}

TEST(DeerRef, JacobiansMatchFiniteDifferencesAtOracle) {
  for (Index d : {1, 2, 5, 8}) {
    EXPECT_LT(jacobian_fd_error(tanh_cell(d, 0.9, 10 + d), d, 3), 1e-25) << "tanh d=" << d;
    EXPECT_LT(jacobian_fd_error(gru_cell(d, 3, 20 + d), 3, 4), 1e-25) << "GRU d=" << d;
    EXPECT_LT(jacobian_fd_error(torch_gru(d, 3, 30 + d), 3, 5), 1e-25) << "torch GRU d=" << d;
  }
}

TEST(DeerRef, TorchGruCellHandValues) {
  // d = m = 1, torch.nn.GRUCell: n = tanh(wh u + bh + r (uh x + bhn)), x' = (1 − z) n + z x
  GruCell<double> c{1,    1, {0.5}, {-0.3}, {1.2}, {0.4}, {0.9}, {-0.7}, {0.1}, {-0.2}, {0.3}, GruConvention::torch,
                    {0.6}};
  const double x = 0.25, u = -0.8;
  const double z = 1 / (1 + std::exp(-(0.5 * u + 0.4 * x + 0.1)));
  const double r = 1 / (1 + std::exp(-(-0.3 * u + 0.9 * x + -0.2)));
  const double n = std::tanh(1.2 * u + 0.3 + r * (-0.7 * x + 0.6));
  std::vector<double> out(1), xs{x}, us{u};
  ref::cell_step<double>(c, sp(xs), sp(us), out);
  EXPECT_NEAR(out[0], (1 - z) * n + z * x, 4e-16);
  // the update gate is the complement of cho's: with U_h = 0 and b_hn = 0, torch's f with (W_z, U_z, b_z) equals
  // cho's with (−W_z, −U_z, −b_z) (σ(−a) = 1 − σ(a))
  GruCell<double> t{1, 1, {0.5}, {-0.3}, {1.2}, {0.4}, {0.9}, {0.0}, {0.1}, {-0.2}, {0.3}, GruConvention::torch, {}};
  GruCell<double> k{1, 1, {-0.5}, {-0.3}, {1.2}, {-0.4}, {0.9}, {0.0}, {-0.1}, {-0.2}, {0.3}, GruConvention::cho, {}};
  std::vector<double> ot(1), ok(1);
  ref::cell_step<double>(t, sp(xs), sp(us), ot);
  ref::cell_step<double>(k, sp(xs), sp(us), ok);
  EXPECT_NEAR(ot[0], ok[0], 4e-16);
}

TEST(DeerRef, TorchGruDeerEqualsSequential) {
  const auto g = torch_gru(6, 4, 3);
  const auto u = gaussian_inputs(150, 4, 3);
  const auto xs = ref::rnn_sequential(g, sp(u), {});
  for (DeerMethod m : {DeerMethod::newton, DeerMethod::quasi, DeerMethod::fixed_a, DeerMethod::post_fixed}) {
    DeerOptions<double> o;
    o.method = m;
    const auto r = ref::deer(g, sp(u), {}, o);
    ASSERT_TRUE(r.converged) << r.reason;
    double err = 0;
    for (std::size_t i = 0; i < xs.size(); ++i) err = std::max(err, std::abs(r.states[i] - xs[i]));
    EXPECT_LT(err, 1e-12) << to_string(m) << ": " << r.reason;
  }
}

TEST(DeerRef, GruConventionAndClipAreValidated) {
  const auto u = gaussian_inputs(10, 2, 1);
  auto g = gru_cell(3, 2, 1);
  g.bhn.assign(3, 0.1);  // cho has no b_hn
  EXPECT_THROW((void)ref::deer(g, sp(u), {}), std::invalid_argument);
  g.convention = GruConvention::torch;
  EXPECT_NO_THROW((void)ref::deer(g, sp(u), {}));
  g.bhn.assign(2, 0.1);  // not [d]
  EXPECT_THROW((void)ref::deer(g, sp(u), {}), std::invalid_argument);
  const auto c = tanh_cell(3, 0.9, 1);
  const auto ut = gaussian_inputs(10, 3, 1);
  DeerOptions<double> o;
  for (double bad : {-1.0, std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()}) {
    o.clip = bad;
    EXPECT_THROW((void)ref::deer(c, sp(ut), {}, o), std::invalid_argument) << bad;
    EXPECT_THROW((void)cpu::deer(c, sp(ut), {}, o), std::invalid_argument) << bad;
  }
}

TEST(DeerRef, DefaultSweepLimitIsCappedByTheWorkBudgetNotRefused) {
  // max_sweeps = 0 means "up to T"; the work budget caps that limit (the run reports it) instead of refusing a
  // problem DEER solves in a few sweeps. An explicit max_sweeps over the budget is still refused.
  const Index d = 4, T = 400;
  const auto cell = tanh_cell(d, 0.9, 2);
  const auto u = gaussian_inputs(T, d, 2);
  const double per_sweep = double(T) * (double(d) * d * d + 2.0 * d * d);
  const Limits saved = limits();
  Limits tight = saved;
  tight.max_work = 13.5 * per_sweep;  // room for 12 sweeps and the initial residual
  set_limits(tight);
  DeerOptions<double> fixed;
  fixed.method = DeerMethod::fixed_a;  // far more than 12 sweeps on this draw
  const auto capped = ref::deer(cell, sp(u), {}, fixed);
  DeerOptions<double> newton;
  const auto quick = ref::deer(cell, sp(u), {}, newton);
  DeerOptions<double> explicit_limit;
  explicit_limit.max_sweeps = T;
  EXPECT_THROW((void)ref::deer(cell, sp(u), {}, explicit_limit), std::invalid_argument);
  set_limits(saved);
  EXPECT_EQ(capped.status, DeerStatus::max_sweeps);
  EXPECT_EQ(capped.sweeps, 12);
  EXPECT_TRUE(capped.sweep_limit_from_budget);
  EXPECT_NE(capped.reason.find("work budget"), std::string::npos) << capped.reason;
  EXPECT_EQ(quick.status, DeerStatus::converged) << quick.reason;  // Newton fits in the same budget
  // and the default budget runs the benchmark's problem size, [T, d] = [100000, 8], without refusing it
  EXPECT_GE(seqref::detail::deer_sweep_limit(100000, 8, 0), 20);
  EXPECT_EQ(seqref::detail::deer_sweep_limit(100000, 8, 7), 7);
}

TEST(DeerRef, PostSchemeAtZeroIsTheSech2ScaledA) {
  // the post's A_t = sech²(u_t)∘A: row i of A scaled by sech²(u_{t,i}), whatever the iterate
  const Index d = 4, T = 6;
  const auto cell = tanh_cell(d, 0.9, 2);
  const auto u = gaussian_inputs(T, d, 2);
  const auto x = gaussian_inputs(T, d, 3);
  const auto lin = ref::deer_linearize(cell, sp(u), {}, sp(x), DeerMethod::at_zero);
  for (Index t = 0; t < T; ++t)
    for (Index i = 0; i < d; ++i) {
      const double sech2 = 1.0 / (std::cosh(u[t * d + i]) * std::cosh(u[t * d + i]));
      for (Index j = 0; j < d; ++j)
        EXPECT_NEAR(lin.J[(t * d + i) * d + j], sech2 * cell.A[i * d + j], 4e-16) << t << ' ' << i << ' ' << j;
    }
}

TEST(DeerRef, PostSchemeAtZeroConvergesBetweenNewtonAndFixedA) {
  for (std::uint64_t seed : {1, 2, 3, 4, 5}) {
    const auto o = post_schemes_ordered(8, 200, 0.9, seed);
    EXPECT_TRUE(o.pass) << o.detail;
  }
}

TEST(DeerRef, GruPostMatrixIsTheJacobianAtZeroOnlyWithoutBiases) {
  for (GruConvention c : {GruConvention::cho, GruConvention::torch})
    for (std::uint64_t seed : {1, 2}) {
      const auto o = gru_post_matrix(c, seed);
      EXPECT_TRUE(o.pass) << o.detail;
    }
}

TEST(DeerRef, NewtonErrorDistributionOverDraws) {
  // the post's setting over 100 draws: the catalogue's "typical" figures are a distribution, not one seed
  const auto o = newton_error_distribution_check(8, 200, 0.9, 100, 6);
  EXPECT_TRUE(o.pass) << o.detail;
  std::cout << o.detail << '\n';
}

TEST(DeerRef, Float32StopsAtTheWorkingPrecision) {
  // the default stopping rule: float32 DEER's final state within 2x the float32 sequential loop's error
  for (std::uint64_t seed : {1, 2, 3, 4, 5, 6}) {
    const auto o = f32_deer_vs_loop("ref", DeerMethod::newton, 8, 200, 0.9, seed);
    EXPECT_TRUE(o.pass) << o.detail;
  }
}

TEST(DeerRef, ClipKeepsAnExpandingFloat32RunFinite) {
  const auto o = clip_rescues_expanding_f32("ref");
  EXPECT_TRUE(o.pass) << o.detail;
}

TEST(DeerRef, FixedJacobians) {
  const auto c = tanh_cell(4, 0.9, 1);
  EXPECT_EQ(ref::fixed_jacobian(c), c.A);  // the post's fixed A
  const auto g = gru_cell(3, 2, 2);
  std::vector<double> zero_x(3, 0.0), zero_u(2, 0.0), J(9);
  ref::cell_jacobian<double>(g, sp(zero_x), sp(zero_u), J);
  EXPECT_EQ(ref::fixed_jacobian(g), J);  // the GRU's: its Jacobian at (0, 0)
}

TEST(DeerRef, LinearizationIsExactAtTheIterate) {
  // J_t x_{t−1} + b_t = f(x_{t−1}, u_t) at the iterate itself (eq. 1 with x^(k+1) = x^(k)), for every method.
  const Index d = 5, T = 30;
  const auto cell = tanh_cell(d, 0.9, 3);
  const auto u = gaussian_inputs(T, d, 3);
  const auto x = gaussian_inputs(T, d, 4);
  for (DeerMethod m :
       {DeerMethod::newton, DeerMethod::fixed_a, DeerMethod::quasi, DeerMethod::at_zero, DeerMethod::post_fixed}) {
    const auto lin = ref::deer_linearize(cell, sp(u), {}, sp(x), m);
    ASSERT_EQ(lin.kind, m == DeerMethod::quasi ? Transition::diagonal : Transition::dense);
    for (Index t = 1; t < T; ++t) {
      std::vector<double> prev(x.begin() + (t - 1) * d, x.begin() + t * d), f(d),
          ut(u.begin() + t * d, u.begin() + (t + 1) * d);
      ref::cell_step<double>(cell, sp(prev), sp(ut), f);
      std::vector<double> y = prev;
      const Index JD = transition_size(lin.kind, d);
      ref::recurrence_step<double>(lin.kind, std::span<const double>(lin.J).subspan(t * JD, JD),
                                   std::span<const double>(lin.b).subspan(t * d, d), y);
      for (Index i = 0; i < d; ++i) EXPECT_NEAR(y[i], f[i], 16 * d * 2.2e-16) << to_string(m) << " t=" << t;
    }
  }
}

TEST(DeerRef, SweepIsTheScanOfItsLinearization) {
  // deer_sweep = seqref::ref::linear_recurrence over deer_linearize (the scan engine's reference), bit for bit.
  const Index d = 3, T = 50;
  const auto cell = tanh_cell(d, 0.9, 8);
  const auto u = gaussian_inputs(T, d, 8);
  const auto x = gaussian_inputs(T, d, 9);
  for (DeerMethod m : {DeerMethod::newton, DeerMethod::fixed_a, DeerMethod::quasi}) {
    const auto lin = ref::deer_linearize(cell, sp(u), {}, sp(x), m);
    LinearRecurrence<double> p{lin.kind, 1, T, d, lin.J, lin.b, {}};
    std::vector<double> scan(T * d);
    ref::linear_recurrence<double>(p, scan);
    EXPECT_EQ((ref::deer_sweep(cell, sp(u), {}, sp(x), m)), scan) << to_string(m);
  }
}

TEST(DeerRef, FixedPointEqualsSequential) {
  for (DeerMethod m :
       {DeerMethod::newton, DeerMethod::fixed_a, DeerMethod::quasi, DeerMethod::at_zero, DeerMethod::post_fixed})
    for (bool gru : {false, true}) {
      const auto r = fixed_point_vs_sequential(m, gru, 8, 200, 0.9, 11);
      EXPECT_TRUE(r.verdict.pass) << r.detail << ": " << r.verdict.err_u << "u vs sequential " << r.verdict.ref_err_u
                                  << "u (bound " << r.verdict.bound_u << ")";
    }
}

TEST(DeerRef, QuasiNewtonOnAnExpandingCellStopsAtItsRoundingFloor) {
  // Found by ./seqref hunt (seed 4556580499568411897): fixed_a on a tanh cell with rho = 1.2, d = 2, T = 64. Its
  // residual climbs to 2e23 before the prefix property brings it down at sweep T = 64, to 4.9e-11 (tolerance 3.3e-14):
  // rounding at the transient's scale, not a defect. The run must report max_sweeps with the best iterate, and be
  // within G·r of the Oracle (4.4e5u, G·r = 3.3e7u); Newton and quasi converge on the same problem.
  const auto r = fixed_point_vs_sequential(DeerMethod::fixed_a, false, 2, 64, 1.2, 846);
  EXPECT_TRUE(r.verdict.pass) << r.detail << ": " << r.verdict.err_u << "u";
  EXPECT_NE(r.detail.find("not converged"), std::string::npos) << r.detail;
  for (DeerMethod m : {DeerMethod::newton, DeerMethod::quasi}) {
    const auto c = fixed_point_vs_sequential(m, false, 2, 64, 1.2, 846);
    EXPECT_TRUE(c.verdict.pass) << c.detail;
    EXPECT_NE(c.detail.find("converged after"), std::string::npos) << c.detail;
  }
}

RC_GTEST_PROP(DeerRef, FixedPointEqualsSequentialRandom, ()) {
  const Index d = *rc::gen::element<Index>(1, 2, 3, 5, 8);
  const Index T = *rc::gen::element<Index>(1, 2, 7, 64, 129);
  const auto m = *rc::gen::element(DeerMethod::newton, DeerMethod::fixed_a, DeerMethod::quasi);
  const bool gru = *rc::gen::arbitrary<bool>();
  const double rho = *rc::gen::element(0.5, 0.9, 1.2);
  const auto r = fixed_point_vs_sequential(m, gru, d, T, rho, *rc::gen::arbitrary<std::uint64_t>());
  RC_LOG() << r.detail << ": " << r.verdict.err_u << "u vs " << r.verdict.ref_err_u << "u\n";
  RC_ASSERT(r.verdict.pass);
}

TEST(DeerRef, ExactPrefixAfterNSweeps) {
  for (DeerMethod m :
       {DeerMethod::newton, DeerMethod::fixed_a, DeerMethod::quasi, DeerMethod::at_zero, DeerMethod::post_fixed})
    for (bool gru : {false, true}) {
      const auto r = exact_prefix(m, gru, 8, 60, 0.9, 12);
      EXPECT_TRUE(r.verdict.pass) << r.detail << ": " << r.verdict.err_u << "u vs sequential " << r.verdict.ref_err_u
                                  << "u (bound " << r.verdict.bound_u << ")";
    }
}

RC_GTEST_PROP(DeerRef, ExactPrefixRandom, ()) {
  const Index d = *rc::gen::element<Index>(1, 2, 4, 8);
  const Index T = *rc::gen::element<Index>(1, 2, 5, 33);
  const auto m = *rc::gen::element(DeerMethod::newton, DeerMethod::fixed_a, DeerMethod::quasi);
  const auto r = exact_prefix(m, *rc::gen::arbitrary<bool>(), d, T, 0.9, *rc::gen::arbitrary<std::uint64_t>());
  RC_LOG() << r.detail << ": " << r.verdict.err_u << "u vs " << r.verdict.ref_err_u << "u\n";
  RC_ASSERT(r.verdict.pass);
}

TEST(DeerRef, AffineCellConvergesInOneNewtonSweep) {
  for (Index d : {1, 3, 8}) {
    const auto o = affine_cell_one_sweep(d, 100, 13 + d);
    EXPECT_TRUE(o.pass) << o.detail;
  }
}

TEST(DeerRef, NewtonConvergesQuadratically) {
  for (std::uint64_t seed : {1, 2, 3}) {
    const auto q = newton_quadratic(8, 200, 0.9, seed);
    EXPECT_TRUE(q.outcome.pass) << q.outcome.detail;
  }
}

TEST(DeerRef, NewtonBeatsFixedAOnThePostsProblem) {
  // the post's comparison (d = 8, T = 200, rho = 0.9): Newton reaches 1e-10 within 8 sweeps; fixed-A needs more
  const auto en = error_per_sweep(DeerMethod::newton, 8, 200, 0.9, 1, 8);
  const auto ef = error_per_sweep(DeerMethod::fixed_a, 8, 200, 0.9, 1, 8);
  ASSERT_EQ(en.size(), 9u);
  EXPECT_LT(en.back(), 1e-10);
  EXPECT_GT(ef[8], 1e3 * en[8]);
  EXPECT_GT(en[0], 0.1);  // non-vacuous: the zero guess is far off
}

TEST(DeerRef, BadInputThrows) {
  const auto o = bad_input_throws();
  EXPECT_TRUE(o.pass) << o.detail;
}

TEST(DeerRef, DivergenceIsReportedWithTheBestIterate) {
  const auto o = divergence_reported("ref");
  EXPECT_TRUE(o.pass) << o.detail;
}

TEST(DeerRef, MaxSweepsIsReportedWithTheBestIterate) {
  const auto o = max_sweeps_reported("ref");
  EXPECT_TRUE(o.pass) << o.detail;
}

TEST(DeerRef, CallbackSeesEverySweep) {
  const auto cell = tanh_cell(4, 0.9, 21);
  const auto u = gaussian_inputs(50, 4, 21);
  DeerOptions<double> o;
  std::vector<double> seen;
  o.on_sweep = [&](const DeerSweepInfo<double>& s) {
    EXPECT_EQ(s.sweep, static_cast<Index>(seen.size()));
    EXPECT_EQ(s.states.size(), 200u);
    seen.push_back(s.residual);
  };
  const auto r = ref::deer(cell, sp(u), {}, o);
  EXPECT_TRUE(r.converged) << r.reason;
  EXPECT_EQ(seen, r.residuals);
  EXPECT_EQ(static_cast<Index>(seen.size()), r.sweeps + 1);
}

TEST(DeerRef, DampedNewtonConvergesAndTakesMoreSweeps) {
  const auto cell = tanh_cell(8, 0.9, 1);
  const auto u = gaussian_inputs(200, 8, 1);
  DeerOptions<double> o;
  const auto plain = ref::deer(cell, sp(u), {}, o);
  o.damping = 0.5;
  o.max_sweeps = 400;
  const auto damped = ref::deer(cell, sp(u), {}, o);
  EXPECT_TRUE(plain.converged) << plain.reason;
  EXPECT_TRUE(damped.converged) << damped.reason;
  EXPECT_GT(damped.sweeps, plain.sweeps);
}

TEST(DeerRef, InitialGuessAtTheSolutionConvergesInZeroSweeps) {
  const auto cell = gru_cell(4, 3, 5);
  const auto u = gaussian_inputs(40, 3, 5);
  DeerOptions<double> o;
  o.initial_guess = ref::rnn_sequential(cell, sp(u), {});
  const auto r = ref::deer(cell, sp(u), {}, o);
  EXPECT_TRUE(r.converged);
  EXPECT_EQ(r.sweeps, 0);
  EXPECT_EQ(r.states, o.initial_guess);
}

}  // namespace
}  // namespace seqref::verify::deer
