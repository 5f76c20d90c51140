// Chunked SSD on CUDA (Mamba-2, arXiv 2405.21060): eq. (4) of seqref/ref/ssm/ssd.hpp in three kernels, fp32.
//
//   1. chunk_state_kernel   one block per (chunk, head, batch): exponents of the chunk (segment sums, the device
//                           function chunk_segsum_column shared with ssd_chunk_decays), w_s = exp(seg[last, s]),
//                           S_c = X_cᵀ diag(w) B_c into the workspace, g_c = exp(a_0 + seg[last, 0]).
//   2. state_pass_kernel    the inter-chunk recurrence H_c = g_c H_{c−1} + S_c, H_{−1} = h0, by the CUDA scan engine
//                           (optimized/cuda/scan/engine.cuh: Affine<1>, scan_tile with a carried prefix): one
//                           thread block per state entry (batch, head, p, n) walks the chunks; H_c overwrites S_c in
//                           place (each step is loaded and emitted by the same thread); the last one is h_final.
//   3. chunk_output_kernel  one block per (chunk, head, batch): L = exp(seg) (0 above the diagonal),
//                           G = L ∘ C Bᵀ, Y = G X + diag(v) C H_{c−1}ᵀ with v_t = exp(a_0 + seg[t, 0]).
//
// All exponents are segment sums within one chunk (never differences of cumulative sums): <= 0 when a <= 0.
// Shared memory holds the chunk's X, B, C and the q×q decay matrix (chunk <= 64).
// Entry points (seqref/opt/ssm/ssd.hpp): host memory — the cpu backend's argument checks, copy in, run on device 0,
// copy out; device memory (`device::`) — shape and pointer checks only, asynchronous on the caller's stream.

#pragma nv_diag_suppress 20012
#pragma nv_diag_suppress 554

#include "../host.cuh"
#include "cuda/scan/engine.cuh"
#include "seqref/opt/ssm/ssd.hpp"

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

constexpr std::string_view kHostFn = "seqref::cuda::ssd";
constexpr std::string_view kDeviceFn = "seqref::cuda::device::ssd";
constexpr int kMaxChunk = static_cast<int>(blocking::ssd::max_chunk);
constexpr int kThreads = static_cast<int>(blocking::ssd::threads);
constexpr int kScanThreads = static_cast<int>(blocking::ssd::scan_threads),
              kScanItems = static_cast<int>(blocking::ssd::scan_items);

struct Dims {
  int batch, len, heads, P, groups, N, Q, nc;
};

/// Column j of the chunk's exponents: seg[i, j] = a_{j+1} + … + a_i for i > j (summed in order, the cpu kernel's
/// and the reference's order), 0 for i <= j. seg is q×q with leading dimension ld.
__device__ inline void chunk_segsum_column(const float* a, int q, int j, float* seg, int ld) {
  float s = 0.f;
  for (int i = 0; i < q; ++i) {
    if (i > j) s += a[i];
    seg[i * ld + j] = i > j ? s : 0.f;
  }
}

__global__ void decays_kernel(const float* __restrict__ a, int q, float* __restrict__ seg, float* __restrict__ cs) {
  for (int j = threadIdx.x; j < q; j += blockDim.x) chunk_segsum_column(a, q, j, seg, q);
  __syncthreads();
  for (int i = threadIdx.x; i < q; i += blockDim.x) cs[i] = a[0] + seg[i * q];
}

