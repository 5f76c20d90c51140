#pragma once
// The cpu scan engine: x_t = J_t x_{t−1} + b_t over many independent lanes, as a two-level chunked scan.
// (Internal header of seqref_cpu: the public array entry point is seqref/opt/scan/linear_recurrence.hpp.)
//
// Every recurrence on the cpu is an instance of `run<Policy>`: the array API (scan/linear_recurrence.cpp), the
// HiPPO-LegS online memory (ssm/hippo.cpp), Mamba's fused selective scan (ssm/selective_scan.cpp) and DEER's
// sweeps (rnn/deer.cpp). A policy says where J_t and b_t come from and what happens to x_t; the engine owns the
// order of evaluation, the chunking and the threads. Nothing of size [T, state] is materialized by the engine.
//
// Lanes and blocks. A lane is one independent recurrence with a state of n scalars; W lanes (the policy's `width`,
// one SIMD register for diagonal policies) are advanced together as a block. Scratch is lane-minor: entry i of lane
// l sits at x[i*W + l], so the inner loops run over l with unit stride and vectorize.
//
// Two-level chunked scan (when the policy composes, i.e. its structure is diagonal or dense):
//   pass 1, parallel over (block, chunk): the chunk's transition P_c = J_end ⋯ J_begin and its state e_c from 0;
//   pass 2, per block, sequential over chunks: carry_c = P_c carry_{c−1} + e_c, carry_0 = x_0;
//   pass 3, parallel over (block, chunk): re-run the chunk from carry_{c−1}, emitting every x_t.
// Pass 3 regenerates J_t and b_t (the policy computes them on the fly: exp(Δ A), tanh′, …) instead of storing
// them, so memory traffic is two reads of the inputs and one write of the outputs. The final state is pass 3's last
// x_T, so x_final equals the last emitted state bit for bit. With one chunk the engine is the sequential loop of
// the reference in the same order of operations (passes 1 and 2 are skipped); it is not bit-identical to the
// reference, because seqref_cpu is built with -march=native and the compiler contracts a·x + b into one FMA (one
// rounding instead of two), which the reference, built without target flags, does not.
//
// Determinism: the chunk size depends only on (blocks, T) or on Schedule::chunk, never on the thread count, and
// every (block, chunk) is computed by one thread, so results are bit-identical for any number of threads.
//
// Policy interface (S = float or double):
//   using Scalar = S;  static constexpr int width;  static constexpr Structure structure;
//   Index blocks() const; Index len() const; Index state() const;           // n = state()
//   void initial(Index blk, S* x) const;                                     // x_0, [n*W]
//   structure diagonal: void coeffs(Index blk, Index t, S* a, S* b) const;   // x_t = a ∘ x_{t−1} + b, a, b [n*W]
//   structure dense:    void coeffs(Index blk, Index t, S* J, S* b) const;   // J [(i*n + j)*W + l], b [n*W]
//   structure opaque:   void step(Index blk, Index t, S* x) const;           // x ← J_t x + b_t in place (no chunking)
//   void emit(Index blk, Index t, const S* x) const;                         // x_t after step t (t = 0..T−1)
//   void final(Index blk, const S* x) const;                                  // x_T
// emit and final are called once per (blk, t) from any thread; different (blk, t) must write disjoint memory.

#include "seqref/core/tensor.hpp"
#include "seqref/opt/scan/linear_recurrence.hpp"

#include <omp.h>

#include <algorithm>
#include <cstddef>
#include <vector>

namespace seqref::cpu::scan {

enum class Structure { diagonal, dense, opaque };

/// The chunk length the engine uses for `blocks` lane blocks of length T (schedule.chunk > 0 overrides it). Chunking
/// costs a second pass over the inputs, so it is used only when there are too few blocks to share out: fewer than
/// 32 (a constant, not the thread count, so results do not depend on the machine), then enough chunks for 64-way
/// parallelism.
inline Index chunk_length(Index blocks, Index T, const ScanSchedule& schedule) {
  if (schedule.chunk > 0) return std::min(schedule.chunk, T);
  namespace c = blocking::scan;
  if (blocks >= c::chunk_below_blocks || T < c::chunk_from_len) return T;
  const Index chunks = std::max<Index>(1, c::chunk_parallelism / blocks);
  return std::max<Index>(c::chunk_min, (T + chunks - 1) / chunks);
}

template <class P>
class Engine {
 public:
  using S = typename P::Scalar;
  static constexpr int W = P::width;

