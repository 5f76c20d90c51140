#pragma once
/// \file
/// Optimized S4 / S4D kernels, batched over channels. The references are in seqref/ref/ssm/s4.hpp:
/// seqref::ref::cauchy_kernel, vandermonde_kernel and s4_kernel_dplr (same equations, same conventions).
///
///   Cauchy kernel      out[c, k] = Σ_n w[c, n] / (z[k] − λ[c, n])                      (nodes z shared by channels)
///   Vandermonde kernel out[c, j] = 2 Re Σ_n w[c, n] · z[c, n]^j,  j = 0..L−1
///   S4 DPLR kernel     out[c, :] = the L-tap kernel of channel c from (Λ, P', Q', B', C̃', Δ) in the diagonal
///                      basis: K̂(ω^k) by Woodbury + four Cauchy sums (the node z = −1 by its limit (Δ/2) C̃B for
///                      even L), then the inverse DFT (seqref::cpu::dft_batched); the real part is returned.
///
/// Layout: row-major, contiguous: complex arrays [channels, N], nodes [nodes], outputs [channels, nodes] (complex)
/// or [channels, L] (real), dt [channels]. Sizes channels, N, L/nodes >= 1; every span exactly its shape's length; inputs finite;
/// dt > 0. Anything else throws std::invalid_argument naming the function, the argument and the sizes. A node equal
/// to a pole gives inf/NaN for that output (documented, as the reference). Results do not depend on the thread count.
/// The CUDA entry points take host memory (copy in, run on device 0, copy out), fp32 only, and throw
/// std::runtime_error when !seqref::cuda::available().

#include "seqref/core/contract.hpp"
#include "seqref/core/tensor.hpp"

#include <complex>
#include <span>
#include <string_view>

namespace seqref::detail {

/// cauchy_kernel's problem, checked by every backend before any memory is touched: channels, N, nodes >= 1;
/// w, lambda [channels, N]; z [nodes]; out [channels, nodes]. std::invalid_argument naming `fn`, the argument and
/// the shape otherwise.
template <class T>
void check_cauchy_kernel(std::string_view fn, std::span<const std::complex<T>> w,
                         std::span<const std::complex<T>> lambda, std::span<const std::complex<T>> z,
                         std::span<std::complex<T>> out, Index channels, Index N, Index nodes) {
  require_extent(fn, "channels", channels, 1);
  require_extent(fn, "N", N, 1);
  require_extent(fn, "nodes", nodes, 1);
  require_length(fn, "w", w, {{"channels", channels}, {"N", N}});
  require_length(fn, "lambda", lambda, {{"channels", channels}, {"N", N}});
  require_length(fn, "z", z, {{"nodes", nodes}});
  require_length(fn, "out", out, {{"channels", channels}, {"nodes", nodes}});
}

/// vandermonde_kernel's problem: channels, N, L >= 1; w, z [channels, N]; out [channels, L].
template <class T>
void check_vandermonde_kernel(std::string_view fn, std::span<const std::complex<T>> w,
                              std::span<const std::complex<T>> z, std::span<T> out, Index channels, Index N, Index L) {
  require_extent(fn, "channels", channels, 1);
  require_extent(fn, "N", N, 1);
  require_extent(fn, "L", L, 1);
  require_length(fn, "w", w, {{"channels", channels}, {"N", N}});
  require_length(fn, "z", z, {{"channels", channels}, {"N", N}});
  require_length(fn, "out", out, {{"channels", channels}, {"L", L}});
}

/// s4_kernel_dplr's problem: channels, N, L >= 1; Lambda, P, Q, B, Ctilde [channels, N]; dt [channels];
/// out [channels, L].
template <class T>
void check_s4_kernel_dplr(std::string_view fn, std::span<const std::complex<T>> Lambda,
                          std::span<const std::complex<T>> P, std::span<const std::complex<T>> Q,
                          std::span<const std::complex<T>> B, std::span<const std::complex<T>> Ctilde,
                          std::span<const T> dt, std::span<T> out, Index channels, Index N, Index L) {
  require_extent(fn, "channels", channels, 1);
  require_extent(fn, "N", N, 1);
  require_extent(fn, "L", L, 1);
  require_length(fn, "Lambda", Lambda, {{"channels", channels}, {"N", N}});
  require_length(fn, "P", P, {{"channels", channels}, {"N", N}});
  require_length(fn, "Q", Q, {{"channels", channels}, {"N", N}});
  require_length(fn, "B", B, {{"channels", channels}, {"N", N}});
  require_length(fn, "Ctilde", Ctilde, {{"channels", channels}, {"N", N}});
  require_length(fn, "dt", dt, {{"channels", channels}});
  require_length(fn, "out", out, {{"channels", channels}, {"L", L}});
}

}  // namespace seqref::detail

