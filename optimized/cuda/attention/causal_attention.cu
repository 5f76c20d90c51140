// Host launchers of the flash-style causal attention kernel (causal_attention_kernel.cuh).
//
// Two kinds of entry point (declared in seqref/opt/attention/causal_attention.hpp):
//   * host memory: validate exactly like the CPU backend (same checks, same messages), copy in, run on device 0,
//     copy out, then scan the output: a non-finite output row means a logit (or the weighted sum of v) overflowed
//     fp32, reported as std::invalid_argument like the CPU backend reports it;
//   * device memory (`device::`): validate shapes and pointers only (values are on the device), launch on the
//     caller's stream and return; rows whose logits overflow come out NaN.
// Every CUDA call is checked; failures throw std::runtime_error naming the function and the CUDA error.

// Two harmless nvcc front-end warnings from the shared host headers, silenced for this file:
//   20012: Eigen's defaulted members carry __host__ __device__ annotations that nvcc reports as ignored;
//   554:   TensorView<const S>'s conversion to TensorView<const S> is disabled by its requires-clause, which
//          nvcc's front end does not take into account when it warns that the operator will never be called.
#pragma nv_diag_suppress 20012
#pragma nv_diag_suppress 554

#include "../host.cuh"
#include "seqref/opt/attention/causal_attention.hpp"

#include "causal_attention_kernel.cuh"
#include "seqref/core/attention_args.hpp"
#include "seqref/core/bf16.hpp"

#include <cuda_runtime.h>

#include <climits>
#include <cmath>
#include <sstream>
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
using host::Stream;

constexpr std::string_view kHostFn = "seqref::cuda::causal_attention";
constexpr std::string_view kDeviceFn = "seqref::cuda::device::causal_attention";

static_assert(sizeof(bf16) == 2 && alignof(bf16) == 2, "bf16 must be a bare 16-bit value (it is copied to the GPU)");

// ---- device entry points ----------------------------------------------------------------------------------------

/// Shapes and pointers of the device entry points (values live on the device and are not read here).
void check_device_args(const void* q, const void* k, const void* v, const float* out, Index heads, Index len,
                       Index head_dim, Index value_dim, float scale) {
  auto got = [](std::string_view what, Index value) { return std::string(what) + "; got " + std::to_string(value); };
  require(heads >= 1, kDeviceFn, got("heads must be >= 1", heads));
  require(len >= 1, kDeviceFn, got("len must be >= 1", len));
  require(head_dim >= 1 && head_dim <= kernels::kMaxDim, kDeviceFn,
          got("head_dim must be in 1..128 (the CUDA kernel's largest head dim)", head_dim));
  require(value_dim >= 1 && value_dim <= kernels::kMaxDim, kDeviceFn,
          got("value_dim must be in 1..128 (the CUDA kernel's largest value dim)", value_dim));
  require(q != nullptr, kDeviceFn, "q is a null pointer");
  require(k != nullptr, kDeviceFn, "k is a null pointer");
  require(v != nullptr, kDeviceFn, "v is a null pointer");
  require(out != nullptr, kDeviceFn, "out is a null pointer");
  require(std::isfinite(scale), kDeviceFn, "scale must be finite");
  // The kernel indexes rows within a head with int and numbers its blocks with one int grid dimension.
  require(len <= INT_MAX - kernels::kBlockQ, kDeviceFn, got("len is too large for the CUDA kernel", len));
  require(heads <= INT_MAX, kDeviceFn, got("heads is too large for the CUDA kernel", heads));
  const Index blocks = heads * ((len + kernels::kBlockQ - 1) / kernels::kBlockQ);  // < 2^56: no overflow
  require(blocks <= INT_MAX, kDeviceFn,
          "heads * ceil(len / 64) must fit in one grid dimension; got heads " + std::to_string(heads) + ", len " +
              std::to_string(len));
}

