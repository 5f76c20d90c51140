// Fused selective-scan forward on CUDA (Mamba S6, arXiv 2312.00752; equations (1)-(6) of
// seqref/ref/ssm/selective_scan.hpp), fp32, built on the scan engine's block scan (cuda/scan/engine.cuh).
//
// One thread block (128 threads) per (sequence β, group of G = 8 consecutive channels). The time axis is walked in
// tiles of 128 × ITEMS steps (ITEMS = 2, 4, 8, 16: tiles of 256..2048). Per tile:
//   1. stage u and Δ = softplus(δ + bias) of the tile's [TILE, G] block in shared memory (read coalesced: G channels
//      are 32 contiguous bytes of a [batch, T, channels] row; stored bank-conflict-free for the scans' loads);
//   2. for every state n: B_t[n] and C_t[n] of the thread's ITEMS steps go to registers (read once, reused by the G
//      channels); for every channel g, scan::scan_tile over the affine steps (exp(Δ A[c, n]), B̄ u) with the
//      carried prefix of (g, n) — held in shared memory between tiles (G·dstate of them) — and the emitted states
//      are consumed at once: y[g][k] += C_t[n] h_t[n], accumulated in registers. No h is ever stored;
//   3. y + D u goes back to shared memory, and is written out coalesced with the silu(z) gate applied.
// The carried prefix of (g, n) after the last tile holds h_T in its b: that is h_last.
//
// DRAM traffic per (β, t, c): u, δ, y (and z) once each — 12 (16) bytes — plus B, C per (β, t) shared by all
// channels (L2-resident) and A, D, bias per channel: the kernel is meant to run at memory bandwidth.
//
// Entry points (declared in seqref/opt/ssm/selective_scan.hpp): host memory — the reference's argument checks, copy
// in, run on device 0, copy out; device memory (`device::`) — shape and size checks only, asynchronous on the
// caller's stream. Not yet run on a GPU (this machine has none): tools/gpu-verify runs the `gpu` tests.

#include "../host.cuh"
#include "cuda/scan/engine.cuh"
#include "seqref/opt/ssm/selective_scan.hpp"

#include <cuda_runtime.h>

#include <algorithm>
#include <climits>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

