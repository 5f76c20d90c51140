#pragma once
/// \file
/// Reference causal attention, after "Attention as an O(n²) RNN" (kexue.fm/archives/10017):
///
///   (1)  o_i = Σ_{j≤i} exp(s·q_i·k_j) v_j / Σ_{j≤i} exp(s·q_i·k_j)
///   (2)  (y_i, z_i)^{(t)} = (y_i, z_i)^{(t-1)} + exp(s·q_i·k_{i-t+1}) (v_{i-t+1}, 1),   o_i = y_i^{(i)} / z_i^{(i)}
///
/// Eq. (1) is computed with materialized scores (the "standard" form); eq. (2) as an RNN over j with a running
/// maximum m (online softmax, Rabe & Staats arXiv 2112.05682), in any visiting order. The post writes no scale;
/// every function here takes it explicitly (s = 1 is the post, s = 1/√d the usual choice).
///
/// Plain loops and Eigen, templated on the scalar; instantiated for float, double and Oracle.
/// Shapes: q, k [H, T, d], v [H, T, dv] (row-major, heads outermost), output [H, T, dv].

#include "seqref/core/attention_args.hpp"
#include "seqref/core/oracle.hpp"
#include "seqref/core/tensor.hpp"

#include <cmath>
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

namespace seqref::ref {

/// 1/√d in the scalar type.
template <class S>
S default_scale(Index head_dim) {
  using std::sqrt;
  return S(1) / sqrt(S(head_dim));
}

/// The online-softmax state of one query row after visiting some keys: running max m, z = Σ exp(s_j − m),
/// y = Σ exp(s_j − m) v_j. It is a monoid: states of disjoint key sets merge exactly (up to rounding), which is
/// what makes any visiting order, any tiling and any split across threads valid.
template <class S>
struct OnlineSoftmax {
  S m = -std::numeric_limits<S>::infinity();
  S z = S(0);
  RowVector<S> y;

  explicit OnlineSoftmax(Index value_dim) : y(RowVector<S>::Zero(value_dim)) {}

  /// Visit one key: logit l with value row v (eq. 2 with the max rescaling).
  template <class Row>
  void push(S logit, const Row& v) {
    using std::exp;
    if (logit > m) {
      S alpha = exp(m - logit);  // rescale what was accumulated under the old max (exp(-inf) = 0 at the start)
      z = z * alpha;
      y = y * alpha;
      m = logit;
    }
    S p = exp(logit - m);
    z += p;
    y += p * v;
  }

  /// Combine with the state of a disjoint set of keys.
  void merge(const OnlineSoftmax& other) {
    using std::exp;
    if (other.z == S(0)) return;
    if (z == S(0)) {
      *this = other;
      return;
    }
    S mx = m > other.m ? m : other.m;
    S a = exp(m - mx), b = exp(other.m - mx);
    z = a * z + b * other.z;
    y = a * y + b * other.y;
    m = mx;
  }

  /// o = y / z.
  RowVector<S> output() const { return y / z; }
};

/// Eq. (1): materialized scores P = softmax(s·QKᵀ + causal mask), O = P V; softmax by the two-pass rule
/// (row max, then exp and sum). Throws std::invalid_argument on bad shapes, non-finite inputs or scale.
template <class S>
Tensor3<S> causal_attention(ConstTensorView<S> q, ConstTensorView<S> k, ConstTensorView<S> v, S scale);

/// Eq. (1) for the query rows `rows` of head h only (a rows.size() × v.dim matrix, row r = o_{rows[r]}): the same
/// arithmetic as causal_attention restricted to those rows (what the judge's yardstick samples).
template <class S>
Matrix<S> causal_attention_rows(ConstTensorView<S> q, ConstTensorView<S> k, ConstTensorView<S> v, S scale, Index h,
                                std::span<const Index> rows);

/// Eq. (2): for every row i an RNN over the keys j ≤ i carrying (y, z, m). `scan_order`, if not empty, is a
/// permutation of 0..T−1 giving the order in which keys are visited (keys j > i are skipped); empty means
/// j = 0, 1, …, i. The post's own order j = i, i−1, …, 0 is `reverse_order(T)`.
template <class S>
Tensor3<S> causal_attention_rnn(ConstTensorView<S> q, ConstTensorView<S> k, ConstTensorView<S> v, S scale,
                                std::span<const Index> scan_order = {});

/// T−1, T−2, …, 0: the visiting order of eq. (2) in the post.
std::vector<Index> reverse_order(Index len);

/// A KV cache for incremental decoding: per head, the keys and values of every position seen so far.
template <class S>
class KvCache {
 public:
  KvCache(Index heads, Index key_dim, Index value_dim);
  Index heads() const { return heads_; }
  Index len() const { return len_; }
  Index key_dim() const { return key_dim_; }
  Index value_dim() const { return value_dim_; }
  /// Scalars held (keys and values of all heads): 2·H·T·d for d = dv.
  Index scalars() const { return len_ * heads_ * (key_dim_ + value_dim_); }
  /// Keys of head h, len() x key_dim().
  Eigen::Map<const Matrix<S>> keys(Index h) const;
  Eigen::Map<const Matrix<S>> values(Index h) const;
  /// Append one position: k_t, v_t as [H, d] and [H, dv] matrices.
  void append(const Matrix<S>& k_t, const Matrix<S>& v_t);

