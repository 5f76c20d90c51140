// Chunked SSD on the CPU (Mamba-2, arXiv 2405.21060): eq. (4) of seqref/ref/ssm/ssd.hpp with Eigen GEMMs per chunk
// and the inter-chunk recurrence run by the cpu scan engine (optimized/cpu/scan/engine.hpp).
//
// The engine sees one lane block per (batch, head) (width 1, state P·N: the inner loops of the engine run over the
// P·N contiguous entries and vectorize) and nc + 1 steps, one per chunk boundary:
//
//   step 0:      x_0 = 1·x_init + 0 = h0                   (the state entering chunk 0)
//   step c >= 1: x_c = g_{c−1} x_{c−1} + S_{c−1}          (the state entering chunk c; x_nc is the final state)
//
// coeffs(step c) computes chunk c−1's state S = X_cᵀ diag(w) B_c and decay g with one GEMM; emit(step c) receives
// the state entering chunk c and writes chunk c's whole output: the intra-chunk quadratic form
// (C Bᵀ, masked by exp(segsum), a triangular product with X) plus the
// readout diag(v) C Hᵀ. Nothing of size [T, P, N] is materialized; Y is written once. The engine's threads run
// the (batch, head) blocks in parallel (and, for few blocks and very many chunks, chunks of chunks: coeffs is pure,
// so it may be evaluated twice there). Each emit is computed by one thread with one arithmetic order, so results
// do not depend on the thread count.

#include "seqref/opt/ssm/ssd.hpp"

#include "cpu/scan/engine.hpp"

#include <omp.h>
#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <vector>

namespace seqref::cpu {

namespace {

template <class S>
using Mat = Eigen::Matrix<S, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class S>
using StridedMap = Eigen::Map<Mat<S>, Eigen::Unaligned, Eigen::OuterStride<>>;
template <class S>
using ConstStridedMap = Eigen::Map<const Mat<S>, Eigen::Unaligned, Eigen::OuterStride<>>;
template <class S>
using Vec = Eigen::Matrix<S, Eigen::Dynamic, 1>;

constexpr Index kDefaultChunk = blocking::ssd::default_chunk;  // the SSD chunk length Q by default

/// seg[i, j] = a_{j+1} + … + a_i (j < i; row recursion seg[i, j] = seg[i − 1, j] + a_i, the reference's order),
/// 0 on and above the diagonal; cs[i] = a_0 + seg[i, 0]. a is read with `stride`.
template <class S>
void chunk_decays(const S* a, Index stride, Index q, S* seg, S* cs) {
  std::fill(seg, seg + q * q, S(0));
  for (Index i = 1; i < q; ++i) {
    const S ai = a[i * stride];
    const S* prev = seg + (i - 1) * q;
    S* row = seg + i * q;
#pragma omp simd
    for (Index j = 0; j < i; ++j) row[j] = prev[j] + ai;
  }
  for (Index i = 0; i < q; ++i) cs[i] = a[0] + seg[i * q];
}

template <class S>
struct Scratch {
  Mat<S> seg, G, tmp, Bw;
  Vec<S> cs, v, w;
  void fit(Index q, Index P, Index N) {
    if (seg.rows() != q) {
      seg.resize(q, q);
      G.resize(q, q);
      cs.resize(q);
      v.resize(q);
      w.resize(q);
    }
    if (tmp.rows() != q || tmp.cols() != P) tmp.resize(q, P);
    if (Bw.rows() != q || Bw.cols() != N) Bw.resize(q, N);
  }
};

template <class S>
Scratch<S>& scratch() {
  static thread_local Scratch<S> s;
  return s;
}

/// Called inside SSD's own parallel region (group_cb; the policy's coeffs/emit need nothing: the scan engine runs
/// policies serially inside its threads): Eigen threads a product unless omp_get_num_threads() > 1, so in a
/// one-thread team every small chunk GEMM would open a nested team of omp_get_max_threads() threads (measured: 4x
/// slower). nthreads-var is an
/// ICV of the calling implicit task's data environment, so this does not leak out of the engine's region; Eigen
/// reads it through Eigen::nbThreads() unless the caller fixed Eigen::setNbThreads.
inline void no_nested_eigen_threads() {
  if (omp_get_num_threads() == 1) omp_set_num_threads(1);
}

template <class S>
class SsdPolicy {
 public:
  using Scalar = S;
  static constexpr int width = 1;
  static constexpr scan::Structure structure = scan::Structure::diagonal;

