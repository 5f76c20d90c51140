#pragma once
/// \file
/// Optimized batched DFTs and FFT causal convolution (the one place every SSM kernel gets its FFTs from).
/// Conventions as the reference (seqref/ref/ssm/fourier.hpp): forward X_k = Σ_j x_j e^{−2πijk/n}; inverse includes
/// 1/n; causal convolution y[c, t] = Σ_{s≤t} k[c, s] u[c, t−s], computed by zero-padding to a fast size ≥ 2L.
/// Data are row-major [batch, n] (complex) or [channels, L] (real), contiguous. Bad sizes or null pointers throw
/// std::invalid_argument naming the function and the sizes. (Implementation: the ssm/rtf + FFT work.)

#include "seqref/core/tensor.hpp"

#include <complex>

namespace seqref::cpu::blocking::fft {
// Blocking constants of optimized/cpu/ssm/fft.cpp.
inline constexpr Index bluestein_prime = 37;  ///< sizes with a prime factor above this go through Bluestein
inline constexpr Index conv_multiple = 4;     ///< causal_conv's FFT size: a 2^a 3^b 5^c multiple of this >= 2L - 1
}  // namespace seqref::cpu::blocking::fft

namespace seqref::cpu {

/// In-place DFT of `batch` contiguous rows of length n >= 1 (any n), threaded over rows.
/// X_k = Σ_j x_j e^{∓2πijk/n} (− forward; + inverse, which also divides by n). Sizes whose prime factors are all
/// <= 37 go through Eigen's FFT module (KISS FFT); others through Bluestein's chirp-z with power-of-two FFTs, so
/// every n costs O(n log n). Each row's result does not depend on `batch` or on the number of threads (bit for
/// bit). Throws std::invalid_argument for batch < 1, n < 1, a null pointer or a non-finite input value.
void dft_batched(std::complex<float>* data, Index batch, Index n, bool inverse);
void dft_batched(std::complex<double>* data, Index batch, Index n, bool inverse);

/// y[c, t] = Σ_{s≤t} kernel[c, s] u[c, t−s], per channel; all three [channels, L] row-major, L >= 1,
/// channels >= 1. Real FFTs of size 4·2^a3^b5^c >= 2L − 1 (O(L log L) per channel), threaded over channels.
/// Throws std::invalid_argument for bad sizes, null pointers or a non-finite kernel or u value.
void causal_conv(const float* kernel, const float* u, float* y, Index channels, Index L);
void causal_conv(const double* kernel, const double* u, double* y, Index channels, Index L);

}  // namespace seqref::cpu

namespace seqref::cuda {

/// Host-memory entry points (copy in, cuFFT on device 0, copy out); std::runtime_error when !available().
/// Same conventions, checks and exceptions as the seqref::cpu versions (causal_conv pads to a power of two >= 2L).
void dft_batched(std::complex<float>* data, Index batch, Index n, bool inverse);
void causal_conv(const float* kernel, const float* u, float* y, Index channels, Index L);

namespace device {
/// Device-memory version of dft_batched on the caller's stream (a cudaStream_t passed as void*; nullptr = the
/// default stream); validates sizes and the pointer only (values live on the device). Asynchronous.
void dft_batched(std::complex<float>* data, Index batch, Index n, bool inverse, void* stream);
}  // namespace device

}  // namespace seqref::cuda
