#pragma once
/// \file
/// The scan engine on arrays: x_t = J_t x_{t−1} + b_t for a batch of sequences with scalar, diagonal or dense J
/// (problem, shapes and errors: seqref/ref/scan/linear_recurrence.hpp; reference: seqref::ref::linear_recurrence).
/// One declaration per backend, the same signature in seqref::cpu and seqref::cuda. The header has no CUDA types.

#include "seqref/core/tensor.hpp"
#include "seqref/opt/backend.hpp"
#include "seqref/ref/scan/linear_recurrence.hpp"

#include <span>

namespace seqref {

/// How the optimized engines split the time axis. The defaults are what callers want; tests force chunk lengths to
/// show the result does not depend on them.
struct ScanSchedule {
  Index chunk = 0;  ///< time steps per chunk; 0: chosen from the shape only (never from the thread count)
  int threads = 0;  ///< cpu threads; 0: OpenMP's default
};

}  // namespace seqref

namespace seqref::cpu::blocking::scan {
// Blocking constants of the cpu scan engine (optimized/cpu/scan/engine.hpp) and its array policies
// (optimized/cpu/scan/linear_recurrence.cpp); every cpu recurrence (selective scan, HiPPO, SSD, DEER) shares them.
inline constexpr Index group_max = 512;  ///< elementwise J: a sequence's D entries form one block while D <= this
inline constexpr Index group = 256;      ///< elementwise J, D > group_max: entries per block (the last one partial)
inline constexpr Index chunk_below_blocks = 32;  ///< time is chunked only with fewer lane blocks than this
inline constexpr Index chunk_from_len = 512;     ///< ... and only from this many steps on
inline constexpr Index chunk_parallelism = 64;   ///< chunks per sequence: about this many (blocks · chunks) jobs
inline constexpr Index chunk_min = 128;          ///< shortest automatic chunk
}  // namespace seqref::cpu::blocking::scan

namespace seqref::cuda::blocking::scan {
// Blocking constants of the CUDA scan (optimized/cuda/scan/linear_recurrence.cu, engine.cuh).
inline constexpr Index threads = 128;          ///< threads per block (one tile = threads x items steps)
inline constexpr Index elementwise_items = 8;  ///< steps per thread, scalar / diagonal J (tile 1024)
inline constexpr Index dense_items_small = 4;  ///< steps per thread, dense J with D <= 2 (else 1)
inline constexpr Index few_lanes = 256;        ///< fewer lanes than this and ...
inline constexpr Index long_tiles = 8;         ///< ... a lane of at least this many tiles: the chunked scan
inline constexpr Index chunk_blocks = 1024;    ///< the chunked scan's blocks per launch (chunks = this / lanes)
}  // namespace seqref::cuda::blocking::scan

namespace seqref::cpu {

/// Two-level chunked scan (optimized/cpu/scan/engine.hpp): lanes in SIMD registers, (lane block, chunk) pairs over
/// OpenMP threads. Bit-identical for any thread count at a fixed schedule.chunk. Returns the chunk length used.
Index linear_recurrence(const LinearRecurrence<float>& problem, std::span<float> x, std::span<float> x_final = {},
                        ScanSchedule schedule = {});
Index linear_recurrence(const LinearRecurrence<double>& problem, std::span<double> x, std::span<double> x_final = {},
                        ScanSchedule schedule = {});

}  // namespace seqref::cpu

namespace seqref::cuda {

/// Host-memory entry point: copies in, runs the block scan with carried prefixes (optimized/cuda/scan/engine.cuh)
/// on device 0, copies out. fp32. schedule.chunk: time steps per thread block tile (0: the kernel's default).
/// Throws std::runtime_error when !available() (not built, or no device), after the argument checks.
Index linear_recurrence(const LinearRecurrence<float>& problem, std::span<float> x, std::span<float> x_final = {},
                        ScanSchedule schedule = {});

}  // namespace seqref::cuda
