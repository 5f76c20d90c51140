// Tier 3 for rnn/deer on the CPU backend: cpu::deer (sweeps through the chunked scan engine) and cpu::rnn_sequential
// against the oracle, relative to the same-precision reference (tolerances/rnn_deer.inc); every sweep equal to the
// sequential solve of its linear recurrence (within the error model, forced chunk lengths including one chunk);
// lengths around the engine's chunk sizes; divergence and the sweep limit reported like the reference; bad input.

#include "verify/tests/rnn/deer_properties.hpp"

#include "verify/support/generators.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cmath>
#include <limits>

namespace seqref::verify::deer {
namespace {

template <class S>
std::span<const S> sp(const std::vector<S>& v) {
  return std::span<const S>(v);
}

RC_GTEST_PROP(DeerCpu, ChunkedSweepMatchesOracleRelativeToReference, ()) {
  const auto m = *rc::gen::element(DeerMethod::newton, DeerMethod::fixed_a, DeerMethod::quasi);
  const Index d = *rc::gen::element<Index>(1, 2, 3, 5, 8);
  const Index T = *rc::gen::element<Index>(1, 2, 127, 129, 200, 1000);
  // chunk >= T: one chunk, the reference's loop in the reference's order — bit-identical only without FMA
  // contraction (GCC contracts a*b + c under -march=native in C++), so judged by the same rule
  const Index chunk = *rc::gen::element<Index>(1, 2, 7, 64, 128, 1 << 20);
  const bool f32 = *rc::gen::arbitrary<bool>();
  const auto seed = *rc::gen::arbitrary<std::uint64_t>();
  const auto r = f32 ? cpu_sweep_vs_oracle<float>(m, d, T, chunk, 0.9, seed)
                     : cpu_sweep_vs_oracle<double>(m, d, T, chunk, 0.9, seed);
  RC_LOG() << r.detail << ": " << r.verdict.err_u << "u vs reference " << r.verdict.ref_err_u << "u\n";
  RC_ASSERT(r.verdict.pass);
}

TEST(DeerCpu, DeerMatchesOracleRelativeToReference) {
  for (DeerMethod m : {DeerMethod::newton, DeerMethod::fixed_a, DeerMethod::quasi})
    for (Index T : {1, 2, 200, 513, 2049}) {  // 513, 2049: the engine chunks from T >= 512
      const auto r64 = cpu_deer_vs_oracle<double>(m, 8, std::min<Index>(T, 513), 0.9, 41 + T);
      EXPECT_TRUE(r64.verdict.pass) << r64.detail << ": " << r64.verdict.err_u << "u vs " << r64.verdict.ref_err_u
                                    << "u";
      const auto r32 = cpu_deer_vs_oracle<float>(m, 4, T, 0.9, 51 + T);
      EXPECT_TRUE(r32.verdict.pass) << r32.detail << ": " << r32.verdict.err_u << "u vs " << r32.verdict.ref_err_u
                                    << "u";
    }
}

TEST(DeerCpu, PostSchemeAtZeroSweepMatchesOracle) {
  for (Index chunk : {1, 7, 1 << 20}) {
    const auto r64 = cpu_sweep_vs_oracle<double>(DeerMethod::at_zero, 5, 300, chunk, 0.9, 61);
    EXPECT_TRUE(r64.verdict.pass) << r64.detail << ": " << r64.verdict.err_u << "u vs " << r64.verdict.ref_err_u << "u";
    const auto r32 = cpu_sweep_vs_oracle<float>(DeerMethod::at_zero, 8, 1000, chunk, 0.9, 62);
    EXPECT_TRUE(r32.verdict.pass) << r32.detail << ": " << r32.verdict.err_u << "u vs " << r32.verdict.ref_err_u << "u";
  }
  for (DeerMethod m : {DeerMethod::at_zero, DeerMethod::post_fixed}) {
    const auto r = cpu_deer_vs_oracle<double>(m, 8, 200, 0.9, 63);
    EXPECT_TRUE(r.verdict.pass) << r.detail << ": " << r.verdict.err_u << "u vs " << r.verdict.ref_err_u << "u";
  }
}

TEST(DeerCpu, Float32StopsAtTheWorkingPrecision) {
  for (std::uint64_t seed : {1, 2, 3, 4, 5, 6}) {
    const auto o = f32_deer_vs_loop("cpu", DeerMethod::newton, 8, 200, 0.9, seed);
    EXPECT_TRUE(o.pass) << o.detail;
  }
  const auto o = f32_deer_vs_loop("cpu", DeerMethod::newton, 1, 20000, 0.9, 10);
  EXPECT_TRUE(o.pass) << o.detail;
}

TEST(DeerCpu, ClipKeepsAnExpandingFloat32RunFinite) {
  const auto o = clip_rescues_expanding_f32("cpu");
  EXPECT_TRUE(o.pass) << o.detail;
}

RC_GTEST_PROP(DeerCpu, DeerRandom, ()) {
  const auto m = *rc::gen::element(DeerMethod::newton, DeerMethod::fixed_a, DeerMethod::quasi);
  const Index d = *rc::gen::element<Index>(1, 2, 5, 8);
  const Index T = *rc::gen::element<Index>(1, 3, 127, 600);
  const double rho = *rc::gen::element(0.5, 0.9);
  const auto r = cpu_deer_vs_oracle<float>(m, d, T, rho, *rc::gen::arbitrary<std::uint64_t>());
  RC_LOG() << r.detail << ": " << r.verdict.err_u << "u vs reference " << r.verdict.ref_err_u << "u\n";
  RC_ASSERT(r.verdict.pass);
}

TEST(DeerCpu, SequentialLoopMatchesOracle) {
  for (Index d : {1, 2, 4, 7, 8, 11}) {  // 11: the generic (non-template) loop
    const auto r64 = cpu_sequential_vs_oracle<double>(d, 300, 0.9, 61 + d);
    EXPECT_TRUE(r64.verdict.pass) << r64.detail << ": " << r64.verdict.err_u << "u vs " << r64.verdict.ref_err_u << "u";
    const auto r32 = cpu_sequential_vs_oracle<float>(d, 3000, 0.9, 71 + d);
    EXPECT_TRUE(r32.verdict.pass) << r32.detail << ": " << r32.verdict.err_u << "u vs " << r32.verdict.ref_err_u << "u";
  }
}

TEST(DeerCpu, ResultIndependentOfThreadCount) {
  const auto cell = cast<double>(tanh_cell(4, 0.9, 3));
  const auto u = gaussian_inputs(5000, 4, 3);
  DeerOptions<double> o;
  ScanSchedule one, many;
  one.threads = 1;
  many.threads = 4;
  const auto a = cpu::deer(cell, sp(u), {}, o, one);
  const auto b = cpu::deer(cell, sp(u), {}, o, many);
  EXPECT_TRUE(a.converged) << a.reason;
  EXPECT_EQ(a.states, b.states);
  EXPECT_EQ(a.residuals, b.residuals);
}

TEST(DeerCpu, OptionsAndHistoryLikeTheReference) {
  const auto cell = tanh_cell(3, 0.9, 4);
  const auto u = gaussian_inputs(100, 3, 4);
  DeerOptions<double> o;
  o.keep_iterates = true;
  Index calls = 0;
  o.on_sweep = [&](const DeerSweepInfo<double>& s) { EXPECT_EQ(s.sweep, calls++); };
  // an explicit tolerance stops at the first residual below it (deterministic); the default rule's last sweep is
  // decided by rounding noise, which differs between the chunked scan and the loop (8 vs 7 sweeps here)
  o.tolerance = 1e-12;
  const auto c = cpu::deer(cell, sp(u), {}, o);
  EXPECT_EQ(calls, c.sweeps + 1);
  calls = 0;
  const auto r = ref::deer(cell, sp(u), {}, o);
  EXPECT_TRUE(c.converged) << c.reason;
  EXPECT_EQ(c.sweeps, r.sweeps);  // the same sweeps: both are Newton from zero with the same stopping rule
  EXPECT_EQ(c.residuals.size(), c.iterates.size());
  // x0 and damping
  const std::vector<double> x0{0.3, -0.2, 0.9};
  o.on_sweep = nullptr;
  o.tolerance = ref::deer_default_tolerance(cell);  // explicit again, at the default's level (a 1e-12 error check)
  o.damping = 0.7;
  o.max_sweeps = 200;
  const auto cd = cpu::deer(cell, sp(u), sp(x0), o);
  const auto rd = ref::deer(cell, sp(u), sp(x0), o);
  EXPECT_TRUE(cd.converged) << cd.reason;
  EXPECT_EQ(cd.sweeps, rd.sweeps);
  const auto xs = ref::rnn_sequential(cell, sp(u), sp(x0));
  for (std::size_t i = 0; i < xs.size(); ++i) ASSERT_NEAR(cd.states[i], xs[i], 1e-12) << i;
}

TEST(DeerCpu, DivergenceIsReportedWithTheBestIterate) {
  const auto o = divergence_reported("cpu");
  EXPECT_TRUE(o.pass) << o.detail;
}

TEST(DeerCpu, MaxSweepsIsReportedWithTheBestIterate) {
  const auto o = max_sweeps_reported("cpu");
  EXPECT_TRUE(o.pass) << o.detail;
}

TEST(DeerCpu, BadInputThrows) {
  const auto o = bad_input_throws();
  EXPECT_TRUE(o.pass) << o.detail;
  const auto cell = tanh_cell(2, 0.9, 1);
  const auto u = gaussian_inputs(5, 2, 1);
  std::vector<double> x(9);  // not [T, d]
  EXPECT_THROW(cpu::deer_sweep(cell, sp(u), {}, sp(x), DeerMethod::newton), std::invalid_argument);
  EXPECT_THROW(cpu::rnn_residual(cell, sp(u), {}, sp(x)), std::invalid_argument);
  try {
    (void)cpu::deer(cell, std::span<const double>(u.data(), 9), {});
    FAIL() << "no throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("seqref::cpu::deer"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("u must be [T, m]"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace seqref::verify::deer
