#include "verify/tests/attention/causal_attention_properties.hpp"

#include "verify/support/error.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>
#include <stdexcept>

namespace seqref::verify::attention {

std::string describe(const Shape& s, Values values, std::uint64_t seed) {
  std::ostringstream os;
  os << "H=" << s.heads << " T=" << s.len << " d=" << s.head_dim;
  if (s.value_dim != s.head_dim) os << " dv=" << s.value_dim;
  os << " " << to_string(values) << " seed=" << seed;
  return os.str();
}

std::string_view to_string(Impl impl) {
  switch (impl) {
    case Impl::ref_standard: return "ref eq.(1)";
    case Impl::ref_rnn: return "ref eq.(2)";
    case Impl::cpu: return "cpu";
    case Impl::cuda: return "cuda";
  }
  return "?";
}

namespace {

template <class S>
AttentionInputs<S> inputs(const Shape& s, Values values, std::uint64_t seed) {
  return make_attention_inputs<S>(s.heads, s.len, s.head_dim, s.value_dim, values, seed);
}

template <class T, class S>
AttentionInputs<T> cast_inputs(const AttentionInputs<S>& in) {
  return {in.q.template cast<T>(), in.k.template cast<T>(), in.v.template cast<T>(), static_cast<T>(in.scale)};
}

// KV-cached decoding of a whole sequence, one position at a time, through ref::attention_decode_step.
Tensor3<double> decode_all(const AttentionInputs<double>& in) {
  const Index H = in.q.heads(), T = in.q.len(), d = in.q.dim(), dv = in.v.dim();
  ref::KvCache<double> cache(H, d, dv);
  Tensor3<double> out(H, T, dv);
  for (Index t = 0; t < T; ++t) {
    Matrix<double> q_t(H, d), k_t(H, d), v_t(H, dv);
    for (Index h = 0; h < H; ++h) {
      q_t.row(h) = in.q.head(h).row(t);
      k_t.row(h) = in.k.head(h).row(t);
      v_t.row(h) = in.v.head(h).row(t);
    }
    Matrix<double> o_t = ref::attention_decode_step(cache, q_t, k_t, v_t, in.scale);
    for (Index h = 0; h < H; ++h) out.head(h).row(t) = o_t.row(h);
  }
  return out;
}

}  // namespace

Measured reference_vs_oracle(const Shape& s, Values values, std::uint64_t seed, std::string_view form) {
  const auto in = inputs<double>(s, values, seed);
  const auto in_o = cast_inputs<Oracle>(in);
  const Tensor3<Oracle> oracle = ref::causal_attention<Oracle>(in_o.q, in_o.k, in_o.v, in_o.scale);
  Tensor3<double> out;
  std::string op = "forward";
  if (form == "forward") {
    out = ref::causal_attention<double>(in.q, in.k, in.v, in.scale);
  } else if (form == "rnn") {
    out = ref::causal_attention_rnn<double>(in.q, in.k, in.v, in.scale), op = "rnn";
  } else if (form == "rnn_reverse") {
    auto order = ref::reverse_order(s.len);
    out = ref::causal_attention_rnn<double>(in.q, in.k, in.v, in.scale, order), op = "rnn";
  } else if (form == "rnn_random") {
    std::vector<Index> order(static_cast<std::size_t>(s.len));
    std::iota(order.begin(), order.end(), Index{0});
    SplitMix64 rng(seed ^ 0x5eed);
    for (Index i = s.len - 1; i > 0; --i)  // Fisher-Yates with our portable generator
      std::swap(order[static_cast<std::size_t>(i)],
                order[static_cast<std::size_t>(static_cast<Index>(rng.next() % static_cast<std::uint64_t>(i + 1)))]);
    out = ref::causal_attention_rnn<double>(in.q, in.k, in.v, in.scale, order), op = "rnn";
  } else if (form == "decode") {
    out = decode_all(in), op = "decode";
  } else {
    throw std::logic_error("reference_vs_oracle: unknown form " + std::string(form));
  }
  const auto& tol = tolerance(kMethod, op, Precision::f64, Backend::ref);
  return {judge_absolute(tol, error_in_u<double>(out, oracle)),
          std::string(form) + " f64 vs Oracle, " + describe(s, values, seed)};
}

Measured reference_f32_vs_f64(const Shape& s, Values values, std::uint64_t seed) {
  const auto in = inputs<float>(s, values, seed);
  const auto in_d = cast_inputs<double>(in);
  const auto oracle = ref::causal_attention<double>(in_d.q, in_d.k, in_d.v, in_d.scale);
  const auto out = ref::causal_attention<float>(in.q, in.k, in.v, in.scale);
  const auto& tol = tolerance(kMethod, "forward", Precision::f32, Backend::ref);
  return {judge_absolute(tol, error_in_u<float>(out, oracle)), "f32 vs f64 reference, " + describe(s, values, seed)};
}

template <class S>
Tensor3<S> run(Impl impl, const AttentionInputs<S>& in, cpu::AttentionTiling tiling) {
  switch (impl) {
    case Impl::ref_standard: return ref::causal_attention<S>(in.q, in.k, in.v, in.scale);
    case Impl::ref_rnn: return ref::causal_attention_rnn<S>(in.q, in.k, in.v, in.scale);
    case Impl::cpu: {
      auto out = poisoned<S>(in.q.heads(), in.q.len(), in.v.dim());
      cpu::causal_attention(in.q, in.k, in.v, out.view(), in.scale, tiling);
      return out;
    }
    case Impl::cuda: {
      if constexpr (std::is_same_v<S, float>) {
        auto out = poisoned<S>(in.q.heads(), in.q.len(), in.v.dim());
        cuda::causal_attention(in.q, in.k, in.v, out.view(), in.scale);
        return out;
      } else {
        throw std::logic_error("the CUDA backend computes in fp32 only");
      }
    }
  }
  throw std::logic_error("unknown implementation");
}

template <class S>
Measured cpu_vs_oracle(const Shape& s, Values values, std::uint64_t seed, cpu::AttentionTiling tiling) {
  const auto in = inputs<S>(s, values, seed);
  const auto out = run<S>(Impl::cpu, in, tiling);
  const auto ref_out = ref::causal_attention<S>(in.q, in.k, in.v, in.scale);
  double err_opt = 0, err_ref = 0;
  Precision p = Precision::f32;
  if constexpr (std::is_same_v<S, float>) {  // oracle for float: the double reference on the same inputs
    const auto in_d = cast_inputs<double>(in);
    const auto oracle = ref::causal_attention<double>(in_d.q, in_d.k, in_d.v, in_d.scale);
    err_opt = error_in_u<float>(out, oracle), err_ref = error_in_u<float>(ref_out, oracle);
  } else {  // oracle for double: the 50-digit reference
    const auto in_o = cast_inputs<Oracle>(in);
    const auto oracle = ref::causal_attention<Oracle>(in_o.q, in_o.k, in_o.v, in_o.scale);
    err_opt = error_in_u<double>(out, oracle), err_ref = error_in_u<double>(ref_out, oracle);
    p = Precision::f64;
  }
  const auto& tol = tolerance(kMethod, "forward", p, Backend::cpu);
  std::ostringstream os;
  os << "cpu " << (p == Precision::f32 ? "f32" : "f64") << " tiles " << tiling.block_q << "x" << tiling.block_k << ", "
     << describe(s, values, seed);
  return {judge_relative(tol, err_opt, err_ref), os.str()};
}

Measured cuda_vs_oracle(const Shape& s, Values values, std::uint64_t seed, bool bf16_inputs) {
  auto in = inputs<float>(s, values, seed);
  if (bf16_inputs)  // the problem is the bf16-rounded inputs: round once, and let the oracle see the same values
    for (Tensor3<float>* t : {&in.q, &in.k, &in.v})
      for (Index i = 0; i < t->size(); ++i) t->data()[i] = round_to_bf16(t->data()[i]);
  const auto in_d = cast_inputs<double>(in);
  const auto oracle = ref::causal_attention<double>(in_d.q, in_d.k, in_d.v, in_d.scale);
  const auto ref_out = ref::causal_attention<float>(in.q, in.k, in.v, in.scale);
  auto out = poisoned<float>(s.heads, s.len, s.value_dim);
  if (bf16_inputs) {
    auto to_bf16_tensor = [](const Tensor3<float>& t) {
      Tensor3<bf16> b(t.heads(), t.len(), t.dim());
      for (Index i = 0; i < t.size(); ++i) b.data()[i] = to_bf16(t.data()[i]);
      return b;
    };
    const auto qb = to_bf16_tensor(in.q), kb = to_bf16_tensor(in.k), vb = to_bf16_tensor(in.v);
    cuda::causal_attention(qb.view(), kb.view(), vb.view(), out.view(), in.scale);
  } else {
    cuda::causal_attention(in.q, in.k, in.v, out.view(), in.scale);
  }
  const Precision p = bf16_inputs ? Precision::bf16 : Precision::f32;
  const auto& tol = tolerance(kMethod, "forward", p, Backend::cuda);
  return {judge_relative(tol, error_in_u<float>(out, oracle), error_in_u<float>(ref_out, oracle)),
          std::string("cuda ") + (bf16_inputs ? "bf16 in/f32 acc" : "f32") + ", " + describe(s, values, seed)};
}

template <class S>
Exact causality(Impl impl, const Shape& s, Values values, std::uint64_t seed) {
  const auto in = inputs<S>(s, values, seed);
  const Index t = static_cast<Index>(seed % static_cast<std::uint64_t>(s.len));
  auto perturbed = in;
  SplitMix64 rng(seed ^ 0xca5a1);
  for (Tensor3<S>* x : {&perturbed.q, &perturbed.k, &perturbed.v})
    for (Index h = 0; h < x->heads(); ++h)
      for (Index i = t + 1; i < x->len(); ++i)
        for (Index c = 0; c < x->dim(); ++c) (*x)(h, i, c) = static_cast<S>(draw(Values::wide, rng) * 8.0);
  const auto a = run<S>(impl, in), b = run<S>(impl, perturbed);
  bool same = true;
  for (Index h = 0; h < s.heads && same; ++h) same = bit_identical(&a(h, 0, 0), &b(h, 0, 0), (t + 1) * s.value_dim);
  std::ostringstream os;
  os << to_string(impl) << ": rows 0.." << t << " after perturbing rows > " << t << ", " << describe(s, values, seed);
  return {same, os.str()};
}

template <class S>
Exact logit_shift_invariance(Impl impl, const Shape& s, std::uint64_t seed) {
  auto in = inputs<S>(s, Values::small_ints, seed);
  in.v = make_tensor<S>(s.heads, s.len, s.value_dim, Values::normal, seed + 7);
  in.scale = S(1);  // integer logits, exact in S
  AttentionInputs<S> shifted{Tensor3<S>(s.heads, s.len, s.head_dim + 1), Tensor3<S>(s.heads, s.len, s.head_dim + 1),
                             in.v, in.scale};
  SplitMix64 rng(seed ^ 0x5a1f7);
  for (Index h = 0; h < s.heads; ++h)
    for (Index i = 0; i < s.len; ++i) {
      for (Index c = 0; c < s.head_dim; ++c) shifted.q(h, i, c) = in.q(h, i, c), shifted.k(h, i, c) = in.k(h, i, c);
      // c_i: an integer up to ±2^20 (±1e6), so s_ij + c_i stays exact in float (< 2^24)
      shifted.q(h, i, s.head_dim) = static_cast<S>(std::floor((rng.uniform() * 2.0 - 1.0) * 1048576.0));
      shifted.k(h, i, s.head_dim) = S(1);
    }
  const auto a = run<S>(impl, in), b = run<S>(impl, shifted);
  std::ostringstream os;
  os << to_string(impl) << ": per-row shifts up to ±2^20 on integer logits, " << describe(s, Values::small_ints, seed);
  return {bit_identical(a.data(), b.data(), a.size()), os.str()};
}

template <class S>
Exact thread_count_independence(const Shape& s, Values values, std::uint64_t seed, cpu::AttentionTiling tiling) {
  const auto in = inputs<S>(s, values, seed);
  const int max_threads = omp_get_max_threads();
  omp_set_num_threads(1);
  const auto one = run<S>(Impl::cpu, in, tiling);
  omp_set_num_threads(std::max(max_threads, 2));  // at least 2, even on a 1-core machine
  const auto many = run<S>(Impl::cpu, in, tiling);
  omp_set_num_threads(max_threads);
  std::ostringstream os;
  os << "cpu 1 thread vs " << std::max(max_threads, 2) << ", " << describe(s, values, seed);
  return {bit_identical(one.data(), many.data(), one.size()), os.str()};
}

template <class S>
Exact extreme_logits_bounded(Impl impl, const Shape& s, std::uint64_t seed) {
  const auto in = inputs<S>(s, Values::extreme, seed);
  const auto out = run<S>(impl, in);
  bool ok = all_finite(out);
  const double u = unit_roundoff<S>();
  double largest_logit = 0;
  for (Index h = 0; h < s.heads && ok; ++h)
    for (Index c = 0; c < s.value_dim && ok; ++c) {
      double lo = INFINITY, hi = -INFINITY, vmax = 0;
      for (Index i = 0; i < s.len && ok; ++i) {
        double vi = static_cast<double>(in.v(h, i, c));
        lo = std::min(lo, vi), hi = std::max(hi, vi), vmax = std::max(vmax, std::abs(vi));
        const double o = static_cast<double>(out(h, i, c)), slack = 16 * u * vmax;
        ok = o >= lo - slack && o <= hi + slack;
      }
    }
  for (Index i = 0; i < std::min<Index>(s.len, 8); ++i)
    largest_logit = std::max(
        largest_logit,
        std::abs(static_cast<double>(in.scale) * static_cast<double>(in.q.head(0).row(i).dot(in.k.head(0).row(0)))));
  std::ostringstream os;
  os << to_string(impl) << ": finite and convex (|logit| ~ " << std::round(largest_logit) << "), "
     << describe(s, Values::extreme, seed);
  return {ok, os.str()};
}

GenerationAgreement generation_paths_agree(Index layers, Index prompt_len, Index n_new, std::uint64_t seed) {
  const auto model = ref::TinyDecoder<double>::random(/*vocab=*/32, /*d_model=*/16, /*heads=*/2, layers, seed);
  SplitMix64 rng(seed ^ 0x70c3);
  std::vector<std::int32_t> prompt(static_cast<std::size_t>(prompt_len));
  for (auto& tok : prompt) tok = static_cast<std::int32_t>(rng.next() % 32);
  GenerationAgreement g;
  g.cached = ref::generate(model, prompt, n_new, ref::DecodeMode::kv_cached, seed);
  g.recompute = ref::generate(model, prompt, n_new, ref::DecodeMode::full_recompute, seed);
  g.constant = ref::generate(model, prompt, n_new, ref::DecodeMode::constant_memory, seed);
  const bool same_tokens = g.cached.tokens == g.recompute.tokens && g.cached.tokens == g.constant.tokens;
  double worst = 0;  // largest relative difference of the last logits between paths, in u
  auto rel = [](const std::vector<double>& a, const std::vector<double>& b) {
    double num = 0, den = 0;
    for (std::size_t i = 0; i < a.size(); ++i) num += (a[i] - b[i]) * (a[i] - b[i]), den += b[i] * b[i];
    return std::sqrt(num / den) / unit_roundoff<double>();
  };
  worst =
      std::max(rel(g.recompute.last_logits, g.cached.last_logits), rel(g.constant.last_logits, g.cached.last_logits));
  const auto& tol = tolerance(kMethod, "generation_logits", Precision::f64, Backend::ref);
  std::ostringstream os;
  os << layers << " layers, " << prompt_len << "+" << n_new << " tokens: tokens "
     << (same_tokens ? "identical" : "DIFFER") << ", last logits within " << worst << "u (bound " << tol.K
     << "u); peak state scalars cached " << g.cached.peak_state_scalars << ", recompute "
     << g.recompute.peak_state_scalars << ", O(1)-space " << g.constant.peak_state_scalars;
  g.pass = same_tokens && worst <= tol.K;
  g.detail = os.str();
  return g;
}

std::int64_t derived_constant_memory_terms(Index layers, Index prompt_len, Index n_new) {
  std::int64_t total = 0;
  for (Index t = prompt_len - 1; t < prompt_len + n_new - 1; ++t) {   // positions whose logits are sampled
    std::vector<std::int64_t> e(static_cast<std::size_t>(t + 1), 0);  // E_ℓ(j) for j ≤ t, ℓ from 0 up
    for (Index l = 1; l <= layers; ++l) {
      std::int64_t prefix = 0;
      for (Index j = 0; j <= t; ++j) {
        prefix += e[static_cast<std::size_t>(j)];
        e[static_cast<std::size_t>(j)] = prefix + (j + 1);
      }
    }
    total += e[static_cast<std::size_t>(t)];
  }
  return total;
}

std::int64_t derived_cached_terms(Index layers, Index prompt_len, Index n_new) {
  std::int64_t total = 0;
  for (Index t = 0; t < prompt_len + n_new - 1; ++t) total += layers * (t + 1);
  return total;
}

Exact generation_work_matches_derived_counts(Index layers, Index prompt_len, Index n_new, std::uint64_t seed) {
  const auto model = ref::TinyDecoder<double>::random(/*vocab=*/32, /*d_model=*/16, /*heads=*/2, layers, seed);
  const std::vector<std::int32_t> prompt(static_cast<std::size_t>(prompt_len), 1);
  const auto constant = ref::generate(model, prompt, n_new, ref::DecodeMode::constant_memory, seed);
  const auto cached = ref::generate(model, prompt, n_new, ref::DecodeMode::kv_cached, seed);
  const std::int64_t want_constant = derived_constant_memory_terms(layers, prompt_len, n_new),
                     want_cached = derived_cached_terms(layers, prompt_len, n_new);
  Exact r;
  r.pass = constant.attention_terms == want_constant && cached.attention_terms == want_cached;
  std::ostringstream os;
  os << layers << " layers, " << prompt_len << "+" << n_new << " tokens: logits computed, O(1)-space "
     << constant.attention_terms << " (derived recursion " << want_constant << "), cached " << cached.attention_terms
     << " (" << want_cached << "); time exponent N+1 is derived (the post: far above quadratic)";
  r.detail = os.str();
  r.value = static_cast<double>(constant.attention_terms);
  return r;
}

#define SEQREF_INSTANTIATE_PROPERTIES(S)                                                                  \
  template Tensor3<S> run<S>(Impl, const AttentionInputs<S>&, cpu::AttentionTiling);                      \
  template Measured cpu_vs_oracle<S>(const Shape&, Values, std::uint64_t, cpu::AttentionTiling);          \
  template Exact causality<S>(Impl, const Shape&, Values, std::uint64_t);                                 \
  template Exact logit_shift_invariance<S>(Impl, const Shape&, std::uint64_t);                            \
  template Exact thread_count_independence<S>(const Shape&, Values, std::uint64_t, cpu::AttentionTiling); \
  template Exact extreme_logits_bounded<S>(Impl, const Shape&, std::uint64_t);
SEQREF_INSTANTIATE_PROPERTIES(float)
SEQREF_INSTANTIATE_PROPERTIES(double)
#undef SEQREF_INSTANTIATE_PROPERTIES

}  // namespace seqref::verify::attention
