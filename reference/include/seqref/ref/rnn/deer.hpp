#pragma once
/// \file
/// Reference DEER: evaluating a nonlinear recurrence x_t = f(x_{t−1}, u_t), t = 1..T, in parallel over t by
/// solving the fixed-point problem for the whole trajectory with linearised sweeps (Lim et al., "Parallelizing
/// non-linear sequential models over the sequence length", arXiv 2309.12252; quasi-DEER and ELK: Gonzalez et al.,
/// arXiv 2407.19115; kexue.fm/archives/9783).
///
/// Given an iterate x^(k) = (x^(k)_1..x^(k)_T) (x_0 is given and never changes), a sweep linearises f about the
/// previous state of the iterate and solves the resulting linear recurrence for the whole trajectory at once:
///
///   (1)  x^(k+1)_t = f(x^(k)_{t−1}, u_t) + J_t (x^(k+1)_{t−1} − x^(k)_{t−1})
///                  = J_t x^(k+1)_{t−1} + b_t,     b_t = f(x^(k)_{t−1}, u_t) − J_t x^(k)_{t−1},
///
/// a first-order linear recurrence solved by the scan engine (seqref::ref::linear_recurrence: here the sequential
/// loop; in seqref::cpu / seqref::cuda the chunked parallel scans). The choice of J_t is the method:
///   - newton   J_t = ∂f/∂x (x^(k)_{t−1}, u_t), the full Jacobian (DEER): quadratic convergence near the solution;
///   - quasi    J_t = diag(∂f/∂x (x^(k)_{t−1}, u_t)), its diagonal (quasi-DEER): a diagonal scan, O(d) per step,
///              linear convergence;
///   - fixed_a  a constant J (the post's "fixed A", Jacobi-like): for the tanh cell J = A (the Jacobian with the
///              tanh′ factor dropped); for the GRU the cell's Jacobian at (x = 0, u = 0) (see GruCell);
///   - at_zero  J_t = ∂f/∂x (0, u_t), the Jacobian at x = 0, fixed across sweeps: for the tanh cell the post's
///              intermediate scheme A_t = sech²(u_t)∘A (kexue.fm/archives/9783, "加快收敛": "其中A_t = sech² u_t∘A",
///              i.e. row i of A scaled by sech²(u_{t,i})); for the GRU the same construction (derived);
///   - post_fixed the post's constant matrix: A for the tanh cell (= fixed_a), ½(I + ½U_h) for the GRU (post 9783,
///              "一般情形": "所以可以选取A=½(I+½U_h)", all gates taken as ½). It equals the GRU's fixed_a matrix
///              (the Jacobian at zero) exactly when b_z = b_r = b_h = 0 (and b_hn = 0 in the torch convention).
/// Whatever J_t is, (1) makes x^(k+1)_t = f(x^(k)_{t−1}, u_t) exactly when x^(k+1)_{t−1} = x^(k)_{t−1}; since x_0 is
/// exact, after n undamped sweeps states 1..n are exact (in exact arithmetic; to rounding in floating point), so
/// every undamped method reaches the sequential solution within T sweeps. An affine f with J_t = ∂f/∂x makes (1)
/// exact: Newton converges in one sweep.
///
/// Correction form. deer() (every backend but cuda) solves (1) shifted by the iterate: with δ_t = x^(k+1)_t − x^(k)_t,
///
///   (1')  δ_t = J_t δ_{t−1} + r_t,   δ_0 = 0,   r_t = f(x^(k)_{t−1}, u_t) − x^(k)_t,
///
/// the same recurrence in exact arithmetic, then x^(k+1) = x^(k) + δ. Its right side is the residual itself, so the
/// scan's rounding is relative to the correction δ, not to the states: at the fixed point each state is
/// fl(f(x_{t−1})) plus one rounding of the addition, as in the sequential loop. The plain form (1) (deer_linearize,
/// deer_sweep) leaves the fixed point a residual of ≈ (d + 1)u‖J‖∞ (rounding of b_t = f − J x and of J x + b): on the
/// post's setting float32 Newton then ends 1.5–3.3× less accurate than the float32 loop at the final state.
///
/// Damping (optional, DeerOptions::damping = α ∈ (0, 1]): x^(k+1) ← x^(k) + α (x̂ − x^(k)) = x^(k) + α δ, x̂ the solution of (1)
/// (a plain step damping, the simplest member of the ELK family's trust-region idea; α = 1 is undamped). With
/// α < 1 the exact-prefix property is lost (state t approaches its value geometrically) and the default
/// max_sweeps may not suffice: it is meant for divergent fixed-A runs, not for Newton near the solution.
///
/// Stopping and reporting. After every sweep the residual
///
///   (2)  r(x) = max_t ‖x_t − f(x_{t−1}, u_t)‖∞        (x_0 the given initial state)
///
/// is evaluated. With an explicit tolerance the run stops as soon as r ≤ tolerance. With the default tolerance
/// (DeerOptions::tolerance = 0) r ≤ tolerance only marks the run as converged; it then goes on to the rounding level
/// of the working precision, stopping at the first sweep that fails to halve the residual (or r = 0): what rounding
/// allows, in any precision, at the cost of one or two sweeps for Newton. Stopping at the first r ≤ tolerance left
/// float32 runs 25–42× less accurate than the sequential loop (tolerance ≈ 500u on the post's setting). The status
/// is converged when the best residual is ≤ tolerance, max_sweeps when the sweep limit is reached first, and non_finite as soon
/// as a linearisation or an iterate is Inf/NaN (overflow of a divergent iteration).
///
/// Clipping (DeerOptions::clip = c > 0): after every sweep each entry of the iterate is clamped to [−c, c] and a
/// NaN entry set to 0, the safeguard of machine-discovery/deer (clip_ytnext, c = 1e8). It keeps a strongly
/// expanding iteration finite (float32 Newton on A = 50 I overflows in its first sweep without it); the clamped
/// iterate is just another guess, so the fixed point and the exact-prefix property are unchanged as long as the
/// true states lie in [−c, c]. Default 0: off, and an overflow is reported as non_finite. It never throws for non-convergence: the result holds the BEST iterate
/// seen (smallest residual; the initial guess counts as sweep 0), its sweep index, the residual history and a
/// one-line reason. NaN/Inf in the inputs (cell weights, u, x0, initial guess) throw std::invalid_argument.
///
/// Shapes (row-major, contiguous): state size d >= 1, length T >= 1; u [T, m] (m = d for the tanh cell);
/// x0 [d] (empty: zero); states [T, d] with states[t−1] = x_t. Templated on the scalar; instantiated for float,
/// double and Oracle (reference/src/rnn/deer.cpp).

