#pragma once
/// \file
/// Optimized selective scan (Mamba S6, arXiv 2312.00752), forward only, fused: Δ (softplus, bias), exp(Δ A), B̄ u,
/// the state update, C·h, D u and the silu(z) gate in one pass over the inputs, the state kept in registers / L1 and
/// never written out (no [batch, T, channels, dstate] array exists). The problem, its shapes, equations (1)-(6),
/// the error model and the argument checks are those of the reference, seqref/ref/ssm/selective_scan.hpp
/// (seqref::SelectiveScan, seqref::detail::check_selective_scan); every backend throws the same
/// std::invalid_argument for the same bad input. One declaration per backend; no CUDA types here.
///
/// The state update (eq. 4) is an instance of the scan engine: the cpu policy of optimized/cpu/scan/engine.hpp
/// (diagonal structure) and the CUDA block scan with carried prefixes of optimized/cuda/scan/engine.cuh.

#include "seqref/core/tensor.hpp"
#include "seqref/opt/backend.hpp"
#include "seqref/opt/scan/linear_recurrence.hpp"
#include "seqref/ref/ssm/selective_scan.hpp"

#include <span>

namespace seqref::cpu::blocking::selective_scan {
// Blocking constants of optimized/cpu/ssm/selective_scan.cpp (time chunks: seqref::cpu::blocking::scan).
inline constexpr Index registers = 4;               ///< AVX-512 registers per lane block
inline constexpr Index lanes_f32 = registers * 16;  ///< channels per lane block, float (64)
inline constexpr Index lanes_f64 = registers * 8;   ///< channels per lane block, double (32)
inline constexpr Index softplus_threshold = 20;     ///< softplus(x) = x above this (torch's threshold)
}  // namespace seqref::cpu::blocking::selective_scan

namespace seqref::cuda::blocking::selective_scan {
// Blocking constants of optimized/cuda/ssm/selective_scan.cu.
inline constexpr Index threads = 128;        ///< threads per block
inline constexpr Index group = 8;            ///< channels per block (one 32-byte sector of a [batch, T, channels] row)
inline constexpr Index default_tile = 1024;  ///< time steps per tile (threads x 8 items); 256, 512, 2048 selectable
}  // namespace seqref::cuda::blocking::selective_scan

namespace seqref::cpu {

/// Fused forward on the cpu: lanes = W consecutive channels of one sequence (W = 64 floats / 32 doubles, four AVX-512
/// registers), state n = dstate; exp, expm1, softplus and silu are vectorized polynomials (a few ulp). Blocks and,
/// for few blocks and long T, time chunks (schedule.chunk; 0 = the engine's choice) run over OpenMP threads.
/// Bit-identical for any thread count at a fixed chunk length. Results of exp below the smallest normal number are
/// flushed to 0 (an absolute change below 2^-126 / 2^-1022; subnormal operands would cost ~100 cycles each).
/// Returns the chunk length used.
/// Throws std::invalid_argument (the reference's checks, plus a negative schedule.chunk or schedule.threads).
Index selective_scan(const SelectiveScan<float>& problem, std::span<float> y, std::span<float> h_last = {},
                     ScanSchedule schedule = {});
Index selective_scan(const SelectiveScan<double>& problem, std::span<double> y, std::span<double> h_last = {},
                     ScanSchedule schedule = {});

}  // namespace seqref::cpu

namespace seqref::cuda {

/// Host-memory entry point, fp32: the argument checks, copy in, the fused kernel on device 0 (one thread block per
/// (sequence, group of 8 channels), tiles of 128 × ITEMS time steps, one carried prefix per state), copy out.
/// schedule.chunk: time steps per tile, 0 (default, 1024) or one of 256, 512, 1024, 2048; schedule.threads must
/// be 0. Returns the tile length used. Throws std::runtime_error when !available() (after the argument checks).
Index selective_scan(const SelectiveScan<float>& problem, std::span<float> y, std::span<float> h_last = {},
                     ScanSchedule schedule = {});

namespace device {
/// Device-memory entry point: the spans of `problem` and y, h_last span device memory (lengths as in the
/// reference; y or h_last may be empty, not both). Shape and length checks only
/// (seqref::detail::check_selective_scan_shapes; no finiteness pass over device data); asynchronous on `stream`
/// (a cudaStream_t; nullptr: the default stream). Returns the tile length used.
Index selective_scan(const SelectiveScan<float>& problem, std::span<float> y, std::span<float> h_last, Index chunk = 0,
                     void* stream = nullptr);
}  // namespace device

}  // namespace seqref::cuda
