// Tier 3 for ssm/s4 on the CUDA backend (CTest label `gpu`): the Cauchy and Vandermonde kernels against the double
// reference, relative to the f32 reference; skipped with "no CUDA device" where there is none.

#include "verify/support/gpu.hpp"
#include "verify/tests/ssm/s4_properties.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace seqref::verify::s4 {
namespace {

TEST(S4Cuda, SanitizerSmall) {
  // One small case per kernel of the family, for compute-sanitizer memcheck + racecheck in tools/gpu-verify
  // (filter *Cuda*Sanitizer*).
  SEQREF_REQUIRE_CUDA();
  // Cauchy past a 256-node tile with a partial 32-pole block; Vandermonde past a 256-step tile
  const auto c = cuda_cauchy_vs_oracle(2, 33, 257, 83);
  EXPECT_TRUE(c.verdict.pass) << c.detail << ": " << c.verdict.err_u << "u vs ref " << c.verdict.ref_err_u;
  const auto v = cuda_vandermonde_vs_oracle(2, 33, 257, 84);
  EXPECT_TRUE(v.verdict.pass) << v.detail << ": " << v.verdict.err_u << "u vs ref " << v.verdict.ref_err_u;
}

TEST(S4Cuda, CauchyMatchesOracleRelativeToReference) {
  SEQREF_REQUIRE_CUDA();
  for (Index nodes : {1, 255, 256, 257, 4096})
    for (Index N : {1, 31, 33, 64, 300}) {  // around the 32-pole partial sums and past a 256-pole tile
      const auto m = cuda_cauchy_vs_oracle(3, N, nodes, 7000 + nodes + N);
      EXPECT_TRUE(m.verdict.pass) << m.detail << ": " << m.verdict.err_u << "u vs ref " << m.verdict.ref_err_u;
    }
}

TEST(S4Cuda, VandermondeMatchesOracleRelativeToReference) {
  SEQREF_REQUIRE_CUDA();
  for (Index L : {1, 255, 256, 257, 4096})
    for (Index N : {1, 64, 300}) {
      const auto m = cuda_vandermonde_vs_oracle(3, N, L, 8000 + L + N);
      EXPECT_TRUE(m.verdict.pass) << m.detail << ": " << m.verdict.err_u << "u vs ref " << m.verdict.ref_err_u;
    }
}

TEST(S4Cuda, BadInputThrows) {
  SEQREF_REQUIRE_CUDA();
  std::vector<std::complex<float>> v(1, {1, 0}), out(1);
  EXPECT_THROW(cuda::cauchy_kernel(v, v, v, out, 1, 0, 1), std::invalid_argument);
  std::vector<std::complex<float>> longer(2, {1, 0});
  EXPECT_THROW(cuda::cauchy_kernel(v, v, longer, out, 1, 1, 1), std::invalid_argument);  // z is [nodes]
  v[0] = {std::numeric_limits<float>::quiet_NaN(), 0};
  EXPECT_THROW(cuda::cauchy_kernel(v, v, v, out, 1, 1, 1), std::invalid_argument);
}

TEST(S4Cuda, ThrowsRuntimeErrorWithoutDevice) {
  if (cuda::available()) GTEST_SKIP() << "a CUDA device is available";
  std::vector<std::complex<float>> v(1, {1, 0}), out(1);
  EXPECT_THROW(cuda::cauchy_kernel(v, v, v, out, 1, 1, 1), std::runtime_error);
  std::vector<float> r(1);
  EXPECT_THROW(cuda::vandermonde_kernel(v, v, r, 1, 1, 1), std::runtime_error);
}

}  // namespace
}  // namespace seqref::verify::s4