#include "seqref/core/tensor.hpp"
#include "seqref/ref/scan/linear_recurrence.hpp"

#include <functional>
#include <span>
#include <sstream>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace seqref {

/// How a DEER sweep linearises the cell (see the file comment).
enum class DeerMethod { fixed_a, newton, quasi, at_zero, post_fixed };

/// How a DEER run ended.
enum class DeerStatus {
  converged,   ///< residual ≤ tolerance
  max_sweeps,  ///< the sweep limit was reached with residual > tolerance
  non_finite,  ///< a linearisation or an iterate overflowed to Inf/NaN (divergence); the best finite iterate is kept
};

std::string_view to_string(DeerMethod m);
std::string_view to_string(DeerStatus s);

/// The tanh RNN cell x_t = tanh(A x_{t−1} + u_t): A [d, d] row-major, inputs u_t ∈ R^d.
template <class S>
struct TanhCell {
  using Scalar = S;
  Index dim = 0;
  std::vector<S> A;  ///< [d, d]
};

/// Which GRU (see GruCell).
enum class GruConvention {
  cho,  ///< Cho et al. 2014 / post 9783: reset before U_h, f = (1 − z) ∘ x + z ∘ h̃ (z gates the NEW candidate)
  torch,  ///< torch.nn.GRUCell: reset after U_h (with its own bias b_hn), f = (1 − z) ∘ n + z ∘ x (z keeps the OLD x)
};

