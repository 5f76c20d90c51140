// Reference causal attention (kexue.fm/archives/10017): eq. (1) with materialized scores, eq. (2) as an RNN with
// online softmax, KV-cached decoding and the post's O(1)-space generation by recursive recomputation.
// Explicit instantiations for float, double and Oracle live at the end of this file (the only Oracle TU).

#include "seqref/ref/attention/causal_attention.hpp"

#include "seqref/core/limits.hpp"
#include "seqref/core/random.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <string>

namespace seqref::ref {

namespace {

template <class S>
void require_finite_logit(const S& logit, std::string_view fn, Index h, Index i, Index j) {
  using std::isfinite;
  if (!isfinite(logit)) {
    std::ostringstream os;
    os << "logit scale*q.k overflows at head " << h << ", query " << i << ", key " << j
       << " (inputs are finite but too large for this precision)";
    invalid_argument(fn, os.str());
  }
}

}  // namespace

// ---- eq. (1): materialized scores, two-pass softmax --------------------------------------------------------------
namespace {
// Eq. (1) for the query rows `rows` (sorted or not) of head h: o_i = Σ_{j≤i} p_ij v_j with p_ij the two-pass softmax
// of s_ij = scale·q_i·k_j over j ≤ i. Arguments already checked. Each row is computed on its own, element by element
// (each score's dot product summed in order, the sum over j in order), so a row's result does not depend on which other
// rows are computed with it: causal_attention and causal_attention_rows agree bit for bit (the judge's yardstick
// relies on it). A GEMM over all rows would not: its blocking, and so its rounding, depends on the shapes.
template <class S>
Matrix<S> eq1_rows(std::string_view fn, ConstTensorView<S> q, ConstTensorView<S> k, ConstTensorView<S> v, S scale,
                   Index h, std::span<const Index> rows) {
  using std::exp;
  const Index R = static_cast<Index>(rows.size());
  const auto Q = q.chead(h), K = k.chead(h), V = v.chead(h);
  Matrix<S> o = Matrix<S>::Zero(R, v.dim);
  std::vector<S> p;
  for (Index r = 0; r < R; ++r) {
    const Index i = rows[static_cast<std::size_t>(r)];
    p.assign(static_cast<std::size_t>(i + 1), S(0));
    for (Index j = 0; j <= i; ++j) {  // scores s_ij = scale·q_i·k_j (keys j > i are masked: never formed)
      S dot = S(0);
      for (Index c = 0; c < q.dim; ++c) dot += Q(i, c) * K(j, c);  // in order: no alignment-dependent split
      p[static_cast<std::size_t>(j)] = scale * dot;
      require_finite_logit(p[static_cast<std::size_t>(j)], fn, h, i, j);
    }
    S m = p[0];  // pass 1: the row maximum over j ≤ i
    for (Index j = 0; j <= i; ++j)
      if (p[static_cast<std::size_t>(j)] > m) m = p[static_cast<std::size_t>(j)];
    S z = S(0);  // pass 2: exponentials and their sum
    for (Index j = 0; j <= i; ++j) {
      p[static_cast<std::size_t>(j)] = exp(p[static_cast<std::size_t>(j)] - m);
      z += p[static_cast<std::size_t>(j)];
    }
    for (Index j = 0; j <= i; ++j) o.row(r) += (p[static_cast<std::size_t>(j)] / z) * V.row(j);  // o_i = Σ_j p_ij v_j
  }
  return o;
}
}  // namespace

template <class S>
Tensor3<S> causal_attention(ConstTensorView<S> q, ConstTensorView<S> k, ConstTensorView<S> v, S scale) {
  constexpr std::string_view fn = "seqref::ref::causal_attention";
  check_causal_attention_args<S>(fn, q, k, v, scale);
  const Index H = q.heads, T = q.len;
  Tensor3<S> o(H, T, v.dim);
  std::vector<Index> all(static_cast<std::size_t>(T));
  for (Index i = 0; i < T; ++i) all[static_cast<std::size_t>(i)] = i;
  for (Index h = 0; h < H; ++h) o.head(h) = eq1_rows<S>(fn, q, k, v, scale, h, all);
  return o;
}

template <class S>
Matrix<S> causal_attention_rows(ConstTensorView<S> q, ConstTensorView<S> k, ConstTensorView<S> v, S scale, Index h,
                                std::span<const Index> rows) {
  constexpr std::string_view fn = "seqref::ref::causal_attention_rows";
  check_causal_attention_args<S>(fn, q, k, v, scale);
  require(h >= 0 && h < q.heads, fn,
          "head " + std::to_string(h) + " out of range [0, " + std::to_string(q.heads) + ")");
  for (const Index i : rows)
    require(i >= 0 && i < q.len, fn, "row " + std::to_string(i) + " out of range [0, " + std::to_string(q.len) + ")");
  return eq1_rows<S>(fn, q, k, v, scale, h, rows);
}

// ---- eq. (2): an RNN over the keys of each row --------------------------------------------------------------------
std::vector<Index> reverse_order(Index len) {
  std::vector<Index> order(static_cast<std::size_t>(std::max<Index>(len, 0)));
  for (Index t = 0; t < len; ++t) order[static_cast<std::size_t>(t)] = len - 1 - t;
  return order;
}

template <class S>
Tensor3<S> causal_attention_rnn(ConstTensorView<S> q, ConstTensorView<S> k, ConstTensorView<S> v, S scale,
                                std::span<const Index> scan_order) {
  constexpr std::string_view fn = "seqref::ref::causal_attention_rnn";
  check_causal_attention_args<S>(fn, q, k, v, scale);
  const Index H = q.heads, T = q.len;
  std::vector<Index> order(scan_order.begin(), scan_order.end());
  if (order.empty()) {
    order.resize(static_cast<std::size_t>(T));
    for (Index j = 0; j < T; ++j) order[static_cast<std::size_t>(j)] = j;
  }
  {  // the order must be a permutation of 0..T-1
    std::vector<char> seen(static_cast<std::size_t>(T), 0);
    bool ok = static_cast<Index>(order.size()) == T;
    for (Index j : order) {
      if (!ok) break;
      ok = j >= 0 && j < T && !seen[static_cast<std::size_t>(j)];
      if (ok) seen[static_cast<std::size_t>(j)] = 1;
    }
    require(ok, fn,
            "scan_order must be a permutation of 0.." + std::to_string(T - 1) + "; got " +
                std::to_string(order.size()) + " entries");
  }
  Tensor3<S> o(H, T, v.dim);
  for (Index h = 0; h < H; ++h) {
    const auto Q = q.chead(h), K = k.chead(h), V = v.chead(h);
    for (Index i = 0; i < T; ++i) {
      OnlineSoftmax<S> state(v.dim);  // (y, z, m) of eq. (2), starting from y = 0, z = 0, m = -inf
      for (Index j : order) {
        if (j > i) continue;  // causal: only keys j ≤ i
        S logit = scale * Q.row(i).dot(K.row(j));
        require_finite_logit(logit, fn, h, i, j);
        state.push(logit, V.row(j));
      }
      o.head(h).row(i) = state.output();  // o_i = y_i / z_i
    }
  }
  return o;
}

// ---- KV cache and one decoding step -------------------------------------------------------------------------------
template <class S>
KvCache<S>::KvCache(Index heads, Index key_dim, Index value_dim)
    : heads_(heads), key_dim_(key_dim), value_dim_(value_dim) {
  require(heads >= 1 && key_dim >= 1 && value_dim >= 1, "seqref::ref::KvCache",
          "heads, key_dim and value_dim must be >= 1; got " + std::to_string(heads) + ", " + std::to_string(key_dim) +
              ", " + std::to_string(value_dim));
  k_.resize(static_cast<std::size_t>(heads));
  v_.resize(static_cast<std::size_t>(heads));
}

template <class S>
Eigen::Map<const Matrix<S>> KvCache<S>::keys(Index h) const {
  return {k_[static_cast<std::size_t>(h)].data(), len_, key_dim_};
}

template <class S>
Eigen::Map<const Matrix<S>> KvCache<S>::values(Index h) const {
  return {v_[static_cast<std::size_t>(h)].data(), len_, value_dim_};
}

template <class S>
void KvCache<S>::append(const Matrix<S>& k_t, const Matrix<S>& v_t) {
  auto shape = [](const Matrix<S>& m) {
    return "[" + std::to_string(m.rows()) + ", " + std::to_string(m.cols()) + "]";
  };
  require(k_t.rows() == heads_ && k_t.cols() == key_dim_ && v_t.rows() == heads_ && v_t.cols() == value_dim_,
          "seqref::ref::KvCache::append",
          "k_t must be [" + std::to_string(heads_) + ", " + std::to_string(key_dim_) + "] and v_t [" +
              std::to_string(heads_) + ", " + std::to_string(value_dim_) + "]; got k_t " + shape(k_t) + ", v_t " +
              shape(v_t));
  for (Index h = 0; h < heads_; ++h) {
    auto& kh = k_[static_cast<std::size_t>(h)];
    auto& vh = v_[static_cast<std::size_t>(h)];
    for (Index c = 0; c < key_dim_; ++c) kh.push_back(k_t(h, c));
    for (Index c = 0; c < value_dim_; ++c) vh.push_back(v_t(h, c));
  }
  ++len_;
}

template <class S>
Matrix<S> attention_decode_step(KvCache<S>& cache, const Matrix<S>& q_t, const Matrix<S>& k_t, const Matrix<S>& v_t,
                                S scale) {
  constexpr std::string_view fn = "seqref::ref::attention_decode_step";
  require(q_t.rows() == cache.heads() && q_t.cols() == cache.key_dim(), fn,
          "q_t must be [" + std::to_string(cache.heads()) + ", " + std::to_string(cache.key_dim()) + "]; got [" +
              std::to_string(q_t.rows()) + ", " + std::to_string(q_t.cols()) + "]");
  using std::isfinite;
  require(static_cast<bool>(isfinite(scale)), fn, "scale must be finite");
  cache.append(k_t, v_t);
  const Index t = cache.len() - 1;
  Matrix<S> out(cache.heads(), cache.value_dim());
  for (Index h = 0; h < cache.heads(); ++h) {
    const auto K = cache.keys(h);
    const auto V = cache.values(h);
    OnlineSoftmax<S> state(cache.value_dim());
    for (Index j = 0; j <= t; ++j) {
      S logit = scale * q_t.row(h).dot(K.row(j));
      require_finite_logit(logit, fn, h, t, j);
      state.push(logit, V.row(j));
    }
    out.row(h) = state.output();
  }
  return out;
}

// ---- the tiny decoder and its three generation paths -------------------------------------------------------------
template <class S>
TinyDecoder<S> TinyDecoder<S>::random(Index vocab, Index d_model, Index heads, Index layers, std::uint64_t seed) {
  require(vocab >= 1 && d_model >= 1 && heads >= 1 && layers >= 1 && d_model % heads == 0,
          "seqref::ref::TinyDecoder::random",
          "need vocab, d_model, heads, layers >= 1 and d_model a multiple of heads; got vocab " +
              std::to_string(vocab) + ", d_model " + std::to_string(d_model) + ", heads " + std::to_string(heads) +
              ", layers " + std::to_string(layers));
  // embeddings, unembedding and four d x d matrices per layer
  const double weights =
      2.0 * double(vocab) * double(d_model) + 4.0 * double(layers) * double(d_model) * double(d_model);
  const std::string what = "a decoder of vocab " + std::to_string(vocab) + ", d_model " + std::to_string(d_model) +
                           ", layers " + std::to_string(layers);
  require_memory("seqref::ref::TinyDecoder::random", weights * sizeof(S), what);
  require_work("seqref::ref::TinyDecoder::random", weights * 10, what);  // one Gaussian draw each
  SplitMix64 rng(seed);
  auto gaussian = [&](Index r, Index c, double sd) {
    Matrix<S> m(r, c);
    for (Index i = 0; i < r; ++i)
      for (Index j = 0; j < c; ++j) m(i, j) = S(sd * rng.normal());
    return m;
  };
  TinyDecoder<S> model;
  model.vocab = vocab, model.d_model = d_model, model.heads = heads, model.layers = layers;
  const double sd = 1.0 / std::sqrt(static_cast<double>(d_model));
  model.embed = gaussian(vocab, d_model, 1.0);
  for (Index l = 0; l < layers; ++l) {
    model.wq.push_back(gaussian(d_model, d_model, sd));
    model.wk.push_back(gaussian(d_model, d_model, sd));
    model.wv.push_back(gaussian(d_model, d_model, sd));
    model.wo.push_back(gaussian(d_model, d_model, sd));
  }
  model.unembed = gaussian(d_model, vocab, sd);
  return model;
}

namespace {

// rmsnorm(x) = x / sqrt(mean(x²) + 1e-6)
template <class S>
RowVector<S> rmsnorm(const RowVector<S>& x) {
  using std::sqrt;
  S ms = x.squaredNorm() / S(x.size());
  return x / sqrt(ms + S(1e-6));
}

// The three paths share one per-position step: given h_{ℓ−1}(t) and attention output a, h_ℓ(t) = h + a W_o.
template <class S>
class Generator {
 public:
  Generator(const TinyDecoder<S>& m, std::uint64_t seed) : model_(m), rng_(seed) {}

