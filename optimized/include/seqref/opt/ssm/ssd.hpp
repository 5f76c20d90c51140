#pragma once
/// \file
/// Optimized SSD (Mamba-2 state space duality, arXiv 2405.21060; reference and shapes: seqref/ref/ssm/ssd.hpp):
/// the chunked algorithm, eq. (4) of the reference —
///
///   intra-chunk  Y_c = (L_c ∘ C_c B_cᵀ) X_c,  L_c = exp(segsum_c(a))      (stable segsum inside the chunk)
///   chunk state  S_c = X_cᵀ diag(w_c) B_c,   w_c[s] = exp(segsum_c[last, s]),  decay g_c = exp(Σ_{s ∈ c} a_s)
///   inter-chunk  H_c = g_c H_{c−1} + S_c,  H_{−1} = h0                      (the scan engine, scalar transition)
///   output       Y_c += diag(v_c) C_c H_{c−1}ᵀ,  v_c[t] = exp(Σ_{s = start(c)}^{t} a_s)
///
/// One declaration per backend; the header has no CUDA types. Every backend runs the same argument checks
/// (seqref::detail::check_ssd, plus chunk >= 0) and throws the same std::invalid_argument.
///
/// Decays. Every exponent a kernel forms is a segment sum a_{j+1} + … + a_i inside one chunk (never a difference
/// of cumulative sums), so with a <= 0 every exponent is <= 0 and every decay factor lies in [0, 1];
/// ssd_chunk_decays exposes exactly the exponents a kernel uses for one chunk, for tests.

#include "seqref/core/contract.hpp"
#include "seqref/core/limits.hpp"
#include "seqref/core/tensor.hpp"
#include "seqref/opt/backend.hpp"
#include "seqref/opt/scan/linear_recurrence.hpp"
#include "seqref/ref/ssm/ssd.hpp"

#include <cstddef>
#include <limits>
#include <span>

namespace seqref::cpu::blocking::ssd {
// Blocking constants of optimized/cpu/ssm/ssd.cpp (chunks of chunks: seqref::cpu::blocking::scan on nc + 1 steps).
inline constexpr Index default_chunk = 64;  ///< the SSD chunk length Q when options.chunk = 0
}  // namespace seqref::cpu::blocking::ssd

namespace seqref::cuda::blocking::ssd {
// Blocking constants of optimized/cuda/ssm/ssd.cu.
inline constexpr Index max_chunk = 64;     ///< largest (and default) chunk length Q
inline constexpr Index threads = 256;      ///< threads per block of the chunk kernels
inline constexpr Index scan_threads = 32;  ///< threads per block of the inter-chunk state pass
inline constexpr Index scan_items = 4;     ///< chunks per thread in the state pass (a tile of 128 chunks)
}  // namespace seqref::cuda::blocking::ssd

namespace seqref {

/// How the optimized SSD kernels split the sequence.
struct SsdOptions {
  Index chunk = 0;      ///< the SSD chunk length Q; 0: the backend's default (cpu 64, cuda 64)
  ScanSchedule scan{};  ///< cpu: the scan engine's schedule for the inter-chunk pass (threads; chunks of chunks)
};

namespace detail {
template <class S>
void check_ssd_options(std::string_view fn, const SsdOptions& o) {
  require(o.chunk >= 0, fn, "options.chunk must be >= 0 (0: default); got " + std::to_string(o.chunk));
  require(o.scan.chunk >= 0, fn, "options.scan.chunk must be >= 0; got " + std::to_string(o.scan.chunk));
  require_threads(fn, o.scan.threads);
}

/// ssd_chunk_decays's problem, checked by every backend before any memory is touched: q in [1, max_q]; a [q];
/// seg [q, q]; cs [q]. std::invalid_argument naming `fn`, the argument and the shape otherwise.
template <class S>
void check_ssd_chunk_decays(std::string_view fn, std::span<const S> a, Index q, std::span<S> seg, std::span<S> cs,
                            Index max_q = std::numeric_limits<Index>::max()) {
  require_extent(fn, "q", q, 1, max_q);
  require_length(fn, "a", a, {{"q", q}});
  require_length(fn, "seg", seg, {{"q", q}, {"q", q}});
  require_length(fn, "cs", cs, {{"q", q}});
}
}  // namespace detail

}  // namespace seqref

namespace seqref::cpu {

/// Chunked SSD on the CPU: Eigen GEMMs per chunk (C Bᵀ, masked by exp(segsum), a triangular product with X, the
/// chunk state and the state readout), the inter-chunk recurrence as a seqref::cpu::scan policy whose lanes are the
/// P·N entries of one (batch, head) and whose steps are chunks; (batch, head) pairs over OpenMP threads by the
/// engine. Results are bit-identical for any thread count at fixed options. Returns the chunk length used.
Index ssd(const SsdProblem<float>& problem, std::span<float> Y, std::span<float> h_final = {}, SsdOptions options = {});
Index ssd(const SsdProblem<double>& problem, std::span<double> Y, std::span<double> h_final = {},
          SsdOptions options = {});

/// The exponents the cpu kernel uses for one chunk of q decays a[0..q−1]: seg [q×q] row-major with
/// seg[i, j] = a_{j+1} + … + a_i for j <= i (0 above the diagonal, where the kernel masks), and
/// cs[i] = a_0 + … + a_i (seg[i, 0] + a_0). All <= 0 when a <= 0. a [q], seg [q, q], cs [q]; q >= 1
/// (detail::check_ssd_chunk_decays: std::invalid_argument otherwise).
void ssd_chunk_decays(std::span<const float> a, Index q, std::span<float> seg, std::span<float> cs);
void ssd_chunk_decays(std::span<const double> a, Index q, std::span<double> seg, std::span<double> cs);

}  // namespace seqref::cpu

namespace seqref::cuda {

/// Host-memory entry point: copies in, runs the kernels on device 0, copies out. fp32. Returns the chunk length
/// used (options.scan is ignored: the inter-chunk pass is the CUDA engine's block scan). std::runtime_error when
/// !available(), after the argument checks.
Index ssd(const SsdProblem<float>& problem, std::span<float> Y, std::span<float> h_final = {}, SsdOptions options = {});

/// The exponents the CUDA kernels use for one chunk (the device function, run in a one-block kernel; as cpu, with
/// q <= 64, the largest CUDA chunk).
void ssd_chunk_decays(std::span<const float> a, Index q, std::span<float> seg, std::span<float> cs);

namespace device {
/// Bytes of device workspace device::ssd needs for `shape` at chunk length `chunk` (>= 1).
std::size_t ssd_workspace_bytes(const SsdShape& shape, Index chunk);
/// Device memory: the spans of `problem` (h0 may be empty), Y and h_final (may be empty) point to device memory,
/// with the reference's layouts and lengths; `workspace` spans ssd_workspace_bytes(problem.shape, chunk) bytes of
/// device memory. Asynchronous on `stream` (a cudaStream_t; nullptr: default stream). Shape and length checks only
/// (seqref::detail::check_ssd_shapes; inputs are not scanned for NaN on the device). chunk: 1..64.
void ssd(const SsdProblem<float>& problem, std::span<float> Y, std::span<float> h_final, Index chunk,
         std::span<std::byte> workspace, void* stream = nullptr);
}  // namespace device

}  // namespace seqref::cuda