__global__ void chunk_state_kernel(const float* __restrict__ X, const float* __restrict__ A,
                                   const float* __restrict__ B, float* __restrict__ states, float* __restrict__ decays,
                                   Dims d) {
  extern __shared__ float smem[];
  const int c = blockIdx.x, h = blockIdx.y, b = blockIdx.z, g = h / (d.heads / d.groups);
  const int t0 = c * d.Q, q = min(d.len, t0 + d.Q) - t0;
  float* xs = smem;            // [q, P]
  float* bs = xs + d.Q * d.P;  // [q, N], scaled by w
  float* as = bs + d.Q * d.N;  // [q]
  float* ws = as + d.Q;        // [q]
  for (int i = threadIdx.x; i < q; i += blockDim.x)
    as[i] = A[(static_cast<long long>(b) * d.len + t0 + i) * d.heads + h];
  __syncthreads();
  // w_s = exp(seg[last, s]) = exp(a_{s+1} + … + a_last), in the order of chunk_segsum_column
  for (int s = threadIdx.x; s < q; s += blockDim.x) {
    float acc = 0.f;
    for (int i = s + 1; i < q; ++i) acc += as[i];
    ws[s] = expf(acc);
    if (s == 0) decays[(static_cast<long long>(b) * d.heads + h) * d.nc + c] = expf(as[0] + acc);
  }
  __syncthreads();
  for (int k = threadIdx.x; k < q * d.P; k += blockDim.x) {
    const int s = k / d.P, p = k % d.P;
    xs[k] = X[((static_cast<long long>(b) * d.len + t0 + s) * d.heads + h) * d.P + p];
  }
  for (int k = threadIdx.x; k < q * d.N; k += blockDim.x) {
    const int s = k / d.N, n = k % d.N;
    bs[k] = ws[s] * B[((static_cast<long long>(b) * d.len + t0 + s) * d.groups + g) * d.N + n];
  }
  __syncthreads();
  float* out = states + ((static_cast<long long>(b) * d.heads + h) * d.nc + c) * d.P * d.N;
  for (int k = threadIdx.x; k < d.P * d.N; k += blockDim.x) {
    const int p = k / d.N, n = k % d.N;
    float acc = 0.f;
    for (int s = 0; s < q; ++s) acc = fmaf(xs[s * d.P + p], bs[s * d.N + n], acc);
    out[k] = acc;
  }
}

__global__ void state_pass_kernel(float* __restrict__ states, const float* __restrict__ decays,
                                  const float* __restrict__ h0, float* __restrict__ h_final, int nc, int PN) {
  using BlockScan = cub::BlockScan<scan::Affine<1>, kScanThreads>;
  __shared__ typename BlockScan::TempStorage temp;
  const long long lane = blockIdx.x;  // (b·heads + h)·PN + k
  const long long bh = lane / PN;
  const int k = static_cast<int>(lane % PN);
  scan::CarriedPrefix<1> carry;
  carry.running.J[0] = 1.f;
  carry.running.b[0] = h0 ? h0[lane] : 0.f;
  float* st = states + bh * nc * PN + k;
  const float* dec = decays + bh * nc;
  for (long long tile = 0; tile < nc; tile += kScanThreads * kScanItems) {
    scan::scan_tile<1, kScanThreads, kScanItems>(
        tile, nc, carry, temp,
        [&](long long t, scan::Affine<1>& step) {
          step.J[0] = dec[t];
          step.b[0] = st[t * PN];
        },
        [&](long long t, const float(&x)[1]) {
          st[t * PN] = x[0];
          if (h_final && t == nc - 1) h_final[lane] = x[0];
        });
  }
}

