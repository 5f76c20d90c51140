// CUDA Cauchy and Vandermonde kernels for S4 / S4D (the hot loops), fp32, host-memory entry points declared in
// seqref/opt/ssm/s4.hpp.
//
//   Cauchy      grid (node blocks, channels); one thread per (channel, node) accumulates Σ_n w_n/(z − λ_n) over
//               tiles of (w, λ) staged in shared memory; the division as w·conj(d)·rcp(|d|²) with the correctly
//               rounded __frcp_rn; the poles summed in blocks of 32 into a fresh float partial sum, the partial
//               sums added up in double (error ~32u instead of ~N u, as on the CPU).
//   Vandermonde grid (tap blocks, channels); one thread per (channel, j) accumulates 2 Σ_n Re(w_n z_n^j) with
//               z^j = |z|^j e^{ijθ} evaluated directly (no running product, so no error grows with j): the host
//               gives log2|z| and θ/π in double; the phase j·θ/π is formed and reduced mod 2 in double, then
//               sincospif / exp2f in fp32.
// Every CUDA call is checked; failures throw std::runtime_error naming the function and the CUDA error.

#pragma nv_diag_suppress 20012
#pragma nv_diag_suppress 554

#include "../host.cuh"
#include "seqref/opt/backend.hpp"
#include "seqref/opt/ssm/s4.hpp"

#include "seqref/core/validate.hpp"

#include <cuda_runtime.h>

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
using host::require_device;

constexpr int kThreads = static_cast<int>(blocking::s4::threads);
constexpr int kPoleBlock = static_cast<int>(blocking::s4::pole_block);

// After the shared checks (seqref/opt/ssm/s4.hpp): the CUDA grid's own limits.
void check_grid(std::string_view fn, Index channels, const char* len_name, Index len) {
  require(len <= (Index(1) << 30) && channels <= 65535, fn,
          "sizes exceed the CUDA grid (channels <= 65535, " + std::string(len_name) + " <= 2^30); got channels " +
              std::to_string(channels) + ", " + len_name + " " + std::to_string(len));
}

void check_finite(std::string_view fn, const std::complex<float>* x, Index n, const char* name) {
  for (Index i = 0; i < n; ++i)
    if (!std::isfinite(x[i].real()) || !std::isfinite(x[i].imag()))
      invalid_argument(fn, std::string(name) + " has a non-finite value at flat index " + std::to_string(i));
}

// ---- kernels --------------------------------------------------------------------------------------------------------

__global__ void cauchy_kernel_f32(const float2* __restrict__ w, const float2* __restrict__ lambda,
                                  const float2* __restrict__ z, float2* __restrict__ out, int N, int nodes) {
  __shared__ float2 sw[kThreads], sl[kThreads];
  const int c = blockIdx.y;
  const int k = blockIdx.x * kThreads + threadIdx.x;
  const float2 zk = k < nodes ? z[k] : make_float2(0.0f, 0.0f);
  double ar = 0.0, ai = 0.0;  // the totals of the 32-pole float partial sums
  for (int n0 = 0; n0 < N; n0 += kThreads) {
    const int n = n0 + threadIdx.x;
    if (n < N) {
      sw[threadIdx.x] = w[static_cast<long long>(c) * N + n];
      sl[threadIdx.x] = lambda[static_cast<long long>(c) * N + n];
    }
    __syncthreads();
    const int count = min(kThreads, N - n0);
    for (int i0 = 0; i0 < count; i0 += kPoleBlock) {  // a fresh partial sum per block of poles, then the total
      const int i1 = min(count, i0 + kPoleBlock);
      float pr = 0.0f, pi = 0.0f;
      for (int i = i0; i < i1; ++i) {
        const float dr = zk.x - sl[i].x, di = zk.y - sl[i].y;
        const float r = __frcp_rn(fmaf(dr, dr, di * di));
        const float nr = fmaf(sw[i].x, dr, sw[i].y * di), ni = fmaf(sw[i].y, dr, -sw[i].x * di);  // w·conj(d)
        pr = fmaf(nr, r, pr);
        pi = fmaf(ni, r, pi);
      }
      ar += pr;
      ai += pi;
    }
    __syncthreads();
  }
  if (k < nodes)
    out[static_cast<long long>(c) * nodes + k] = make_float2(static_cast<float>(ar), static_cast<float>(ai));
}

/// Per mode: w (float2), log2|z| and θ/π (double).
struct Mode {
  float2 w;
  double log2r;
  double t;
};