/// The GRU cell, state d, input m; W_* [d, m], U_* [d, d], b_* [d], row-major. Two conventions:
///
///   cho (default; the post's form, Cho et al. 2014):
///     z = σ(W_z u_t + U_z x + b_z),  r = σ(W_r u_t + U_r x + b_r),  h̃ = tanh(W_h u_t + U_h (r ∘ x) + b_h),
///     f(x, u_t) = (1 − z) ∘ x + z ∘ h̃;
///   torch (torch.nn.GRUCell with W_ir|W_iz|W_in = W_r|W_z|W_h, W_hr|W_hz|W_hn = U_r|U_z|U_h, b_ir + b_hr = b_r,
///   b_iz + b_hz = b_z, b_in = b_h, b_hn = bhn):
///     z, r as above,  n = tanh(W_h u_t + b_h + r ∘ (U_h x + b_hn)),  f(x, u_t) = (1 − z) ∘ n + z ∘ x.
///
/// So torch's update gate z is the complement of cho's (z keeps the old state instead of admitting the new one)
/// and its reset gate multiplies U_h x + b_hn instead of x; with U_h = 0 and b_hn = 0 the two differ only by z ↔ 1 − z.
/// Jacobians:
///   cho    ∂f/∂x = diag(1 − z) + diag((h̃ − x) z (1 − z)) U_z + diag(z (1 − h̃²)) U_h [diag(r) + diag(x r (1 − r)) U_r];
///   torch  ∂f/∂x = diag(z) + diag((x − n) z (1 − z)) U_z + diag((1 − z)(1 − n²)) [diag(r) U_h + diag(q r (1 − r)) U_r],
///          q = U_h x + b_hn.
/// fixed_a uses this Jacobian at (x = 0, u = 0) — for cho diag(1 − z₀) + diag(h̃₀ z₀(1 − z₀)) U_z + diag(z₀(1 − h̃₀²))
/// U_h diag(r₀) with z₀ = σ(b_z), r₀ = σ(b_r), h̃₀ = tanh(b_h) — one constant matrix, the GRU's analogue of "A".
template <class S>
struct GruCell {
  using Scalar = S;
  Index dim = 0;              ///< d
  Index input = 0;            ///< m
  std::vector<S> Wz, Wr, Wh;  ///< [d, m]
  std::vector<S> Uz, Ur, Uh;  ///< [d, d]
  std::vector<S> bz, br, bh;  ///< [d]
  GruConvention convention = GruConvention::cho;
  std::vector<S> bhn;  ///< [d], torch convention only (empty: 0); must be empty for cho
};

/// What the per-sweep callback sees: the iterate after `sweep` sweeps (0: the initial guess) and its residual (2).
template <class S>
struct DeerSweepInfo {
  Index sweep;
  std::span<const S> states;  ///< [T, d]
  double residual;
};

template <class S>
struct DeerOptions {
  DeerMethod method = DeerMethod::newton;
  /// Stop when the residual (2) is ≤ tolerance. 0: deer_default_tolerance(cell) · max(1, ‖x0‖∞) (a rounding-level
  /// bound).
  double tolerance = 0;
  /// Sweep limit; 0: T (enough for every undamped method in exact arithmetic).
  Index max_sweeps = 0;
  /// Step damping α ∈ (0, 1] (1: undamped).
  double damping = 1;
  /// Clip every iterate to [−clip, clip] (NaN → 0) after each sweep (see the file comment); 0: off. Finite, >= 0.
  double clip = 0;
  /// Initial iterate [T, d]; empty: zeros.
  std::vector<S> initial_guess;
  /// Keep every iterate in DeerResult::iterates (for convergence tables; memory (sweeps + 1)·T·d).
  bool keep_iterates = false;
  /// Called after every sweep (and once for the initial guess, sweep 0).
  std::function<void(const DeerSweepInfo<S>&)> on_sweep;
};