__global__ void chunk_output_kernel(const float* __restrict__ X, const float* __restrict__ A,
                                    const float* __restrict__ B, const float* __restrict__ C,
                                    const float* __restrict__ h0, const float* __restrict__ states,
                                    float* __restrict__ Y, Dims d) {
  extern __shared__ float smem[];
  const int c = blockIdx.x, h = blockIdx.y, b = blockIdx.z, g = h / (d.heads / d.groups);
  const int t0 = c * d.Q, q = min(d.len, t0 + d.Q) - t0;
  float* xs = smem;            // [q, P]
  float* bs = xs + d.Q * d.P;  // [q, N]
  float* cs = bs + d.Q * d.N;  // [q, N]
  float* Ls = cs + d.Q * d.N;  // [q, q]: exponents, then L, then G
  float* as = Ls + d.Q * d.Q;  // [q]
  float* vs = as + d.Q;        // [q]
  const long long row0 = static_cast<long long>(b) * d.len + t0;
  for (int i = threadIdx.x; i < q; i += blockDim.x) as[i] = A[(row0 + i) * d.heads + h];
  for (int k = threadIdx.x; k < q * d.P; k += blockDim.x) xs[k] = X[((row0 + k / d.P) * d.heads + h) * d.P + k % d.P];
  for (int k = threadIdx.x; k < q * d.N; k += blockDim.x) {
    const long long at = ((row0 + k / d.N) * d.groups + g) * d.N + k % d.N;
    bs[k] = B[at];
    cs[k] = C[at];
  }
  __syncthreads();
  for (int j = threadIdx.x; j < q; j += blockDim.x) chunk_segsum_column(as, q, j, Ls, q);
  __syncthreads();
  for (int i = threadIdx.x; i < q; i += blockDim.x) vs[i] = expf(as[0] + Ls[i * q]);
  __syncthreads();  // column 0 of Ls is read above and overwritten below
  // G[i, j] = exp(seg[i, j]) (C_i · B_j) for j <= i, 0 above
  for (int k = threadIdx.x; k < q * q; k += blockDim.x) {
    const int i = k / q, j = k % q;
    float v = 0.f;
    if (j <= i) {
      float acc = 0.f;
      for (int n = 0; n < d.N; ++n) acc = fmaf(cs[i * d.N + n], bs[j * d.N + n], acc);
      v = expf(Ls[k]) * acc;
    }
    Ls[k] = v;
  }
  __syncthreads();
  const float* H = c > 0 ? states + ((static_cast<long long>(b) * d.heads + h) * d.nc + c - 1) * d.P * d.N
                         : (h0 ? h0 + (static_cast<long long>(b) * d.heads + h) * d.P * d.N : nullptr);
  for (int k = threadIdx.x; k < q * d.P; k += blockDim.x) {
    const int i = k / d.P, p = k % d.P;
    float acc = 0.f;
    for (int j = 0; j <= i; ++j) acc = fmaf(Ls[i * q + j], xs[j * d.P + p], acc);
    if (H) {
      float r = 0.f;
      for (int n = 0; n < d.N; ++n) r = fmaf(H[p * d.N + n], cs[i * d.N + n], r);
      acc = fmaf(vs[i], r, acc);
    }
    Y[((row0 + i) * d.heads + h) * d.P + p] = acc;
  }
}

Dims dims_of(const SsdShape& s, Index chunk) {
  const int Q = static_cast<int>(std::min<Index>(chunk, s.len));
  return {static_cast<int>(s.batch),
          static_cast<int>(s.len),
          static_cast<int>(s.heads),
          static_cast<int>(s.headdim),
          static_cast<int>(s.groups),
          static_cast<int>(s.dstate),
          Q,
          static_cast<int>((s.len + Q - 1) / Q)};
}

// Dynamic shared memory of the chunk-state and chunk-output kernels: one chunk's X, B (and C) and decays, and the
// output kernel's Q × Q decay block. P and N have no bound of their own: this is the one that matters.
std::size_t state_shared_bytes(const Dims& d) {
  return static_cast<std::size_t>(d.Q) * (static_cast<std::size_t>(d.P) + d.N + 2) * sizeof(float);
}
std::size_t output_shared_bytes(const Dims& d) {
  return static_cast<std::size_t>(d.Q) * (static_cast<std::size_t>(d.P) + 2 * static_cast<std::size_t>(d.N) + d.Q + 2) *
         sizeof(float);
}
std::string shared_memory_what(const Dims& d) {
  return "P = " + std::to_string(d.P) + ", N = " + std::to_string(d.N) + " at chunk " + std::to_string(d.Q) +
         " (Q(P + 2N + Q + 2) floats)";
}

