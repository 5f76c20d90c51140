// DEER for the tanh RNN on the cpu (seqref/opt/rnn/deer.hpp). Per sweep:
//   1. one OpenMP-parallel pass over t: F_t = f(x^(k)_{t−1}, u_t) = tanh(A x^(k)_{t−1} + u_t) and the residual
//      max_t ‖x^(k)_t − F_t‖∞ of the current iterate (the convergence check);
//   2. one run of the scan engine (optimized/cpu/scan/engine.hpp) with a policy that forms J_t and
//      b_t = F_t − J_t x^(k)_{t−1} on the fly from F and the iterate: dense structure for newton
//      (J_t = diag(1 − F_t²) A), at_zero (J_t = diag(1 − tanh²(u_t)) A) and fixed_a / post_fixed (J_t = A),
//      diagonal for quasi (a_t = (1 − F_t²) ∘ diag A).
// Nothing of size [T, d, d] is stored. The sequential baseline keeps the state in registers for d <= 8.

#include "seqref/opt/rnn/deer.hpp"

#include "cpu/scan/engine.hpp"
#include "seqref/core/limits.hpp"
#include "seqref/core/validate.hpp"

#include <omp.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <sstream>

namespace seqref::cpu {

namespace {

using scan::Structure;

// F [T, d] and the residual of x [T, d] (NaN/Inf anywhere: +inf).
template <class S>
double evaluate(const TanhCell<S>& c, const S* u, const S* x0, const S* x, Index T, S* F, int threads) {
  const Index d = c.dim;
  const S* A = c.A.data();
  double r = 0;
  bool bad = false;
#pragma omp parallel for schedule(static) reduction(max : r) reduction(|| : bad) num_threads(threads)
  for (Index t = 0; t < T; ++t) {
    const S* prev = t == 0 ? x0 : x + (t - 1) * d;
    for (Index i = 0; i < d; ++i) {
      S acc = S(0);
      if (prev)
        for (Index j = 0; j < d; ++j) acc += A[i * d + j] * prev[j];
      const S f = std::tanh(acc + u[t * d + i]);
      F[t * d + i] = f;
      const S e = std::abs(x[t * d + i] - f);
      if (!std::isfinite(e))
        bad = true;
      else
        r = std::max(r, double(e));
    }
  }
  return bad ? std::numeric_limits<double>::infinity() : r;
}

// The policy of one sweep (eq. 1 of seqref/ref/rnn/deer.hpp) for the tanh cell; one lane, one block.
// Correction: the correction form of deer() (seqref/ref/rnn/deer.hpp): the scan carries δ from δ_0 = 0 with
// b_t = F_t − x^(k)_t, and emits x^(k)_t + α δ_t. Otherwise the plain form (1) with b_t = F_t − J_t x^(k)_{t−1}.
template <class S, DeerMethod M, bool Correction = false>
struct TanhSweep {
  using Scalar = S;
  static constexpr int width = 1;
  static constexpr Structure structure = M == DeerMethod::quasi ? Structure::diagonal : Structure::dense;
  const S* A;
  const S* F;   // f(x^(k)_{t−1}, u_t), [T, d]
  const S* xk;  // x^(k), [T, d]
  const S* u;   // [T, d] (at_zero: J_t = diag(1 − tanh²(u_t)) A)
  const S* x0;  // [d] or nullptr (zero)
  S* out;       // x̂, [T, d]
  Index T, d;
  S damping = S(1);  // Correction only: out = x^(k) + damping δ

