// Batched DFTs and FFT causal convolution on the GPU, by cuFFT (the toolkit's FFT; DESIGN.md: cuFFT for FFT).
//
//   dft_batched:  one C2C plan of size n, `batch` rows (cuFFT handles any n: radix 2/3/5/7 and Bluestein beyond);
//                 the inverse is cuFFT's unnormalized one followed by a 1/n scaling kernel (our convention).
//   causal_conv:  R2C of kernel and u zero-padded to the power of two n >= 2L (no wrap-around on t < L), one
//                 pointwise product that also applies the 1/n, C2R, keep t < L.
//
// Host entry points: validate exactly like the CPU backend (same checks and messages, with the cuda function
// name), copy in, run on device 0 with a private stream, copy out. Device entry points (`device::`): validate
// sizes and pointers only and run on the caller's stream. Every CUDA runtime and cuFFT call is checked; failures
// throw std::runtime_error naming the function and the error. Without a device: std::runtime_error.

#include "../host.cuh"
#include "seqref/opt/ssm/fft.hpp"

#include "seqref/core/validate.hpp"
#include "seqref/opt/backend.hpp"

#include <cuda_runtime.h>
#include <cufft.h>

#include <climits>
#include <cmath>
#include <stdexcept>
#include <string>
#include <string_view>

namespace seqref::cuda {

namespace {

using host::check_cuda;
using host::DeviceBuffer;
using host::DeviceZero;
using host::grid_for;
using host::require_device;
using host::Stream;

void check_cufft(cufftResult err, std::string_view fn, const char* what) {
  if (err == CUFFT_SUCCESS) return;
  throw std::runtime_error(std::string(fn) + ": " + what + " failed with cufftResult " + std::to_string(int(err)));
}

// A cuFFT plan bound to a stream. The constructor destroys the plan itself when binding it fails (a throwing
// constructor runs no destructor: the plan leaked), and the destructor waits for the work queued on the stream
// before destroying the plan (its work area must outlive the transforms that use it).
class Plan {
 public:
  Plan(int n, cufftType type, int batch, cudaStream_t stream, std::string_view fn) : stream_(stream) {
    check_cufft(cufftPlan1d(&plan_, n, type, batch), fn, "cufftPlan1d");
    const cufftResult bound = cufftSetStream(plan_, stream);
    if (bound != CUFFT_SUCCESS) {
      (void)cufftDestroy(plan_);
      check_cufft(bound, fn, "cufftSetStream");
    }
  }
  ~Plan() {
    (void)cudaStreamSynchronize(stream_);
    (void)cufftDestroy(plan_);
  }
  Plan(const Plan&) = delete;
  Plan& operator=(const Plan&) = delete;
  cufftHandle get() const { return plan_; }

 private:
  cufftHandle plan_ = 0;
  cudaStream_t stream_ = nullptr;
};

__global__ void scale_kernel(cufftComplex* x, long long count, float s) {
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<long long>(gridDim.x) * blockDim.x) {
    x[i].x *= s;
    x[i].y *= s;
  }
}

// Y = K·U / n, elementwise over the half spectra.
__global__ void spectral_product_kernel(cufftComplex* k, const cufftComplex* u, long long count, float inv_n) {
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < count;
       i += static_cast<long long>(gridDim.x) * blockDim.x) {
    const cufftComplex a = k[i], b = u[i];
    k[i] = make_cuFloatComplex((a.x * b.x - a.y * b.y) * inv_n, (a.x * b.y + a.y * b.x) * inv_n);
  }
}

// After detail::check_dft_batched: the cuFFT plan's own limit.
void check_cufft_sizes(std::string_view fn, Index batch, Index n) {
  require(n <= INT_MAX && batch <= INT_MAX, fn,
          "cuFFT plans take int sizes; got batch " + std::to_string(batch) + ", n " + std::to_string(n));
}

void run_dft(cufftComplex* d, Index batch, Index n, bool inverse, cudaStream_t stream, std::string_view fn) {
  Plan plan(static_cast<int>(n), CUFFT_C2C, static_cast<int>(batch), stream, fn);
  check_cufft(cufftExecC2C(plan.get(), d, d, inverse ? CUFFT_INVERSE : CUFFT_FORWARD), fn, "cufftExecC2C");
  if (inverse) {
    const long long count = static_cast<long long>(batch * n);
    scale_kernel<<<grid_for(count), 256, 0, stream>>>(d, count, 1.0f / static_cast<float>(n));
    check_cuda(cudaGetLastError(), fn, "scale kernel launch");
  }
  // the plan's destructor waits for this stream before it destroys the plan: run_dft returns after the transform
}

}  // namespace