void check_device_shape(const SsdShape& s, Index chunk, std::string_view fn = kDeviceFn) {
  require(s.batch >= 1 && s.len >= 1 && s.heads >= 1 && s.headdim >= 1 && s.groups >= 1 && s.dstate >= 1, fn,
          "every size must be >= 1; got " + s.to_string());
  require(s.heads % s.groups == 0, fn, "groups must divide heads; got " + s.to_string());
  require(chunk >= 1 && chunk <= kMaxChunk, fn,
          "chunk must be in [1, " + std::to_string(kMaxChunk) + "]; got " + std::to_string(chunk));
  require(s.heads <= 65535 && s.batch <= 65535, fn,
          "heads and batch must be <= 65535 (grid dimensions); got " + s.to_string());
  require(s.x_size() <= INT_MAX && s.bc_size() <= INT_MAX && s.batch * s.heads * s.headdim * s.dstate <= INT_MAX, fn,
          "sizes must fit in int; got " + s.to_string());
}

}  // namespace

namespace device {

std::size_t ssd_workspace_bytes(const SsdShape& s, Index chunk) {
  check_device_shape(s, chunk);
  const Dims d = dims_of(s, chunk);
  const std::size_t bh = static_cast<std::size_t>(d.batch) * d.heads;
  return bh * d.nc * (static_cast<std::size_t>(d.P) * d.N + 1) * sizeof(float);
}

void ssd(const SsdProblem<float>& problem, std::span<float> Y_span, std::span<float> h_final_span, Index chunk,
         std::span<std::byte> workspace, void* stream) {
  const SsdShape& shape = problem.shape;
  seqref::detail::check_ssd_shapes<float>(kDeviceFn, problem, Y_span, h_final_span);
  check_device_shape(shape, chunk);
  const std::size_t ws_bytes = ssd_workspace_bytes(shape, chunk);
  require(workspace.size() == ws_bytes, kDeviceFn,
          "workspace must span ssd_workspace_bytes(shape, chunk) = " + std::to_string(ws_bytes) + " bytes for " +
              shape.to_string() + ", chunk " + std::to_string(chunk) + "; got " + std::to_string(workspace.size()));
  const float *X = problem.X.data(), *A = problem.A.data(), *B = problem.B.data(), *C = problem.C.data();
  const float* h0 = problem.h0.empty() ? nullptr : problem.h0.data();
  float* Y = Y_span.data();
  float* h_final = h_final_span.empty() ? nullptr : h_final_span.data();
  const Dims d = dims_of(shape, chunk);
  auto s = static_cast<cudaStream_t>(stream);
  const long long bh = static_cast<long long>(d.batch) * d.heads, PN = static_cast<long long>(d.P) * d.N;
  float* states = reinterpret_cast<float*>(workspace.data());
  float* decays = states + bh * d.nc * PN;
  const dim3 grid(static_cast<unsigned>(d.nc), static_cast<unsigned>(d.heads), static_cast<unsigned>(d.batch));
  const std::size_t smem1 = state_shared_bytes(d), smem3 = output_shared_bytes(d);
  host::allow_dynamic_shared_memory(chunk_state_kernel, smem1, kDeviceFn, shared_memory_what(d));
  host::allow_dynamic_shared_memory(chunk_output_kernel, smem3, kDeviceFn, shared_memory_what(d));
  chunk_state_kernel<<<grid, kThreads, smem1, s>>>(X, A, B, states, decays, d);
  check_cuda(cudaGetLastError(), kDeviceFn, "chunk_state_kernel launch");
  const long long lanes = bh * PN;
  require(lanes <= INT_MAX, kDeviceFn, "batch·heads·P·N must fit in int");
  state_pass_kernel<<<static_cast<unsigned>(lanes), kScanThreads, 0, s>>>(states, decays, h0, h_final, d.nc,
                                                                          static_cast<int>(PN));
  check_cuda(cudaGetLastError(), kDeviceFn, "state_pass_kernel launch");
  chunk_output_kernel<<<grid, kThreads, smem3, s>>>(X, A, B, C, h0, states, Y, d);
  check_cuda(cudaGetLastError(), kDeviceFn, "chunk_output_kernel launch");
}

}  // namespace device