  Engine(const P& policy, const ScanSchedule& schedule)
      : p_(policy),
        threads_(schedule.threads > 0 ? schedule.threads : omp_get_max_threads()),
        n_(policy.state()),
        T_(policy.len()),
        blocks_(policy.blocks()) {
    L_ = P::structure == Structure::opaque ? T_ : chunk_length(blocks_, T_, schedule);
    chunks_ = (T_ + L_ - 1) / L_;
  }

  void run() {
    if (chunks_ == 1) {
#pragma omp parallel num_threads(threads_)
      {
        serial_inside();
#pragma omp for schedule(dynamic, 1)
        for (Index blk = 0; blk < blocks_; ++blk) sweep(blk, 0, nullptr);
      }
      return;
    }
    if constexpr (P::structure != Structure::opaque) {                   // opaque policies always have one chunk
      const Index tn = P::structure == Structure::dense ? n_ * n_ : n_;  // entries of one chunk transition per lane
      // pass 1: chunk summaries (the last chunk's is never needed)
      std::vector<S> Pc(static_cast<std::size_t>(blocks_ * chunks_ * tn * W));
      std::vector<S> ec(static_cast<std::size_t>(blocks_ * chunks_ * n_ * W));
      const Index work = blocks_ * (chunks_ - 1);
#pragma omp parallel num_threads(threads_)
      {
        serial_inside();
#pragma omp for schedule(dynamic, 1)
        for (Index job = 0; job < work; ++job) {
          const Index blk = job / (chunks_ - 1), c = job % (chunks_ - 1);
          summarize(blk, c, Pc.data() + (blk * chunks_ + c) * tn * W, ec.data() + (blk * chunks_ + c) * n_ * W);
        }
      }
      // pass 2: carries (ec is overwritten with the state entering each chunk)
#pragma omp parallel for schedule(static) num_threads(threads_)
      for (Index blk = 0; blk < blocks_; ++blk) {
        std::vector<S> carry(static_cast<std::size_t>(n_ * W)), next(carry.size());
        p_.initial(blk, carry.data());
        for (Index c = 0; c < chunks_; ++c) {
          S* e = ec.data() + (blk * chunks_ + c) * n_ * W;
          if (c + 1 < chunks_) apply(Pc.data() + (blk * chunks_ + c) * tn * W, carry.data(), e, next.data());
          std::copy(carry.begin(), carry.end(), e);
          carry.swap(next);
        }
      }
      // pass 3: every chunk from its carry
#pragma omp parallel num_threads(threads_)
      {
        serial_inside();
#pragma omp for schedule(dynamic, 1)
        for (Index job = 0; job < blocks_ * chunks_; ++job) {
          const Index blk = job / chunks_, c = job % chunks_;
          sweep(blk, c, ec.data() + (blk * chunks_ + c) * n_ * W);
        }
      }
    }
  }

  Index chunk() const { return L_; }

 private:
  // Inside the engine's parallel regions a policy's own parallel code (Eigen's GEMMs in coeffs/emit, say) must run
  // on the calling thread: with a one-thread team Eigen would otherwise open a nested team for every small product
  // (measured 4–5× slower for SSD). omp_set_num_threads here sets only this thread's ICV for nested regions.
  static void serial_inside() { omp_set_num_threads(1); }

  // x ← J_t x + b_t for t in chunk c, starting from `start` (nullptr: the policy's x_0), emitting each x_t.
  void sweep(Index blk, Index c, const S* start) const {
    const Index t0 = c * L_, t1 = std::min(T_, t0 + L_);
    std::vector<S> x(static_cast<std::size_t>(n_ * W)), a, b(x.size()), tmp;
    if (start)
      std::copy(start, start + n_ * W, x.begin());
    else
      p_.initial(blk, x.data());
    if constexpr (P::structure == Structure::diagonal) a.resize(x.size());
    if constexpr (P::structure == Structure::dense) {
      a.resize(static_cast<std::size_t>(n_ * n_ * W));
      tmp.resize(x.size());
    }
    const Index nW = n_ * W;
    for (Index t = t0; t < t1; ++t) {
      if constexpr (P::structure == Structure::opaque) {
        p_.step(blk, t, x.data());
      } else if constexpr (P::structure == Structure::diagonal) {
        p_.coeffs(blk, t, a.data(), b.data());
        S* xv = x.data();
        const S* av = a.data();
        const S* bv = b.data();
#pragma omp simd
        for (Index k = 0; k < nW; ++k) xv[k] = av[k] * xv[k] + bv[k];
      } else {
        p_.coeffs(blk, t, a.data(), b.data());
        matvec(a.data(), x.data(), b.data(), tmp.data());
        x.swap(tmp);
      }
      p_.emit(blk, t, x.data());
    }
    if (t1 == T_) p_.final(blk, x.data());
  }