  Index blocks() const { return 1; }
  Index len() const { return T; }
  Index state() const { return d; }
  void initial(Index, S* x) const {
    for (Index i = 0; i < d; ++i) x[i] = !Correction && x0 ? x0[i] : S(0);
  }
  void coeffs(Index, Index t, S* J, S* b) const {
    const S* f = F + t * d;
    const S* prev = t == 0 ? x0 : xk + (t - 1) * d;
    if constexpr (M == DeerMethod::quasi) {
      for (Index i = 0; i < d; ++i) {
        J[i] = (S(1) - f[i] * f[i]) * A[i * d + i];
        if constexpr (Correction)
          b[i] = f[i] - xk[t * d + i];
        else
          b[i] = f[i] - (prev ? J[i] * prev[i] : S(0));
      }
    } else {
      for (Index i = 0; i < d; ++i) {
        S s = S(1);
        if constexpr (M == DeerMethod::newton) s = S(1) - f[i] * f[i];
        if constexpr (M == DeerMethod::at_zero) {
          const S th = std::tanh(u[t * d + i]);  // sech²(u_{t,i}): the post's A_t = sech²(u_t)∘A
          s = S(1) - th * th;
        }
        S acc = S(0);
        for (Index j = 0; j < d; ++j) {
          const S Jij = M == DeerMethod::fixed_a ? A[i * d + j] : s * A[i * d + j];
          J[i * d + j] = Jij;
          if (!Correction && prev) acc += Jij * prev[j];
        }
        b[i] = Correction ? f[i] - xk[t * d + i] : f[i] - acc;
      }
    }
  }
  void emit(Index, Index t, const S* x) const {
    if constexpr (Correction) {
      for (Index i = 0; i < d; ++i)
        out[t * d + i] = damping != S(1) ? xk[t * d + i] + damping * x[i] : xk[t * d + i] + x[i];
    } else {
      std::copy(x, x + d, out + t * d);
    }
  }
  void final(Index, const S*) const {}
};

template <bool C, class S>
void run_sweep_form(const TanhCell<S>& c, const S* u, const S* F, const S* xk, const S* x0, S* out, Index T,
                    DeerMethod method, const ScanSchedule& schedule, S damping) {
  const Index d = c.dim;
  // d = 1: a 1×1 dense transition is a diagonal one; the diagonal policy skips the engine's matrix products
  if (d == 1 && method == DeerMethod::newton) method = DeerMethod::quasi;  // J = (1 − F²) A either way
  switch (method) {
    case DeerMethod::newton:
      scan::run(TanhSweep<S, DeerMethod::newton, C>{c.A.data(), F, xk, u, x0, out, T, d, damping}, schedule);
      break;
    case DeerMethod::fixed_a:
    case DeerMethod::post_fixed:  // the post's constant matrix for the tanh cell is A itself
      scan::run(TanhSweep<S, DeerMethod::fixed_a, C>{c.A.data(), F, xk, u, x0, out, T, d, damping}, schedule);
      break;
    case DeerMethod::at_zero:
      scan::run(TanhSweep<S, DeerMethod::at_zero, C>{c.A.data(), F, xk, u, x0, out, T, d, damping}, schedule);
      break;
    case DeerMethod::quasi:
      scan::run(TanhSweep<S, DeerMethod::quasi, C>{c.A.data(), F, xk, u, x0, out, T, d, damping}, schedule);
      break;
  }
}

// The plain form (1): deer_sweep.
template <class S>
void run_sweep(const TanhCell<S>& c, const S* u, const S* F, const S* xk, const S* x0, S* out, Index T,
               DeerMethod method, const ScanSchedule& schedule) {
  run_sweep_form<false>(c, u, F, xk, x0, out, T, method, schedule, S(1));
}

// Below ~64k multiply-adds per sweep a parallel region costs more than it saves (and on an oversubscribed machine
// far more): run such problems on one thread unless the caller chose a thread count. The engine's chunking depends
// on T only, so the result is the same bits either way.
ScanSchedule small_problem_serial(ScanSchedule schedule, Index T, Index d) {
  if (schedule.threads == 0 && T * d * d < blocking::deer::serial_work) schedule.threads = 1;
  return schedule;
}

template <class S>
bool all_finite(const std::vector<S>& v, int threads) {
  bool ok = true;
  const Index n = static_cast<Index>(v.size());
#pragma omp parallel for schedule(static) reduction(&& : ok) num_threads(threads)
  for (Index i = 0; i < n; ++i) ok = ok && std::isfinite(v[i]);
  return ok;
}

template <class S>
DeerResult<S> deer_impl(const TanhCell<S>& cell, std::span<const S> u, std::span<const S> x0, const DeerOptions<S>& opt,
                        const ScanSchedule& schedule) {
  constexpr std::string_view fn = "seqref::cpu::deer";
  require_threads(fn, schedule.threads);
  const Index T = detail::check_deer_problem<TanhCell<S>, S>(fn, cell, u, x0);
  const Index d = cell.dim;
  detail::check_deer_options<S>(fn, T, d, opt.tolerance, opt.max_sweeps, opt.damping, opt.initial_guess);
  detail::check_deer_clip(fn, opt.clip);
  double x0_scale = 1;
  for (const S& v : x0) x0_scale = std::max(x0_scale, double(std::abs(v)));
  const S* x0p = x0.empty() ? nullptr : x0.data();

  const ScanSchedule sched = small_problem_serial(schedule, T, d);
  const int threads = sched.threads > 0 ? sched.threads : omp_get_max_threads();
  DeerResult<S> res;
  const double default_tol = ref::deer_default_tolerance(cell) * x0_scale;
  res.tolerance = opt.tolerance > 0 ? opt.tolerance : default_tol;
  const bool refine = !(opt.tolerance > 0);  // the default: go on to the working precision's rounding level
  const Index max_sweeps = detail::deer_sweep_limit(T, d, opt.max_sweeps);
  res.sweep_limit_from_budget = opt.max_sweeps == 0 && max_sweeps < T;
  const std::size_t n = static_cast<std::size_t>(T * d);
  std::vector<S> x = opt.initial_guess.empty() ? std::vector<S>(n, S(0)) : opt.initial_guess;
  std::vector<S> F(n), next(n);
  std::ostringstream why;
  res.status = DeerStatus::max_sweeps;
  for (;;) {
    const double r = evaluate(cell, u.data(), x0p, x.data(), T, F.data(), threads);
    res.residuals.push_back(r);
    if (opt.keep_iterates) res.iterates.push_back(x);
    if (opt.on_sweep) opt.on_sweep(DeerSweepInfo<S>{res.sweeps, std::span<const S>(x), r});
    if (res.sweeps == 0 || r < res.residual) {
      res.states = x;
      res.residual = r;
      res.best_sweep = res.sweeps;
    }
    if (detail::deer_should_stop(res.residuals, res.tolerance, refine)) break;
    if (res.sweeps >= max_sweeps) break;
    // the correction form (seqref/ref/rnn/deer.hpp): next = x^(k) + α δ, emitted by the scan itself
    run_sweep_form<true>(cell, u.data(), F.data(), x.data(), x0p, next.data(), T, opt.method, sched, S(opt.damping));
    ++res.sweeps;
    detail::deer_clip(next, opt.clip);
    if (!all_finite(next, threads)) {
      res.status = DeerStatus::non_finite;
      res.residuals.push_back(std::numeric_limits<double>::infinity());
      why << "the iterate of sweep " << res.sweeps << " overflowed (Inf/NaN): the iteration diverges";
      break;
    }
    x.swap(next);
  }
  if (res.residual <= res.tolerance) res.status = DeerStatus::converged;
  detail::finish_deer_result(res, opt.method, why);
  return res;
}

template <class S>
std::vector<S> sweep_impl(const TanhCell<S>& cell, std::span<const S> u, std::span<const S> x0, std::span<const S> x,
                          DeerMethod method, const ScanSchedule& schedule) {
  constexpr std::string_view fn = "seqref::cpu::deer_sweep";
  require_threads(fn, schedule.threads);
  const Index T = detail::check_deer_problem<TanhCell<S>, S>(fn, cell, u, x0);
  const Index d = cell.dim;
  detail::check_deer_options<S>(fn, T, d, 0, 0, 1, x);
  require(x.size() == static_cast<std::size_t>(T * d), fn,
          "x must be [T, d] = [" + std::to_string(T) + ", " + std::to_string(d) + "]; got " + std::to_string(x.size()) +
              " entries");
  std::vector<S> F(x.size()), out(x.size());
  const S* x0p = x0.empty() ? nullptr : x0.data();
  (void)evaluate(cell, u.data(), x0p, x.data(), T, F.data(),
                 schedule.threads > 0 ? schedule.threads : omp_get_max_threads());
  run_sweep(cell, u.data(), F.data(), x.data(), x0p, out.data(), T, method, schedule);
  return out;
}

// x_t = tanh(A x_{t−1} + u_t) with the state in a fixed-size array (D > 0) or a vector (D = 0: any d).
template <class S, int D>
void sequential_loop(const S* A, const S* u, const S* x0, S* out, Index T, Index d) {
  constexpr int N = D > 0 ? D : 1;
  if constexpr (D > 0) {
    std::array<S, N> x{}, y{};
    std::array<S, N * N> a{};
    std::copy(A, A + N * N, a.begin());
    if (x0) std::copy(x0, x0 + N, x.begin());
    for (Index t = 0; t < T; ++t) {
      for (int i = 0; i < N; ++i) {
        S acc = S(0);
        for (int j = 0; j < N; ++j) acc += a[i * N + j] * x[j];
        y[i] = std::tanh(acc + u[t * N + i]);
      }
      x = y;
      std::copy(x.begin(), x.end(), out + t * N);
    }
  } else {
    std::vector<S> x(static_cast<std::size_t>(d), S(0)), y(x.size());
    if (x0) std::copy(x0, x0 + d, x.begin());
    for (Index t = 0; t < T; ++t) {
      for (Index i = 0; i < d; ++i) {
        S acc = S(0);
        for (Index j = 0; j < d; ++j) acc += A[i * d + j] * x[j];
        y[i] = std::tanh(acc + u[t * d + i]);
      }
      x.swap(y);
      std::copy(x.begin(), x.end(), out + t * d);
    }
  }
}

template <class S>
std::vector<S> sequential_impl(const TanhCell<S>& cell, std::span<const S> u, std::span<const S> x0) {
  const Index T = detail::check_deer_problem<TanhCell<S>, S>("seqref::cpu::rnn_sequential", cell, u, x0);
  const Index d = cell.dim;
  std::vector<S> out(static_cast<std::size_t>(T * d));
  const S* A = cell.A.data();
  const S* x0p = x0.empty() ? nullptr : x0.data();
  static_assert(blocking::deer::register_dim_max == 8, "one case per d <= register_dim_max below");
  switch (d) {
    case 1: sequential_loop<S, 1>(A, u.data(), x0p, out.data(), T, d); break;
    case 2: sequential_loop<S, 2>(A, u.data(), x0p, out.data(), T, d); break;
    case 3: sequential_loop<S, 3>(A, u.data(), x0p, out.data(), T, d); break;
    case 4: sequential_loop<S, 4>(A, u.data(), x0p, out.data(), T, d); break;
    case 5: sequential_loop<S, 5>(A, u.data(), x0p, out.data(), T, d); break;
    case 6: sequential_loop<S, 6>(A, u.data(), x0p, out.data(), T, d); break;
    case 7: sequential_loop<S, 7>(A, u.data(), x0p, out.data(), T, d); break;
    case 8: sequential_loop<S, 8>(A, u.data(), x0p, out.data(), T, d); break;
    default: sequential_loop<S, 0>(A, u.data(), x0p, out.data(), T, d); break;
  }
  return out;
}

template <class S>
double residual_impl(const TanhCell<S>& cell, std::span<const S> u, std::span<const S> x0, std::span<const S> x) {
  constexpr std::string_view fn = "seqref::cpu::rnn_residual";
  const Index T = detail::check_deer_problem<TanhCell<S>, S>(fn, cell, u, x0);
  const Index d = cell.dim;
  require(x.size() == static_cast<std::size_t>(T * d), fn,
          "x must be [T, d] = [" + std::to_string(T) + ", " + std::to_string(d) + "]; got " + std::to_string(x.size()) +
              " entries");
  std::vector<S> F(x.size());
  return evaluate(cell, u.data(), x0.empty() ? nullptr : x0.data(), x.data(), T, F.data(), omp_get_max_threads());
}

}  // namespace

DeerResult<float> deer(const TanhCell<float>& cell, std::span<const float> u, std::span<const float> x0,
                       const DeerOptions<float>& options, ScanSchedule schedule) {
  return deer_impl(cell, u, x0, options, schedule);
}
DeerResult<double> deer(const TanhCell<double>& cell, std::span<const double> u, std::span<const double> x0,
                        const DeerOptions<double>& options, ScanSchedule schedule) {
  return deer_impl(cell, u, x0, options, schedule);
}
std::vector<float> deer_sweep(const TanhCell<float>& cell, std::span<const float> u, std::span<const float> x0,
                              std::span<const float> x, DeerMethod method, ScanSchedule schedule) {
  return sweep_impl(cell, u, x0, x, method, schedule);
}
std::vector<double> deer_sweep(const TanhCell<double>& cell, std::span<const double> u, std::span<const double> x0,
                               std::span<const double> x, DeerMethod method, ScanSchedule schedule) {
  return sweep_impl(cell, u, x0, x, method, schedule);
}
std::vector<float> rnn_sequential(const TanhCell<float>& cell, std::span<const float> u, std::span<const float> x0) {
  return sequential_impl(cell, u, x0);
}
std::vector<double> rnn_sequential(const TanhCell<double>& cell, std::span<const double> u,
                                   std::span<const double> x0) {
  return sequential_impl(cell, u, x0);
}
double rnn_residual(const TanhCell<float>& cell, std::span<const float> u, std::span<const float> x0,
                    std::span<const float> x) {
  return residual_impl(cell, u, x0, x);
}
double rnn_residual(const TanhCell<double>& cell, std::span<const double> u, std::span<const double> x0,
                    std::span<const double> x) {
  return residual_impl(cell, u, x0, x);
}

}  // namespace seqref::cpu
