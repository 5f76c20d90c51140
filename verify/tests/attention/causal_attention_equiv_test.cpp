// Tier 3 for attention/causal_attention on the CPU backend: the optimized kernel against the oracle, relative to the
// same-precision reference (verify/support/tolerance.hpp), plus the exact properties: causality, logit-shift
// invariance, thread-count independence, no unwritten outputs (NaN poisoning) and extreme logits.

#include "verify/support/error.hpp"
#include "verify/support/generators.hpp"
#include "verify/tests/attention/causal_attention_properties.hpp"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace seqref::verify::attention {
namespace {

Shape gen_shape() {
  Shape s;
  s.heads = *gen::heads();
  s.len = *gen::seq_len();
  s.head_dim = *gen::head_dim();
  s.value_dim = *rc::gen::weightedOneOf<Index>({{3, rc::gen::just(s.head_dim)}, {1, gen::head_dim()}});
  return s;
}

RC_GTEST_PROP(CausalAttentionCpu, FloatMatchesOracleRelativeToReference, ()) {
  const Shape s = gen_shape();
  const cpu::AttentionTiling tiling{*gen::tile(), *gen::tile()};
  const auto m = cpu_vs_oracle<float>(s, *gen::measurable_values(), *gen::seed(), tiling);
  RC_LOG() << m.detail << ": " << m.verdict.err_u << "u vs reference " << m.verdict.ref_err_u << "u (bound "
           << m.verdict.bound_u << "u)\n";
  RC_ASSERT(m.verdict.pass);
}

RC_GTEST_PROP(CausalAttentionCpu, DoubleMatchesOracleRelativeToReference, ()) {
  // The 50-digit oracle is ~500x slower than double: lengths up to 129, dims up to 32.
  const Shape s{*rc::gen::inRange<Index>(1, 3), *rc::gen::element<Index>(1, 2, 7, 63, 64, 65, 129),
                *rc::gen::element<Index>(1, 3, 16, 32), *rc::gen::element<Index>(1, 16)};
  const cpu::AttentionTiling tiling{*gen::tile(), *gen::tile()};
  const auto m = cpu_vs_oracle<double>(s, *gen::measurable_values(), *gen::seed(), tiling);
  RC_LOG() << m.detail << ": " << m.verdict.err_u << "u vs reference " << m.verdict.ref_err_u << "u\n";
  RC_ASSERT(m.verdict.pass);
}

TEST(CausalAttentionCpu, TileBoundaryAndLongSequences) {
  // Around the 64-row tile and past it, each against the double reference: T in {1, 2, 63, 64, 65, 1000, 4096},
  // d in {16, 64, 128}, several heads. (T = 4096 only at d = 64 with 2 heads: the double reference costs O(T²d).)
  for (Index T : {1, 2, 63, 64, 65, 1000})
    for (Index d : {16, 64, 128}) {
      const auto m = cpu_vs_oracle<float>({3, T, d, d}, Values::normal, 1000 + T + d);
      EXPECT_TRUE(m.verdict.pass) << m.detail << ": " << m.verdict.err_u << "u, bound " << m.verdict.bound_u;
    }
  const auto m = cpu_vs_oracle<float>({2, 4096, 64, 64}, Values::normal, 4096);
  EXPECT_TRUE(m.verdict.pass) << m.detail << ": " << m.verdict.err_u << "u, bound " << m.verdict.bound_u;
}

RC_GTEST_PROP(CausalAttentionCpu, CausalityIsBitExact, ()) {
  const Shape s = gen_shape();
  const auto r = causality<float>(Impl::cpu, s, *gen::any_values(), *gen::seed());
  RC_LOG() << r.detail << "\n";
  RC_ASSERT(r.pass);
}

RC_GTEST_PROP(CausalAttentionCpu, LogitShiftInvarianceIsBitExact, ()) {
  Shape s = gen_shape();
  const auto r = logit_shift_invariance<float>(Impl::cpu, s, *gen::seed());
  RC_LOG() << r.detail << "\n";
  RC_ASSERT(r.pass);
}

RC_GTEST_PROP(CausalAttentionCpu, ThreadCountDoesNotChangeBits, ()) {
  const Shape s = gen_shape();
  const auto r = thread_count_independence<float>(s, *gen::any_values(), *gen::seed(), {*gen::tile(), *gen::tile()});
  RC_LOG() << r.detail << "\n";
  RC_ASSERT(r.pass);
}

RC_GTEST_PROP(CausalAttentionCpu, ExtremeLogitsStayFiniteAndConvex, ()) {
  const Shape s = gen_shape();
  const auto seed = *gen::seed();
  const auto f = extreme_logits_bounded<float>(Impl::cpu, s, seed);
  RC_LOG() << f.detail << "\n";
  RC_ASSERT(f.pass);
  const auto d = extreme_logits_bounded<double>(Impl::cpu, s, seed);
  RC_ASSERT(d.pass);
}

TEST(CausalAttentionCpu, ReferenceFormsPassTheSameExactProperties) {
  // The exact properties hold for the reference too: they are properties of the math, not of the kernel.
  for (Impl impl : {Impl::ref_standard, Impl::ref_rnn}) {
    EXPECT_TRUE(causality<double>(impl, {2, 65, 16, 16}, Values::normal, 77).pass) << to_string(impl);
    EXPECT_TRUE(logit_shift_invariance<double>(impl, {2, 65, 16, 16}, 78).pass) << to_string(impl);
    EXPECT_TRUE(extreme_logits_bounded<float>(impl, {2, 65, 16, 16}, 79).pass) << to_string(impl);
  }
}

TEST(CausalAttentionCpu, WideWidthsAndOddTiles) {
  // Extreme tilings: 1x1 tiles (every element its own tile), tiles wider than T, a prime tile size.
  for (cpu::AttentionTiling t : {cpu::AttentionTiling{1, 1}, cpu::AttentionTiling{1000, 1000},
                                 cpu::AttentionTiling{7, 13}, cpu::AttentionTiling{64, 1}}) {
    const auto m = cpu_vs_oracle<float>({2, 97, 17, 5}, Values::normal, 31, t);
    EXPECT_TRUE(m.verdict.pass) << m.detail << ": " << m.verdict.err_u << "u";
  }
}

TEST(CausalAttentionCpu, RejectsBadInput) {
  Tensor3<float> q(2, 5, 4), k(2, 5, 4), v(2, 5, 3), out(2, 5, 3);
  EXPECT_THROW(cpu::causal_attention(q, Tensor3<float>(2, 6, 4), v, out.view(), 1.f), std::invalid_argument);
  EXPECT_THROW(cpu::causal_attention(q, k, v, Tensor3<float>(2, 5, 4).view(), 1.f), std::invalid_argument);
  EXPECT_THROW(cpu::causal_attention(q, k, v, out.view(), INFINITY), std::invalid_argument);
  EXPECT_THROW(cpu::causal_attention(q, k, v, out.view(), 1.f, {0, 4}), std::invalid_argument);
  auto bad = v;
  bad(0, 4, 2) = NAN;
  EXPECT_THROW(cpu::causal_attention(q, k, bad, out.view(), 1.f), std::invalid_argument);
  Tensor3<float> big(1, 2, 1), vv(1, 2, 1), o1(1, 2, 1);
  big(0, 1, 0) = 1e30f;  // finite inputs, logit 1e60 overflows float: invalid_argument, not NaN
  EXPECT_THROW(cpu::causal_attention(big, big, vv, o1.view(), 1.f), std::invalid_argument);
  try {
    cpu::causal_attention(q, k, v, Tensor3<float>(2, 5, 4).view(), 1.f);
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("seqref::cpu::causal_attention"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("out [2, 5, 4]"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace seqref::verify::attention
