// The scan engine on arrays (seqref/opt/scan/linear_recurrence.hpp): policies of optimized/cpu/scan/engine.hpp.
//
// scalar / diagonal J: every (sequence β, entry i) is an independent scalar recurrence; lanes are those pairs in
// order λ = β·D + i, W per block (one AVX-512 register), so for D ≥ W a block reads contiguous rows of J and b.
// dense J: one lane per sequence (W = 1), state D; the engine's per-lane matvec in the reference's order.

#include "seqref/opt/scan/linear_recurrence.hpp"

#include "cpu/scan/engine.hpp"

namespace seqref::cpu {

namespace {

template <class S>
struct ElementwisePolicy {
  using Scalar = S;
  static constexpr int width = 64 / static_cast<int>(sizeof(S));
  static constexpr scan::Structure structure = scan::Structure::diagonal;

  const LinearRecurrence<S>& p;
  std::span<S> x, x_final;
  Index lanes() const { return p.batch * p.dim; }
  Index blocks() const { return (lanes() + width - 1) / width; }
  Index len() const { return p.len; }
  Index state() const { return 1; }

  void initial(Index blk, S* x0) const {
    for (Index l = 0; l < width; ++l) {
      const Index lam = blk * width + l;
      x0[l] = lam < lanes() && !p.x0.empty() ? p.x0[lam] : S(0);
    }
  }
  void coeffs(Index blk, Index t, S* a, S* b) const {
    const Index D = p.dim, T = p.len;
    for (Index l = 0; l < width; ++l) {
      const Index lam = blk * width + l;
      if (lam >= lanes()) { a[l] = S(1); b[l] = S(0); continue; }
      const Index beta = lam / D, i = lam % D, step = beta * T + t;
      a[l] = p.kind == Transition::scalar ? p.J[step] : p.J[step * D + i];
      b[l] = p.b[step * D + i];
    }
  }
  void emit(Index blk, Index t, const S* xt) const {
    if (x.empty()) return;
    const Index D = p.dim, T = p.len;
    for (Index l = 0; l < width; ++l) {
      const Index lam = blk * width + l;
      if (lam >= lanes()) break;
      x[((lam / D) * T + t) * D + lam % D] = xt[l];
    }
  }
  void final(Index blk, const S* xT) const {
    if (x_final.empty()) return;
    for (Index l = 0; l < width; ++l) {
      const Index lam = blk * width + l;
      if (lam >= lanes()) break;
      x_final[lam] = xT[l];
    }
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
  detail::check_linear_recurrence<S>("seqref::cpu::linear_recurrence", p, x, x_final);
  require(schedule.chunk >= 0 && schedule.threads >= 0, "seqref::cpu::linear_recurrence",
          "schedule.chunk and schedule.threads must be >= 0 (0: automatic); got chunk " +
              std::to_string(schedule.chunk) + ", threads " + std::to_string(schedule.threads));
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
