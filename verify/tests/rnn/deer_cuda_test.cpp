// Tier 3 for rnn/deer on the CUDA backend (chunked scan_tile sweeps, fp32): skipped without a device
// (SEQREF_REQUIRE_CUDA).

#include "verify/support/gpu.hpp"
#include "verify/tests/rnn/deer_properties.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace seqref::verify::deer {
namespace {

TEST(DeerCuda, SanitizerSmall) {
  // One small case per kernel of the family, for compute-sanitizer memcheck + racecheck in tools/gpu-verify
  // (filter *Cuda*Sanitizer*).
  SEQREF_REQUIRE_CUDA();
  // the sweeps' chunked scan past one block (T = 1000) and the device sequential loop
  for (DeerMethod m : {DeerMethod::newton, DeerMethod::quasi}) {
    const auto r = cuda_deer_vs_oracle(m, 3, 1000, 0.9, 77);
    EXPECT_TRUE(r.verdict.pass) << r.detail << ": " << r.verdict.err_u << "u vs " << r.verdict.ref_err_u << "u";
  }
}

TEST(DeerCuda, DeerMatchesOracleRelativeToReference) {
  SEQREF_REQUIRE_CUDA();
  for (DeerMethod m : {DeerMethod::newton, DeerMethod::fixed_a, DeerMethod::quasi})
    for (Index d : {1, 2, 3, 4, 5, 8})
      for (Index T : {1, 2, 127, 129, 1000, 2049, 20000}) {
        if (m == DeerMethod::fixed_a && T > 2049) continue;  // fixed-A's sweeps grow with T (slow reference)
        const auto r = cuda_deer_vs_oracle(m, d, T, 0.9, std::uint64_t(d * 100000 + T));
        EXPECT_TRUE(r.verdict.pass) << r.detail << ": " << r.verdict.err_u << "u vs " << r.verdict.ref_err_u << "u";
      }
}

TEST(DeerCuda, SequentialLoopOnDevice) {
  SEQREF_REQUIRE_CUDA();
  const auto cell = cast<float>(tanh_cell(4, 0.9, 2));
  const auto u = cast<float>(gaussian_inputs(500, 4, 2));
  const auto g = cuda::rnn_sequential(cell, std::span<const float>(u), {});
  const auto r = ref::rnn_sequential(cell, std::span<const float>(u), {});
  ASSERT_EQ(g.size(), r.size());
  for (std::size_t i = 0; i < g.size(); ++i) EXPECT_NEAR(g[i], r[i], 1e-4) << i;
}

TEST(DeerCuda, DivergenceAndLimitReported) {
  SEQREF_REQUIRE_CUDA();
  TanhCell<float> cell{2, {50.f, 0.f, 0.f, 50.f}};
  const auto u = cast<float>(gaussian_inputs(400, 2, 5));
  DeerOptions<float> o;
  o.method = DeerMethod::fixed_a;
  const auto r = cuda::deer(cell, std::span<const float>(u), {}, o);
  EXPECT_EQ(r.status, DeerStatus::non_finite) << r.reason;
  EXPECT_FALSE(r.converged);
  EXPECT_TRUE(std::isfinite(r.residual));
  o.method = DeerMethod::fixed_a;
  o.max_sweeps = 3;
  const auto c = cast<float>(tanh_cell(8, 0.9, 7));
  const auto u2 = cast<float>(gaussian_inputs(200, 8, 7));
  const auto q = cuda::deer(c, std::span<const float>(u2), {}, o);
  EXPECT_EQ(q.status, DeerStatus::max_sweeps) << q.reason;
  EXPECT_EQ(q.sweeps, 3);
}

TEST(DeerCuda, BadInputThrows) {
  SEQREF_REQUIRE_CUDA();
  const auto o = bad_input_throws();  // includes the cuda backend when a device is present
  EXPECT_TRUE(o.pass) << o.detail;
  TanhCell<float> big{9, std::vector<float>(81, 0.f)};
  const std::vector<float> u(90, 0.f);
  EXPECT_THROW(cuda::deer(big, std::span<const float>(u), {}), std::invalid_argument);  // d > 8
}

}  // namespace
}  // namespace seqref::verify::deer
