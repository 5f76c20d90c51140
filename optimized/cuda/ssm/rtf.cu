// RTF kernel on the GPU (eq. 2 of seqref/ref/ssm/rtf.hpp), batched over channels, on cuFFT through
// seqref::cuda::device::dft_batched (optimized/cuda/ssm/fft.cu):
//
//   build_rows:  rows [2·channels, L]: numerator b (exponents i−1) and denominator (1, a) (exponents i), folded
//                modulo L, as complex numbers                                             (one thread per row entry)
//   forward DFT of all 2·channels rows (one batched C2C plan)
//   divide:      H_c = NUM_c / DEN_c per bin; a zero denominator sets a flag read back on the host
//   inverse DFT of the `channels` quotient rows, real part copied out
//
// Host entry point: validates like the CPU backend (same checks and messages), runs on device 0 with a private
// stream. Every CUDA call is checked; failures throw std::runtime_error. Without a device: std::runtime_error.

#include "../host.cuh"
#include "seqref/opt/ssm/fft.hpp"
#include "seqref/opt/ssm/rtf.hpp"

#include "seqref/core/validate.hpp"
#include "seqref/opt/backend.hpp"

#include <cuComplex.h>
#include <cuda_runtime.h>

#include <climits>
#include <cmath>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace seqref::cuda {

namespace {

using host::check_cuda;
using host::DeviceBuffer;
using host::DeviceZero;
using host::grid_for;
using host::Stream;

constexpr std::string_view kFn = "seqref::cuda::rtf_kernel";

// Row 2c: numerator of channel c; row 2c+1: denominator. Entry k sums every coefficient whose exponent ≡ k (mod L).
__global__ void build_rows_kernel(const float* a, const float* b, cuFloatComplex* rows, long long channels, long long N,
                                  long long L) {
  const long long total = 2 * channels * L;
  for (long long idx = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; idx < total;
       idx += static_cast<long long>(gridDim.x) * blockDim.x) {
    const long long row = idx / L, k = idx % L, c = row / 2;
    const bool denominator = row % 2 == 1;
    float acc = denominator && k == 0 ? 1.0f : 0.0f;
    // numerator: b_i at exponent i−1 (i = 1..N); denominator: a_i at exponent i
    for (long long e = k; e <= N; e += L) {
      if (denominator) {
        if (e >= 1) acc += a[c * N + e - 1];
      } else if (e < N) {
        acc += b[c * N + e];
      }
    }
    rows[idx] = make_cuFloatComplex(acc, 0.0f);
  }
}

__global__ void divide_kernel(const cuFloatComplex* rows, cuFloatComplex* h, long long channels, long long L,
                              int* zero_denominator) {
  const long long total = channels * L;
  for (long long idx = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; idx < total;
       idx += static_cast<long long>(gridDim.x) * blockDim.x) {
    const long long c = idx / L, j = idx % L;
    const cuFloatComplex num = rows[(2 * c) * L + j], den = rows[(2 * c + 1) * L + j];
    if (cuCrealf(den) == 0.0f && cuCimagf(den) == 0.0f) atomicExch(zero_denominator, 1);
    h[idx] = cuCdivf(num, den);
  }
}

}  // namespace

void rtf_kernel(std::span<const float> a_span, std::span<const float> b_span, std::span<float> kernel_span,
                Index channels, Index N, Index L) {
  seqref::detail::check_rtf_kernel(kFn, a_span, b_span, kernel_span, channels, N, L);
  const float* a = a_span.data();
  const float* b = b_span.data();
  float* kernel = kernel_span.data();
  const std::string shapes = "a, b [" + std::to_string(channels) + ", " + std::to_string(N) + "], kernel [" +
                             std::to_string(channels) + ", " + std::to_string(L) + "]";
  require(L <= INT_MAX && 2 * channels <= INT_MAX, kFn, "sizes too large for a cuFFT plan; got " + shapes);
  for (Index i = 0; i < channels * N; ++i) {
    if (!std::isfinite(a[i]))
      invalid_argument(kFn, "a has a non-finite value at [" + std::to_string(i / N) + ", " + std::to_string(i % N) +
                                "] (" + shapes + ")");
    if (!std::isfinite(b[i]))
      invalid_argument(kFn, "b has a non-finite value at [" + std::to_string(i / N) + ", " + std::to_string(i % N) +
                                "] (" + shapes + ")");
  }
  if (!available()) throw std::runtime_error(std::string(kFn) + ": no CUDA device available");
  DeviceZero device(kFn);
  Stream stream(kFn);
  DeviceBuffer<float> da(channels * N, kFn), db(channels * N, kFn);
  DeviceBuffer<cuFloatComplex> rows(2 * channels * L, kFn), h(channels * L, kFn);
  DeviceBuffer<int> flag(1, kFn);
  check_cuda(cudaMemcpyAsync(da.get(), a, da.bytes(), cudaMemcpyHostToDevice, stream.get()), kFn, "cudaMemcpy H2D (a)");
  check_cuda(cudaMemcpyAsync(db.get(), b, db.bytes(), cudaMemcpyHostToDevice, stream.get()), kFn, "cudaMemcpy H2D (b)");
  check_cuda(cudaMemsetAsync(flag.get(), 0, sizeof(int), stream.get()), kFn, "cudaMemset");
  build_rows_kernel<<<grid_for(2 * channels * L), 256, 0, stream.get()>>>(da.get(), db.get(), rows.get(), channels, N,
                                                                          L);
  check_cuda(cudaGetLastError(), kFn, "build_rows kernel launch");
  device::dft_batched({reinterpret_cast<std::complex<float>*>(rows.get()), static_cast<std::size_t>(2 * channels * L)},
                      2 * channels, L, false, stream.get());
  divide_kernel<<<grid_for(channels * L), 256, 0, stream.get()>>>(rows.get(), h.get(), channels, L, flag.get());
  check_cuda(cudaGetLastError(), kFn, "divide kernel launch");
  device::dft_batched({reinterpret_cast<std::complex<float>*>(h.get()), static_cast<std::size_t>(channels * L)},
                      channels, L, true, stream.get());
  // real parts: a strided copy of the .x fields
  check_cuda(cudaMemcpy2DAsync(kernel, sizeof(float), h.get(), sizeof(cuFloatComplex), sizeof(float),
                               static_cast<std::size_t>(channels * L), cudaMemcpyDeviceToHost, stream.get()),
             kFn, "cudaMemcpy2D D2H");
  int zero = 0;
  check_cuda(cudaMemcpyAsync(&zero, flag.get(), sizeof(int), cudaMemcpyDeviceToHost, stream.get()), kFn,
             "cudaMemcpy flag");
  check_cuda(cudaStreamSynchronize(stream.get()), kFn, "cudaStreamSynchronize");
  require(
      zero == 0, kFn,
      "the denominator 1 + a_1 z + ... + a_N z^N vanishes at an L-th root of unity for some channel (" + shapes + ")");
  for (Index i = 0; i < channels * L; ++i)
    if (!std::isfinite(kernel[i]))
      invalid_argument(kFn, "kernel of channel " + std::to_string(i / L) +
                                " overflows at k = " + std::to_string(i % L) +
                                ": the denominator nearly vanishes at an L-th root of unity (" + shapes + ")");
}

}  // namespace seqref::cuda
