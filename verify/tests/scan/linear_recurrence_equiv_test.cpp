// Tier 3 for the scan engine on the CPU (seqref::cpu::linear_recurrence, optimized/cpu/scan/engine.hpp): the two-
// level chunked scan against the Oracle in model units, relative to the reference's error, at every chunk length
// (1, 2, 3, 7, 64, 128, T, > T, automatic) and the lengths the peers never ran; bit-identity across thread counts
// and for split-and-carry; x_final = x[T−1]; the same argument checks as the reference.

#include "verify/tests/scan/linear_recurrence_properties.hpp"

#include "verify/support/generators.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <stdexcept>

namespace seqref::verify::scan {
namespace {

const auto kLengths = rc::gen::element<Index>(1, 2, 3, 127, 129, 1000, 2047, 2048, 2049);
const auto kKinds = rc::gen::element(Transition::scalar, Transition::diagonal, Transition::dense);
const auto kChunks = rc::gen::element<Index>(0, 1, 2, 3, 7, 64, 128, 5000);

template <class S>
void check_cpu() {
  const Transition kind = *kKinds;
  const Index T = *kLengths;
  const Index D =
      kind == Transition::dense ? *rc::gen::element<Index>(1, 2, 4) : *rc::gen::element<Index>(1, 3, 17, 40);
  // lengths around the engine's chunking: chunks start at chunk_from_len steps, at least chunk_min long
  const Index Tc = *rc::gen::weightedOneOf<Index>(
      {{2, rc::gen::just(T)},
       {1, gen::around_blocks({cpu::blocking::scan::chunk_min, cpu::blocking::scan::chunk_from_len}, 1600)}});
  const auto m = cpu_vs_oracle<S>(kind, *rc::gen::inRange<Index>(1, 3), Tc, D, *rc::gen::element(0.5, 1.0, 1.01),
                                  *kChunks, *rc::gen::element(1, 2), *rc::gen::arbitrary<std::uint64_t>());
  RC_LOG() << m.detail << ": " << m.verdict.err_u << " vs reference " << m.verdict.ref_err_u << " (bound "
           << m.verdict.bound_u << ")\n";
  RC_ASSERT(m.verdict.pass);
}

RC_GTEST_PROP(ScanCpu, DoubleWithinErrorModelAtEveryChunking, ()) { check_cpu<double>(); }
RC_GTEST_PROP(ScanCpu, FloatWithinErrorModelAtEveryChunking, ()) { check_cpu<float>(); }

TEST(ScanCpu, WideStatesSplitIntoEntryGroups) {
  // D > 512: the elementwise policy splits a sequence's entries into groups of 256 (the last one partial)
  for (Transition kind : {Transition::scalar, Transition::diagonal})
    for (Index chunk : {0, 5})
      // around the one-group limit (511, 512, 513) and past two groups of 256 (767: the third partial; 1025)
      for (Index D : gen::block_sizes({cpu::blocking::scan::group_max, cpu::blocking::scan::group}, 1100)) {
        if (D < cpu::blocking::scan::group_max - 1) continue;
        const auto m = cpu_vs_oracle<float>(kind, 2, 129, D, 1.0, chunk, 2, 51 + static_cast<std::uint64_t>(chunk + D));
        EXPECT_TRUE(m.verdict.pass) << m.detail << ": " << m.verdict.err_u << " vs reference " << m.verdict.ref_err_u;
      }
}

TEST(ScanCpu, ThreadCountDoesNotChangeBits) {
  for (Transition kind : {Transition::scalar, Transition::diagonal, Transition::dense})
    for (Index chunk : {0, 7, 128}) {
      const auto e = cpu_threads_bit_identical(kind, 2, 2049, 5, chunk, 2, 21);
      EXPECT_TRUE(e.pass) << e.detail;
      const auto e3 = cpu_threads_bit_identical(kind, 1, 1000, 3, chunk, 3, 22);
      EXPECT_TRUE(e3.pass) << e3.detail;
    }
}

TEST(ScanCpu, SplitAndCarryIsOneRun) {
  for (Transition kind : {Transition::scalar, Transition::diagonal, Transition::dense})
    for (Index split : {1, 127, 1000}) {
      const auto e = split_carry_bit_identical(kind, 2, 2049, 3, split, 31 + static_cast<std::uint64_t>(split));
      EXPECT_TRUE(e.pass) << e.detail;
    }
}

TEST(ScanCpu, AutomaticChunkingSplitsFewLongSequences) {
  // one lane block and a long sequence: the engine must use more than one chunk (otherwise two threads idle)
  const Problem p = make_problem(Transition::diagonal, 1, 100000, 1, 1.0, false, 5);
  const std::vector<float> J(p.J.begin(), p.J.end()), b(p.b.begin(), p.b.end());
  std::vector<float> x(J.size());
  const Index chunk = cpu::linear_recurrence(p.view<float>(J, b, {}), x);
  EXPECT_LT(chunk, 100000);
  EXPECT_GE(chunk, 128);
}

TEST(ScanCpu, BadInputIsRejectedLikeTheReference) {
  const std::vector<double> J(6, 0.5), b(6, 1.0), nan{1, 1, std::nan(""), 1, 1, 1};
  std::vector<double> x(6), x_short(5);
  EXPECT_THROW(cpu::linear_recurrence({Transition::diagonal, 2, 3, 1, J, b, {}}, x_short), std::invalid_argument);
  EXPECT_THROW(cpu::linear_recurrence({Transition::dense, 1, 3, 2, J, b, {}}, x), std::invalid_argument);
  EXPECT_THROW(cpu::linear_recurrence({Transition::diagonal, 2, 3, 1, J, nan, {}}, x), std::invalid_argument);
  EXPECT_THROW(cpu::linear_recurrence({Transition::diagonal, 2, 3, 1, J, b, {}}, x, {}, ScanSchedule{-1, 0}),
               std::invalid_argument);
  // an explicit thread count past the budget (an OpenMP team of 10^6 threads exhausted the process), or negative
  for (int threads : {1000000, -1})
    EXPECT_THROW(cpu::linear_recurrence({Transition::diagonal, 2, 3, 1, J, b, {}}, x, {}, ScanSchedule{0, threads}),
                 std::invalid_argument);
  try {
    cpu::linear_recurrence({Transition::dense, 1, 3, 2, J, b, {}}, x);
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("seqref::cpu::linear_recurrence"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("J must hold 12 entries"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace seqref::verify::scan
