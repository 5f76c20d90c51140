// HiPPO-LegS online memory on CUDA (kexue.fm/archives/10137, "计算高效"), batched over channels: the scan engine's
// sequential_lanes (cuda/scan/engine.cuh), one thread per channel, runs the fused O(N) step of
// seqref::cpu::hippo_legs_online (cumulative-sum matvec, then the post's scalar recurrence for the solve), reading x_k from its own row k−1 of `states` and writing x_{k+1} to row k. The step
// coefficients (a_n, b_n, w_k) are shared by all threads and computed on the fly (cheap beside the memory traffic).
//
// Entry points (declared in seqref/opt/ssm/hippo.hpp): host memory — the CPU backend's argument checks, copy in,
// run on device 0, copy out; device memory (`device::`) — shape and pointer checks only, asynchronous on the
// caller's stream. Every CUDA call is checked; failures throw std::runtime_error naming the function and the error.
// Not yet run on a GPU (this machine has none): tools/gpu-verify runs the `gpu` tests.

#pragma nv_diag_suppress 20012
#pragma nv_diag_suppress 554

#include "cuda/host.cuh"
#include "cuda/scan/engine.cuh"
#include "seqref/opt/ssm/hippo.hpp"

#include <cuda_runtime.h>

#include <climits>
#include <stdexcept>
#include <string>
#include <string_view>

namespace seqref::cuda {

namespace {

using host::check_cuda;
using host::DeviceBuffer;
using host::DeviceZero;
using host::require_device;

constexpr std::string_view kHostFn = "seqref::cuda::hippo_legs_online";
constexpr std::string_view kDeviceFn = "seqref::cuda::device::hippo_legs_online";
constexpr int kThreads = static_cast<int>(blocking::hippo::threads);

// The LegS step as an opaque policy of the scan engine (cuda/scan/engine.cuh, sequential_lanes): lane = channel;
// the state is a cursor to the channel's current row of `states` (x_k is read from row k−1, x_{k+1} written to
// row k), so nothing but the output is stored.
struct LegsPolicy {
  const float* __restrict__ u;
  float* __restrict__ states;
  int channels, L, N;
  float b_scale;
  bool log_weight;

  __device__ long long lanes() const { return channels; }
  __device__ long long len() const { return L; }
  __device__ float* initial(long long c) const { return states + c * L * N; }
  __device__ void emit(long long, long long, float* const&) const {}  // the step wrote row k in place

  __device__ void step(long long c, long long k, float*& row) const {
    const float* uc = u + c * L;
    if (k == 0) {  // x_1 = B_0 u_0 e_0 (exact on [0, ε]); row already points at row 0
      row[0] = b_scale * uc[0];
      for (int n = 1; n < N; ++n) row[n] = 0.0f;
      return;
    }
    const float kk = static_cast<float>(k);
    const float w = log_weight ? logf((kk + 1.0f) / kk) : 1.0f / kk;
    const float cc = 1.0f / (2.0f * kk);
    const float lambda = 1.0f / (2.0f * (kk + 1.0f));
    const float uk = uc[k];
    const float* x = row;
    float* z = row + N;
    float cum = 0.0f, s_prev = 0.0f;
    for (int n = 0; n < N; ++n) {
      const float nn = static_cast<float>(n);
      const float v = sqrtf(static_cast<float>(2 * n + 1));
      const float denom = 1.0f + lambda * nn + lambda;
      const float a = (1.0f - lambda * nn) / denom, b = v / denom;
      const float xn = x[n];
      cum += v * xn;                                                             // Σ_{j≤n} √(2j+1) x_j
      const float r = xn + cc * (nn * xn - v * cum) + (w * (b_scale * v)) * uk;  // ((I + A/(2k))x + w B u)_n
      const float sn = a * s_prev + b * r;                                       // the post's recurrence
      z[n] = (sn - s_prev) / v;
      s_prev = sn;
    }
    row = z;
  }
};

// After detail::check_legs_online_shapes: the kernel indexes with int.
void check_int_sizes(Index channels, Index len, Index N) {
  require(channels <= INT_MAX && len <= INT_MAX && N <= INT_MAX, kDeviceFn, "sizes must fit in int");
}

}  // namespace

namespace device {
void hippo_legs_online(ConstTensorView<float> u_view, TensorView<float> states_view, LegsOnlineOptions options,
                       void* stream) {
  seqref::detail::check_legs_online_shapes<float>(kDeviceFn, u_view, states_view, options);
  const Index channels = u_view.heads, len = u_view.len, N = states_view.dim;
  check_int_sizes(channels, len, N);
  const float* u = u_view.data;
  float* states = states_view.data;
  const unsigned blocks = static_cast<unsigned>((channels + kThreads - 1) / kThreads);
  const LegsPolicy policy{u,
                          states,
                          static_cast<int>(channels),
                          static_cast<int>(len),
                          static_cast<int>(N),
                          static_cast<float>(options.b_scale),
                          options.log_weight};
  scan::sequential_lanes<<<blocks, kThreads, 0, static_cast<cudaStream_t>(stream)>>>(policy);
  check_cuda(cudaGetLastError(), kDeviceFn, "kernel launch");
}
}  // namespace device

void hippo_legs_online(ConstTensorView<float> u, TensorView<float> states, LegsOnlineOptions options) {
  seqref::detail::check_legs_online_args<float>(kHostFn, u, states, options);
  require_device(kHostFn);
  DeviceZero on_device_zero(kHostFn);
  DeviceBuffer<float> du(u.size(), kHostFn), ds(states.size(), kHostFn);
  du.upload(u.data, nullptr);
  device::hippo_legs_online(ConstTensorView<float>{du.get(), u.heads, u.len, u.dim},
                            TensorView<float>{ds.get(), states.heads, states.len, states.dim}, options, nullptr);
  check_cuda(cudaDeviceSynchronize(), kHostFn, "cudaDeviceSynchronize");
  ds.download(states.data, nullptr);
}

}  // namespace seqref::cuda