__global__ void vandermonde_kernel_f32(const Mode* __restrict__ modes, float* __restrict__ out, int N, int L) {
  __shared__ Mode sm[kThreads];
  const int c = blockIdx.y;
  const int j = blockIdx.x * kThreads + threadIdx.x;
  float acc = 0.0f;
  for (int n0 = 0; n0 < N; n0 += kThreads) {
    const int n = n0 + threadIdx.x;
    if (n < N) sm[threadIdx.x] = modes[static_cast<long long>(c) * N + n];
    __syncthreads();
    const int count = min(kThreads, N - n0);
    for (int i = 0; i < count; ++i) {
      const Mode m = sm[i];
      double ph = static_cast<double>(j) * m.t;  // j·θ/π, reduced mod 2 exactly enough in double
      ph -= 2.0 * rint(0.5 * ph);
      float s, co;
      sincospif(static_cast<float>(ph), &s, &co);
      const float mag = j == 0 ? 1.0f : exp2f(static_cast<float>(static_cast<double>(j) * m.log2r));
      acc = fmaf(mag, fmaf(m.w.x, co, -m.w.y * s), acc);  // Re(w z^j) = |z|^j (Re w cos − Im w sin)
    }
    __syncthreads();
  }
  if (j < L) out[static_cast<long long>(c) * L + j] = 2.0f * acc;
}

}  // namespace

void cauchy_kernel(std::span<const std::complex<float>> w_span, std::span<const std::complex<float>> lambda_span,
                   std::span<const std::complex<float>> z_span, std::span<std::complex<float>> out_span, Index channels,
                   Index N, Index nodes) {
  constexpr std::string_view fn = "seqref::cuda::cauchy_kernel";
  seqref::detail::check_cauchy_kernel<float>(fn, w_span, lambda_span, z_span, out_span, channels, N, nodes);
  check_grid(fn, channels, "nodes", nodes);
  const std::complex<float>* w = w_span.data();
  const std::complex<float>* lambda = lambda_span.data();
  const std::complex<float>* z = z_span.data();
  std::complex<float>* out = out_span.data();
  check_finite(fn, w, channels * N, "w");
  check_finite(fn, lambda, channels * N, "lambda");
  check_finite(fn, z, nodes, "z");
  require_device(fn);
  DeviceZero on_device_zero(fn);
  DeviceBuffer<float2> dw(channels * N, fn), dl(channels * N, fn), dz(nodes, fn), dout(channels * nodes, fn);
  dw.upload(w, nullptr);
  dl.upload(lambda, nullptr);
  dz.upload(z, nullptr);
  const dim3 grid(static_cast<unsigned>((nodes + kThreads - 1) / kThreads), static_cast<unsigned>(channels));
  cauchy_kernel_f32<<<grid, kThreads>>>(dw.get(), dl.get(), dz.get(), dout.get(), static_cast<int>(N),
                                        static_cast<int>(nodes));
  check_cuda(cudaGetLastError(), fn, "kernel launch");
  check_cuda(cudaDeviceSynchronize(), fn, "kernel execution");
  dout.download(out, nullptr);
}

void vandermonde_kernel(std::span<const std::complex<float>> w_span, std::span<const std::complex<float>> z_span,
                        std::span<float> out_span, Index channels, Index N, Index L) {
  constexpr std::string_view fn = "seqref::cuda::vandermonde_kernel";
  seqref::detail::check_vandermonde_kernel<float>(fn, w_span, z_span, out_span, channels, N, L);
  check_grid(fn, channels, "L", L);
  const std::complex<float>* w = w_span.data();
  const std::complex<float>* z = z_span.data();
  float* out = out_span.data();
  check_finite(fn, w, channels * N, "w");
  check_finite(fn, z, channels * N, "z");
  require_device(fn);
  std::vector<Mode> modes(static_cast<std::size_t>(channels * N));
  for (Index i = 0; i < channels * N; ++i) {
    const std::complex<double> zd(z[i]);
    const double r = std::abs(zd);
    modes[static_cast<std::size_t>(i)] = {make_float2(w[i].real(), w[i].imag()), r > 0 ? std::log2(r) : -HUGE_VAL,
                                          std::arg(zd) / M_PI};
  }
  DeviceZero on_device_zero(fn);
  DeviceBuffer<Mode> dm(channels * N, fn);
  DeviceBuffer<float> dout(channels * L, fn);
  dm.upload(modes.data(), nullptr);
  const dim3 grid(static_cast<unsigned>((L + kThreads - 1) / kThreads), static_cast<unsigned>(channels));
  vandermonde_kernel_f32<<<grid, kThreads>>>(dm.get(), dout.get(), static_cast<int>(N), static_cast<int>(L));
  check_cuda(cudaGetLastError(), fn, "kernel launch");
  check_cuda(cudaDeviceSynchronize(), fn, "kernel execution");
  dout.download(out, nullptr);
}

}  // namespace seqref::cuda
