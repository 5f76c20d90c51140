// `seqref report` checks for attention/causal_attention: the property functions of the test suites at default
// sizes. Each check says what it compares; errors are in units of u of the precision under test.

#include "verify/support/error.hpp"
#include "verify/support/outcome.hpp"
#include "verify/support/registry.hpp"
#include "verify/support/timing.hpp"
#include "verify/tests/attention/causal_attention_properties.hpp"

#include "seqref/opt/backend.hpp"

namespace seqref::verify::attention {
namespace {

const std::string method(kMethod);

SEQREF_REGISTER_CHECK(method, "eq.(1) materialized scores vs Oracle", "ref", [] {
  return outcome_of(reference_vs_oracle({2, 64, 16, 16}, Values::normal, 1, "forward"));
});
SEQREF_REGISTER_CHECK(method, "eq.(2) RNN form (online softmax) vs Oracle", "ref", [] {
  return outcome_of(reference_vs_oracle({2, 64, 16, 16}, Values::normal, 2, "rnn"));
});
SEQREF_REGISTER_CHECK(method, "eq.(2) in the post's order j=i..1 vs Oracle", "ref", [] {
  return outcome_of(reference_vs_oracle({2, 64, 16, 16}, Values::normal, 3, "rnn_reverse"));
});
SEQREF_REGISTER_CHECK(method, "eq.(2) in a random order vs Oracle", "ref", [] {
  return outcome_of(reference_vs_oracle({2, 64, 16, 16}, Values::normal, 4, "rnn_random"));
});
SEQREF_REGISTER_CHECK(method, "KV-cached decode = prefill rows, vs Oracle", "ref", [] {
  return outcome_of(reference_vs_oracle({2, 64, 16, 16}, Values::normal, 5, "decode"));
});
SEQREF_REGISTER_CHECK(method, "f32 reference vs f64", "ref", [] {
  return outcome_of(reference_f32_vs_f64({4, 1000, 64, 64}, Values::normal, 6));
});
SEQREF_REGISTER_CHECK(method, "cached = full recompute = O(1)-space tokens (3 layers)", "ref", [] {
  const auto g = generation_paths_agree(3, 3, 16, 7);
  CheckOutcome o;
  o.pass = g.pass;
  o.detail = g.detail;
  return o;
});

SEQREF_REGISTER_CHECK(method, "O(1)-space work = the derived recursion (exponent N+1 derived, not the post's)", "ref",
                      [] { return outcome_of(generation_work_matches_derived_counts(3, 2, 12, 8)); });

SEQREF_REGISTER_CHECK(method, "flash forward f32 vs f64 oracle (T=1000, d=64, 4 heads)", "cpu", [] {
  const Shape s{4, 1000, 64, 64};
  auto o = outcome_of(cpu_vs_oracle<float>(s, Values::normal, 8));
  // speedup: the f32 reference (eq. 1) over the f32 cpu kernel on the same inputs, median of 3
  const auto in = make_attention_inputs<float>(s.heads, s.len, s.head_dim, s.value_dim, Values::normal, 8);
  Tensor3<float> out(s.heads, s.len, s.value_dim);
  const double t_ref = median_seconds([&] { (void)ref::causal_attention<float>(in.q, in.k, in.v, in.scale); });
  const double t_cpu = median_seconds([&] { cpu::causal_attention(in.q, in.k, in.v, out.view(), in.scale); }, 5);
  o.speedup = t_ref / t_cpu;
  return o;
});
SEQREF_REGISTER_CHECK(method, "flash forward f64 vs Oracle (T=129, d=32, 2 heads)", "cpu", [] {
  return outcome_of(cpu_vs_oracle<double>({2, 129, 32, 32}, Values::normal, 9, {64, 128}));
});
// key tiles narrower than query tiles: whole score rows of a tile fully masked (the visible == 0 branch)
SEQREF_REGISTER_CHECK(method, "flash forward f64 vs Oracle, tiles 16 x 5 (fully masked rows), T=40", "cpu", [] {
  return outcome_of(cpu_vs_oracle<double>({2, 40, 8, 8}, Values::normal, 14, {16, 5}));
});
SEQREF_REGISTER_CHECK(method, "causality: rows <= t unchanged by inputs after t", "cpu", [] {
  return outcome_of(causality<float>(Impl::cpu, {4, 1000, 64, 64}, Values::normal, 10));
});
// small integers, t = 0 (seed 0): row 0 is v_0 exactly, and where v_0 has a 0 a masked key weighted 1e-30 instead
// of exactly 0 shows (rows with O(1) outputs would round the tiny weight away)
SEQREF_REGISTER_CHECK(method, "causality, integer inputs, row 0 (masked keys exactly 0)", "cpu", [] {
  return outcome_of(causality<float>(Impl::cpu, {4, 64, 16, 16}, Values::small_ints, 0));
});
SEQREF_REGISTER_CHECK(method, "logit-shift invariance (integer logits, shifts to 2^20)", "cpu", [] {
  return outcome_of(logit_shift_invariance<float>(Impl::cpu, {2, 300, 64, 64}, 11));
});
SEQREF_REGISTER_CHECK(method, "extreme logits (~1e4): finite, convex", "cpu", [] {
  return outcome_of(extreme_logits_bounded<float>(Impl::cpu, {2, 1000, 64, 64}, 12));
});
SEQREF_REGISTER_CHECK(method, "same bits with 1 thread and all threads", "cpu", [] {
  return outcome_of(thread_count_independence<float>({4, 1000, 64, 64}, Values::normal, 13, {}));
});

CheckOutcome cuda_check(bool bf16) {
  if (!cuda::available()) return cuda_skipped();
  return outcome_of(cuda_vs_oracle({4, 1000, 64, 64}, Values::normal, 14, bf16));
}
SEQREF_REGISTER_CHECK(
    method, "flash forward fp32 vs f64 oracle", "cuda", [] { return cuda_check(false); }, "CausalAttentionCuda");
SEQREF_REGISTER_CHECK(
    method, "flash forward bf16 in, fp32 acc, vs f64 oracle", "cuda", [] { return cuda_check(true); },
    "CausalAttentionCuda");

}  // namespace
}  // namespace seqref::verify::attention