  /// cb: C_c B_cᵀ per (batch, group, chunk), Q×Q each (leading dimension q), or nullptr (computed in emit).
  SsdPolicy(const SsdProblem<S>& pr, Index Q, S* Y, S* h_final, const S* cb)
      : pr_(pr), sh_(pr.shape), Q_(Q), nc_((pr.shape.len + Q - 1) / Q), Y_(Y), h_final_(h_final), cb_(cb) {}

  Index blocks() const { return sh_.batch * sh_.heads; }
  Index len() const { return nc_ + 1; }
  Index state() const { return sh_.headdim * sh_.dstate; }

  void initial(Index blk, S* x) const {
    const Index PN = state();
    if (pr_.h0.empty())
      std::fill(x, x + PN, S(0));
    else
      std::copy(pr_.h0.data() + blk * PN, pr_.h0.data() + (blk + 1) * PN, x);
  }

  // step 0: identity (x_0 = h0); step c >= 1: chunk c−1's (g, S).
  void coeffs(Index blk, Index step, S* a, S* b) const {
    const Index PN = state();
    if (step == 0) {
      std::fill(a, a + PN, S(1));
      std::fill(b, b + PN, S(0));
      return;
    }
    const Chunk ch = chunk(blk, step - 1);
    Scratch<S>& s = scratch<S>();
    s.fit(ch.q, sh_.headdim, sh_.dstate);
    chunk_decays(ch.a, sh_.heads, ch.q, s.seg.data(), s.cs.data());
    const Index last = ch.q - 1;
    s.w.head(ch.q) = s.seg.row(last).transpose().array().exp();  // exp(a_{s+1} + … + a_last) <= 1
    s.Bw.noalias() = s.w.head(ch.q).asDiagonal() * ch.B;
    Eigen::Map<Mat<S>> Sc(b, sh_.headdim, sh_.dstate);
    Sc.noalias() = ch.X.transpose() * s.Bw;
    const S g = std::exp(s.cs[last]);
    std::fill(a, a + PN, g);
  }

  // x = the state entering chunk `step` (step < nc): write chunk step's output.
  void emit(Index blk, Index step, const S* x) const {
    if (step >= nc_) return;
    const Chunk ch = chunk(blk, step);
    Scratch<S>& s = scratch<S>();
    s.fit(ch.q, sh_.headdim, sh_.dstate);
    chunk_decays(ch.a, sh_.heads, ch.q, s.seg.data(), s.cs.data());
    // intra-chunk: G = (C Bᵀ) ∘ exp(seg) (a full GEMM: Eigen's triangular-destination product zeroes the upper
    // triangle with a strided loop that costs more than the flops it saves), Y = tril(G) X
    if (cb_ != nullptr) {
      const Index g = sh_.group_of(blk % sh_.heads), b = blk / sh_.heads;
      s.G = Eigen::Map<const Mat<S>>(cb_ + ((b * sh_.groups + g) * nc_ + step) * Q_ * Q_, ch.q, ch.q);
    } else {
      s.G.noalias() = ch.C * ch.B.transpose();
    }
    s.G.array() *= s.seg.array().exp();  // above the diagonal seg = 0: finite, and never read
    StridedMap<S> Yc(Y_ + ch.x_offset, ch.q, sh_.headdim, Eigen::OuterStride<>(sh_.heads * sh_.headdim));
    Yc.noalias() = s.G.template triangularView<Eigen::Lower>() * ch.X;
    // the state entering the chunk, read out: diag(v) C Hᵀ (skipped when it is exactly zero)
    if (step > 0 || !pr_.h0.empty()) {
      Eigen::Map<const Mat<S>> H(x, sh_.headdim, sh_.dstate);
      s.v.head(ch.q) = s.cs.head(ch.q).array().exp();
      s.tmp.noalias() = ch.C * H.transpose();
      Yc.noalias() += s.v.head(ch.q).asDiagonal() * s.tmp;
    }
  }

  void final(Index blk, const S* x) const {
    if (h_final_ == nullptr) return;
    std::copy(x, x + state(), h_final_ + blk * state());
  }

