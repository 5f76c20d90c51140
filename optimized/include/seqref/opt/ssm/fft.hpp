#pragma once
/// \file
/// Optimized batched DFTs and FFT causal convolution (the one place every SSM kernel gets its FFTs from).
/// Conventions as the reference (seqref/ref/ssm/fourier.hpp): forward X_k = Σ_j x_j e^{−2πijk/n}; inverse includes
/// 1/n; causal convolution y[c, t] = Σ_{s≤t} k[c, s] u[c, t−s], computed by zero-padding to a fast size ≥ 2L.
/// Data are row-major [batch, n] (complex) or [channels, L] (real), contiguous. Bad sizes or buffer lengths throw
/// std::invalid_argument naming the function, the argument and the shape. (Implementation: the ssm/rtf + FFT work.)

#include "seqref/core/contract.hpp"
#include "seqref/core/tensor.hpp"

#include <complex>
#include <span>
#include <string_view>

namespace seqref::detail {

/// dft_batched's problem, checked by every backend before any memory is touched: batch, n >= 1 and data holding
/// exactly [batch, n] complex values. Throws std::invalid_argument naming `fn`, the argument and the shape.
template <class C>
void check_dft_batched(std::string_view fn, std::span<C> data, Index batch, Index n) {
  require_extent(fn, "batch", batch, 1);
  require_extent(fn, "n", n, 1);
  require_length(fn, "data", data, {{"batch", batch}, {"n", n}});
}

/// causal_conv's problem: channels, L >= 1; kernel, u and y each [channels, L].
template <class S>
void check_causal_conv(std::string_view fn, std::span<const S> kernel, std::span<const S> u, std::span<S> y,
                       Index channels, Index L) {
  require_extent(fn, "channels", channels, 1);
  require_extent(fn, "L", L, 1);
  require_length(fn, "kernel", kernel, {{"channels", channels}, {"L", L}});
  require_length(fn, "u", u, {{"channels", channels}, {"L", L}});
  require_length(fn, "y", y, {{"channels", channels}, {"L", L}});
}

}  // namespace seqref::detail

namespace seqref::cpu::blocking::fft {
// Blocking constants of optimized/cpu/ssm/fft.cpp.
inline constexpr Index bluestein_prime = 37;  ///< sizes with a prime factor above this go through Bluestein
inline constexpr Index conv_multiple = 4;     ///< causal_conv's FFT size: a 2^a 3^b 5^c multiple of this >= 2L - 1
}  // namespace seqref::cpu::blocking::fft

namespace seqref::cpu {

/// In-place DFT of `batch` contiguous rows of length n >= 1 (any n), threaded over rows; data [batch, n].
/// X_k = Σ_j x_j e^{∓2πijk/n} (− forward; + inverse, which also divides by n). Sizes whose prime factors are all
/// <= 37 go through Eigen's FFT module (KISS FFT); others through Bluestein's chirp-z with power-of-two FFTs, so
/// every n costs O(n log n). Each row's result does not depend on `batch` or on the number of threads (bit for
/// bit). Throws std::invalid_argument (detail::check_dft_batched) for batch < 1, n < 1, data.size() != batch·n,
/// or a non-finite input value.
void dft_batched(std::span<std::complex<float>> data, Index batch, Index n, bool inverse);
void dft_batched(std::span<std::complex<double>> data, Index batch, Index n, bool inverse);

/// y[c, t] = Σ_{s≤t} kernel[c, s] u[c, t−s], per channel; all three [channels, L] row-major, L >= 1,
/// channels >= 1. Real FFTs of size 4·2^a3^b5^c >= 2L − 1 (O(L log L) per channel), threaded over channels.
/// Throws std::invalid_argument (detail::check_causal_conv) for bad sizes, a span whose length is not
/// channels·L, or a non-finite kernel or u value.
void causal_conv(std::span<const float> kernel, std::span<const float> u, std::span<float> y, Index channels, Index L);
void causal_conv(std::span<const double> kernel, std::span<const double> u, std::span<double> y, Index channels,
                 Index L);

}  // namespace seqref::cpu

namespace seqref::cuda {

/// Host-memory entry points (copy in, cuFFT on device 0, copy out); std::runtime_error when !available().
/// Same conventions, checks and exceptions as the seqref::cpu versions (causal_conv pads to a power of two >= 2L).
void dft_batched(std::span<std::complex<float>> data, Index batch, Index n, bool inverse);
void causal_conv(std::span<const float> kernel, std::span<const float> u, std::span<float> y, Index channels, Index L);

namespace device {
/// Device-memory version of dft_batched on the caller's stream (a cudaStream_t passed as void*; nullptr = the
/// default stream): `data` spans device memory ([batch, n]); validates sizes and its length only (values live on
/// the device). Returns when the transform is done: its cuFFT plan is made per call and destroyed only after the
/// stream has drained (destroying it with the transform still queued freed its work area under it).
void dft_batched(std::span<std::complex<float>> data, Index batch, Index n, bool inverse, void* stream);
}  // namespace device

}  // namespace seqref::cuda