namespace seqref::cpu::blocking::s4 {
// Blocking constants of optimized/cpu/ssm/s4.cpp.
inline constexpr Index node_block = 1024;  ///< Cauchy / S4-DPLR: nodes (or L frequencies) per task
inline constexpr Index cauchy_tile = 64;   ///< float Cauchy with AVX-512: nodes per register tile (4 zmm x 16)
inline constexpr Index cauchy_lanes = 16;  ///< floats per zmm register in that tile
inline constexpr Index pole_block = 32;    ///< Cauchy: poles per partial sum; partial sums added in double
inline constexpr Index power_block = 64;   ///< Vandermonde: powers per table (z^r, r < 64; z^{64b} carried)
}  // namespace seqref::cpu::blocking::s4

namespace seqref::cuda::blocking::s4 {
inline constexpr Index threads = 256;    ///< nodes / powers per block and the shared-memory tile of modes (s4.cu)
inline constexpr Index pole_block = 32;  ///< Cauchy: poles per partial sum within a tile
}  // namespace seqref::cuda::blocking::s4

namespace seqref::cpu {

/// Cauchy kernel out[c, k] = Σ_n w[c, n] / (z[k] − λ[c, n]); complex<float> or complex<double>.
/// Shapes and errors: detail::check_cauchy_kernel, then non-finite w, lambda or z.
void cauchy_kernel(std::span<const std::complex<float>> w, std::span<const std::complex<float>> lambda,
                   std::span<const std::complex<float>> z, std::span<std::complex<float>> out, Index channels, Index N,
                   Index nodes);
void cauchy_kernel(std::span<const std::complex<double>> w, std::span<const std::complex<double>> lambda,
                   std::span<const std::complex<double>> z, std::span<std::complex<double>> out, Index channels,
                   Index N, Index nodes);

/// Vandermonde kernel out[c, j] = 2 Re Σ_n w[c, n] z[c, n]^j, j = 0..L−1. Shapes and errors:
/// detail::check_vandermonde_kernel, then non-finite w or z.
void vandermonde_kernel(std::span<const std::complex<float>> w, std::span<const std::complex<float>> z,
                        std::span<float> out, Index channels, Index N, Index L);
void vandermonde_kernel(std::span<const std::complex<double>> w, std::span<const std::complex<double>> z,
                        std::span<double> out, Index channels, Index N, Index L);

/// S4 DPLR kernel (file comment). Shapes and errors: detail::check_s4_kernel_dplr, then non-finite inputs or a
/// dt that is not finite and > 0.
void s4_kernel_dplr(std::span<const std::complex<float>> Lambda, std::span<const std::complex<float>> P,
                    std::span<const std::complex<float>> Q, std::span<const std::complex<float>> B,
                    std::span<const std::complex<float>> Ctilde, std::span<const float> dt, std::span<float> out,
                    Index channels, Index N, Index L);
void s4_kernel_dplr(std::span<const std::complex<double>> Lambda, std::span<const std::complex<double>> P,
                    std::span<const std::complex<double>> Q, std::span<const std::complex<double>> B,
                    std::span<const std::complex<double>> Ctilde, std::span<const double> dt, std::span<double> out,
                    Index channels, Index N, Index L);

}  // namespace seqref::cpu

namespace seqref::cuda {

/// As seqref::cpu::cauchy_kernel, fp32, on device 0 (host memory in and out); same checks, plus the CUDA grid's
/// limits (channels <= 65535, nodes <= 2^30); std::runtime_error when !available().
void cauchy_kernel(std::span<const std::complex<float>> w, std::span<const std::complex<float>> lambda,
                   std::span<const std::complex<float>> z, std::span<std::complex<float>> out, Index channels, Index N,
                   Index nodes);
/// As seqref::cpu::vandermonde_kernel, fp32, on device 0 (host memory in and out); same checks, plus the CUDA
/// grid's limits (channels <= 65535, L <= 2^30); std::runtime_error when !available().
void vandermonde_kernel(std::span<const std::complex<float>> w, std::span<const std::complex<float>> z,
                        std::span<float> out, Index channels, Index N, Index L);

}  // namespace seqref::cuda