Index ssd(const SsdProblem<float>& pr, std::span<float> Y, std::span<float> h_final, SsdOptions options) {
  seqref::detail::check_ssd<float>(kHostFn, pr, Y, h_final);
  seqref::detail::check_ssd_options<float>(kHostFn, options);
  const Index Q = std::min<Index>(options.chunk > 0 ? options.chunk : kMaxChunk, pr.shape.len);
  require(Q <= kMaxChunk, kHostFn,
          "options.chunk must be <= " + std::to_string(kMaxChunk) + " on CUDA; got " + std::to_string(options.chunk));
  require_device(kHostFn);
  DeviceZero on_device_zero(kHostFn);
  const SsdShape& sh = pr.shape;
  check_device_shape(sh, Q, kHostFn);
  // before any allocation: the larger of the two kernels' shared memory must fit this device
  host::require_dynamic_shared_memory(output_shared_bytes(dims_of(sh, Q)), kHostFn, shared_memory_what(dims_of(sh, Q)));
  DeviceBuffer<float> dX(sh.x_size(), kHostFn), dA(sh.a_size(), kHostFn), dB(sh.bc_size(), kHostFn),
      dC(sh.bc_size(), kHostFn), dY(sh.x_size(), kHostFn), dh0(pr.h0.empty() ? 1 : sh.state_size(), kHostFn),
      dhf(h_final.empty() ? 1 : sh.state_size(), kHostFn);
  DeviceBuffer<char> ws(static_cast<Index>(device::ssd_workspace_bytes(sh, Q)), kHostFn);
  dX.upload(pr.X.data(), nullptr);
  dA.upload(pr.A.data(), nullptr);
  dB.upload(pr.B.data(), nullptr);
  dC.upload(pr.C.data(), nullptr);
  if (!pr.h0.empty()) dh0.upload(pr.h0.data(), nullptr);
  auto dspan = [](DeviceBuffer<float>& b, Index n) { return std::span<float>(b.get(), static_cast<std::size_t>(n)); };
  SsdProblem<float> dp{sh,
                       dspan(dX, sh.x_size()),
                       dspan(dA, sh.a_size()),
                       dspan(dB, sh.bc_size()),
                       dspan(dC, sh.bc_size()),
                       pr.h0.empty() ? std::span<float>{} : dspan(dh0, sh.state_size())};
  device::ssd(dp, dspan(dY, sh.x_size()), h_final.empty() ? std::span<float>{} : dspan(dhf, sh.state_size()), Q,
              std::span<std::byte>(reinterpret_cast<std::byte*>(ws.get()), ws.bytes()), nullptr);
  check_cuda(cudaDeviceSynchronize(), kHostFn, "cudaDeviceSynchronize");
  dY.download(Y.data(), nullptr);
  if (!h_final.empty()) dhf.download(h_final.data(), nullptr);
  return Q;
}

void ssd_chunk_decays(std::span<const float> a_span, Index q, std::span<float> seg_span, std::span<float> cs_span) {
  constexpr std::string_view fn = "seqref::cuda::ssd_chunk_decays";
  seqref::detail::check_ssd_chunk_decays<float>(fn, a_span, q, seg_span, cs_span, kMaxChunk);
  const float* a = a_span.data();
  float* seg = seg_span.data();
  float* cs = cs_span.data();
  require_device(fn);
  DeviceZero on_device_zero(fn);
  DeviceBuffer<float> da(q, fn), dseg(q * q, fn), dcs(q, fn);
  da.upload(a, nullptr);
  decays_kernel<<<1, 64>>>(da.get(), static_cast<int>(q), dseg.get(), dcs.get());
  check_cuda(cudaGetLastError(), fn, "decays_kernel launch");
  check_cuda(cudaDeviceSynchronize(), fn, "cudaDeviceSynchronize");
  dseg.download(seg, nullptr);
  dcs.download(cs, nullptr);
}

}  // namespace seqref::cuda
