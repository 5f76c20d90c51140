#pragma once
/// \file
/// Optimized DEER for the tanh RNN x_t = tanh(A x_{t−1} + u_t) (method, options, statuses and the reference:
/// seqref/ref/rnn/deer.hpp; arXiv 2309.12252, 2407.19115). Same semantics as seqref::ref::deer: every sweep solves
/// the linear recurrence x_t = J_t x_{t−1} + b_t, b_t = f(x^(k)_{t−1}, u_t) − J_t x^(k)_{t−1}, with the scan engine
/// of the backend (cpu::deer in the reference's correction form δ_t = J_t δ_{t−1} + f(x^(k)_{t−1}, u_t) − x^(k)_t,
/// x^(k+1) = x^(k) + δ; cuda::deer in the plain form); the residual max_t ‖x_t − f(x_{t−1}, u_t)‖∞ and the
/// reference's stopping rule decide convergence; the best iterate is returned with a status and a reason, never an
/// exception, when the run does not converge. Methods: all of DeerMethod on the cpu (post_fixed = fixed_a for the
/// tanh cell); cuda refuses at_zero and clip ≠ 0 (std::invalid_argument).
///
/// Shapes (row-major, contiguous): A [d, d]; u [T, d]; x0 [d] or empty (zero); states [T, d]. One sequence (no
/// batch dimension). Bad input throws std::invalid_argument with the reference's messages (function name aside).
/// The GRU cell has no optimized backend (reference only). No CUDA types here.

#include "seqref/core/tensor.hpp"
#include "seqref/opt/backend.hpp"
#include "seqref/opt/scan/linear_recurrence.hpp"
#include "seqref/ref/rnn/deer.hpp"

#include <span>
#include <vector>

namespace seqref::cpu::blocking::deer {
// Blocking constants of optimized/cpu/rnn/deer.cpp (time chunks: seqref::cpu::blocking::scan, one lane block).
inline constexpr Index register_dim_max = 8;          ///< rnn_sequential keeps the state in a fixed array for d <= this
inline constexpr Index serial_work = Index(1) << 16;  ///< T·d·d below this runs on one thread (same bits)
}  // namespace seqref::cpu::blocking::deer

namespace seqref::cuda::blocking::deer {
inline constexpr Index threads = 128;  ///< threads per scan block of optimized/cuda/rnn/deer.cu
}  // namespace seqref::cuda::blocking::deer

namespace seqref::cpu {

/// DEER on the cpu: each sweep is one run of the two-level chunked scan engine (optimized/cpu/scan/engine.hpp;
/// dense structure for newton and fixed_a, diagonal for quasi) whose policy forms J_t and b_t on the fly from the
/// previous iterate and f(x^(k)_{t−1}, u_t); f and the residual are evaluated in one OpenMP-parallel pass per sweep.
/// keep_iterates and on_sweep are honoured. schedule: the engine's chunking (tests force it; default: by shape).
DeerResult<float> deer(const TanhCell<float>& cell, std::span<const float> u, std::span<const float> x0,
                       const DeerOptions<float>& options = {}, ScanSchedule schedule = {});
DeerResult<double> deer(const TanhCell<double>& cell, std::span<const double> u, std::span<const double> x0,
                        const DeerOptions<double>& options = {}, ScanSchedule schedule = {});

/// One undamped sweep about the iterate x [T, d] (eq. 1 of the reference header) through the engine; returns x̂
/// [T, d]. With schedule.chunk >= T the engine is the sequential loop of the reference in the same order.
std::vector<float> deer_sweep(const TanhCell<float>& cell, std::span<const float> u, std::span<const float> x0,
                              std::span<const float> x, DeerMethod method, ScanSchedule schedule = {});
std::vector<double> deer_sweep(const TanhCell<double>& cell, std::span<const double> u, std::span<const double> x0,
                               std::span<const double> x, DeerMethod method, ScanSchedule schedule = {});

/// The sequential loop x_t = tanh(A x_{t−1} + u_t), optimized (state in registers, d a template parameter for
/// d <= 8): the baseline DEER is measured against. states [T, d].
std::vector<float> rnn_sequential(const TanhCell<float>& cell, std::span<const float> u, std::span<const float> x0);
std::vector<double> rnn_sequential(const TanhCell<double>& cell, std::span<const double> u, std::span<const double> x0);

/// The residual max_t ‖x_t − f(x_{t−1}, u_t)‖∞ of a trajectory x [T, d], OpenMP-parallel over t (Inf if any term
/// is not finite).
double rnn_residual(const TanhCell<float>& cell, std::span<const float> u, std::span<const float> x0,
                    std::span<const float> x);
double rnn_residual(const TanhCell<double>& cell, std::span<const double> u, std::span<const double> x0,
                    std::span<const double> x);

}  // namespace seqref::cpu

namespace seqref::cuda {

/// The largest state size the CUDA backend instantiates (Affine<D> for D = 1..8).
inline constexpr Index kDeerMaxDim = 8;

/// DEER on device 0, fp32: per sweep one kernel evaluates f(x^(k)_{t−1}, u_t) and the residual of x^(k) (max
/// reduced on the device; only that number comes back for the convergence check), then the time axis is scanned
/// in chunks with the CUDA scan engine (optimized/cuda/scan/engine.cuh: scan_tile over Affine<D>, one block per
/// chunk, chunk summaries composed, then each chunk re-scanned from its carried state). Host-memory in and out.
/// d must be in 1..kDeerMaxDim (std::invalid_argument otherwise). keep_iterates and on_sweep copy every iterate
/// back (slow; for tables). Throws std::runtime_error when !available(), after the argument checks.
DeerResult<float> deer(const TanhCell<float>& cell, std::span<const float> u, std::span<const float> x0,
                       const DeerOptions<float>& options = {});

/// The sequential loop on the device (one thread; the baseline the GPU speedup is measured against is the cpu
/// one, this exists to show the device's own serial speed). states [T, d].
std::vector<float> rnn_sequential(const TanhCell<float>& cell, std::span<const float> u, std::span<const float> x0);

}  // namespace seqref::cuda
