// Flash-style causal attention on the CPU.
//
// Work is split into tasks (head h, query tile of block_q rows); OpenMP threads take tasks longest-first (the causal
// triangle makes late query tiles the most expensive). Inside a task the key tiles are visited in order with the
// online-softmax update of the reference (seqref::ref::OnlineSoftmax, applied to a whole tile at once):
//
//   S = scale·(Q_tile K_tileᵀ)              tile GEMM (Eigen's blocked, vectorized kernel), then one scaling pass
//   m' = max(m, rowmax S);  P = exp(S − m')  (vectorized exp; masked keys set to exactly 0)
//   l = e^{m−m'} l + rowsum P;  O = e^{m−m'} O + P V_tile    tile GEMM
//   out = O / l
//
// Only one block_q x block_k score tile per thread is ever live. Each output row is written by exactly one task in
// a fixed order, so results do not depend on the number of threads, and masked keys contribute exact zeros, so a
// change at positions > t cannot change o_t by even one bit.

#include "seqref/opt/attention/causal_attention.hpp"

#include "seqref/core/attention_args.hpp"

#include <omp.h>
#include <Eigen/Core>

#include <algorithm>
#include <atomic>
#include <limits>
#include <sstream>

namespace seqref::cpu {

namespace {

template <class S>
void flash_forward(ConstTensorView<S> q, ConstTensorView<S> k, ConstTensorView<S> v, TensorView<S> out, S scale,
                   AttentionTiling tiling) {
  constexpr std::string_view fn = "seqref::cpu::causal_attention";
  detail::check_causal_attention<S>(fn, q, k, v, out, scale);
  require(tiling.block_q >= 1 && tiling.block_k >= 1, fn,
          "tiling.block_q and tiling.block_k must be >= 1; got " + std::to_string(tiling.block_q) + ", " +
              std::to_string(tiling.block_k));

  const Index H = q.heads, T = q.len, dv = v.dim;
  const Index Bq = std::min(tiling.block_q, T), Bk = std::min(tiling.block_k, T);
  const Index n_qtiles = (T + Bq - 1) / Bq;
  const Index n_tasks = H * n_qtiles;
  constexpr S neg_inf = -std::numeric_limits<S>::infinity();

  std::atomic<bool> overflow{false};
  Index overflow_head = -1, overflow_row = -1;

#pragma omp parallel
  {
    Matrix<S> s_tile(Bq, Bk), o_acc(Bq, dv);
    Eigen::Matrix<S, Eigen::Dynamic, 1> m(Bq), l(Bq);

#pragma omp for schedule(dynamic, 1)
    for (Index task = 0; task < n_tasks; ++task) {
      if (overflow.load(std::memory_order_relaxed)) continue;
      const Index h = task % H;
      const Index qt = n_qtiles - 1 - task / H;  // longest (latest) query tiles first
      const Index i0 = qt * Bq, rows = std::min(Bq, T - i0);
      const auto Q = q.chead(h), K = k.chead(h), V = v.chead(h);

      m.head(rows).setConstant(neg_inf);
      l.head(rows).setZero();
      o_acc.topRows(rows).setZero();

      const Index key_end = i0 + rows;  // keys j < i0 + rows can be visible to some row of the tile
      for (Index j0 = 0; j0 < key_end; j0 += Bk) {
        const Index cols = std::min(Bk, key_end - j0);
        auto s = s_tile.topLeftCorner(rows, cols);
        // The scale is applied to the products, not folded into Q: the logits then carry the same rounding as
        // the reference's scale·(q·k) (exact on integer data), at the cost of one vectorized pass over the tile.
        s.noalias() = Q.middleRows(i0, rows) * K.middleRows(j0, cols).transpose();
        const bool on_diagonal = j0 + cols - 1 > i0;  // some key of the tile lies after some query row
        for (Index r = 0; r < rows; ++r) {
          const Index visible = on_diagonal ? std::clamp<Index>(i0 + r - j0 + 1, 0, cols) : cols;
          auto srow = s.row(r);
          if (visible == 0) {
            srow.setZero();
            continue;
          }
          auto live = srow.head(visible);
          live *= scale;
          const S row_max = live.maxCoeff();
          if (!live.allFinite()) {
            if (!overflow.exchange(true)) overflow_head = h, overflow_row = i0 + r;
            break;
          }
          const S m_new = std::max(m(r), row_max);
          const S alpha = std::exp(m(r) - m_new);  // 0 on the first visited tile (m = -inf)
          live = (live.array() - m_new).exp();
          srow.tail(cols - visible).setZero();  // masked keys: exactly zero weight
          l(r) = alpha * l(r) + live.sum();
          if (alpha != S(1)) o_acc.row(r) *= alpha;
          m(r) = m_new;
        }
        o_acc.topRows(rows).noalias() += s * V.middleRows(j0, cols);
      }
      auto O = out.head(h);
      for (Index r = 0; r < rows; ++r) O.row(i0 + r) = o_acc.row(r) / l(r);
    }
  }

  if (overflow.load()) {
    std::ostringstream os;
    os << "logit scale*q.k overflows at head " << overflow_head << ", query " << overflow_row
       << " (inputs are finite but too large for this precision)";
    invalid_argument(fn, os.str());
  }
}

}  // namespace

void causal_attention(ConstTensorView<float> q, ConstTensorView<float> k, ConstTensorView<float> v,
                      TensorView<float> out, float scale, AttentionTiling tiling) {
  flash_forward<float>(q, k, v, out, scale, tiling);
}
void causal_attention(ConstTensorView<double> q, ConstTensorView<double> k, ConstTensorView<double> v,
                      TensorView<double> out, double scale, AttentionTiling tiling) {
  flash_forward<double>(q, k, v, out, scale, tiling);
}

}  // namespace seqref::cpu
