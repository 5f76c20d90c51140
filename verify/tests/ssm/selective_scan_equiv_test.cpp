// Tier 3 for the fused selective scan on the cpu (seqref::cpu::selective_scan, a policy of the scan engine): against
// the exact solution in model units, relative to the same-precision reference, at every chunk length (1, 2, 3, 7,
// 64, 128, T, > T, automatic) and the lengths the peers never ran (1, 2, 127, 129, 2047, 2048, 2049), odd channel
// counts (partial SIMD blocks) and dstate; bit-identity across thread counts and for split-and-carry; Mamba's
// identities; the same argument checks as the reference.

#include "verify/tests/ssm/selective_scan_properties.hpp"

#include "verify/support/generators.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <limits>
#include <stdexcept>

namespace seqref::verify::selective_scan {
namespace {

const auto kLengths = rc::gen::element<Index>(1, 2, 3, 127, 129, 2047, 2048, 2049);
const auto kChunks = rc::gen::element<Index>(0, 1, 2, 3, 7, 64, 128, 5000);
namespace blk = cpu::blocking::selective_scan;
namespace eng = cpu::blocking::scan;
// channels around the lane block of each precision (c ± 1, two blocks + 1): the second block's lanes
// (the double property's oracle is 50-digit: there two blocks + 1 at most, 65 channels)
template <class S>
rc::Gen<Index> lane_channels() {
  return sizeof(S) == 4 ? gen::around_blocks({blk::lanes_f32}, 3 * blk::lanes_f32)
                        : gen::around_blocks({blk::lanes_f64}, 2 * blk::lanes_f64 + 1);
}

RC_GTEST_PROP(SelectiveScanCpu, DoubleWithinErrorModelOfOracleAtEveryChunking, ()) {
  const Index T = *kLengths;
  const bool small = T <= 129;
  // many channels (past the 32-double lane block) only at T <= 3: the oracle is 50-digit (cost ~ T·channels·dstate);
  // the second block at longer T: EveryVariantPastTheDoubleLaneBlock and the report
  const Index channels = T <= 3 ? *lane_channels<double>()
                                : (small ? *rc::gen::element<Index>(1, 3, 9, 17) : *rc::gen::element<Index>(1, 3));
  const Index dstate = small ? *rc::gen::element<Index>(1, 3, 16) : (channels == 1 ? 4 : 1);
  const std::uint64_t seed = *rc::gen::arbitrary<std::uint64_t>();
  const auto m =
      cpu_vs_exact<double>(1, T, channels, dstate, variant_from_seed(seed), *kChunks, *rc::gen::element(1, 2), seed);
  RC_LOG() << m.detail << ": " << m.verdict.err_u << " vs reference " << m.verdict.ref_err_u << " (bound "
           << m.verdict.bound_u << ")\n";
  RC_ASSERT(m.verdict.pass);
}

// Time around the engine's chunking (chunking starts at chunk_from_len steps with few blocks; chunks of at least
// chunk_min steps): automatic and forced chunks, the second chunk's carry.
RC_GTEST_PROP(SelectiveScanCpu, FloatAroundTheEngineChunks, ()) {
  const std::uint64_t seed = *rc::gen::arbitrary<std::uint64_t>();
  const Index T = *gen::around_blocks({eng::chunk_min, eng::chunk_from_len}, 3 * eng::chunk_from_len);
  const auto m =
      cpu_vs_exact<float>(1, T, *rc::gen::element<Index>(1, 3, 65), *rc::gen::element<Index>(1, 4),
                          variant_from_seed(seed), *rc::gen::element<Index>(0, 0, eng::chunk_min - 1, 7), 2, seed);
  RC_LOG() << m.detail << ": " << m.verdict.err_u << " vs reference " << m.verdict.ref_err_u << "\n";
  RC_ASSERT(m.verdict.pass);
}

RC_GTEST_PROP(SelectiveScanCpu, FloatWithinErrorModelAtEveryChunking, ()) {
  const std::uint64_t seed = *rc::gen::arbitrary<std::uint64_t>();
  const Index T = *kLengths;
  // many channels only at short lengths (cost ~ batch·T·channels·dstate)
  const Index channels = T <= 129 ? *lane_channels<float>() : *rc::gen::element<Index>(1, 3, 16, 17, 33, 65);
  const auto m = cpu_vs_exact<float>(*rc::gen::inRange<Index>(1, 3), T, channels, *rc::gen::element<Index>(1, 4, 16),
                                     variant_from_seed(seed), *kChunks, *rc::gen::element(1, 2, 3), seed);
  RC_LOG() << m.detail << ": " << m.verdict.err_u << " vs reference " << m.verdict.ref_err_u << " (bound "
           << m.verdict.bound_u << ")\n";
  RC_ASSERT(m.verdict.pass);
}

TEST(SelectiveScanCpu, EveryVariantAtTheTileEdges) {
  // all 64 option combinations once, at lengths around the chunk lengths used
  for (std::uint64_t bits = 0; bits < 64; ++bits)
    for (Index chunk : {0, 128}) {
      const auto m = cpu_vs_exact<float>(2, 257, 17, 16, variant_from_seed(bits), chunk, 2, 100 + bits);
      EXPECT_TRUE(m.verdict.pass) << m.detail << ": " << m.verdict.err_u << " bound " << m.verdict.bound_u;
    }
}

TEST(SelectiveScanCpu, EveryVariantPastTheDoubleLaneBlock) {
  // 33 and 65 channels: the second and third blocks of 32 doubles, every discretization/option bit once
  for (std::uint64_t bits = 0; bits < 64; bits += 7)
    for (Index channels : {blk::lanes_f64 + 1, 2 * blk::lanes_f64 + 1}) {
      const auto m = cpu_vs_exact<double>(1, 129, channels, 2, variant_from_seed(bits), 0, 2, 300 + bits);
      EXPECT_TRUE(m.verdict.pass) << m.detail << ": " << m.verdict.err_u << " bound " << m.verdict.bound_u;
    }
}

TEST(SelectiveScanCpu, ThreadCountDoesNotChangeBits) {
  for (Index chunk : {0, 7, 128}) {
    const auto e = cpu_threads_bit_identical(2, 2049, 17, 5, chunk, 2, 21);
    EXPECT_TRUE(e.pass) << e.detail;
    const auto e3 = cpu_threads_bit_identical(1, 1001, 3, 16, chunk, 3, 22);
    EXPECT_TRUE(e3.pass) << e3.detail;
  }
}

TEST(SelectiveScanCpu, SplitAndCarryIsOneRun) {
  for (Index split : {1, 127, 1000}) {
    const auto e = split_carry_bit_identical(2, 2049, 17, 3, split, 31 + static_cast<std::uint64_t>(split));
    EXPECT_TRUE(e.pass) << e.detail;
  }
}

TEST(SelectiveScanCpu, ZeroDeltaGivesDu) {
  for (Index T : {1, 129, 2049}) {
    const auto e = zero_delta_gives_Du("cpu", 2, T, 17, 4, 7 + static_cast<std::uint64_t>(T));
    EXPECT_TRUE(e.pass) << e.detail;
  }
}

TEST(SelectiveScanCpu, ZeroAIsRunningSumAtEveryChunking) {
  for (Index T : {1, 2, 127, 129, 2047, 2048, 2049})
    for (Index chunk : {0, 1, 7, 128}) {
      // 67 channels: the second lane block of both precisions (64 floats, 32 doubles per block)
      const auto e = zero_A_is_running_sum("cpu", 2, T, 67, 5, chunk, 11 + static_cast<std::uint64_t>(T));
      EXPECT_TRUE(e.pass) << e.detail;
    }
}

TEST(SelectiveScanCpu, AutomaticChunkingSplitsFewLongSequences) {
  // one lane block and a long sequence: more than one chunk, and still within the model
  const auto m = cpu_vs_exact<float>(1, 20000, 3, 4, variant_from_seed(7), 0, 2, 7);
  EXPECT_TRUE(m.verdict.pass) << m.detail << ": " << m.verdict.err_u;
  EXPECT_EQ(m.detail.find("chunk 20000"), std::string::npos) << m.detail;
}

TEST(SelectiveScanCpu, BadInputIsRejectedLikeTheReference) {
  const Problem good = make_problem(2, 5, 3, 4, Variant{}, 1);
  auto expect_message = [](const Arrays<float>& a, std::vector<float> y, std::vector<float> h, ScanSchedule s,
                           const std::string& needle) {
    try {
      cpu::selective_scan(a.view(), std::span<float>(y), std::span<float>(h), s);
      ADD_FAILURE() << "no exception; expected one naming " << needle;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("seqref::cpu::selective_scan"), std::string::npos) << e.what();
    }
  };
  const std::vector<float> y(30), h(24);
  Arrays<float> a(good);
  expect_message(a, y, h, {-1, 0}, "schedule.chunk must be >= 0");
  expect_message(a, y, h, {0, 1000000}, "threads must be 0 (default) or in [1, ");  // the thread budget
  expect_message(a, y, h, {0, -1}, "threads must be 0 (default) or in [1, ");
  a.C.pop_back();
  expect_message(a, y, h, {}, "C must have shape [batch, len, dstate]");
  a = Arrays<float>(good);
  a.u[4] = std::numeric_limits<float>::quiet_NaN();
  expect_message(a, y, h, {}, "u has a non-finite entry at flat index 4");
  a = Arrays<float>(good);
  a.A[0] = 1e5f;
  expect_message(a, y, h, {}, "overflows for channel 0, state 0");
  a = Arrays<float>(good);
  expect_message(a, {}, {}, {}, "nothing to compute");
}

}  // namespace
}  // namespace seqref::verify::selective_scan