  // Chunk c's transition product P (tn*W) and its state from zero e (n*W), accumulated in this thread's scratch
  // and stored once at the end: neighbouring chunks' summaries share cache lines, and updating them in place every
  // step made two threads 2.4× slower than one (false sharing, measured on a single lane).
  void summarize(Index blk, Index c, S* P_out, S* e_out) const {
    const Index t0 = c * L_, t1 = std::min(T_, t0 + L_), nW = n_ * W;
    const Index tn = (P::structure == Structure::dense ? n_ * n_ : n_) * W;
    std::vector<S> a(static_cast<std::size_t>(tn)), b(static_cast<std::size_t>(nW)), tmp;
    std::vector<S> Pv(static_cast<std::size_t>(tn)), ev(static_cast<std::size_t>(nW), S(0));
    S* Pc = Pv.data();
    S* e = ev.data();
    if constexpr (P::structure == Structure::diagonal) {
      std::fill(Pc, Pc + nW, S(1));
      for (Index t = t0; t < t1; ++t) {
        p_.coeffs(blk, t, a.data(), b.data());
        const S* av = a.data();
        const S* bv = b.data();
#pragma omp simd
        for (Index k = 0; k < nW; ++k) {
          Pc[k] = av[k] * Pc[k];
          e[k] = av[k] * e[k] + bv[k];
        }
      }
    } else {
      static_assert(P::structure == Structure::dense, "opaque policies are never chunked");
      std::fill(Pc, Pc + tn, S(0));
      for (Index i = 0; i < n_; ++i)
        for (Index l = 0; l < W; ++l) Pc[(i * n_ + i) * W + l] = S(1);
      std::vector<S> Pn(static_cast<std::size_t>(tn));
      tmp.resize(static_cast<std::size_t>(nW));
      for (Index t = t0; t < t1; ++t) {
        p_.coeffs(blk, t, a.data(), b.data());
        matvec(a.data(), e, b.data(), tmp.data());
        std::copy(tmp.begin(), tmp.end(), e);
        matmul(a.data(), Pc, Pn.data());
        std::copy(Pn.begin(), Pn.end(), Pc);
      }
    }
    std::copy(Pv.begin(), Pv.end(), P_out);
    std::copy(ev.begin(), ev.end(), e_out);
  }

  // out = M x + add for the chunk transition M (diagonal: n*W; dense: n*n*W).
  void apply(const S* M, const S* x, const S* add, S* out) const {
    if constexpr (P::structure == Structure::diagonal) {
      const Index nW = n_ * W;
#pragma omp simd
      for (Index k = 0; k < nW; ++k) out[k] = M[k] * x[k] + add[k];
    } else {
      matvec(M, x, add, out);
    }
  }

  // out[i] = Σ_j J[i, j] x[j] + add[i], j in order (the reference's order), per lane.
  void matvec(const S* J, const S* x, const S* add, S* out) const {
    for (Index i = 0; i < n_; ++i) {
      S acc[W] = {};
      for (Index j = 0; j < n_; ++j) {
        const S* Jij = J + (i * n_ + j) * W;
        const S* xj = x + j * W;
#pragma omp simd
        for (Index l = 0; l < W; ++l) acc[l] += Jij[l] * xj[l];
      }
#pragma omp simd
      for (Index l = 0; l < W; ++l) out[i * W + l] = acc[l] + add[i * W + l];
    }
  }

  // out = A B (dense per lane).
  void matmul(const S* A, const S* B, S* out) const {
    for (Index i = 0; i < n_; ++i)
      for (Index k = 0; k < n_; ++k) {
        S acc[W] = {};
        for (Index j = 0; j < n_; ++j) {
          const S* Aij = A + (i * n_ + j) * W;
          const S* Bjk = B + (j * n_ + k) * W;
#pragma omp simd
          for (Index l = 0; l < W; ++l) acc[l] += Aij[l] * Bjk[l];
        }
        for (Index l = 0; l < W; ++l) out[(i * n_ + k) * W + l] = acc[l];
      }
  }

  const P& p_;
  int threads_;
  Index n_, T_, blocks_, L_ = 1, chunks_ = 1;
};

/// Solve the policy's recurrence; returns the chunk length used.
template <class P>
Index run(const P& policy, const ScanSchedule& schedule = {}) {
  Engine<P> engine(policy, schedule);
  engine.run();
  return engine.chunk();
}

}  // namespace seqref::cpu::scan
