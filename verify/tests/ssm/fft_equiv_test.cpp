// Tier 3 for the optimized CPU FFTs (seqref/opt/ssm/fft.hpp): dft_batched and causal_conv against the oracle,
// relative to the same-precision reference (err_opt <= K·max(err_ref, u), rows in tolerances/ssm_rtf.inc), at
// sizes 1, 2, 3, primes (small ones on the library's generic butterfly, large ones on the Bluestein path),
// 2^k ± 1, 3·2^k; plus batch/thread independence, round trips at sizes too large for an oracle, and bad input.

#include "verify/tests/ssm/fft_properties.hpp"

#include "seqref/opt/ssm/fft.hpp"
#include "verify/support/error.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <cmath>
#include <limits>

namespace seqref::verify::ssm_fft {
namespace {

// Sizes the 50-digit oracle handles in well under a second (O(n²) definition; radix-2 at powers of two).
rc::Gen<Index> oracle_sizes() {
  return rc::gen::weightedOneOf<Index>({
      {4, rc::gen::element<Index>(1, 2, 3, 4, 5, 7, 11, 13, 31, 37)},
      {4, rc::gen::element<Index>(41, 43, 61, 63, 64, 65, 96, 97, 127, 128, 129)},
      {1, rc::gen::element<Index>(255, 257, 1024, 2048)},
  });
}

// Float: the double reference is the oracle, so sizes can reach the thousands.
rc::Gen<Index> float_sizes() {
  return rc::gen::weightedOneOf<Index>({
      {2, rc::gen::element<Index>(1, 2, 3, 5, 7, 31, 37, 41)},
      {3, rc::gen::element<Index>(127, 128, 129, 191, 255, 256, 257, 384, 1000)},
      {1, rc::gen::element<Index>(1023, 1024, 1025, 1031, 1536, 3072)},
  });
}

template <class S>
void log_measure(const Measured& m) {
  RC_LOG() << m.detail << ": " << m.verdict.err_u << "u vs reference " << m.verdict.ref_err_u << "u (bound "
           << m.verdict.bound_u << "u)\n";
}

RC_GTEST_PROP(FftCpu, DoubleDftMatchesOracleRelativeToReference, ()) {
  const Index n = *oracle_sizes();
  const Index batch = *rc::gen::inRange<Index>(1, n > 256 ? 2 : 4);
  const auto m = cpu_dft_vs_oracle<double>(batch, n, *rc::gen::arbitrary<bool>(), *rc::gen::arbitrary<std::uint64_t>());
  log_measure<double>(m);
  RC_ASSERT(m.verdict.pass);
  RC_ASSERT(m.verdict.err_u > 0 || n <= 2);  // non-vacuity: rounding happened, so the comparison saw the output
}

RC_GTEST_PROP(FftCpu, FloatDftMatchesOracleRelativeToReference, ()) {
  const Index n = *float_sizes();
  const Index batch = *rc::gen::inRange<Index>(1, 5);
  const auto m = cpu_dft_vs_oracle<float>(batch, n, *rc::gen::arbitrary<bool>(), *rc::gen::arbitrary<std::uint64_t>());
  log_measure<float>(m);
  RC_ASSERT(m.verdict.pass);
}

TEST(FftCpu, EverySizeUpTo70BothPaths) {
  // Exhaustive small n: covers every radix, every small prime on the generic butterfly and the first primes on
  // the Bluestein path (41, 43, 47, ...).
  for (Index n = 1; n <= 70; ++n)
    for (bool inverse : {false, true}) {
      const auto m = cpu_dft_vs_oracle<double>(2, n, inverse, static_cast<std::uint64_t>(n));
      EXPECT_TRUE(m.verdict.pass) << m.detail << ": " << m.verdict.err_u << "u vs " << m.verdict.ref_err_u << "u";
    }
}

RC_GTEST_PROP(FftCpu, CausalConvMatchesOracleRelativeToReference, ()) {
  const Index L = *rc::gen::element<Index>(1, 2, 3, 5, 17, 63, 64, 65, 100, 127, 129, 257);
  const Index channels = *rc::gen::inRange<Index>(1, 4);
  const std::uint64_t seed = *rc::gen::arbitrary<std::uint64_t>();
  const auto md = cpu_causal_conv_vs_oracle<double>(channels, L, seed);
  log_measure<double>(md);
  RC_ASSERT(md.verdict.pass);
  const auto mf = cpu_causal_conv_vs_oracle<float>(channels, 4 * L, seed);
  log_measure<float>(mf);
  RC_ASSERT(mf.verdict.pass);
}

TEST(FftCpu, BatchedRowsEqualSingleRowsBitForBit) {
  // Rows are independent and each is transformed by one thread with the same plan: batching and threads change
  // no bit (library path, Bluestein path, inverse).
  for (Index n : {64, 96, 97, 1000, 4099})
    for (bool inverse : {false, true}) {
      EXPECT_TRUE(batch_independence<double>(9, n, inverse, 11)) << "n=" << n;
      EXPECT_TRUE(batch_independence<float>(9, n, inverse, 12)) << "n=" << n;
    }
}

TEST(FftCpu, RoundTripAtLargeSizes) {
  // Sizes beyond the oracle: IDFT(DFT(x)) = x to O(log n)u. 2^15 (radix-4), 3·2^14, 10007 (prime, Bluestein),
  // 2^16 + 1 (= 65537, prime, Bluestein at m = 2^18). Bound: 8·log2(n) u per transform, two transforms.
  for (Index n : {Index{1} << 15, 3 * (Index{1} << 14), Index{10007}, Index{65537}}) {
    const double bound = 16 * std::log2(double(n));
    const double e = roundtrip_error_u<double>(1, n, 5);
    EXPECT_LE(e, bound) << "n=" << n;
    EXPECT_GT(e, 0.0) << "n=" << n;
    EXPECT_LE(roundtrip_error_u<float>(2, n, 6), bound) << "n=" << n;
  }
}

TEST(FftCpu, CausalConvIsCausalAndLinearInDelta) {
  // u = δ_0: y = kernel exactly up to rounding; u = δ_s: y is the kernel shifted by s with zeros before s.
  const Index L = 100;
  std::vector<double> k(L), u(L, 0.0), y(L);
  for (Index t = 0; t < L; ++t) k[t] = std::exp(-0.1 * double(t)) * std::cos(0.3 * double(t));
  u[7] = 1.0;
  cpu::causal_conv(k, u, y, 1, L);
  for (Index t = 0; t < 7; ++t) EXPECT_LE(std::abs(y[t]), 1e-15) << t;
  for (Index t = 7; t < L; ++t) EXPECT_NEAR(y[t], k[t - 7], 1e-15) << t;
}

TEST(FftCpu, BadInputThrows) {
  std::vector<std::complex<double>> x(8, {1.0, 0.0});
  EXPECT_THROW(cpu::dft_batched(x, 1, 0, false), std::invalid_argument);
  EXPECT_THROW(cpu::dft_batched(x, 0, 8, false), std::invalid_argument);
  EXPECT_THROW(cpu::dft_batched(std::span<std::complex<double>>{}, 1, 8, false), std::invalid_argument);
  x[3] = {std::numeric_limits<double>::quiet_NaN(), 0.0};
  EXPECT_THROW(cpu::dft_batched(x, 1, 8, false), std::invalid_argument);
  x[3] = {0.0, std::numeric_limits<double>::infinity()};
  EXPECT_THROW(cpu::dft_batched(x, 2, 4, true), std::invalid_argument);

  std::vector<float> k(6, 1.0f), u(6, 1.0f), y(6);
  EXPECT_THROW(cpu::causal_conv(k, u, y, 0, 6), std::invalid_argument);
  EXPECT_THROW(cpu::causal_conv(k, u, y, 1, 0), std::invalid_argument);
  EXPECT_THROW(cpu::causal_conv(k, {}, y, 1, 6), std::invalid_argument);
  EXPECT_THROW(cpu::causal_conv(k, u, {}, 1, 6), std::invalid_argument);
  EXPECT_THROW(cpu::causal_conv(k, u, y, 1, 5), std::invalid_argument);  // [1, 5] buffers, 6 entries given
  u[4] = std::numeric_limits<float>::infinity();
  try {
    cpu::causal_conv(k, u, y, 2, 3);
    FAIL() << "no throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("seqref::cpu::causal_conv"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("[1, 1]"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace seqref::verify::ssm_fft
