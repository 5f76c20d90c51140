// Tier 3 for ssm/ssd on the CPU backend (optimized/cpu/ssm/ssd.cpp): vs the oracle relative to the reference chunked
// form, for every chunk size and the lengths the peers never ran; independence of the thread count (bit for bit)
// and of the engine's schedule; splitting with the state carried; bad input throws the reference's errors.

#include "verify/tests/ssm/ssd_properties.hpp"

#include "verify/support/generators.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <limits>

namespace seqref::verify::ssd {
namespace {

TEST(SsdCpu, DoubleMatchesOracleForEveryChunkAndLength) {
  for (Index T : {1, 2, 127, 129}) {
    const SsdShape s{2, T, 2, 3, 1, 4};
    for (Index Q : std::vector<Index>{1, 2, 3, 64, T, T + 7}) {
      const auto m = cpu_vs_oracle<double>(s, Q, 300 + T);
      EXPECT_TRUE(m.verdict.pass) << m.detail << ": " << m.verdict.err_u << "u vs " << m.verdict.ref_err_u << "u";
    }
  }
}

TEST(SsdCpu, FloatMatchesDoubleForEveryChunkAndLength) {
  for (Index T : {1, 2, 127, 129, 2047, 2048, 2049}) {
    const SsdShape s{1, T, 2, 4, 2, 8};
    for (Index Q : std::vector<Index>{1, 2, 3, 64, T, T + 1}) {
      if (T > 129 && Q == T) continue;  // the float reference's quadratic chunk of 2048² is slow; Q = T + 1 covers it
      const auto m = cpu_vs_oracle<float>(s, Q, 400 + T, 0.2);
      EXPECT_TRUE(m.verdict.pass) << m.detail << ": " << m.verdict.err_u << "u vs " << m.verdict.ref_err_u << "u";
    }
  }
}

TEST(SsdCpu, MambaShapesAndGroups) {
  // headdim 64, dstate 16 and 64 (Mamba-2's), heads sharing groups, strong and weak decay, with h0
  for (Index N : {16, 64})
    for (double amax : {0.01, 0.5, 5.0}) {
      const auto m = cpu_vs_oracle<float>(SsdShape{1, 200, 4, 64, 2, N}, 64, 500 + N, amax);
      EXPECT_TRUE(m.verdict.pass) << m.detail << ": " << m.verdict.err_u << "u vs " << m.verdict.ref_err_u << "u";
    }
}

TEST(SsdCpu, EngineScheduleDoesNotMatter) {
  // Few (batch, head) blocks and a forced engine chunk: the inter-chunk pass runs as chunks of chunks (pass 1-3).
  for (Index scan_chunk : {1, 2, 5}) {
    const auto m =
        cpu_vs_oracle<double>(SsdShape{1, 300, 2, 3, 1, 4}, 7, 600 + scan_chunk, 0.3, ScanSchedule{scan_chunk, 3});
    EXPECT_TRUE(m.verdict.pass) << m.detail << ": " << m.verdict.err_u << "u vs " << m.verdict.ref_err_u << "u";
  }
}

TEST(SsdCpu, ThreadCountDoesNotChangeABit) {
  for (int threads : {2, 3, 8}) {
    auto e = cpu_thread_independent<float>(SsdShape{2, 333, 3, 8, 3, 8}, 32, threads, 7);
    EXPECT_TRUE(e.pass) << e.detail;
    auto d = cpu_thread_independent<double>(SsdShape{1, 129, 4, 4, 2, 4}, 16, threads, 8);
    EXPECT_TRUE(d.pass) << d.detail;
  }
}

TEST(SsdCpu, SplitAtAChunkBoundaryIsBitIdentical) {
  for (Index split : {16, 64, 112}) {
    auto e = cpu_split_bit_identical<float>(SsdShape{2, 129, 2, 4, 1, 8}, 16, split, 9);
    EXPECT_TRUE(e.pass) << e.detail;
    auto d = cpu_split_bit_identical<double>(SsdShape{1, 129, 2, 4, 2, 8}, 16, split, 10);
    EXPECT_TRUE(d.pass) << d.detail;
  }
}

RC_GTEST_PROP(SsdCpu, RandomShapesMatchReference, ()) {
  // T anywhere, or around the default chunk (63, 64, 65, 129, 191) at the default chunk length
  constexpr Index q0 = cpu::blocking::ssd::default_chunk;
  const bool edges = *rc::gen::arbitrary<bool>();
  const Index T = edges ? *gen::around_blocks({q0}, 300) : *rc::gen::inRange<Index>(1, 300);
  const Index heads = *rc::gen::element<Index>(1, 2, 4);
  const Index groups = *rc::gen::element<Index>(1, heads);
  const SsdShape s{*rc::gen::inRange<Index>(1, 3), T,      heads,
                   *rc::gen::inRange<Index>(1, 9), groups, *rc::gen::inRange<Index>(1, 17)};
  const Index Q = edges ? q0 : *rc::gen::inRange<Index>(1, T + 3);
  const double amax = *rc::gen::element(0.0, 0.05, 1.0, 8.0);
  const auto seed = *rc::gen::arbitrary<std::uint32_t>();
  // without h0 the state entering chunk 0 is zero and not read out; every later chunk's must be
  const bool with_h0 = *rc::gen::arbitrary<bool>();
  const auto f = cpu_vs_oracle<float>(s, Q, seed, amax, {}, with_h0);
  RC_LOG() << f.detail << "\n";
  RC_ASSERT(f.verdict.pass);
  if (T <= 100) {
    const auto d = cpu_vs_oracle<double>(s, Q, seed, amax, {}, with_h0);
    RC_ASSERT(d.verdict.pass);
  }
}

TEST(SsdCpu, BadInputThrows) {
  const SsdShape s{1, 4, 2, 2, 1, 3};
  auto d = make_problem(s, 1).cast<float>();
  std::vector<float> y(static_cast<std::size_t>(s.x_size())), h(static_cast<std::size_t>(s.state_size()));
  EXPECT_NO_THROW(cpu::ssd(d.problem(), y, h));
  EXPECT_NO_THROW(cpu::ssd(d.problem(), y));  // h_final optional
  SsdOptions neg;
  neg.chunk = -1;
  EXPECT_THROW(cpu::ssd(d.problem(), y, h, neg), std::invalid_argument);
  auto bad = d;
  bad.shape.groups = 3;
  EXPECT_THROW(cpu::ssd(bad.problem(), y, h), std::invalid_argument);
  bad = d;
  bad.B.pop_back();
  EXPECT_THROW(cpu::ssd(bad.problem(), y, h), std::invalid_argument);
  bad = d;
  bad.X[3] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THROW(cpu::ssd(bad.problem(), y, h), std::invalid_argument);
  bad = d;
  bad.A[0] = std::numeric_limits<float>::infinity();
  EXPECT_THROW(cpu::ssd(bad.problem(), y, h), std::invalid_argument);
  std::vector<float> hs(2);
  EXPECT_THROW(cpu::ssd(d.problem(), y, hs), std::invalid_argument);
  EXPECT_THROW(cpu::ssd_chunk_decays(std::span<const float>{}, 4, y, h), std::invalid_argument);
  EXPECT_THROW(cpu::ssd_chunk_decays(y, 0, y, h), std::invalid_argument);
  std::vector<float> a4(4), seg(16), cs(4), seg_short(15);
  EXPECT_THROW(cpu::ssd_chunk_decays(a4, 4, seg_short, cs), std::invalid_argument);  // seg is [q, q]
  cpu::ssd_chunk_decays(a4, 4, seg, cs);                                             // the right lengths
}

}  // namespace
}  // namespace seqref::verify::ssd