namespace seqref::cuda {

namespace {

using host::check_cuda;

constexpr std::string_view kHostFn = "seqref::cuda::selective_scan";
constexpr std::string_view kDeviceFn = "seqref::cuda::device::selective_scan";
constexpr int kThreads = static_cast<int>(blocking::selective_scan::threads);
constexpr int kGroup = static_cast<int>(
    blocking::selective_scan::group);  // channels per block: one 32-byte sector of a [batch, T, channels] row

struct Params {
  const float *u, *delta, *A, *B, *C, *D, *z, *delta_bias, *h0;
  float *y, *h_last;
  long long batch, len, channels, dstate;
  bool softplus, zoh;
};

__device__ inline float softplus_f(float x) { return x <= 20.f ? log1pf(expf(x)) : x; }  // eq. (1)

template <int ITEMS>
__global__ void __launch_bounds__(kThreads) selective_scan_kernel(Params p) {
  using Step = scan::Affine<1>;
  using BlockScan = cub::BlockScan<Step, kThreads>;
  constexpr int TILE = kThreads * ITEMS;
  // Shared tiles are channel-major with the time axis interleaved by thread, [G][ITEMS][kThreads] (+1 padding per
  // channel row): step k of thread i of channel g sits at g*RS + k*kThreads + i, so the scans' loads (all threads,
  // same g and k) hit 32 different banks; the coalesced staging and write-out passes see at most 4-way conflicts.
  constexpr int RS = TILE + 1;
  __shared__ typename BlockScan::TempStorage temp;
  extern __shared__ float smem[];
  float* u_s = smem;                                                                        // [G, RS] u; later y + D u
  float* dt_s = u_s + RS * kGroup;                                                          // [G, RS] Δ
  Step* carries = reinterpret_cast<Step*>(dt_s + RS * kGroup);                              // [G, dstate]
  auto slot = [](int tl, int g) { return g * RS + (tl % ITEMS) * kThreads + tl / ITEMS; };  // row tl of the tile

  const long long groups = (p.channels + kGroup - 1) / kGroup;
  const long long beta = blockIdx.x / groups, c0 = (blockIdx.x % groups) * kGroup;
  const int G = static_cast<int>(min(static_cast<long long>(kGroup), p.channels - c0));  // valid channels
  const int N = static_cast<int>(p.dstate);
  const long long T = p.len, Dc = p.channels;

  for (int i = threadIdx.x; i < kGroup * N; i += kThreads) {
    const int g = i / N, n = i % N;
    carries[i].J[0] = 1.f;
    carries[i].b[0] = (p.h0 != nullptr && g < G) ? p.h0[((beta * Dc + c0 + g) * N) + n] : 0.f;
  }

  for (long long tile = 0; tile < T; tile += TILE) {
    // 1. stage u and Δ (zero past the end and in padded channels: a = 1, b = 0 there)
    for (int i = threadIdx.x; i < TILE * kGroup; i += kThreads) {
      const int tl = i / kGroup, g = i % kGroup;
      const long long t = tile + tl;
      float uv = 0.f, dv = 0.f;
      if (t < T && g < G) {
        const long long idx = (beta * T + t) * Dc + c0 + g;
        uv = p.u[idx];
        dv = p.delta[idx] + (p.delta_bias != nullptr ? p.delta_bias[c0 + g] : 0.f);
        if (p.softplus) dv = softplus_f(dv);
      }
      u_s[slot(tl, g)] = uv;
      dt_s[slot(tl, g)] = dv;
    }
    __syncthreads();

    // 2. the scans, one (g, n) at a time; y accumulated in registers
    const long long first = tile + static_cast<long long>(threadIdx.x) * ITEMS;
    float y[kGroup][ITEMS];
#pragma unroll
    for (int g = 0; g < kGroup; ++g)
#pragma unroll
      for (int k = 0; k < ITEMS; ++k) y[g][k] = 0.f;

    for (int n = 0; n < N; ++n) {
      float Bk[ITEMS], Ck[ITEMS];
#pragma unroll
      for (int k = 0; k < ITEMS; ++k) {
        const long long t = first + k;
        Bk[k] = t < T ? p.B[(beta * T + t) * N + n] : 0.f;
        Ck[k] = t < T ? p.C[(beta * T + t) * N + n] : 0.f;
      }
#pragma unroll
      for (int g = 0; g < kGroup; ++g) {
        if (g >= G) break;  // uniform across the block
        const float a = p.A[(c0 + g) * N + n];
        scan::CarriedPrefix<1> carry;
        carry.running = carries[g * N + n];
        auto load = [&](long long t, Step& s) {
          const int k = static_cast<int>(t - first);
          const int at = g * RS + k * kThreads + threadIdx.x;  // = slot(threadIdx.x * ITEMS + k, g)
          const float dt = dt_s[at], uv = u_s[at];
          s.J[0] = expf(dt * a);  // eq. (2): the argument rounded once (2^(Δ·(a·log2 e)) rounded it twice)
          const float f = !p.zoh ? dt : (a == 0.f ? dt : expm1f(dt * a) / a);  // eq. (3)
          s.b[0] = f * Bk[k] * uv;
        };
        auto emit = [&](long long t, const float(&h)[1]) {
          const int k = static_cast<int>(t - first);
          y[g][k] = fmaf(Ck[k], h[0], y[g][k]);  // eq. (5)
        };
        scan::scan_tile<1, kThreads, ITEMS>(tile, T, carry, temp, load, emit);
        if (threadIdx.x == 0) carries[g * N + n] = carry.running;  // read again only after later barriers
      }
    }

    // 3. y + D u into shared memory (each thread its own rows), then out, coalesced, with the gate
#pragma unroll
    for (int g = 0; g < kGroup; ++g) {
      const float Dv = (p.D != nullptr && g < G) ? p.D[c0 + g] : 0.f;
#pragma unroll
      for (int k = 0; k < ITEMS; ++k) {
        const int at = g * RS + k * kThreads + threadIdx.x;
        u_s[at] = y[g][k] + Dv * u_s[at];
      }
    }
    __syncthreads();
    if (p.y != nullptr) {
      for (int i = threadIdx.x; i < TILE * kGroup; i += kThreads) {
        const int tl = i / kGroup, g = i % kGroup;
        const long long t = tile + tl;
        if (t < T && g < G) {
          const long long idx = (beta * T + t) * Dc + c0 + g;
          float out = u_s[slot(tl, g)];
          if (p.z != nullptr) {
            const float zv = p.z[idx];
            out = out * (zv / (1.f + expf(-zv)));  // eq. (6)
          }
          p.y[idx] = out;
        }
      }
    }
    __syncthreads();  // the next tile overwrites u_s and dt_s
  }

  if (p.h_last != nullptr)
    for (int i = threadIdx.x; i < G * N; i += kThreads) {
      const int g = i / N, n = i % N;
      p.h_last[(beta * Dc + c0 + g) * N + n] = carries[i].b[0];
    }
}

std::size_t shared_bytes(int items, Index dstate) {
  return static_cast<std::size_t>(2 * (kThreads * items + 1) * kGroup) * sizeof(float) +
         static_cast<std::size_t>(kGroup * dstate) * sizeof(scan::Affine<1>);
}

template <int ITEMS>
void launch(const Params& p, unsigned blocks, cudaStream_t stream, std::string_view fn) {
  const std::size_t bytes = shared_bytes(ITEMS, p.dstate);
  host::allow_dynamic_shared_memory(
      selective_scan_kernel<ITEMS>, bytes, fn,
      "dstate = " + std::to_string(p.dstate) + " at a tile of " + std::to_string(kThreads * ITEMS) + " steps");
  selective_scan_kernel<ITEMS><<<blocks, kThreads, bytes, stream>>>(p);
  check_cuda(cudaGetLastError(), fn, "kernel launch");
}

Index tile_for(std::string_view fn, Index chunk) {
  require(chunk == 0 || chunk == 256 || chunk == 512 || chunk == 1024 || chunk == 2048, fn,
          "chunk must be 0 (default 1024) or one of 256, 512, 1024, 2048 (128 threads x 2..16 items); got " +
              std::to_string(chunk));
  return chunk == 0 ? 1024 : chunk;
}

Index run(std::string_view fn, const SelectiveScan<float>& s, float* y, float* h_last, Index chunk,
          cudaStream_t stream) {
  const Index tile = tile_for(fn, chunk);
  require(s.dstate <= 1024, fn,
          "dstate must be <= 1024 (carried prefixes live in shared memory); got " + std::to_string(s.dstate));
  const Index groups = (s.channels + kGroup - 1) / kGroup;
  require(s.batch * groups <= INT_MAX, fn, "batch * ceil(channels / 8) must fit in a grid");
  auto opt = [](std::span<const float> v) { return v.empty() ? nullptr : v.data(); };
  const Params p{s.u.data(),
                 s.delta.data(),
                 s.A.data(),
                 s.B.data(),
                 s.C.data(),
                 opt(s.D),
                 opt(s.z),
                 opt(s.delta_bias),
                 opt(s.h0),
                 y,
                 h_last,
                 s.batch,
                 s.len,
                 s.channels,
                 s.dstate,
                 s.delta_softplus,
                 s.discretization == BDiscretization::zoh};
  const unsigned blocks = static_cast<unsigned>(s.batch * groups);
  switch (tile) {
    case 256: launch<2>(p, blocks, stream, fn); break;
    case 512: launch<4>(p, blocks, stream, fn); break;
    case 2048: launch<16>(p, blocks, stream, fn); break;
    default: launch<8>(p, blocks, stream, fn); break;
  }
  return tile;
}

}  // namespace

namespace device {
Index selective_scan(const SelectiveScan<float>& problem, std::span<float> y, std::span<float> h_last, Index chunk,
                     void* stream) {
  seqref::detail::check_selective_scan_shapes<float>(kDeviceFn, problem, y.size(), h_last.size(), !y.empty(),
                                                     !h_last.empty());
  return run(kDeviceFn, problem, y.empty() ? nullptr : y.data(), h_last.empty() ? nullptr : h_last.data(), chunk,
             static_cast<cudaStream_t>(stream));
}
}  // namespace device

Index selective_scan(const SelectiveScan<float>& problem, std::span<float> y, std::span<float> h_last,
                     ScanSchedule schedule) {
  seqref::detail::check_selective_scan<float>(kHostFn, problem, y, h_last);
  require(schedule.threads == 0, kHostFn,
          "schedule.threads must be 0 on CUDA; got " + std::to_string(schedule.threads));
  tile_for(kHostFn, schedule.chunk);
  host::require_device(kHostFn);
  host::DeviceZero device(kHostFn);
  host::Stream stream(kHostFn);
  auto upload = [&](std::span<const float> v) {
    auto buf = std::make_unique<host::DeviceBuffer<float>>(std::max<Index>(1, static_cast<Index>(v.size())), kHostFn);
    if (!v.empty()) buf->upload(v.data(), stream.get());
    return buf;
  };
  const auto du = upload(problem.u), dd = upload(problem.delta), dA = upload(problem.A), dB = upload(problem.B),
             dC = upload(problem.C), dD = upload(problem.D), dz = upload(problem.z), dbias = upload(problem.delta_bias),
             dh0 = upload(problem.h0);
  host::DeviceBuffer<float> dy(std::max<Index>(1, static_cast<Index>(y.size())), kHostFn);
  host::DeviceBuffer<float> dh(std::max<Index>(1, static_cast<Index>(h_last.size())), kHostFn);
  SelectiveScan<float> d = problem;  // the same problem on device pointers (sizes unchanged)
  auto on_device = [](std::span<const float> host_span, const host::DeviceBuffer<float>& buf) {
    return host_span.empty() ? std::span<const float>{} : std::span<const float>(buf.get(), host_span.size());
  };
  d.u = on_device(problem.u, *du);
  d.delta = on_device(problem.delta, *dd);
  d.A = on_device(problem.A, *dA);
  d.B = on_device(problem.B, *dB);
  d.C = on_device(problem.C, *dC);
  d.D = on_device(problem.D, *dD);
  d.z = on_device(problem.z, *dz);
  d.delta_bias = on_device(problem.delta_bias, *dbias);
  d.h0 = on_device(problem.h0, *dh0);
  const Index tile = device::selective_scan(
      d, y.empty() ? std::span<float>{} : std::span<float>(dy.get(), y.size()),
      h_last.empty() ? std::span<float>{} : std::span<float>(dh.get(), h_last.size()), schedule.chunk, stream.get());
  check_cuda(cudaStreamSynchronize(stream.get()), kHostFn, "kernel");
  if (!y.empty()) dy.download(y.data(), stream.get());
  if (!h_last.empty()) dh.download(h_last.data(), stream.get());
  return tile;
}

}  // namespace seqref::cuda