template <int D, class In>
void launch_padded(const In* q, const In* k, const In* v, float* out, Index heads, Index len, Index head_dim,
                   Index value_dim, float scale, cudaStream_t stream) {
  auto* kernel = &kernels::causal_attention_forward<D, In>;
  constexpr int smem = kernels::shared_bytes(D);
  // Above 48 KiB a kernel must opt in to dynamic shared memory (H100: up to 227 KiB per block). Set on every
  // launch: it costs about a microsecond of host time, and a cache would go stale after a cudaDeviceReset.
  if constexpr (smem > 48 * 1024) {
    check_cuda(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, smem), kDeviceFn,
               "cudaFuncSetAttribute(MaxDynamicSharedMemorySize)");
  }
  const Index n_qtiles = (len + kernels::kBlockQ - 1) / kernels::kBlockQ;
  const dim3 grid(static_cast<unsigned>(heads * n_qtiles));
  const dim3 block(kernels::kThreads);
  kernel<<<grid, block, smem, stream>>>(q, k, v, out, static_cast<int>(heads), static_cast<int>(len),
                                        static_cast<int>(head_dim), static_cast<int>(value_dim), scale);
  check_cuda(cudaGetLastError(), kDeviceFn, "kernel launch");
}

template <class In>
void launch(const In* q, const In* k, const In* v, float* out, Index heads, Index len, Index head_dim, Index value_dim,
            float scale, void* stream) {
  check_device_args(q, k, v, out, heads, len, head_dim, value_dim, scale);
  auto s = static_cast<cudaStream_t>(stream);
  // One kernel per padded dim; d and dv share it (padding the smaller one costs only its zero columns).
  switch (kernels::padded_dim(head_dim, value_dim)) {
    case 16: return launch_padded<16>(q, k, v, out, heads, len, head_dim, value_dim, scale, s);
    case 32: return launch_padded<32>(q, k, v, out, heads, len, head_dim, value_dim, scale, s);
    case 64: return launch_padded<64>(q, k, v, out, heads, len, head_dim, value_dim, scale, s);
    default: return launch_padded<128>(q, k, v, out, heads, len, head_dim, value_dim, scale, s);
  }
}

// ---- host entry points ------------------------------------------------------------------------------------------

/// A float copy of a bf16 view, for the shared argument checks (widening bf16 → fp32 is exact, so the copy is
/// non-finite exactly where the input is). Views with an empty or negative shape are never read by the checks
/// (the shape checks reject them first), so only their pointer's nullness is carried over.
ConstTensorView<float> widen(ConstTensorView<bf16> x, std::vector<float>& storage) {
  static const float placeholder = 0.0f;
  ConstTensorView<float> w{nullptr, x.heads, x.len, x.dim};
  if (x.data == nullptr) return w;
  if (x.heads < 1 || x.len < 1 || x.dim < 1) {
    w.data = &placeholder;
    return w;
  }
  storage.resize(static_cast<std::size_t>(x.size()));
  for (Index i = 0; i < x.size(); ++i) storage[static_cast<std::size_t>(i)] = to_float(x.data[i]);
  w.data = storage.data();
  return w;
}

/// The CUDA-specific limit of the host entry points (the kernel's largest padded dim), checked after the shared
/// checks have accepted the shapes.
template <class In>
void check_cuda_dims(std::string_view fn, ConstTensorView<In> q, ConstTensorView<In> v) {
  require(q.dim <= kernels::kMaxDim && v.dim <= kernels::kMaxDim, fn,
          "q, k and v must have dim <= 128 on the CUDA backend; got q " + shape_string(q) + ", v " + shape_string(v));
}

/// A non-finite output row after finite, validated inputs can only come from fp32 overflow: of a logit
/// scale·q·k (the kernel turns such a row into NaN) or of the weighted sum of v.
void check_output_finite(TensorView<const float> out) {
  for (Index h = 0; h < out.heads; ++h)
    for (Index t = 0; t < out.len; ++t)
      for (Index c = 0; c < out.dim; ++c)
        if (!std::isfinite(out(h, t, c))) {
          std::ostringstream os;
          os << "logit scale*q.k overflows at head " << h << ", query " << t
             << " (inputs are finite but too large for fp32; or the weighted sum of v overflows)";
          invalid_argument(kHostFn, os.str());
        }
}

