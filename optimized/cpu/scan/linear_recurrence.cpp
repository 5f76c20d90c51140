// The scan engine on arrays (seqref/opt/scan/linear_recurrence.hpp): policies of optimized/cpu/scan/engine.hpp.
//
// Lanes of width 1 whose state is a contiguous run of entries, so each step reads one contiguous piece of a row of
// J and b and writes one of x: the [B, T, D] layout streams. scalar / diagonal J: the entries are independent, so a
// sequence's D entries are split into groups of <= 512 (one block each; more blocks before time has to be chunked),
// updated elementwise (vectorized); dense J: one block per sequence, the engine's matvec in the reference's order.
// Few, long sequences are split into chunks of time by the engine.

#include "seqref/opt/scan/linear_recurrence.hpp"

#include "cpu/scan/engine.hpp"
#include "seqref/core/limits.hpp"

#include <omp.h>

#include <cmath>
#include <utility>

namespace seqref::cpu {

namespace {

template <class S>
struct ElementwisePolicy {
  using Scalar = S;
  static constexpr int width = 1;
  static constexpr scan::Structure structure = scan::Structure::diagonal;

  const LinearRecurrence<S>& p;
  std::span<S> x, x_final;
  Index G = group(p.dim);  // entries per block: the entries of a diagonal recurrence are independent
  Index groups = (p.dim + G - 1) / G;
  static Index group(Index D) { return D <= blocking::scan::group_max ? D : blocking::scan::group; }
  Index blocks() const { return p.batch * groups; }
  Index len() const { return p.len; }
  Index state() const { return G; }
  // block → sequence β, first entry i0, n <= G entries (one division per call: this runs every step); padding
  // entries have a = 1, b = 0 and are not stored
  struct Piece {
    Index beta, i0, n;
  };
  Piece piece(Index blk) const {
    const Index beta = blk / groups, i0 = (blk - beta * groups) * G;
    return {beta, i0, std::min(G, p.dim - i0)};
  }

  void initial(Index blk, S* x0) const {
    std::fill_n(x0, G, S(0));
    const Piece q = piece(blk);
    if (!p.x0.empty()) std::copy_n(p.x0.data() + q.beta * p.dim + q.i0, q.n, x0);
  }
  void coeffs(Index blk, Index t, S* a, S* b) const {
    const Piece q = piece(blk);
    const Index D = p.dim, step = q.beta * p.len + t;
    if (p.kind == Transition::scalar)
      std::fill_n(a, q.n, p.J[step]);
    else
      std::copy_n(p.J.data() + step * D + q.i0, q.n, a);
    std::copy_n(p.b.data() + step * D + q.i0, q.n, b);
    std::fill(a + q.n, a + G, S(1));
    std::fill(b + q.n, b + G, S(0));
  }
  void emit(Index blk, Index t, const S* xt) const {
    const Piece q = piece(blk);
    if (!x.empty()) std::copy_n(xt, q.n, x.data() + (q.beta * p.len + t) * p.dim + q.i0);
  }
  void final(Index blk, const S* xT) const {
    const Piece q = piece(blk);
    if (!x_final.empty()) std::copy_n(xT, q.n, x_final.data() + q.beta * p.dim + q.i0);
  }
};

template <class S>
struct DensePolicy {
  using Scalar = S;
  static constexpr int width = 1;
  static constexpr scan::Structure structure = scan::Structure::dense;

  const LinearRecurrence<S>& p;
  std::span<S> x, x_final;
  Index blocks() const { return p.batch; }
  Index len() const { return p.len; }
  Index state() const { return p.dim; }

  void initial(Index beta, S* x0) const {
    for (Index i = 0; i < p.dim; ++i) x0[i] = p.x0.empty() ? S(0) : p.x0[beta * p.dim + i];
  }
  void coeffs(Index beta, Index t, S* J, S* b) const {
    const Index D = p.dim, step = beta * p.len + t;
    std::copy_n(p.J.data() + step * D * D, D * D, J);
    std::copy_n(p.b.data() + step * D, D, b);
  }
  void emit(Index beta, Index t, const S* xt) const {
    if (!x.empty()) std::copy_n(xt, p.dim, x.data() + (beta * p.len + t) * p.dim);
  }
  void final(Index beta, const S* xT) const {
    if (!x_final.empty()) std::copy_n(xT, p.dim, x_final.data() + beta * p.dim);
  }
};

template <class S>
Index solve(const LinearRecurrence<S>& p, std::span<S> x, std::span<S> x_final, ScanSchedule schedule) {
  constexpr std::string_view fn = "seqref::cpu::linear_recurrence";
  detail::check_linear_recurrence<S>(fn, p, x, x_final, /*check_values=*/false);
  require(schedule.chunk >= 0, fn, "schedule.chunk must be >= 0 (0: automatic); got " + std::to_string(schedule.chunk));
  require_threads(fn, schedule.threads);  // an OpenMP team of 10^6 threads exhausts the process: refuse it here
  // the finiteness scan, threaded: serially it cost as much as the scan itself on memory-bound shapes
  for (const auto& [v, name] : {std::pair{p.J, "J"}, std::pair{p.b, "b"}, std::pair{p.x0, "x0"}}) {
    const S* d = v.data();
    const Index n = static_cast<Index>(v.size());
    int bad = 0;
#pragma omp parallel for reduction(|                       \
                                   : bad) schedule(static) \
    num_threads(schedule.threads > 0 ? schedule.threads : omp_get_max_threads())
    for (Index i = 0; i < n; ++i) bad |= (d[i] * S(0) != S(0));  // inf·0 and NaN·0 are NaN: vectorizes
    if (bad) invalid_argument(fn, detail::nonfinite_message(name));
  }
  if (p.kind == Transition::dense) return scan::run(DensePolicy<S>{p, x, x_final}, schedule);
  return scan::run(ElementwisePolicy<S>{p, x, x_final}, schedule);
}

}  // namespace

Index linear_recurrence(const LinearRecurrence<float>& p, std::span<float> x, std::span<float> x_final,
                        ScanSchedule schedule) {
  return solve<float>(p, x, x_final, schedule);
}
Index linear_recurrence(const LinearRecurrence<double>& p, std::span<double> x, std::span<double> x_final,
                        ScanSchedule schedule) {
  return solve<double>(p, x, x_final, schedule);
}

}  // namespace seqref::cpu
