// Tier 3 for the fused selective scan on CUDA (seqref::cuda::selective_scan, optimized/cuda/ssm/selective_scan.cu,
// built on cuda/scan/engine.cuh): against the double reference in model units, relative to the f32 reference's
// error, at lengths around every tile (256, 512, 1024, 2048 steps), channel counts that leave partial groups of 8,
// every option combination; the exact identities (Δ = 0, A = 0 on integers); argument checks (host and device
// entry points). The device entry point's results are exercised by bench_ssm (selective_scan_bench.cu), which
// owns device buffers; the host entry point runs through it. Skipped without a device.

#include "verify/support/generators.hpp"
#include "verify/support/gpu.hpp"
#include "verify/tests/ssm/selective_scan_properties.hpp"

#include <gtest/gtest.h>

#include <limits>
#include <stdexcept>

namespace seqref::verify::selective_scan {
namespace {

TEST(SelectiveScanCuda, SanitizerSmall) {
  // One small case per kernel of the family, for compute-sanitizer memcheck + racecheck in tools/gpu-verify
  // (filter *Cuda*Sanitizer*).
  SEQREF_REQUIRE_CUDA();
  // a second channel group (9 channels) and a partial second tile (T = 1100 at the default 1024-step tile)
  const auto m = cuda_vs_exact(2, 1100, 9, 3, variant_from_seed(85), 0, 85);
  EXPECT_TRUE(m.verdict.pass) << m.detail << ": " << m.verdict.err_u << " vs reference " << m.verdict.ref_err_u;
}

TEST(SelectiveScanCuda, WithinErrorModelAroundTileBoundaries) {
  SEQREF_REQUIRE_CUDA();
  for (Index chunk : {0, 256, 512, 2048})
    for (Index T : {1, 2, 127, 129, 255, 257, 1023, 1025, 2047, 2048, 2049})
      // channels around the block's channel group (7, 8, 9, 17): the second and third groups
      for (Index channels : gen::block_sizes({cuda::blocking::selective_scan::group}, 17)) {
        if (channels != 1 && channels != 3 && channels < cuda::blocking::selective_scan::group - 1) continue;
        const std::uint64_t seed = 41 + static_cast<std::uint64_t>(T * 100 + channels + chunk);
        const auto m = cuda_vs_exact(2, T, channels, channels == 17 ? 16 : 3, variant_from_seed(seed), chunk, seed);
        EXPECT_TRUE(m.verdict.pass) << m.detail << ": " << m.verdict.err_u << " vs reference " << m.verdict.ref_err_u;
      }
}

TEST(SelectiveScanCuda, EveryVariant) {
  SEQREF_REQUIRE_CUDA();
  for (std::uint64_t bits = 0; bits < 64; ++bits) {
    const auto m = cuda_vs_exact(2, 1500, 19, 16, variant_from_seed(bits), 0, 200 + bits);
    EXPECT_TRUE(m.verdict.pass) << m.detail << ": " << m.verdict.err_u << " vs reference " << m.verdict.ref_err_u;
  }
}

TEST(SelectiveScanCuda, LongSequenceManyTiles) {
  SEQREF_REQUIRE_CUDA();
  const auto m = cuda_vs_exact(1, 100000, 9, 16, variant_from_seed(7), 0, 7);
  EXPECT_TRUE(m.verdict.pass) << m.detail << ": " << m.verdict.err_u << " vs reference " << m.verdict.ref_err_u;
}

TEST(SelectiveScanCuda, ExactIdentities) {
  SEQREF_REQUIRE_CUDA();
  for (Index chunk : {0, 256, 2048}) {
    const auto a = zero_A_is_running_sum("cuda", 2, 2049, 19, 5, chunk, 11);
    EXPECT_TRUE(a.pass) << a.detail;
  }
  const auto d = zero_delta_gives_Du("cuda", 2, 1025, 17, 4, 3);
  EXPECT_TRUE(d.pass) << d.detail;
}

TEST(SelectiveScanCuda, BadInputIsRejectedLikeTheReference) {
  SEQREF_REQUIRE_CUDA();
  const Problem good = make_problem(2, 5, 3, 4, Variant{}, 1);
  Arrays<float> a(good);
  std::vector<float> y(30), h(24);
  EXPECT_THROW(cuda::selective_scan(a.view(), std::span<float>(y), std::span<float>(h), ScanSchedule{300, 0}),
               std::invalid_argument);
  EXPECT_THROW(cuda::selective_scan(a.view(), std::span<float>(y), std::span<float>(h), ScanSchedule{0, 2}),
               std::invalid_argument);
  a.B.pop_back();
  EXPECT_THROW(cuda::selective_scan(a.view(), std::span<float>(y), std::span<float>(h)), std::invalid_argument);
  a = Arrays<float>(good);
  a.z[2] = std::numeric_limits<float>::infinity();
  EXPECT_THROW(cuda::selective_scan(a.view(), std::span<float>(y), std::span<float>(h)), std::invalid_argument);
  SelectiveScan<float> d = Arrays<float>(good).view();
  d.u = std::span<const float>(static_cast<const float*>(nullptr), d.u.size());
  EXPECT_THROW(cuda::device::selective_scan(d, {}, {}), std::invalid_argument);  // no output
}

}  // namespace
}  // namespace seqref::verify::selective_scan
