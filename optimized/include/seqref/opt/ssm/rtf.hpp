#pragma once
/// \file
/// Optimized RTF kernels (rational transfer function SSM, arXiv 2405.06147; reference: seqref/ref/ssm/rtf.hpp).
/// For every channel c, with a_c = (a_1..a_N), b_c = (b_1..b_N) the rows of a and b:
///
///   kernel[c, :] = IDFT_L( DFT_L(b_c) / DFT_L(1, a_c) )      (coefficients zero-padded — or folded — to length L)
///
/// O(L log L) per channel, independent of N apart from an O(N) fold. Shapes, row-major and contiguous:
/// a, b [channels, N]; kernel [channels, L]; channels, N, L >= 1. Throws std::invalid_argument naming the function
/// and the shapes for bad sizes, null pointers, non-finite coefficients, or a denominator that vanishes at an L-th
/// root of unity (same rule as the reference). No CUDA types here.

#include "seqref/core/tensor.hpp"

namespace seqref::cpu::blocking::rtf {
// optimized/cpu/ssm/rtf.cpp has no tile of its own: its transforms are seqref::cpu::blocking::fft's, and its one
// branch folds the coefficients of exponent >= L modulo L (N + 1 > L).
inline constexpr Index fold_from = 1;  ///< the fold acts when N + fold_from > L
}  // namespace seqref::cpu::blocking::rtf

namespace seqref::cpu {

/// Batched over channels with seqref::cpu::dft_batched (threaded over the 2·channels forward rows and the
/// channels inverse rows).
void rtf_kernel(const float* a, const float* b, float* kernel, Index channels, Index N, Index L);
void rtf_kernel(const double* a, const double* b, double* kernel, Index channels, Index N, Index L);

}  // namespace seqref::cpu

namespace seqref::cuda {

/// Host-memory entry point: cuFFT C2C on device 0; std::runtime_error when !available().
void rtf_kernel(const float* a, const float* b, float* kernel, Index channels, Index N, Index L);

}  // namespace seqref::cuda