 private:
  Index heads_, key_dim_, value_dim_, len_ = 0;
  std::vector<std::vector<S>> k_, v_;  // per head, row-major [len, dim]
};

/// One decoding step: append (k_t, v_t) to the cache, then attend q_t ([H, d]) over every cached position.
/// Returns [H, dv]. Equals row t of causal_attention over the whole sequence (to rounding).
template <class S>
Matrix<S> attention_decode_step(KvCache<S>& cache, const Matrix<S>& q_t, const Matrix<S>& k_t, const Matrix<S>& v_t,
                                S scale);

// ---------------------------------------------------------------------------------------------------------------
// A tiny random decoder-only model, for the post's O(1)-space generation argument.
//
//   h_0(t) = E[token_t]
//   x = rmsnorm(h_{ℓ−1}(t)),  q = x W_q,  k = x W_k,  v = x W_v       (heads: column blocks of width d_model/H)
//   h_ℓ(t) = h_{ℓ−1}(t) + concat_h(attention_h(q, k_{≤t}, v_{≤t})) W_o
//   logits(t) = rmsnorm(h_N(t)) U
//
// No positional encoding (the causal mask alone carries order). Tokens are drawn by Gumbel-max with noise fixed by a
// seed, so every decoding path sees the same noise and must produce the same tokens.

template <class S>
struct TinyDecoder {
  Index vocab = 0, d_model = 0, heads = 0, layers = 0;
  Matrix<S> embed;                        ///< [vocab, d_model]
  std::vector<Matrix<S>> wq, wk, wv, wo;  ///< per layer, [d_model, d_model]
  Matrix<S> unembed;                      ///< [d_model, vocab]

  Index head_dim() const { return d_model / heads; }
  /// Weights ~ N(0, 1/d_model) (embeddings N(0, 1)), from a seeded generator of our own (portable across
  /// standard libraries). d_model must be a multiple of heads.
  static TinyDecoder random(Index vocab, Index d_model, Index heads, Index layers, std::uint64_t seed);
  template <class T>
  TinyDecoder<T> cast() const {
    TinyDecoder<T> out;
    out.vocab = vocab, out.d_model = d_model, out.heads = heads, out.layers = layers;
    out.embed = embed.template cast<T>();
    out.unembed = unembed.template cast<T>();
    for (Index l = 0; l < layers; ++l) {
      out.wq.push_back(wq[l].template cast<T>());
      out.wk.push_back(wk[l].template cast<T>());
      out.wv.push_back(wv[l].template cast<T>());
      out.wo.push_back(wo[l].template cast<T>());
    }
    return out;
  }
};

/// How a generation step obtains the keys and values of earlier positions.
enum class DecodeMode {
  full_recompute,   ///< rerun the whole prefix through every layer with eq. (1) each step: O(T²) memory per step
  kv_cached,        ///< keep every layer's K, V: O(layers·T·d) memory, O(layers·T·d) time per step
  constant_memory,  ///< keep token ids only; recompute every needed k/v from the layer below, recursively:
                    ///< O(layers·d) memory, Θ(T^N/N!) hidden-state evaluations per step for N layers
};

struct GenerationResult {
  std::vector<std::int32_t> tokens;     ///< prompt followed by the generated tokens
  std::vector<double> last_logits;      ///< logits of the final step (for cross-path comparison)
  std::int64_t hidden_evaluations = 0;  ///< h_ℓ(t) vectors computed for ℓ ≥ 1
  std::int64_t attention_terms = 0;     ///< logits q_i·k_j computed, per layer (heads counted once): the work
                                        ///< measure of the post's argument, Θ(t^N/N!) per token for N layers
  std::int64_t peak_state_scalars = 0;  ///< most scalars of activations / caches live at once (weights excluded)
};

/// Generate `n_new` tokens after `prompt` (non-empty, ids < vocab) with the given mode. `sample_seed` fixes the
/// Gumbel noise. Throws std::invalid_argument on an empty prompt, out-of-range ids or n_new < 0.
template <class S>
GenerationResult generate(const TinyDecoder<S>& model, std::span<const std::int32_t> prompt, Index n_new,
                          DecodeMode mode, std::uint64_t sample_seed);

extern template Tensor3<float> causal_attention(ConstTensorView<float>, ConstTensorView<float>, ConstTensorView<float>,
                                                float);
extern template Tensor3<double> causal_attention(ConstTensorView<double>, ConstTensorView<double>,
                                                 ConstTensorView<double>, double);
extern template Tensor3<Oracle> causal_attention(ConstTensorView<Oracle>, ConstTensorView<Oracle>,
                                                 ConstTensorView<Oracle>, Oracle);
extern template Tensor3<float> causal_attention_rnn(ConstTensorView<float>, ConstTensorView<float>,
                                                    ConstTensorView<float>, float, std::span<const Index>);
extern template Tensor3<double> causal_attention_rnn(ConstTensorView<double>, ConstTensorView<double>,
                                                     ConstTensorView<double>, double, std::span<const Index>);
extern template Tensor3<Oracle> causal_attention_rnn(ConstTensorView<Oracle>, ConstTensorView<Oracle>,
                                                     ConstTensorView<Oracle>, Oracle, std::span<const Index>);
extern template class KvCache<float>;
extern template class KvCache<double>;
extern template Matrix<float> attention_decode_step(KvCache<float>&, const Matrix<float>&, const Matrix<float>&,
                                                    const Matrix<float>&, float);
extern template Matrix<double> attention_decode_step(KvCache<double>&, const Matrix<double>&, const Matrix<double>&,
                                                     const Matrix<double>&, double);
extern template struct TinyDecoder<float>;
extern template struct TinyDecoder<double>;
extern template GenerationResult generate(const TinyDecoder<float>&, std::span<const std::int32_t>, Index, DecodeMode,
                                          std::uint64_t);
extern template GenerationResult generate(const TinyDecoder<double>&, std::span<const std::int32_t>, Index, DecodeMode,
                                          std::uint64_t);

}  // namespace seqref::ref
