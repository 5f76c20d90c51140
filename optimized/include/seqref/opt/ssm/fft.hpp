#pragma once
/// \file
/// Optimized batched DFTs and FFT causal convolution (the one place every SSM kernel gets its FFTs from).
/// Conventions as the reference (seqref/ref/ssm/fourier.hpp): forward X_k = Σ_j x_j e^{−2πijk/n}; inverse includes
/// 1/n; causal convolution y[c, t] = Σ_{s≤t} k[c, s] u[c, t−s], computed by zero-padding to a fast size ≥ 2L.
/// Data are row-major [batch, n] (complex) or [channels, L] (real), contiguous. Bad sizes or null pointers throw
/// std::invalid_argument naming the function and the sizes. (Implementation: the ssm/rtf + FFT work.)

#include "seqref/core/tensor.hpp"

#include <complex>

namespace seqref::cpu {

/// In-place DFT of `batch` contiguous rows of length n >= 1 (any n), threaded over rows.
void dft_batched(std::complex<float>* data, Index batch, Index n, bool inverse);
void dft_batched(std::complex<double>* data, Index batch, Index n, bool inverse);

/// y = causal convolution of kernel and u, per channel; all three [channels, L], L >= 1, channels >= 1.
void causal_conv(const float* kernel, const float* u, float* y, Index channels, Index L);
void causal_conv(const double* kernel, const double* u, double* y, Index channels, Index L);

}  // namespace seqref::cpu

namespace seqref::cuda {

/// Host-memory entry points (copy in, cuFFT on device 0, copy out); std::runtime_error when !available().
void dft_batched(std::complex<float>* data, Index batch, Index n, bool inverse);
void causal_conv(const float* kernel, const float* u, float* y, Index channels, Index L);

}  // namespace seqref::cuda
