// Tier 3 for attention/causal_attention on the CUDA backend (CTest label `gpu`): skipped with "no CUDA device"
// where there is none; run by tools/gpu-verify on a GPU machine.

#include "verify/support/generators.hpp"
#include "verify/support/gpu.hpp"
#include "verify/tests/attention/causal_attention_properties.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace seqref::verify::attention {
namespace {

TEST(CausalAttentionCuda, TileBoundaryAndLongSequencesFp32AndBf16) {
  SEQREF_REQUIRE_CUDA();
  for (Index T : {1, 2, 63, 64, 65, 1000, 4096})
    for (Index d : {16, 64, 128})
      for (bool bf16 : {false, true}) {
        if (T == 4096 && d == 128) continue;  // the double-reference oracle would take minutes
        const auto m = cuda_vs_oracle({3, T, d, d}, Values::normal, 2000 + T + d, bf16);
        EXPECT_TRUE(m.verdict.pass) << m.detail << ": " << m.verdict.err_u << "u vs ref " << m.verdict.ref_err_u
                                    << "u, bound " << m.verdict.bound_u << "u";
      }
}

RC_GTEST_PROP(CausalAttentionCuda, MatchesOracleRelativeToReference, ()) {
  SEQREF_REQUIRE_CUDA();
  const Shape s{*gen::heads(), *gen::seq_len(), *rc::gen::element<Index>(1, 3, 16, 17, 64, 100, 128),
                *rc::gen::element<Index>(1, 16, 64, 128)};
  const auto m = cuda_vs_oracle(s, *gen::measurable_values(), *gen::seed(), *rc::gen::arbitrary<bool>());
  RC_LOG() << m.detail << ": " << m.verdict.err_u << "u vs ref " << m.verdict.ref_err_u << "u\n";
  RC_ASSERT(m.verdict.pass);
}

RC_GTEST_PROP(CausalAttentionCuda, CausalityIsBitExact, ()) {
  SEQREF_REQUIRE_CUDA();
  const Shape s{*gen::heads(), *gen::seq_len(), *rc::gen::element<Index>(16, 64, 128), 64};
  const auto r = causality<float>(Impl::cuda, s, *gen::any_values(), *gen::seed());
  RC_LOG() << r.detail << "\n";
  RC_ASSERT(r.pass);
}

TEST(CausalAttentionCuda, ExtremeLogitsStayFiniteAndConvex) {
  SEQREF_REQUIRE_CUDA();
  for (Index T : {1, 65, 1000}) {
    const auto r = extreme_logits_bounded<float>(Impl::cuda, {2, T, 64, 64}, 5 + T);
    EXPECT_TRUE(r.pass) << r.detail;
  }
}

TEST(CausalAttentionCuda, SanitizerSmall) {
  // One small size per kernel (fp32 and bf16 inputs, a partial tile), for compute-sanitizer in tools/gpu-verify.
  SEQREF_REQUIRE_CUDA();
  for (bool bf16 : {false, true}) {
    const auto m = cuda_vs_oracle({2, 70, 64, 64}, Values::normal, 9, bf16);
    EXPECT_TRUE(m.verdict.pass) << m.detail << ": " << m.verdict.err_u << "u";
  }
}

TEST(CausalAttentionCuda, RejectsBadInput) {
  SEQREF_REQUIRE_CUDA();
  Tensor3<float> q(2, 5, 4), k(2, 5, 4), v(2, 5, 3), out(2, 5, 3);
  EXPECT_THROW(cuda::causal_attention(q, Tensor3<float>(2, 6, 4), v, out.view(), 1.f), std::invalid_argument);
  EXPECT_THROW(cuda::causal_attention(Tensor3<float>(1, 5, 129), Tensor3<float>(1, 5, 129), v, out.view(), 1.f),
               std::invalid_argument);
  auto bad = v;
  bad(0, 4, 2) = NAN;
  EXPECT_THROW(cuda::causal_attention(q, k, bad, out.view(), 1.f), std::invalid_argument);
}

TEST(CausalAttentionCuda, ReportsWhenUnavailable) {
  // Without a device the entry points throw a clear runtime_error instead of crashing.
  if (cuda::available()) GTEST_SKIP() << "a CUDA device is present; this checks the no-device path";
  Tensor3<float> q(1, 2, 4), out(1, 2, 4);
  EXPECT_THROW(cuda::causal_attention(q, q, q, out.view(), 1.f), std::runtime_error);
}

}  // namespace
}  // namespace seqref::verify::attention