  std::int32_t sample(const RowVector<S>& h_last, GenerationResult& r) {
    RowVector<S> logits = rmsnorm(h_last) * model_.unembed;
    r.last_logits.resize(static_cast<std::size_t>(model_.vocab));
    std::int32_t best = 0;
    double best_score = -std::numeric_limits<double>::infinity();
    for (Index w = 0; w < model_.vocab; ++w) {
      double logit = static_cast<double>(logits(w));
      r.last_logits[static_cast<std::size_t>(w)] = logit;
      double score = logit + rng_.gumbel();  // Gumbel-max: one noise draw per vocab entry per step, in order
      if (score > best_score) best_score = score, best = static_cast<std::int32_t>(w);
    }
    return best;
  }

  // Projections of one position's normalized hidden state, split into heads: [H, dh].
  Matrix<S> project(const RowVector<S>& xn, const Matrix<S>& w) const {
    RowVector<S> y = xn * w;
    return Eigen::Map<const Matrix<S>>(y.data(), model_.heads, model_.head_dim());
  }

  RowVector<S> output_projection(Index layer, const Matrix<S>& a /* [H, dh] */) const {
    Matrix<S> a_copy = a;  // row-major [H, dh] is the concatenation over heads
    Eigen::Map<const RowVector<S>> flat(a_copy.data(), model_.d_model);
    return RowVector<S>(flat) * model_.wo[static_cast<std::size_t>(layer)];
  }

