// Tier 3 for the scan engine on CUDA (seqref::cuda::linear_recurrence, optimized/cuda/scan/engine.cuh): the block
// scan with carried tile prefixes against the Oracle in model units, relative to the f32 reference's error, at
// lengths around the tile (128 × 8 steps for scalar/diagonal, 128 × {4, 1} for dense). Fewer than 256 lanes of at
// least 8 tiles take the multi-block chunked path (chunk summaries, entering states, rescan): batch 2 × D ≤ 8 at
// T = 10000 (and dense at T ≥ 1024) exercise it. Skipped without a device.

#include "verify/support/gpu.hpp"
#include "verify/tests/scan/linear_recurrence_properties.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace seqref::verify::scan {
namespace {

TEST(ScanCuda, SanitizerSmall) {
  // One small case per kernel of the family, for compute-sanitizer memcheck + racecheck in tools/gpu-verify
  // (filter *Cuda*Sanitizer*).
  SEQREF_REQUIRE_CUDA();
  // every transition kind, a partial second tile (T = 1100 > 128 x 8)
  for (Transition kind : {Transition::scalar, Transition::diagonal, Transition::dense}) {
    const auto m = cuda_vs_oracle(kind, 2, 1100, 3, 1.0, 78);
    EXPECT_TRUE(m.verdict.pass) << m.detail << ": " << m.verdict.err_u << " vs reference " << m.verdict.ref_err_u;
  }
}

TEST(ScanCuda, WithinErrorModelAroundTileBoundaries) {
  SEQREF_REQUIRE_CUDA();
  for (Transition kind : {Transition::scalar, Transition::diagonal, Transition::dense})
    for (Index T : {1, 2, 127, 129, 1023, 1024, 1025, 2049, 10000})
      for (Index D : {1, 3, 8}) {
        const auto m = cuda_vs_oracle(kind, 2, T, D, 1.0, 41 + static_cast<std::uint64_t>(T * 10 + D));
        EXPECT_TRUE(m.verdict.pass) << m.detail << ": " << m.verdict.err_u << " vs reference " << m.verdict.ref_err_u;
      }
}

TEST(ScanCuda, FreshPageableInputsEveryCallAreSeenByTheKernel) {
  // Issue 14's upload race: inputs copied with a plain cudaMemcpy (legacy stream) from pageable memory may still be
  // in flight when the kernel starts on the non-blocking stream. Uploads are now ordered on the kernel's stream;
  // this runs 50 calls whose fresh 4 MB pageable inputs (larger than the driver's staging buffer) differ from the
  // last call's. With J = 0 the state is b itself, x_t = b_t bit for bit, so a stale or partial upload shows.
  SEQREF_REQUIRE_CUDA();
  const Index B = 4, T = 1 << 16, D = 4;
  for (int call = 0; call < 50; ++call) {
    std::vector<float> J(static_cast<std::size_t>(B * T * D), 0.f), b(J.size());
    for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<float>((i * 2654435761u + call) % 1000003);
    std::vector<float> x(b.size(), -1.f);
    cuda::linear_recurrence({Transition::diagonal, B, T, D, J, b, {}}, x);
    ASSERT_EQ(x, b) << "call " << call;
  }
}

TEST(ScanCuda, DenseStateAboveEightIsRefused) {
  SEQREF_REQUIRE_CUDA();
  const std::vector<float> J(81, 0.f), b(9, 0.f);
  std::vector<float> x(9);
  EXPECT_THROW(cuda::linear_recurrence({Transition::dense, 1, 1, 9, J, b, {}}, x), std::invalid_argument);
}

}  // namespace
}  // namespace seqref::verify::scan