template <class S>
struct DeerResult {
  std::vector<S> states;   ///< [T, d]: the best iterate (smallest residual)
  Index sweeps = 0;        ///< sweeps performed
  Index best_sweep = 0;    ///< the sweep that produced `states` (0: the initial guess)
  double residual = 0;     ///< residual (2) of `states`
  double tolerance = 0;    ///< the tolerance used
  bool converged = false;  ///< status == converged
  DeerStatus status = DeerStatus::max_sweeps;
  bool sweep_limit_from_budget = false;  ///< max_sweeps was 0 and the work budget capped the limit below T
  std::string reason;                    ///< one line: what happened, with the numbers
  std::vector<double> residuals;         ///< residual after each sweep; residuals[0] is the initial guess's
  std::vector<std::vector<S>> iterates;  ///< with keep_iterates: iterates[k] after k sweeps
};

namespace detail {
/// Shape and finiteness checks shared by every backend (same messages): cell weights, u [T, m] with T >= 1, x0.
/// Returns T.
template <class Cell, class S>
Index check_deer_problem(std::string_view fn, const Cell& cell, std::span<const S> u, std::span<const S> x0);
/// Option checks shared by every backend (damping, tolerance, max_sweeps, initial_guess shape and finiteness).
template <class S>
void check_deer_options(std::string_view fn, Index T, Index d, double tolerance, Index max_sweeps, double damping,
                        std::span<const S> initial_guess);

/// The sweep limit a run uses: max_sweeps when given; otherwise T (convergence within T sweeps is guaranteed),
/// capped by the work budget (seqref/core/limits.hpp) — a run that reaches a budget cap ends with status max_sweeps
/// and says so in its reason; it is not refused up front, since DEER usually converges in a handful of sweeps.
Index deer_sweep_limit(Index T, Index d, Index max_sweeps);

/// Clip option check shared by every backend: finite and >= 0.
void check_deer_clip(std::string_view fn, double clip);

/// The stopping rule of every backend (file comment), after the residual of the latest iterate was appended to
/// `residuals`: stop when r ≤ tolerance and (an explicit tolerance, or r = 0, or r > r_prev / 2).
inline bool deer_should_stop(const std::vector<double>& residuals, double tolerance, bool refine) {
  const double r = residuals.back();
  if (!(r <= tolerance)) return false;
  if (!refine || r == 0 || residuals.size() < 2) return true;
  return r > 0.5 * residuals[residuals.size() - 2];
}

/// Applies DeerOptions::clip to an iterate (no-op for clip = 0).
template <class S>
void deer_clip(std::vector<S>& x, double clip) {
  if (clip <= 0) return;
  const S c = S(clip);
  for (S& v : x) {
    if (v != v)
      v = S(0);
    else if (v > c)
      v = c;
    else if (v < -c)
      v = -c;
  }
}

/// The end of every backend's DEER loop (one wording): sets `converged` from `status` and `reason` from what `why`
/// already holds (the non-finite case writes its cause there) plus the outcome, method, residual and tolerance.
template <class S>
void finish_deer_result(DeerResult<S>& res, DeerMethod method, std::ostringstream& why) {
  res.converged = res.status == DeerStatus::converged;
  if (res.status == DeerStatus::converged)
    why << "converged after " << res.sweeps << " sweeps";
  else if (res.status == DeerStatus::max_sweeps)
    why << "not converged: " << res.sweeps << " sweeps (the limit"
        << (res.sweep_limit_from_budget ? ", set by the work budget: raise SEQREF_MAX_WORK or pass max_sweeps" : "")
        << ") left residual " << res.residuals.back();
  else if (res.status == DeerStatus::non_finite)
    why << " (DeerOptions::clip keeps the iterates finite)";
  why << " (" << to_string(method) << ", residual " << res.residual << " of sweep " << res.best_sweep << ", tolerance "
      << res.tolerance << ")";
  if (!res.converged) why << "; returning the best iterate";
  res.reason = why.str();
}
}  // namespace detail

}  // namespace seqref