  S scale() const { return default_scale<S>(model_.head_dim()); }

  const TinyDecoder<S>& model_;
  SplitMix64 rng_;
};

template <class S>
GenerationResult generate_full_recompute(const TinyDecoder<S>& model, std::vector<std::int32_t> tokens, Index n_new,
                                         std::uint64_t seed) {
  GenerationResult r;
  Generator<S> g(model, seed);
  const Index d = model.d_model, H = model.heads, dh = model.head_dim();
  for (Index step = 0; step < n_new; ++step) {
    const Index T = static_cast<Index>(tokens.size());
    Matrix<S> h(T, d);
    for (Index t = 0; t < T; ++t) h.row(t) = model.embed.row(tokens[static_cast<std::size_t>(t)]);
    for (Index l = 0; l < model.layers; ++l) {
      Tensor3<S> q(H, T, dh), k(H, T, dh), v(H, T, dh);
      for (Index t = 0; t < T; ++t) {
        RowVector<S> xn = rmsnorm<S>(h.row(t));
        Matrix<S> qt = g.project(xn, model.wq[l]), kt = g.project(xn, model.wk[l]), vt = g.project(xn, model.wv[l]);
        for (Index hh = 0; hh < H; ++hh) {
          q.head(hh).row(t) = qt.row(hh);
          k.head(hh).row(t) = kt.row(hh);
          v.head(hh).row(t) = vt.row(hh);
        }
      }
      Tensor3<S> a = causal_attention<S>(q, k, v, g.scale());  // eq. (1) over the whole prefix
      for (Index t = 0; t < T; ++t) {
        Matrix<S> at(H, dh);
        for (Index hh = 0; hh < H; ++hh) at.row(hh) = a.head(hh).row(t);
        h.row(t) += g.output_projection(l, at);
      }
      r.hidden_evaluations += T;
      r.attention_terms += T * (T + 1) / 2;
    }
    // live at once: h, q, k, v, a (5·T·d) and one head's score and probability matrices (2·T²)
    r.peak_state_scalars = std::max<std::int64_t>(r.peak_state_scalars, 5 * T * d + 2 * T * T);
    tokens.push_back(g.sample(h.row(T - 1), r));
  }
  r.tokens = std::move(tokens);
  return r;
}

template <class S>
GenerationResult generate_kv_cached(const TinyDecoder<S>& model, std::vector<std::int32_t> tokens, Index n_new,
                                    std::uint64_t seed) {
  GenerationResult r;
  Generator<S> g(model, seed);
  const Index dh = model.head_dim();
  std::vector<KvCache<S>> caches;
  for (Index l = 0; l < model.layers; ++l) caches.emplace_back(model.heads, dh, dh);
  auto feed = [&](std::int32_t token) {
    RowVector<S> h = model.embed.row(token);
    for (Index l = 0; l < model.layers; ++l) {
      RowVector<S> xn = rmsnorm(h);
      Matrix<S> a = attention_decode_step<S>(caches[static_cast<std::size_t>(l)], g.project(xn, model.wq[l]),
                                             g.project(xn, model.wk[l]), g.project(xn, model.wv[l]), g.scale());
      h += g.output_projection(l, a);
      ++r.hidden_evaluations;
      r.attention_terms += caches[static_cast<std::size_t>(l)].len();
    }
    std::int64_t live = 0;
    for (const auto& c : caches) live += c.scalars();
    r.peak_state_scalars = std::max<std::int64_t>(r.peak_state_scalars, live + 6 * model.d_model);
    return h;
  };
  RowVector<S> h_last;
  for (std::int32_t tok : tokens) h_last = feed(tok);
  for (Index step = 0; step < n_new; ++step) {
    std::int32_t next = g.sample(h_last, r);
    tokens.push_back(next);
    if (step + 1 < n_new) h_last = feed(next);
  }
  r.tokens = std::move(tokens);
  return r;
}

// O(1)-space generation: h_ℓ(t) is recomputed from scratch whenever needed; nothing but the token ids is stored
// between calls. Each recursion frame holds O(d) scalars, the depth is the number of layers.
template <class S>
class ConstantMemoryDecoder {
 public:
  ConstantMemoryDecoder(const TinyDecoder<S>& m, Generator<S>& g, const std::vector<std::int32_t>& tokens,
                        GenerationResult& r)
      : model_(m), g_(g), tokens_(tokens), r_(r) {}