 private:
  struct Chunk {
    Index q, x_offset;
    const S* a;
    ConstStridedMap<S> X, B, C;
  };
  Chunk chunk(Index blk, Index c) const {
    const Index b = blk / sh_.heads, h = blk % sh_.heads, g = sh_.group_of(h);
    const Index t0 = c * Q_, q = std::min(sh_.len, t0 + Q_) - t0;
    const Index xo = ((b * sh_.len + t0) * sh_.heads + h) * sh_.headdim;
    const Index bco = ((b * sh_.len + t0) * sh_.groups + g) * sh_.dstate;
    const Eigen::OuterStride<> xs(sh_.heads * sh_.headdim), bs(sh_.groups * sh_.dstate);
    return {q,
            xo,
            pr_.A.data() + (b * sh_.len + t0) * sh_.heads + h,
            ConstStridedMap<S>(pr_.X.data() + xo, q, sh_.headdim, xs),
            ConstStridedMap<S>(pr_.B.data() + bco, q, sh_.dstate, bs),
            ConstStridedMap<S>(pr_.C.data() + bco, q, sh_.dstate, bs)};
  }

  const SsdProblem<S>& pr_;
  SsdShape sh_;
  Index Q_, nc_;
  S* Y_;
  S* h_final_;
  const S* cb_;
};

/// C_c B_cᵀ for every (batch, group, chunk), shared by the heads of a group: computed once instead of once per head.
template <class S>
std::vector<S> group_cb(const SsdProblem<S>& pr, Index Q, const ScanSchedule& schedule) {
  const SsdShape& sh = pr.shape;
  const Index nc = (sh.len + Q - 1) / Q, jobs = sh.batch * sh.groups * nc;
  std::vector<S> cb(static_cast<std::size_t>(jobs * Q * Q));
  const int threads = schedule.threads > 0 ? schedule.threads : omp_get_max_threads();
#pragma omp parallel for schedule(dynamic, 4) num_threads(threads)
  for (Index job = 0; job < jobs; ++job) {
    no_nested_eigen_threads();
    const Index c = job % nc, bg = job / nc, b = bg / sh.groups, g = bg % sh.groups;
    const Index t0 = c * Q, q = std::min(sh.len, t0 + Q) - t0;
    const Index off = ((b * sh.len + t0) * sh.groups + g) * sh.dstate;
    const Eigen::OuterStride<> st(sh.groups * sh.dstate);
    ConstStridedMap<S> Bc(pr.B.data() + off, q, sh.dstate, st), Cc(pr.C.data() + off, q, sh.dstate, st);
    Eigen::Map<Mat<S>>(cb.data() + job * Q * Q, q, q).noalias() = Cc * Bc.transpose();
  }
  return cb;
}

template <class S>
Index run_ssd(const SsdProblem<S>& pr, std::span<S> Y, std::span<S> h_final, const SsdOptions& options) {
  constexpr std::string_view fn = "seqref::cpu::ssd";
  detail::check_ssd<S>(fn, pr, Y, h_final);
  detail::check_ssd_options<S>(fn, options);
  const Index Q = std::min(options.chunk > 0 ? options.chunk : kDefaultChunk, pr.shape.len);
  // Heads sharing a group share C Bᵀ: precompute it per (batch, group, chunk) when at least two heads read it.
  const bool shared = pr.shape.heads / pr.shape.groups >= 2;
  const std::vector<S> cb = shared ? group_cb(pr, Q, options.scan) : std::vector<S>{};
  SsdPolicy<S> policy(pr, Q, Y.data(), h_final.empty() ? nullptr : h_final.data(), shared ? cb.data() : nullptr);
  scan::run(policy, options.scan);
  return Q;
}

template <class S>
void decays(std::span<const S> a, Index q, std::span<S> seg, std::span<S> cs) {
  detail::check_ssd_chunk_decays<S>("seqref::cpu::ssd_chunk_decays", a, q, seg, cs);
  chunk_decays(a.data(), 1, q, seg.data(), cs.data());
}

}  // namespace

Index ssd(const SsdProblem<float>& p, std::span<float> Y, std::span<float> h_final, SsdOptions o) {
  return run_ssd<float>(p, Y, h_final, o);
}
Index ssd(const SsdProblem<double>& p, std::span<double> Y, std::span<double> h_final, SsdOptions o) {
  return run_ssd<double>(p, Y, h_final, o);
}
void ssd_chunk_decays(std::span<const float> a, Index q, std::span<float> seg, std::span<float> cs) {
  decays<float>(a, q, seg, cs);
}
void ssd_chunk_decays(std::span<const double> a, Index q, std::span<double> seg, std::span<double> cs) {
  decays<double>(a, q, seg, cs);
}

}  // namespace seqref::cpu