/// Copy in, run on device 0, copy out, wait. `q`, `k`, `v` are host arrays of the validated shapes.
template <class In>
void run_on_device_zero(const In* q, const In* k, const In* v, TensorView<float> out, Index heads, Index len,
                        Index head_dim, Index value_dim, float scale) {
  require_device(kHostFn);
  DeviceZero on_device_zero(kHostFn);
  Stream stream(kHostFn);
  DeviceBuffer<In> dq(heads * len * head_dim, kHostFn), dk(heads * len * head_dim, kHostFn),
      dv(heads * len * value_dim, kHostFn);
  DeviceBuffer<float> dout(heads * len * value_dim, kHostFn);
  check_cuda(cudaMemcpyAsync(dq.get(), q, dq.bytes(), cudaMemcpyHostToDevice, stream.get()), kHostFn, "cudaMemcpy q");
  check_cuda(cudaMemcpyAsync(dk.get(), k, dk.bytes(), cudaMemcpyHostToDevice, stream.get()), kHostFn, "cudaMemcpy k");
  check_cuda(cudaMemcpyAsync(dv.get(), v, dv.bytes(), cudaMemcpyHostToDevice, stream.get()), kHostFn, "cudaMemcpy v");
  launch(dq.get(), dk.get(), dv.get(), dout.get(), heads, len, head_dim, value_dim, scale, stream.get());
  check_cuda(cudaMemcpyAsync(out.data, dout.get(), dout.bytes(), cudaMemcpyDeviceToHost, stream.get()), kHostFn,
             "cudaMemcpy out");
  check_cuda(cudaStreamSynchronize(stream.get()), kHostFn, "kernel execution (cudaStreamSynchronize)");
  check_output_finite(out);
}

}  // namespace

void causal_attention(ConstTensorView<float> q, ConstTensorView<float> k, ConstTensorView<float> v,
                      TensorView<float> out, float scale) {
  seqref::detail::check_causal_attention<float>(kHostFn, q, k, v, out, scale);
  check_cuda_dims(kHostFn, q, v);
  run_on_device_zero(q.data, k.data, v.data, out, q.heads, q.len, q.dim, v.dim, scale);
}

void causal_attention(ConstTensorView<bf16> q, ConstTensorView<bf16> k, ConstTensorView<bf16> v, TensorView<float> out,
                      float scale) {
  require(out.data != nullptr, kHostFn, "out has a null data pointer");
  {
    // The shared checks on exact fp32 copies: the same checks and messages as every other backend.
    std::vector<float> qf, kf, vf;
    check_causal_attention_args<float>(kHostFn, widen(q, qf), widen(k, kf), widen(v, vf), scale, out.data,
                                       ConstTensorView<float>(out));
  }
  check_cuda_dims(kHostFn, q, v);
  run_on_device_zero(q.data, k.data, v.data, out, q.heads, q.len, q.dim, v.dim, scale);
}

namespace device {
void causal_attention(ConstTensorView<float> q, ConstTensorView<float> k, ConstTensorView<float> v,
                      TensorView<float> out, float scale, void* stream) {
  seqref::detail::check_causal_attention_shapes(kDeviceFn, q, k, v, out);
  check_cuda_dims(kDeviceFn, q, v);
  launch(q.data, k.data, v.data, out.data, q.heads, q.len, q.dim, v.dim, scale, stream);
}
void causal_attention(ConstTensorView<bf16> q, ConstTensorView<bf16> k, ConstTensorView<bf16> v, TensorView<float> out,
                      float scale, void* stream) {
  seqref::detail::check_causal_attention_shapes(kDeviceFn, q, k, v, out);
  check_cuda_dims(kDeviceFn, q, v);
  launch(q.data, k.data, v.data, out.data, q.heads, q.len, q.dim, v.dim, scale, stream);
}
}  // namespace device

}  // namespace seqref::cuda