  RowVector<S> hidden(Index layer, Index t) {
    if (layer == 0) return model_.embed.row(tokens_[static_cast<std::size_t>(t)]);
    ++r_.hidden_evaluations;
    const Index d = model_.d_model, H = model_.heads, dh = model_.head_dim();
    // frame: x_t, q, the per-head states (y: d, z and m: 2H), and h_j, k_j, v_j of the key being visited
    const std::int64_t frame = 6 * d + 2 * H;
    live_ += frame;
    peak_ = std::max(peak_, live_);
    const std::size_t l = static_cast<std::size_t>(layer - 1);
    RowVector<S> x_t = hidden(layer - 1, t);
    Matrix<S> q = g_.project(rmsnorm(x_t), model_.wq[l]);
    std::vector<OnlineSoftmax<S>> state(static_cast<std::size_t>(H), OnlineSoftmax<S>(dh));
    for (Index j = 0; j <= t; ++j) {
      RowVector<S> h_j = j == t ? x_t : hidden(layer - 1, j);  // recompute the layer below at position j
      RowVector<S> xn = rmsnorm(h_j);
      Matrix<S> k = g_.project(xn, model_.wk[l]), v = g_.project(xn, model_.wv[l]);
      ++r_.attention_terms;
      for (Index hh = 0; hh < H; ++hh)
        state[static_cast<std::size_t>(hh)].push(g_.scale() * q.row(hh).dot(k.row(hh)), v.row(hh));
    }
    Matrix<S> a(H, dh);
    for (Index hh = 0; hh < H; ++hh) a.row(hh) = state[static_cast<std::size_t>(hh)].output();
    live_ -= frame;
    return x_t + g_.output_projection(static_cast<Index>(l), a);
  }

