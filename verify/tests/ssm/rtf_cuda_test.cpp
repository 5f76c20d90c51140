// Tier 3 for ssm/rtf on the CUDA backend (cuFFT): skipped without a device (SEQREF_REQUIRE_CUDA).

#include "verify/support/gpu.hpp"
#include "verify/tests/ssm/rtf_properties.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace seqref::verify::rtf {
namespace {

TEST(RtfCuda, SanitizerSmall) {
  // One small case per kernel of the family, for compute-sanitizer memcheck + racecheck in tools/gpu-verify
  // (filter *Cuda*Sanitizer*).
  SEQREF_REQUIRE_CUDA();
  const auto m = cuda_vs_oracle(2, 4, 127, 0.9, 82);
  EXPECT_TRUE(m.verdict.pass) << m.detail << ": " << m.verdict.err_u << "u vs " << m.verdict.ref_err_u << "u";
}

TEST(RtfCuda, FloatMatchesOracleRelativeToReference) {
  SEQREF_REQUIRE_CUDA();
  for (Index channels : {1, 3})
    for (Index N : {1, 4, 16})  // N <= 16: see rtf_equiv_test.cpp
      for (Index L : {1, 5, 64, 127, 1000, 1024}) {
        const auto m = cuda_vs_oracle(channels, N, L, 0.9, std::uint64_t(channels * 1000 + N * 10 + L));
        EXPECT_TRUE(m.verdict.pass) << m.detail << ": " << m.verdict.err_u << "u vs " << m.verdict.ref_err_u << "u";
      }
}

TEST(RtfCuda, BadInputThrows) {
  SEQREF_REQUIRE_CUDA();
  std::vector<float> a{-1.0f}, b{1.0f}, k(8);
  EXPECT_THROW(cuda::rtf_kernel(a, b, k, 1, 1, 8), std::invalid_argument);  // 1 − z at z = 1
  EXPECT_THROW(cuda::rtf_kernel(a, b, k, 1, 0, 8), std::invalid_argument);
  a[0] = std::numeric_limits<float>::infinity();
  EXPECT_THROW(cuda::rtf_kernel(a, b, k, 1, 1, 8), std::invalid_argument);
}

}  // namespace
}  // namespace seqref::verify::rtf
