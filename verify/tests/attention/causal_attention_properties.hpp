#pragma once
/// \file
/// Properties of attention/causal_attention, written once and used twice: by the RapidCheck/GoogleTest suites
/// (over generated shapes and seeds) and by `seqref report` (at default sizes, causal_attention_checks.cpp).
/// Each returns what it measured; the caller asserts or tabulates.

#include "seqref/opt/attention/causal_attention.hpp"
#include "seqref/ref/attention/causal_attention.hpp"
#include "verify/support/harness.hpp"
#include "verify/support/inputs.hpp"

#include <cstdint>
#include <string>

namespace seqref::verify::attention {

inline constexpr std::string_view kMethod = "attention/causal_attention";

struct Shape {
  Index heads = 1, len = 1, head_dim = 1, value_dim = 1;
};

std::string describe(const Shape& s, Values values, std::uint64_t seed);

/// A measurement judged by the tolerance table.

// ---- tier 2: the reference against the Oracle ---------------------------------------------------------------------

/// Reference forms at double precision vs the same form at Oracle precision. `form`: "forward" (eq. 1),
/// "rnn" (eq. 2, forward order), "rnn_reverse" (eq. 2 in the post's order j = i..0), "rnn_random" (a random
/// permutation), "decode" (KV-cached decode, row by row). Keep len·len·dim·heads small (Oracle is ~500x slower).
Measured reference_vs_oracle(const Shape& s, Values values, std::uint64_t seed, std::string_view form);

/// The float reference vs the double reference (the float tier's oracle).
Measured reference_f32_vs_f64(const Shape& s, Values values, std::uint64_t seed);

// ---- tier 3: optimized vs oracle, relative to the reference -------------------------------------------------------

/// cpu float (oracle: double reference) or cpu double (oracle: Oracle reference; keep sizes small).
template <class S>
Measured cpu_vs_oracle(const Shape& s, Values values, std::uint64_t seed, cpu::AttentionTiling tiling = {});

/// cuda fp32 (bf16_inputs = false) or bf16 inputs with fp32 accumulation (true). The oracle is the double
/// reference on exactly the inputs the kernel saw (bf16-rounded when bf16_inputs). Requires a device.
Measured cuda_vs_oracle(const Shape& s, Values values, std::uint64_t seed, bool bf16_inputs);

// ---- exact properties (bit equality) ------------------------------------------------------------------------------

enum class Impl { ref_standard, ref_rnn, cpu, cuda };
std::string_view to_string(Impl impl);

/// Run one implementation in precision S (cuda: float only).
template <class S>
Tensor3<S> run(Impl impl, const AttentionInputs<S>& in, cpu::AttentionTiling tiling = {});

/// Perturb q, k, v at every position > t (fresh values of any profile, including ±1e4-sized ones); rows 0..t of the
/// output must keep every bit. t is drawn from the seed.
template <class S>
Exact causality(Impl impl, const Shape& s, Values values, std::uint64_t seed);

/// Per-row logit shift: q' = [q, c_i], k' = [k, 1] adds c_i to every logit of row i. On integer data with scale 1
/// every logit and every shifted logit is exact, so the output must keep every bit; c_i up to ±1e4... ±2^20.
template <class S>
Exact logit_shift_invariance(Impl impl, const Shape& s, std::uint64_t seed);

/// Same output bits with 1 thread and with every thread (cpu only).
template <class S>
Exact thread_count_independence(const Shape& s, Values values, std::uint64_t seed, cpu::AttentionTiling tiling);

/// Logits around ±1e4: every output finite and inside the convex hull of the visible values (per coordinate,
/// min_{j≤i} v_jc − slack ≤ o_ic ≤ max_{j≤i} v_jc + slack, slack = 4u·max|v|).
template <class S>
Exact extreme_logits_bounded(Impl impl, const Shape& s, std::uint64_t seed);

/// The post's generation claim on a tiny random decoder: KV-cached decode, full recompute and O(1)-space
/// recomputation emit identical tokens (and last-step logits equal to within 1e-12 relative, in double).
struct GenerationAgreement {
  bool pass = false;
  std::string detail;
  ref::GenerationResult cached, recompute, constant;
};
GenerationAgreement generation_paths_agree(Index layers, Index prompt_len, Index n_new, std::uint64_t seed);

/// Logits (q·k terms, per layer, heads counted once) the O(1)-space path computes, by the recursion derived from
/// eq. (2): evaluating h_ℓ(t) from scratch computes E_ℓ(t) = Σ_{j≤t} E_{ℓ−1}(j) + (t+1) logits (E_0 = 0: embeddings
/// are looked up), so E_N(t) ~ t^N/N! per token and Θ(L^{N+1}) for L tokens. Derived, not the post's: the post says
/// only that the time is "远超平方级" (far above quadratic). Summed over the positions whose logits are sampled.
std::int64_t derived_constant_memory_terms(Index layers, Index prompt_len, Index n_new);
/// The same count for the KV-cached path: Σ_t layers·(t+1).
std::int64_t derived_cached_terms(Index layers, Index prompt_len, Index n_new);

/// ref::generate's attention_terms of the O(1)-space and cached paths equal the derived counts, exactly.
Exact generation_work_matches_derived_counts(Index layers, Index prompt_len, Index n_new, std::uint64_t seed);

}  // namespace seqref::verify::attention
