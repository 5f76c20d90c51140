#pragma once
/// \file
/// The scan engine's problem and its reference: first-order linear recurrences
///
///   x_t = J_t x_{t−1} + b_t,   t = 1..T,   x_0 given (or zero),
///
/// over a batch of independent sequences, with J_t a scalar (one number per step, shared by the D state entries), a
/// diagonal (D numbers per step) or a dense D×D matrix per step. The final state x_T is returned separately so a
/// long sequence can be split into pieces with the state carried from one to the next.
///
/// Every recurrence in seqref is solved by this one engine: the reference here (the sequential loop), the cpu
/// two-level chunked scan (seqref/opt/scan/linear_recurrence.hpp and, fused, optimized/cpu/scan/engine.hpp) and the
/// CUDA block scan with carried prefixes (optimized/cuda/scan/engine.cuh). The HiPPO-LegS online memory, Mamba's
/// selective scan and DEER's linearised sweeps are written as instances of it.
///
/// Layout (row-major, contiguous; B = batch, T = len, D = dim):
///   J   scalar [B, T]; diagonal [B, T, D]; dense [B, T, D, D] with x_t[i] = Σ_j J_t[i, j] x_{t−1}[j] + b_t[i]
///   b   [B, T, D]
///   x0  [B, D], or empty for a zero initial state
///   x   (output) [B, T, D]: x[β, t−1, :] = x_t of sequence β; may be empty when only the final state is wanted
///   x_final (output) [B, D] = x_T; may be empty
/// Errors: std::invalid_argument naming the function, the argument and the shapes (sizes that do not match the
/// shape, B, T or D < 1, non-finite J, b or x0). Overflow of the recurrence itself is not an error: it is what the
/// recurrence computes, and shows as ±inf in x.

#include "seqref/core/tensor.hpp"
#include "seqref/core/validate.hpp"

#include <cmath>
#include <span>
#include <string>
#include <string_view>

namespace seqref {

/// How J_t acts on the state.
enum class Transition {
  scalar,    ///< x_t = a_t x_{t−1} + b_t with one a_t per step for all D entries (Mamba-2 / SSD heads)
  diagonal,  ///< x_t = a_t ∘ x_{t−1} + b_t, a_t ∈ R^D (Mamba's selective scan, quasi-DEER)
  dense,     ///< x_t = J_t x_{t−1} + b_t, J_t ∈ R^{D×D} (DEER's Newton sweep)
};

std::string_view to_string(Transition kind);

/// Entries of J per step for a state of size D.
constexpr Index transition_size(Transition kind, Index D) {
  return kind == Transition::scalar ? 1 : kind == Transition::diagonal ? D : D * D;
}

/// A batch of recurrences (views; nothing is owned). See the file comment for shapes.
template <class S>
struct LinearRecurrence {
  Transition kind = Transition::diagonal;
  Index batch = 1;
  Index len = 0;
  Index dim = 1;
  std::span<const S> J;
  std::span<const S> b;
  std::span<const S> x0;  ///< empty: x_0 = 0
};

namespace detail {
inline std::string nonfinite_message(std::string_view name) { return std::string(name) + " has a non-finite entry"; }

/// The argument checks every backend shares (same checks, same messages).
/// `check_values = false` skips only the finiteness scan of J, b and x0 (one full pass over the inputs), for a
/// backend that does that scan itself (in parallel) with the same messages (see nonfinite_message).
template <class S>
void check_linear_recurrence(std::string_view fn, const LinearRecurrence<S>& p, std::span<S> x, std::span<S> x_final,
                             bool check_values = true) {
  using std::isfinite;
  const std::string shape = "[B, T, D] = [" + std::to_string(p.batch) + ", " + std::to_string(p.len) + ", " +
                            std::to_string(p.dim) + "], " + std::string(to_string(p.kind)) + " J";
  require(p.batch >= 1 && p.len >= 1 && p.dim >= 1, fn, "batch, len and dim must be >= 1; got " + shape);
  const Index steps = p.batch * p.len;
  auto need = [&](std::size_t got, Index want, std::string_view name) {
    require(got == static_cast<std::size_t>(want), fn,
            std::string(name) + " must hold " + std::to_string(want) + " entries for " + shape + "; got " +
                std::to_string(got));
  };
  need(p.J.size(), steps * transition_size(p.kind, p.dim), "J");
  need(p.b.size(), steps * p.dim, "b");
  if (!p.x0.empty()) need(p.x0.size(), p.batch * p.dim, "x0");
  if (!x.empty()) need(x.size(), steps * p.dim, "x");
  if (!x_final.empty()) need(x_final.size(), p.batch * p.dim, "x_final");
  require(!x.empty() || !x_final.empty(), fn, "x and x_final are both empty: nothing to compute");
  if (!check_values) return;
  auto finite = [&](std::span<const S> v, std::string_view name) {
    for (const S& e : v)
      if (!static_cast<bool>(isfinite(e))) invalid_argument(fn, nonfinite_message(name));
  };
  finite(p.J, "J");
  finite(p.b, "b");
  finite(p.x0, "x0");
}
}  // namespace detail

}  // namespace seqref

namespace seqref::ref {

/// The sequential loop, in S throughout (S = float, double, Oracle; Eigen::half, Eigen::bfloat16, long double for
/// the judge). x_t[i] = Σ_j J_t[i,j] x_{t−1}[j] + b_t[i] with the sum taken in order j = 0..D−1.
template <class S>
void linear_recurrence(const LinearRecurrence<S>& problem, std::span<S> x, std::span<S> x_final = {});

/// One step of the recurrence on one state (the definition every backend implements): x ← J x + b, with J of
/// `kind` for a state of size D = x.size(). Used by the reference loop and by callers that step by hand.
template <class S>
void recurrence_step(Transition kind, std::span<const S> J, std::span<const S> b, std::span<S> x);

}  // namespace seqref::ref