void dft_batched(std::span<std::complex<float>> span, Index batch, Index n, bool inverse) {
  constexpr std::string_view fn = "seqref::cuda::dft_batched";
  seqref::detail::check_dft_batched(fn, span, batch, n);
  check_cufft_sizes(fn, batch, n);
  std::complex<float>* data = span.data();
  for (Index i = 0; i < batch * n; ++i)
    if (!std::isfinite(data[i].real()) || !std::isfinite(data[i].imag()))
      invalid_argument(fn, "data has a non-finite value at row " + std::to_string(i / n) + ", column " +
                               std::to_string(i % n) + " (shape [" + std::to_string(batch) + ", " + std::to_string(n) +
                               "])");
  require_device(fn);
  DeviceZero device(fn);
  Stream stream(fn);
  static_assert(sizeof(cufftComplex) == sizeof(std::complex<float>));
  DeviceBuffer<cufftComplex> d(batch * n, fn);
  check_cuda(cudaMemcpyAsync(d.get(), data, d.bytes(), cudaMemcpyHostToDevice, stream.get()), fn, "cudaMemcpy H2D");
  run_dft(d.get(), batch, n, inverse, stream.get(), fn);
  check_cuda(cudaMemcpyAsync(data, d.get(), d.bytes(), cudaMemcpyDeviceToHost, stream.get()), fn, "cudaMemcpy D2H");
  check_cuda(cudaStreamSynchronize(stream.get()), fn, "cudaStreamSynchronize");
}

void causal_conv(std::span<const float> kernel_span, std::span<const float> u_span, std::span<float> y_span,
                 Index channels, Index L) {
  constexpr std::string_view fn = "seqref::cuda::causal_conv";
  seqref::detail::check_causal_conv(fn, kernel_span, u_span, y_span, channels, L);
  const float* kernel = kernel_span.data();
  const float* u = u_span.data();
  float* y = y_span.data();
  const std::string shape = "[" + std::to_string(channels) + ", " + std::to_string(L) + "]";
  for (Index i = 0; i < channels * L; ++i) {
    if (!std::isfinite(kernel[i]))
      invalid_argument(fn, "kernel has a non-finite value at [" + std::to_string(i / L) + ", " + std::to_string(i % L) +
                               "] (shape " + shape + ")");
    if (!std::isfinite(u[i]))
      invalid_argument(fn, "u has a non-finite value at [" + std::to_string(i / L) + ", " + std::to_string(i % L) +
                               "] (shape " + shape + ")");
  }
  Index n = 1;
  while (n < 2 * L) n *= 2;
  require(n <= INT_MAX && channels <= INT_MAX, fn, "sizes too large for a cuFFT plan; got shape " + shape);
  require_device(fn);
  DeviceZero device(fn);
  Stream stream(fn);
  const Index bins = n / 2 + 1;
  DeviceBuffer<float> dk(channels * n, fn), du(channels * n, fn);
  DeviceBuffer<cufftComplex> fk(channels * bins, fn), fu(channels * bins, fn);
  // zero-pad each row to n: clear, then copy the L values of every row with one strided copy
  check_cuda(cudaMemsetAsync(dk.get(), 0, dk.bytes(), stream.get()), fn, "cudaMemset");
  check_cuda(cudaMemsetAsync(du.get(), 0, du.bytes(), stream.get()), fn, "cudaMemset");
  const std::size_t row = static_cast<std::size_t>(L) * sizeof(float);
  const std::size_t pitch = static_cast<std::size_t>(n) * sizeof(float);
  check_cuda(cudaMemcpy2DAsync(dk.get(), pitch, kernel, row, row, static_cast<std::size_t>(channels),
                               cudaMemcpyHostToDevice, stream.get()),
             fn, "cudaMemcpy2D H2D (kernel)");
  check_cuda(cudaMemcpy2DAsync(du.get(), pitch, u, row, row, static_cast<std::size_t>(channels), cudaMemcpyHostToDevice,
                               stream.get()),
             fn, "cudaMemcpy2D H2D (u)");
  Plan r2c(static_cast<int>(n), CUFFT_R2C, static_cast<int>(channels), stream.get(), fn);
  Plan c2r(static_cast<int>(n), CUFFT_C2R, static_cast<int>(channels), stream.get(), fn);
  check_cufft(cufftExecR2C(r2c.get(), dk.get(), fk.get()), fn, "cufftExecR2C (kernel)");
  check_cufft(cufftExecR2C(r2c.get(), du.get(), fu.get()), fn, "cufftExecR2C (u)");
  const long long count = static_cast<long long>(channels * bins);
  spectral_product_kernel<<<grid_for(count), 256, 0, stream.get()>>>(fk.get(), fu.get(), count,
                                                                     1.0f / static_cast<float>(n));
  check_cuda(cudaGetLastError(), fn, "spectral product kernel launch");
  check_cufft(cufftExecC2R(c2r.get(), fk.get(), dk.get()), fn, "cufftExecC2R");
  check_cuda(cudaMemcpy2DAsync(y, row, dk.get(), pitch, row, static_cast<std::size_t>(channels), cudaMemcpyDeviceToHost,
                               stream.get()),
             fn, "cudaMemcpy2D D2H");
  check_cuda(cudaStreamSynchronize(stream.get()), fn, "cudaStreamSynchronize");
}

namespace device {

void dft_batched(std::span<std::complex<float>> data, Index batch, Index n, bool inverse, void* stream) {
  constexpr std::string_view fn = "seqref::cuda::device::dft_batched";
  seqref::detail::check_dft_batched(fn, data, batch, n);
  check_cufft_sizes(fn, batch, n);
  run_dft(reinterpret_cast<cufftComplex*>(data.data()), batch, n, inverse, static_cast<cudaStream_t>(stream), fn);
}

}  // namespace device

}  // namespace seqref::cuda