namespace seqref::ref {

/// The default tolerance for the residual (2): 16 (d + 1) u (1 + ‖J‖∞), ‖J‖∞ the max row sum of |A| (tanh) or of
/// |U_z| + |U_r| + |U_h| (GRU). Rounding model: one step of a sweep computes J x + b with b = f − J x^(k), an inner
/// product of d + 1 terms of size ≤ ‖J‖∞ max|x| (states of both cells stay in [−1, 1] from x_0 = 0) plus the
/// rounding of f itself; the residual is local (each step's own rounding), not accumulated along t.
template <class S>
double deer_default_tolerance(const TanhCell<S>& cell);
template <class S>
double deer_default_tolerance(const GruCell<S>& cell);

/// One step of the cell: out = f(x, u_t). x, out: d entries; u_t: the cell's input size.
template <class S>
void cell_step(const TanhCell<S>& cell, std::span<const S> x, std::span<const S> u_t, std::span<S> out);
template <class S>
void cell_step(const GruCell<S>& cell, std::span<const S> x, std::span<const S> u_t, std::span<S> out);

/// ∂f/∂x at (x, u_t), [d, d] row-major.
template <class S>
void cell_jacobian(const TanhCell<S>& cell, std::span<const S> x, std::span<const S> u_t, std::span<S> J);
template <class S>
void cell_jacobian(const GruCell<S>& cell, std::span<const S> x, std::span<const S> u_t, std::span<S> J);

/// The fixed_a matrix (see TanhCell / GruCell), [d, d].
template <class S>
std::vector<S> fixed_jacobian(const TanhCell<S>& cell);
template <class S>
std::vector<S> fixed_jacobian(const GruCell<S>& cell);

/// The post_fixed matrix (post 9783): A for the tanh cell, ½(I + ½U_h) for the GRU, [d, d].
template <class S>
std::vector<S> post_fixed_matrix(const TanhCell<S>& cell);
template <class S>
std::vector<S> post_fixed_matrix(const GruCell<S>& cell);

/// The sequential solve x_t = f(x_{t−1}, u_t), t = 1..T: states [T, d]. u [T, m]; x0 [d] or empty (zero).
template <class Cell, class S = typename Cell::Scalar>
std::vector<S> rnn_sequential(const Cell& cell, std::span<const std::type_identity_t<S>> u,
                              std::span<const std::type_identity_t<S>> x0);

/// Residual (2) of a trajectory x [T, d]: max_t ‖x_t − f(x_{t−1}, u_t)‖∞ (Inf when any term is not finite).
template <class Cell, class S = typename Cell::Scalar>
double rnn_residual(const Cell& cell, std::span<const std::type_identity_t<S>> u,
                    std::span<const std::type_identity_t<S>> x0, std::span<const std::type_identity_t<S>> x);

/// The linear recurrence (1) of one sweep about the iterate x [T, d]: kind dense (fixed_a, newton, at_zero,
/// post_fixed) or diagonal
/// (quasi); J [T, d, d] or [T, d], b [T, d]. Materialized (the reference's plain form).
template <class S>
struct DeerLinearization {
  Transition kind = Transition::dense;
  std::vector<S> J, b;
};
template <class Cell, class S = typename Cell::Scalar>
DeerLinearization<S> deer_linearize(const Cell& cell, std::span<const std::type_identity_t<S>> u,
                                    std::span<const std::type_identity_t<S>> x0,
                                    std::span<const std::type_identity_t<S>> x, DeerMethod method);

/// One undamped sweep: the solution x̂ [T, d] of (1) about x, by seqref::ref::linear_recurrence. Throws
/// std::invalid_argument (from the scan engine) when the linearisation is not finite.
template <class Cell, class S = typename Cell::Scalar>
std::vector<S> deer_sweep(const Cell& cell, std::span<const std::type_identity_t<S>> u,
                          std::span<const std::type_identity_t<S>> x0, std::span<const std::type_identity_t<S>> x,
                          DeerMethod method);

/// The full DEER run (see the file comment). Throws std::invalid_argument for bad shapes, non-finite inputs,
/// damping outside (0, 1], negative tolerance, max_sweeps or clip.
template <class Cell, class S = typename Cell::Scalar>
DeerResult<S> deer(const Cell& cell, std::span<const std::type_identity_t<S>> u,
                   std::span<const std::type_identity_t<S>> x0,
                   const DeerOptions<std::type_identity_t<S>>& options = {});

}  // namespace seqref::ref
