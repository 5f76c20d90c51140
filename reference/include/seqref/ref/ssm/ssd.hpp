#pragma once
/// \file
/// Reference SSD: Mamba-2's state space duality (Dao & Gu, arXiv 2405.21060, §§ 3-6 and the "ssd_minimal"
/// listing). Per batch element and head, with a scalar log decay a_t per step (Mamba-2's Δ_t·A_h; <= 0 for a
/// stable model, any finite value accepted), a state h_t ∈ R^{P×N}, input x_t ∈ R^P, B_t, C_t ∈ R^N:
///
///   (1)  recurrence ("the selective scan" form):   h_t = exp(a_t) h_{t−1} + x_t B_tᵀ,   y_t = h_t C_t
///   (2)  segsum:  segsum(a)[i, j] = a_{j+1} + … + a_i  for j <= i  (0 on the diagonal),  −inf for j > i
///   (3)  quadratic (attention-like) form:  Y = (L ∘ C Bᵀ) X,   L = exp(segsum(a))     (T × T per head)
///        plus, with an initial state h_0:  y_t += exp(a_0 + … + a_t) h_0 C_t
///   (4)  chunked algorithm (chunk length Q; the last chunk may be shorter):
///          intra-chunk:  Y_c = (L_c ∘ C_c B_cᵀ) X_c                          (eq. 3 inside the chunk)
///          chunk state:  S_c = Σ_{s ∈ c} exp(segsum_c[last, s]) x_s B_sᵀ       (state at the chunk's end from 0)
///          chunk decay:  g_c = exp(Σ_{s ∈ c} a_s)
///          inter-chunk:  H_c = g_c H_{c−1} + S_c,  H_{−1} = h_0              (scan engine, scalar transition)
///          output:       y_t += exp(Σ_{s = start(c)}^{t} a_s) H_{c−1} C_t
///        H_{last} is the final state.
///
/// Two segsums are given: the naive one, cumsum(a)[i] − cumsum(a)[j] (what a first implementation writes: it
/// cancels catastrophically when the cumsum is large, and gives −inf − (−inf) = NaN once it overflows), and the
/// stable one, the exact segment a_{j+1} + … + a_i summed in order (what every SSD form here uses). With a <= 0
/// every entry of the stable segsum is <= 0 (a sum of non-positive terms rounds to a non-positive number), so every
/// decay factor exp(·) lies in [0, 1].
///
/// Recurrences (1) and the inter-chunk pass of (4) are solved by the one scan engine, seqref::ref::linear_recurrence
/// with Transition::scalar (one decay per step for the P·N state entries of a head); nothing here loops over time
/// to carry a state.
///
/// Shapes (row-major, contiguous), Mamba-2's layout:
///   X [batch, T, heads, P]       A [batch, T, heads]       B, C [batch, T, groups, N]
///   h0 [batch, heads, P, N] (optional; empty: zero)      Y [batch, T, heads, P]     h_final [batch, heads, P, N]
/// Groups: `groups` divides `heads`; head h reads B and C of group h / (heads / groups) (Mamba-2's ngroups;
/// groups = heads gives one B, C per head, groups = 1 one shared B, C — the multi-value attention analogue).
/// Errors: std::invalid_argument naming the function, the argument and the shapes (sizes < 1, groups not dividing
/// heads, a buffer of the wrong size, a chunk < 1, a non-finite input). Templated on the scalar; instantiated for
/// float, double and Oracle, and for the judge's Eigen::half, Eigen::bfloat16 and long double
/// (reference/src/ssm/ssd.cpp).

#include "seqref/core/oracle.hpp"
#include "seqref/core/tensor.hpp"
#include "seqref/core/validate.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

namespace seqref {

/// The sizes of an SSD problem.
struct SsdShape {
  Index batch = 1;
  Index len = 1;      ///< T
  Index heads = 1;    ///< H
  Index headdim = 1;  ///< P
  Index groups = 1;   ///< G (divides H)
  Index dstate = 1;   ///< N

