// Reference SSD (Mamba-2, arXiv 2405.21060): segsums, the quadratic form, the chunked algorithm and the
// recurrence, all per (batch, head) and in S throughout. The two state-carrying passes (the recurrence and the
// inter-chunk pass) are seqref::ref::linear_recurrence with a scalar transition. Explicit instantiations for float,
// double and Oracle, and for the judge's Eigen::half, Eigen::bfloat16 and long double, at the end of this file.

#include "seqref/ref/ssm/ssd.hpp"

#include "seqref/ref/scan/linear_recurrence.hpp"

#include "seqref/core/limits.hpp"

#include <algorithm>
#include <limits>
#include <vector>

namespace seqref::ref {

namespace {

template <class S>
void check_a(std::span<const S> a, std::string_view fn) {
  require(!a.empty(), fn, "a must hold at least one entry; got 0");
  using std::isfinite;
  for (std::size_t i = 0; i < a.size(); ++i)
    require(static_cast<bool>(isfinite(a[i])), fn,
            "a has a non-finite entry at index " + std::to_string(i) + " (length " + std::to_string(a.size()) + ")");
}

/// Flat indices into the Mamba-2 layouts.
struct Layout {
  SsdShape s;
  Index x(Index b, Index t, Index h, Index p) const { return ((b * s.len + t) * s.heads + h) * s.headdim + p; }
  Index a(Index b, Index t, Index h) const { return (b * s.len + t) * s.heads + h; }
  Index bc(Index b, Index t, Index g, Index n) const { return ((b * s.len + t) * s.groups + g) * s.dstate + n; }
  Index st(Index b, Index h, Index p, Index n) const { return ((b * s.heads + h) * s.headdim + p) * s.dstate + n; }
};

template <class S>
std::vector<S> head_decays(const SsdProblem<S>& pr, Index b, Index h, Index t0, Index t1) {
  const Layout L{pr.shape};
  std::vector<S> a(static_cast<std::size_t>(t1 - t0));
  for (Index t = t0; t < t1; ++t) a[static_cast<std::size_t>(t - t0)] = pr.A[L.a(b, t, h)];
  return a;
}

/// C_t · B_s for head h's group.
template <class S>
S cb(const SsdProblem<S>& pr, Index b, Index g, Index t, Index s) {
  const Layout L{pr.shape};
  S acc = S(0);
  for (Index n = 0; n < pr.shape.dstate; ++n) acc += pr.C[L.bc(b, t, g, n)] * pr.B[L.bc(b, s, g, n)];
  return acc;
}

/// y_t += decay · H C_t for one head (H: P×N row-major).
template <class S>
void add_state_output(const SsdProblem<S>& pr, Index b, Index h, Index t, S decay, const S* H, std::span<S> Y) {
  const Layout L{pr.shape};
  const Index g = pr.shape.group_of(h), N = pr.shape.dstate;
  for (Index p = 0; p < pr.shape.headdim; ++p) {
    S acc = S(0);
    for (Index n = 0; n < N; ++n) acc += H[p * N + n] * pr.C[L.bc(b, t, g, n)];
    Y[L.x(b, t, h, p)] += decay * acc;
  }
}

/// The quadratic form on [t0, t1) of head (b, h): Y[t] = Σ_{t0<=s<=t} exp(seg[t, s]) (C_t·B_s) x_s (overwrites Y).
template <class S>
void quadratic_block(const SsdProblem<S>& pr, Index b, Index h, Index t0, Index t1, const Matrix<S>& seg,
                     std::span<S> Y) {
  using std::exp;
  const Layout L{pr.shape};
  const Index g = pr.shape.group_of(h), P = pr.shape.headdim;
  for (Index t = t0; t < t1; ++t) {
    for (Index p = 0; p < P; ++p) Y[L.x(b, t, h, p)] = S(0);
    for (Index s = t0; s <= t; ++s) {
      const S w = exp(seg(t - t0, s - t0)) * cb(pr, b, g, t, s);
      for (Index p = 0; p < P; ++p) Y[L.x(b, t, h, p)] += w * pr.X[L.x(b, s, h, p)];
    }
  }
}

/// Σ_s exp(seg[last, s]) x_s B_sᵀ over [t0, t1) into S (P×N), and the decay exp(a_{t0} + seg[last, 0]) of the block.
template <class S>
S block_state(const SsdProblem<S>& pr, Index b, Index h, Index t0, Index t1, const Matrix<S>& seg, S* out) {
  using std::exp;
  const Layout L{pr.shape};
  const Index g = pr.shape.group_of(h), P = pr.shape.headdim, N = pr.shape.dstate, last = t1 - t0 - 1;
  std::fill(out, out + P * N, S(0));
  for (Index s = t0; s < t1; ++s) {
    const S w = exp(seg(last, s - t0));
    for (Index p = 0; p < P; ++p) {
      const S wx = w * pr.X[L.x(b, s, h, p)];
      for (Index n = 0; n < N; ++n) out[p * N + n] += wx * pr.B[L.bc(b, s, g, n)];
    }
  }
  return exp(pr.A[L.a(b, t0, h)] + seg(last, 0));
}

}  // namespace

// ---- eq. (2): segsums -------------------------------------------------------------------------------------------
template <class S>
Matrix<S> segsum_naive(std::span<const S> a) {
  check_a(a, "seqref::ref::segsum_naive");
  const Index T = static_cast<Index>(a.size());
  require_memory("seqref::ref::segsum_naive", double(T) * double(T) * sizeof(S),
                 "a [T, T] segsum with T = " + std::to_string(T));
  std::vector<S> cs(a.size());
  S run = S(0);
  for (Index i = 0; i < T; ++i) cs[static_cast<std::size_t>(i)] = run += a[static_cast<std::size_t>(i)];
  Matrix<S> out(T, T);
  for (Index i = 0; i < T; ++i)
    for (Index j = 0; j < T; ++j)
      out(i, j) = j <= i ? cs[static_cast<std::size_t>(i)] - cs[static_cast<std::size_t>(j)]
                         : -std::numeric_limits<S>::infinity();
  return out;
}

template <class S>
Matrix<S> segsum_stable(std::span<const S> a) {
  check_a(a, "seqref::ref::segsum_stable");
  const Index T = static_cast<Index>(a.size());
  require_memory("seqref::ref::segsum_stable", double(T) * double(T) * sizeof(S),
                 "a [T, T] segsum with T = " + std::to_string(T));
  require_work("seqref::ref::segsum_stable", double(T) * double(T), "a [T, T] segsum with T = " + std::to_string(T));
  Matrix<S> out(T, T);
  for (Index i = 0; i < T; ++i)
    for (Index j = 0; j < T; ++j)
      out(i, j) = j < i    ? out(i - 1, j) + a[static_cast<std::size_t>(i)]
                  : j == i ? S(0)
                           : -std::numeric_limits<S>::infinity();
  return out;
}

// ---- eq. (3): the quadratic form --------------------------------------------------------------------------------
template <class S>
void ssd_quadratic(const SsdProblem<S>& pr, std::span<S> Y, std::span<S> h_final) {
  detail::check_ssd<S>("seqref::ref::ssd_quadratic", pr, Y, h_final);
  using std::exp;
  const SsdShape& sh = pr.shape;
  // [T, T] scores per (batch, head), each an N-term dot product and a P-term update
  const double len = double(sh.len), bh = double(sh.batch) * double(sh.heads);
  require_memory("seqref::ref::ssd_quadratic", 2 * len * len * sizeof(S), "the quadratic form for " + sh.to_string());
  require_work("seqref::ref::ssd_quadratic", bh * len * len * (double(sh.dstate) + double(sh.headdim)),
               "the quadratic form for " + sh.to_string());
  const Layout L{sh};
  const Index T = sh.len, P = sh.headdim, N = sh.dstate;
  std::vector<S> H(static_cast<std::size_t>(P * N));
  for (Index b = 0; b < sh.batch; ++b)
    for (Index h = 0; h < sh.heads; ++h) {
      const auto a = head_decays(pr, b, h, 0, T);
      const Matrix<S> seg = segsum_stable<S>(a);
      quadratic_block(pr, b, h, 0, T, seg, Y);
      // the initial state's contribution, decayed from the start: exp(a_0 + seg[t, 0]) h_0 C_t
      if (!pr.h0.empty())
        for (Index t = 0; t < T; ++t)
          add_state_output(pr, b, h, t, exp(a[0] + seg(t, 0)), pr.h0.data() + L.st(b, h, 0, 0), Y);
      if (!h_final.empty()) {
        const S decay = block_state(pr, b, h, 0, T, seg, H.data());
        for (Index k = 0; k < P * N; ++k)
          h_final[L.st(b, h, 0, 0) + k] =
              H[static_cast<std::size_t>(k)] + (pr.h0.empty() ? S(0) : decay * pr.h0[L.st(b, h, 0, 0) + k]);
      }
    }
}

// ---- eq. (4): the chunked algorithm -----------------------------------------------------------------------------
template <class S>
void ssd_chunked(const SsdProblem<S>& pr, Index chunk, std::span<S> Y, std::span<S> h_final) {
  constexpr std::string_view fn = "seqref::ref::ssd_chunked";
  detail::check_ssd<S>(fn, pr, Y, h_final);
  require(chunk >= 1, fn, "chunk must be >= 1; got " + std::to_string(chunk));
  using std::exp;
  const SsdShape& sh = pr.shape;
  const Layout L{sh};
  const Index T = sh.len, P = sh.headdim, N = sh.dstate, Q = std::min(chunk, T), nc = (T + Q - 1) / Q;
  const Index BH = sh.batch * sh.heads, PN = P * N;
  // Pass 1 (independent chunks): intra-chunk outputs, chunk states S_c and decays g_c.
  std::vector<S> g(static_cast<std::size_t>(BH * nc)), Sc(static_cast<std::size_t>(BH * nc * PN));
  std::vector<Matrix<S>> segs(static_cast<std::size_t>(BH * nc));
  for (Index b = 0; b < sh.batch; ++b)
    for (Index h = 0; h < sh.heads; ++h)
      for (Index c = 0; c < nc; ++c) {
        const Index t0 = c * Q, t1 = std::min(T, t0 + Q), k = (b * sh.heads + h) * nc + c;
        auto& seg = segs[static_cast<std::size_t>(k)];
        seg = segsum_stable<S>(head_decays(pr, b, h, t0, t1));
        quadratic_block(pr, b, h, t0, t1, seg, Y);
        g[static_cast<std::size_t>(k)] = block_state(pr, b, h, t0, t1, seg, Sc.data() + k * PN);
      }
  // Pass 2: H_c = g_c H_{c−1} + S_c over the chunks of every (batch, head), H_{−1} = h0 — the scan engine.
  std::vector<S> Hc(static_cast<std::size_t>(BH * nc * PN)), Hfinal(static_cast<std::size_t>(BH * PN));
  LinearRecurrence<S> rec{Transition::scalar, BH, nc, PN, g, Sc, pr.h0};
  linear_recurrence<S>(rec, Hc, Hfinal);
  // Pass 3: the state entering each chunk, decayed to every step of it, read out by C_t.
  for (Index b = 0; b < sh.batch; ++b)
    for (Index h = 0; h < sh.heads; ++h) {
      const Index bh = b * sh.heads + h;
      for (Index c = 0; c < nc; ++c) {
        const S* H = c > 0 ? Hc.data() + (bh * nc + c - 1) * PN : (pr.h0.empty() ? nullptr : pr.h0.data() + bh * PN);
        if (H == nullptr) continue;
        const Index t0 = c * Q, t1 = std::min(T, t0 + Q);
        const auto& seg = segs[static_cast<std::size_t>(bh * nc + c)];
        for (Index t = t0; t < t1; ++t) add_state_output(pr, b, h, t, exp(pr.A[L.a(b, t0, h)] + seg(t - t0, 0)), H, Y);
      }
    }
  if (!h_final.empty()) std::copy(Hfinal.begin(), Hfinal.end(), h_final.begin());
}

// ---- eq. (1): the recurrence ------------------------------------------------------------------------------------
template <class S>
void ssd_recurrence(const SsdProblem<S>& pr, std::span<S> Y, std::span<S> h_final) {
  detail::check_ssd<S>("seqref::ref::ssd_recurrence", pr, Y, h_final);
  using std::exp;
  const SsdShape& sh = pr.shape;
  const Layout L{sh};
  const Index T = sh.len, P = sh.headdim, N = sh.dstate, BH = sh.batch * sh.heads, PN = P * N;
  // J_t = exp(a_t), b_t = x_t B_tᵀ, per (batch, head) sequence.
  std::vector<S> J(static_cast<std::size_t>(BH * T)), bt(static_cast<std::size_t>(BH * T * PN));
  for (Index b = 0; b < sh.batch; ++b)
    for (Index h = 0; h < sh.heads; ++h) {
      const Index bh = b * sh.heads + h, g = sh.group_of(h);
      for (Index t = 0; t < T; ++t) {
        J[static_cast<std::size_t>(bh * T + t)] = exp(pr.A[L.a(b, t, h)]);
        S* row = bt.data() + (bh * T + t) * PN;
        for (Index p = 0; p < P; ++p)
          for (Index n = 0; n < N; ++n) row[p * N + n] = pr.X[L.x(b, t, h, p)] * pr.B[L.bc(b, t, g, n)];
      }
    }
  std::vector<S> states(static_cast<std::size_t>(BH * T * PN)), Hfinal(static_cast<std::size_t>(BH * PN));
  LinearRecurrence<S> rec{Transition::scalar, BH, T, PN, J, bt, pr.h0};
  linear_recurrence<S>(rec, states, Hfinal);
  for (Index b = 0; b < sh.batch; ++b)
    for (Index h = 0; h < sh.heads; ++h) {
      const Index bh = b * sh.heads + h;
      for (Index t = 0; t < T; ++t) {
        for (Index p = 0; p < P; ++p) Y[L.x(b, t, h, p)] = S(0);
        add_state_output(pr, b, h, t, S(1), states.data() + (bh * T + t) * PN, Y);
      }
    }
  if (!h_final.empty()) std::copy(Hfinal.begin(), Hfinal.end(), h_final.begin());
}

#define SEQREF_SSD_INSTANTIATE(S)                                                        \
  template Matrix<S> segsum_naive<S>(std::span<const S>);                                \
  template Matrix<S> segsum_stable<S>(std::span<const S>);                               \
  template void ssd_quadratic<S>(const SsdProblem<S>&, std::span<S>, std::span<S>);      \
  template void ssd_chunked<S>(const SsdProblem<S>&, Index, std::span<S>, std::span<S>); \
  template void ssd_recurrence<S>(const SsdProblem<S>&, std::span<S>, std::span<S>);
SEQREF_SSD_INSTANTIATE(float)
SEQREF_SSD_INSTANTIATE(double)
SEQREF_SSD_INSTANTIATE(Oracle)
// The judge's precisions (seqref::judge): the yardstick of 16-bit candidates, the truth of float64 ones.
SEQREF_SSD_INSTANTIATE(Eigen::half)
SEQREF_SSD_INSTANTIATE(Eigen::bfloat16)
SEQREF_SSD_INSTANTIATE(long double)
#undef SEQREF_SSD_INSTANTIATE

}  // namespace seqref::ref