  std::int64_t peak() const { return peak_; }

 private:
  const TinyDecoder<S>& model_;
  Generator<S>& g_;
  const std::vector<std::int32_t>& tokens_;
  GenerationResult& r_;
  std::int64_t live_ = 0, peak_ = 0;
};

template <class S>
GenerationResult generate_constant_memory(const TinyDecoder<S>& model, std::vector<std::int32_t> tokens, Index n_new,
                                          std::uint64_t seed) {
  GenerationResult r;
  Generator<S> g(model, seed);
  std::int64_t peak = 0;
  for (Index step = 0; step < n_new; ++step) {
    ConstantMemoryDecoder<S> dec(model, g, tokens, r);
    RowVector<S> h = dec.hidden(model.layers, static_cast<Index>(tokens.size()) - 1);
    peak = std::max(peak, dec.peak() + model.d_model);  // + the final hidden state
    tokens.push_back(g.sample(h, r));
  }
  r.peak_state_scalars = peak;
  r.tokens = std::move(tokens);
  return r;
}

}  // namespace

namespace {

// Work and memory of a generation, from the extents alone (in double: no product can wrap), refused before any
// token is produced when over the process budget (seqref/core/limits.hpp).
template <class S>
void require_generation_budget(std::string_view fn, const TinyDecoder<S>& model, Index prompt_len, Index n_new,
                               DecodeMode mode) {
  const double P = double(prompt_len), n = double(n_new), T = P + n;  // T: the final sequence length
  const double d = double(model.d_model), L = double(model.layers), V = double(model.vocab);
  const double token = 4 * d * d + V * d;  // four projections and the unembedding of one position
  double ops = 0, scalars = 0;
  switch (mode) {
    case DecodeMode::kv_cached:  // each position once per layer, attending over the cache
      ops = T * L * (token + 2 * T * d);
      scalars = 2 * L * T * d;
      break;
    case DecodeMode::full_recompute:  // every step reruns the whole prefix through eq. (1)
      ops = n * L * (T * token + 2 * T * T * d);
      scalars = 5 * T * d + 2 * T * T;
      break;
    case DecodeMode::constant_memory:  // h_l(t) recomputed recursively: binomial(T + L, L) evaluations per token
      ops = n * std::exp(std::lgamma(T + L + 1) - std::lgamma(T + 1) - std::lgamma(L + 1)) * (token + 2 * d);
      scalars = L * (6 * d + 2 * double(model.heads));
      break;
  }
  const std::string mode_name = mode == DecodeMode::kv_cached        ? "kv_cached"
                                : mode == DecodeMode::full_recompute ? "full_recompute"
                                                                     : "constant_memory";
  const std::string what = "generating n_new " + std::to_string(n_new) + " tokens after a prompt of " +
                           std::to_string(prompt_len) + " (" + mode_name + ", vocab " + std::to_string(model.vocab) +
                           ", d_model " + std::to_string(model.d_model) + ", layers " + std::to_string(model.layers) +
                           ")";
  require_memory(fn, scalars * sizeof(S) + T * sizeof(std::int32_t), what);
  require_work(fn, ops, what);
}

}  // namespace

template <class S>
GenerationResult generate(const TinyDecoder<S>& model, std::span<const std::int32_t> prompt, Index n_new,
                          DecodeMode mode, std::uint64_t sample_seed) {
  constexpr std::string_view fn = "seqref::ref::generate";
  require(!prompt.empty(), fn, "prompt must hold at least one token; got 0");
  require(n_new >= 0, fn, "n_new must be >= 0; got " + std::to_string(n_new));
  require(model.layers >= 1 && model.heads >= 1 && model.d_model % model.heads == 0 &&
              model.embed.rows() == model.vocab && model.embed.cols() == model.d_model &&
              static_cast<Index>(model.wq.size()) == model.layers,
          fn, "model is malformed (use TinyDecoder::random)");
  for (std::size_t i = 0; i < prompt.size(); ++i)
    require(prompt[i] >= 0 && prompt[i] < model.vocab, fn,
            "prompt[" + std::to_string(i) + "] = " + std::to_string(prompt[i]) + " is outside [0, " +
                std::to_string(model.vocab) + ")");
  require_generation_budget<S>(fn, model, static_cast<Index>(prompt.size()), n_new, mode);
  std::vector<std::int32_t> tokens(prompt.begin(), prompt.end());
  switch (mode) {
    case DecodeMode::full_recompute: return generate_full_recompute(model, tokens, n_new, sample_seed);
    case DecodeMode::kv_cached: return generate_kv_cached(model, tokens, n_new, sample_seed);
    case DecodeMode::constant_memory: return generate_constant_memory(model, tokens, n_new, sample_seed);
  }
  invalid_argument(fn, "unknown decode mode");
}

// ---- explicit instantiations --------------------------------------------------------------------------------------
#define SEQREF_INSTANTIATE_ATTENTION(S)                                                                          \
  template Tensor3<S> causal_attention(ConstTensorView<S>, ConstTensorView<S>, ConstTensorView<S>, S);           \
  template Matrix<S> causal_attention_rows(ConstTensorView<S>, ConstTensorView<S>, ConstTensorView<S>, S, Index, \
                                           std::span<const Index>);                                              \
  template Tensor3<S> causal_attention_rnn(ConstTensorView<S>, ConstTensorView<S>, ConstTensorView<S>, S,        \
                                           std::span<const Index>);
SEQREF_INSTANTIATE_ATTENTION(float)
SEQREF_INSTANTIATE_ATTENTION(double)
SEQREF_INSTANTIATE_ATTENTION(Oracle)
// The judge's precisions (seqref::judge): the yardstick of 16-bit candidates, the truth of float64 ones.
SEQREF_INSTANTIATE_ATTENTION(Eigen::half)
SEQREF_INSTANTIATE_ATTENTION(Eigen::bfloat16)
SEQREF_INSTANTIATE_ATTENTION(long double)
#undef SEQREF_INSTANTIATE_ATTENTION

template class KvCache<float>;
template class KvCache<double>;
template Matrix<float> attention_decode_step(KvCache<float>&, const Matrix<float>&, const Matrix<float>&,
                                             const Matrix<float>&, float);
template Matrix<double> attention_decode_step(KvCache<double>&, const Matrix<double>&, const Matrix<double>&,
                                              const Matrix<double>&, double);
template struct TinyDecoder<float>;
template struct TinyDecoder<double>;
template GenerationResult generate(const TinyDecoder<float>&, std::span<const std::int32_t>, Index, DecodeMode,
                                   std::uint64_t);
template GenerationResult generate(const TinyDecoder<double>&, std::span<const std::int32_t>, Index, DecodeMode,
                                   std::uint64_t);

}  // namespace seqref::ref
