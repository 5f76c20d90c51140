#pragma once
/// \file
/// Optimized RTF kernels (rational transfer function SSM, arXiv 2405.06147; reference: seqref/ref/ssm/rtf.hpp).
/// For every channel c, with a_c = (a_1..a_N), b_c = (b_1..b_N) the rows of a and b:
///
///   kernel[c, :] = IDFT_L( DFT_L(b_c) / DFT_L(1, a_c) )      (coefficients zero-padded — or folded — to length L)
///
/// O(L log L) per channel, independent of N apart from an O(N) fold. Shapes, row-major and contiguous:
/// a, b [channels, N]; kernel [channels, L]; channels, N, L >= 1. Throws std::invalid_argument naming the function
/// and the shapes for bad sizes, buffer lengths that are not those of the shapes, non-finite coefficients, or a denominator that vanishes at an L-th
/// root of unity (same rule as the reference). No CUDA types here.

#include "seqref/core/contract.hpp"
#include "seqref/core/tensor.hpp"

#include <span>
#include <string_view>

namespace seqref::detail {

/// rtf_kernel's problem, checked by every backend before any memory is touched: channels, N, L >= 1; a and b each
/// [channels, N]; kernel [channels, L]. Throws std::invalid_argument naming `fn`, the argument and the shape.
template <class S>
void check_rtf_kernel(std::string_view fn, std::span<const S> a, std::span<const S> b, std::span<S> kernel,
                      Index channels, Index N, Index L) {
  require_extent(fn, "channels", channels, 1);
  require_extent(fn, "N", N, 1);
  require_extent(fn, "L", L, 1);
  require_length(fn, "a", a, {{"channels", channels}, {"N", N}});
  require_length(fn, "b", b, {{"channels", channels}, {"N", N}});
  require_length(fn, "kernel", kernel, {{"channels", channels}, {"L", L}});
}

}  // namespace seqref::detail
namespace seqref::cpu::blocking::rtf {
// optimized/cpu/ssm/rtf.cpp has no tile of its own: its transforms are seqref::cpu::blocking::fft's, and its one
// branch folds the coefficients of exponent >= L modulo L (N + 1 > L).
inline constexpr Index fold_from = 1;  ///< the fold acts when N + fold_from > L
}  // namespace seqref::cpu::blocking::rtf

namespace seqref::cpu {

/// Batched over channels with seqref::cpu::dft_batched (threaded over the 2·channels forward rows and the
/// channels inverse rows). a, b [channels, N]; kernel [channels, L]; float or double.
void rtf_kernel(std::span<const float> a, std::span<const float> b, std::span<float> kernel, Index channels, Index N,
                Index L);
void rtf_kernel(std::span<const double> a, std::span<const double> b, std::span<double> kernel, Index channels, Index N,
                Index L);

}  // namespace seqref::cpu

namespace seqref::cuda {

/// Host-memory entry point: cuFFT C2C on device 0, fp32; same checks as the cpu one (detail::check_rtf_kernel),
/// then std::runtime_error when !available().
void rtf_kernel(std::span<const float> a, std::span<const float> b, std::span<float> kernel, Index channels, Index N,
                Index L);

}  // namespace seqref::cuda
