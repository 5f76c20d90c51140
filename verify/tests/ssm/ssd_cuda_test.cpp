// Tier 3 for ssm/ssd on the CUDA backend (optimized/cuda/ssm/ssd.cu): skipped without a device (SEQREF_REQUIRE_CUDA).

#include "verify/support/gpu.hpp"
#include "verify/tests/ssm/ssd_properties.hpp"

#include <gtest/gtest.h>

#include <string>

#include <limits>

namespace seqref::verify::ssd {
namespace {

TEST(SsdCuda, SanitizerSmall) {
  // One small case per kernel of the family, for compute-sanitizer memcheck + racecheck in tools/gpu-verify
  // (filter *Cuda*Sanitizer*).
  SEQREF_REQUIRE_CUDA();
  // three kernels: chunk states, the inter-chunk scan, chunk outputs; a partial last chunk (T = 130, Q = 64)
  const auto m = cuda_vs_oracle(SsdShape{2, 130, 2, 4, 1, 8}, 64, 86, 0.2);
  EXPECT_TRUE(m.verdict.pass) << m.detail << ": " << m.verdict.err_u << "u vs " << m.verdict.ref_err_u << "u";
}

TEST(SsdCuda, FloatMatchesDoubleForEveryChunkAndLength) {
  SEQREF_REQUIRE_CUDA();
  for (Index T : {1, 2, 127, 129, 2047, 2048, 2049}) {
    const SsdShape s{2, T, 2, 4, 1, 8};
    for (Index Q : std::vector<Index>{1, 2, 3, 64}) {
      const auto m = cuda_vs_oracle(s, Q, 700 + T, 0.2);
      EXPECT_TRUE(m.verdict.pass) << m.detail << ": " << m.verdict.err_u << "u vs " << m.verdict.ref_err_u << "u";
    }
  }
}

TEST(SsdCuda, MambaShapesAndGroups) {
  SEQREF_REQUIRE_CUDA();
  for (Index N : {16, 64, 128})
    for (double amax : {0.01, 0.5, 5.0}) {
      const auto m = cuda_vs_oracle(SsdShape{2, 300, 4, 64, 2, N}, 64, 800 + N, amax);
      EXPECT_TRUE(m.verdict.pass) << m.detail << ": " << m.verdict.err_u << "u vs " << m.verdict.ref_err_u << "u";
    }
}

TEST(SsdCuda, ExponentsEqualCpuAndAreNonPositive) {
  SEQREF_REQUIRE_CUDA();
  for (Index q : {1, 2, 17, 64}) {
    const auto e = cuda_decays_match_cpu(q, 900 + q);
    EXPECT_TRUE(e.pass) << e.detail;
  }
}

TEST(SsdCuda, HeadDimOrStateTooLargeForSharedMemoryIsRefused) {
  // Issue 14: P and N had no bound; the chunk-output kernel needs Q(P + 2N + Q + 2) floats of shared memory per
  // block, so P = 4096 at Q = 64 (about 1 MiB, over any device's 227 KiB) is refused naming P and N, before any
  // allocation, instead of failing at launch. The same P at T = 1 (Q = 1) fits and runs.
  SEQREF_REQUIRE_CUDA();
  auto wide = make_problem(SsdShape{1, 64, 1, 4096, 1, 2}, 3).cast<float>();
  std::vector<float> y(static_cast<std::size_t>(wide.shape.x_size()));
  try {
    cuda::ssd(wide.problem(), y);
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("P = 4096, N = 2 at chunk 64"), std::string::npos) << e.what();
  }
  auto one = make_problem(SsdShape{1, 1, 1, 4096, 1, 2}, 4).cast<float>();
  std::vector<float> y1(static_cast<std::size_t>(one.shape.x_size()));
  EXPECT_NO_THROW(cuda::ssd(one.problem(), y1));
}

TEST(SsdCuda, BadInputThrows) {
  SEQREF_REQUIRE_CUDA();
  const SsdShape s{1, 4, 2, 2, 1, 3};
  auto d = make_problem(s, 1).cast<float>();
  std::vector<float> y(static_cast<std::size_t>(s.x_size())), h(static_cast<std::size_t>(s.state_size()));
  EXPECT_NO_THROW(cuda::ssd(d.problem(), y, h));
  SsdOptions big;
  big.chunk = 65;
  auto longer = make_problem(SsdShape{1, 100, 1, 2, 1, 2}, 2).cast<float>();
  std::vector<float> yl(200);
  EXPECT_THROW(cuda::ssd(longer.problem(), yl, {}, big), std::invalid_argument);
  auto bad = d;
  bad.shape.groups = 3;
  EXPECT_THROW(cuda::ssd(bad.problem(), y, h), std::invalid_argument);
  bad = d;
  bad.X[0] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THROW(cuda::ssd(bad.problem(), y, h), std::invalid_argument);
  EXPECT_THROW(cuda::device::ssd(SsdProblem<float>{s, {}, {}, {}, {}, {}}, {}, {}, 2, {}), std::invalid_argument);
  EXPECT_THROW((void)cuda::device::ssd_workspace_bytes(s, 0), std::invalid_argument);
}

}  // namespace
}  // namespace seqref::verify::ssd
