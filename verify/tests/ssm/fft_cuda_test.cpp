// Tier 3 for the CUDA FFTs (cuFFT): dft_batched and causal_conv against the double reference, relative to the
// float reference. Skipped without a device (SEQREF_REQUIRE_CUDA).

#include "verify/support/gpu.hpp"
#include "verify/tests/ssm/fft_properties.hpp"

#include "seqref/opt/ssm/fft.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace seqref::verify::ssm_fft {
namespace {

TEST(FftCuda, SanitizerSmall) {
  // One small case per kernel of the family, for compute-sanitizer memcheck + racecheck in tools/gpu-verify
  // (filter *Cuda*Sanitizer*).
  SEQREF_REQUIRE_CUDA();
  // the cuFFT transforms (a non-power-of-two n) and the causal convolution
  for (bool inverse : {false, true}) {
    const auto m = cuda_dft_vs_oracle(2, 37, inverse, 79);
    EXPECT_TRUE(m.verdict.pass) << m.detail << ": " << m.verdict.err_u << "u vs " << m.verdict.ref_err_u << "u";
  }
  const auto c = cuda_causal_conv_vs_oracle(2, 65, 80);
  EXPECT_TRUE(c.verdict.pass) << c.detail << ": " << c.verdict.err_u << "u vs " << c.verdict.ref_err_u << "u";
}

TEST(FftCuda, DftMatchesOracleRelativeToReference) {
  SEQREF_REQUIRE_CUDA();
  for (Index n : {1, 2, 3, 5, 31, 37, 41, 127, 128, 129, 255, 257, 1000, 1024, 1025, 3072, 4099})
    for (bool inverse : {false, true}) {
      const auto m = cuda_dft_vs_oracle(3, n, inverse, std::uint64_t(n));
      EXPECT_TRUE(m.verdict.pass) << m.detail << ": " << m.verdict.err_u << "u vs " << m.verdict.ref_err_u << "u";
    }
}

TEST(FftCuda, CausalConvMatchesOracleRelativeToReference) {
  SEQREF_REQUIRE_CUDA();
  for (Index L : {1, 2, 3, 17, 64, 65, 257, 1000}) {
    const auto m = cuda_causal_conv_vs_oracle(3, L, std::uint64_t(L));
    EXPECT_TRUE(m.verdict.pass) << m.detail << ": " << m.verdict.err_u << "u vs " << m.verdict.ref_err_u << "u";
  }
}

TEST(FftCuda, BadInputThrows) {
  SEQREF_REQUIRE_CUDA();
  std::vector<std::complex<float>> x(4, {1.0f, 0.0f});
  EXPECT_THROW(cuda::dft_batched(x, 1, 0, false), std::invalid_argument);
  x[1] = {std::numeric_limits<float>::quiet_NaN(), 0.0f};
  EXPECT_THROW(cuda::dft_batched(x, 1, 4, false), std::invalid_argument);
  std::vector<float> k(4, 1.0f), u(4, 1.0f), y(4);
  EXPECT_THROW(cuda::causal_conv(k, u, y, 1, 0), std::invalid_argument);
  EXPECT_THROW(cuda::causal_conv(k, {}, y, 1, 4), std::invalid_argument);
}

}  // namespace
}  // namespace seqref::verify::ssm_fft