  Index x_size() const { return batch * len * heads * headdim; }
  Index a_size() const { return batch * len * heads; }
  Index bc_size() const { return batch * len * groups * dstate; }
  Index state_size() const { return batch * heads * headdim * dstate; }
  /// The group whose B and C head h reads.
  Index group_of(Index h) const { return h / (heads / groups); }
  std::string to_string() const {
    return "[batch, T, heads, P, groups, N] = [" + std::to_string(batch) + ", " + std::to_string(len) + ", " +
           std::to_string(heads) + ", " + std::to_string(headdim) + ", " + std::to_string(groups) + ", " +
           std::to_string(dstate) + "]";
  }
};

/// An SSD problem (views; nothing is owned). See the file comment for shapes.
template <class S>
struct SsdProblem {
  SsdShape shape;
  std::span<const S> X, A, B, C;
  std::span<const S> h0;  ///< empty: zero initial state
};

namespace detail {
/// Index of the first non-finite entry of v (v.size() if none). For float and double the scan runs in blocks with a
/// branch-free (vectorizable) test, so checking inputs costs a fraction of one pass over memory.
template <class S>
std::size_t first_non_finite(std::span<const S> v) {
  using std::isfinite;
  if constexpr (std::is_floating_point_v<S>) {
    constexpr std::size_t kBlock = 4096;
    for (std::size_t b0 = 0; b0 < v.size(); b0 += kBlock) {
      const std::size_t b1 = std::min(v.size(), b0 + kBlock);
      bool bad = false;
      for (std::size_t i = b0; i < b1; ++i) bad |= !(std::abs(v[i]) <= std::numeric_limits<S>::max());  // inf, NaN
      if (bad)
        for (std::size_t i = b0; i < b1; ++i)
          if (!isfinite(v[i])) return i;
    }
  } else {
    for (std::size_t i = 0; i < v.size(); ++i)
      if (!static_cast<bool>(isfinite(v[i]))) return i;
  }
  return v.size();
}

/// Shapes and buffer lengths only (no access to the data: the CUDA device entry point uses it on device memory).
/// Y must have x_size() entries; h_final is optional (empty) or state_size().
template <class S>
void check_ssd_shapes(std::string_view fn, const SsdProblem<S>& p, std::span<const S> Y, std::span<const S> h_final) {
  const SsdShape& s = p.shape;
  const std::string shape = s.to_string();
  require(s.batch >= 1 && s.len >= 1 && s.heads >= 1 && s.headdim >= 1 && s.groups >= 1 && s.dstate >= 1, fn,
          "every size must be >= 1; got " + shape);
  require(s.heads % s.groups == 0, fn, "groups must divide heads; got " + shape);
  auto need = [&](std::size_t got, Index want, std::string_view name, std::string_view layout) {
    require(got == static_cast<std::size_t>(want), fn,
            std::string(name) + " must hold " + std::to_string(want) + " entries (" + std::string(layout) + ") for " +
                shape + "; got " + std::to_string(got));
  };
  need(p.X.size(), s.x_size(), "X", "[batch, T, heads, P]");
  need(p.A.size(), s.a_size(), "A", "[batch, T, heads]");
  need(p.B.size(), s.bc_size(), "B", "[batch, T, groups, N]");
  need(p.C.size(), s.bc_size(), "C", "[batch, T, groups, N]");
  if (!p.h0.empty()) need(p.h0.size(), s.state_size(), "h0", "[batch, heads, P, N]");
  need(Y.size(), s.x_size(), "Y", "[batch, T, heads, P]");
  if (!h_final.empty()) need(h_final.size(), s.state_size(), "h_final", "[batch, heads, P, N]");
}

/// The argument checks every backend's host entry point shares (same checks, same messages): the shapes and
/// lengths (check_ssd_shapes), then every input finite.
template <class S>
void check_ssd(std::string_view fn, const SsdProblem<S>& p, std::span<const S> Y, std::span<const S> h_final) {
  check_ssd_shapes<S>(fn, p, Y, h_final);
  const std::string shape = p.shape.to_string();
  auto finite = [&](std::span<const S> v, std::string_view name) {
    const std::size_t i = first_non_finite(v);
    if (i < v.size())
      invalid_argument(
          fn, std::string(name) + " has a non-finite entry at flat index " + std::to_string(i) + " (" + shape + ")");
  };
  finite(p.X, "X");
  finite(p.A, "A");
  finite(p.B, "B");
  finite(p.C, "C");
  finite(p.h0, "h0");
}
}  // namespace detail

}  // namespace seqref

namespace seqref::ref {

/// Eq. (2), naive: out[i, j] = cs_i − cs_j (cs = inclusive cumulative sum of a) for j <= i, −inf above the
/// diagonal. Cancels when |cs| ≫ |out|; NaN where cs overflows. Kept to show why the stable one exists.
template <class S>
Matrix<S> segsum_naive(std::span<const S> a);

/// Eq. (2), stable: out[i, i] = 0, out[i, j] = out[i − 1, j] + a_i for j < i (a_{j+1} + … + a_i in order), −inf
/// for j > i. Finite wherever the segment's own sum is. Throws on empty or non-finite a.
template <class S>
Matrix<S> segsum_stable(std::span<const S> a);

/// Eq. (3): the quadratic form per (batch, head), O(T²(N + P)). h_final (optional) by the closed form
/// h_T = exp(Σ a) h_0 + Σ_s exp(segsum[T−1, s]) x_s B_sᵀ.
template <class S>
void ssd_quadratic(const SsdProblem<S>& problem, std::span<S> Y, std::span<S> h_final = {});

/// Eq. (4): the chunked algorithm with chunk length `chunk` >= 1 (any T; chunk > T is one chunk).
template <class S>
void ssd_chunked(const SsdProblem<S>& problem, Index chunk, std::span<S> Y, std::span<S> h_final = {});

/// Eq. (1): the recurrence, solved by seqref::ref::linear_recurrence (scalar transition exp(a_t), state P·N per
/// head; materializes every h_t: O(T·P·N) memory per head).
template <class S>
void ssd_recurrence(const SsdProblem<S>& problem, std::span<S> Y, std::span<S> h_final = {});

#define SEQREF_SSD_EXTERN(S)                                                                    \
  extern template Matrix<S> segsum_naive<S>(std::span<const S>);                                \
  extern template Matrix<S> segsum_stable<S>(std::span<const S>);                               \
  extern template void ssd_quadratic<S>(const SsdProblem<S>&, std::span<S>, std::span<S>);      \
  extern template void ssd_chunked<S>(const SsdProblem<S>&, Index, std::span<S>, std::span<S>); \
  extern template void ssd_recurrence<S>(const SsdProblem<S>&, std::span<S>, std::span<S>);
SEQREF_SSD_EXTERN(float)
SEQREF_SSD_EXTERN(double)
SEQREF_SSD_EXTERN(Oracle)
SEQREF_SSD_EXTERN(Eigen::half)
SEQREF_SSD_EXTERN(Eigen::bfloat16)
SEQREF_SSD_EXTERN(long double)
#undef SEQREF_SSD_EXTERN

}  // namespace seqref::ref
