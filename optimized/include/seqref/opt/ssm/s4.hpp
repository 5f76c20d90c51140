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
/// or [channels, L] (real), dt [channels]. Sizes channels, N, L/nodes >= 1; pointers non-null; inputs finite;
/// dt > 0. Anything else throws std::invalid_argument naming the function, the argument and the sizes. A node equal
/// to a pole gives inf/NaN for that output (documented, as the reference). Results do not depend on the thread count.
/// The CUDA entry points take host memory (copy in, run on device 0, copy out), fp32 only, and throw
/// std::runtime_error when !seqref::cuda::available().

#include "seqref/core/tensor.hpp"

#include <complex>

namespace seqref::cpu::blocking::s4 {
// Blocking constants of optimized/cpu/ssm/s4.cpp.
inline constexpr Index node_block = 1024;   ///< Cauchy / S4-DPLR: nodes (or L frequencies) per task
inline constexpr Index cauchy_tile = 64;    ///< float Cauchy with AVX-512: nodes per register tile (4 zmm x 16)
inline constexpr Index cauchy_lanes = 16;   ///< floats per zmm register in that tile
inline constexpr Index power_block = 64;    ///< Vandermonde: powers per table (z^r, r < 64; z^{64b} carried)
}  // namespace seqref::cpu::blocking::s4

namespace seqref::cuda::blocking::s4 {
inline constexpr Index threads = 256;  ///< nodes / powers per block and the shared-memory tile of modes (s4.cu)
}  // namespace seqref::cuda::blocking::s4

namespace seqref::cpu {

void cauchy_kernel(const std::complex<float>* w, const std::complex<float>* lambda, const std::complex<float>* z,
                   std::complex<float>* out, Index channels, Index N, Index nodes);
void cauchy_kernel(const std::complex<double>* w, const std::complex<double>* lambda, const std::complex<double>* z,
                   std::complex<double>* out, Index channels, Index N, Index nodes);

void vandermonde_kernel(const std::complex<float>* w, const std::complex<float>* z, float* out, Index channels,
                        Index N, Index L);
void vandermonde_kernel(const std::complex<double>* w, const std::complex<double>* z, double* out, Index channels,
                        Index N, Index L);

void s4_kernel_dplr(const std::complex<float>* Lambda, const std::complex<float>* P, const std::complex<float>* Q,
                    const std::complex<float>* B, const std::complex<float>* Ctilde, const float* dt, float* out,
                    Index channels, Index N, Index L);
void s4_kernel_dplr(const std::complex<double>* Lambda, const std::complex<double>* P, const std::complex<double>* Q,
                    const std::complex<double>* B, const std::complex<double>* Ctilde, const double* dt, double* out,
                    Index channels, Index N, Index L);

}  // namespace seqref::cpu

namespace seqref::cuda {

void cauchy_kernel(const std::complex<float>* w, const std::complex<float>* lambda, const std::complex<float>* z,
                   std::complex<float>* out, Index channels, Index N, Index nodes);
void vandermonde_kernel(const std::complex<float>* w, const std::complex<float>* z, float* out, Index channels,
                        Index N, Index L);

}  // namespace seqref::cuda
