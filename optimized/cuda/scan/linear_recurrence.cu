// The scan engine on arrays, CUDA (seqref/opt/scan/linear_recurrence.hpp): instances of cuda/scan/engine.cuh.
//
// scalar / diagonal J: one thread block per lane (sequence β, entry i), Affine<1> steps, tiles of 128 × ITEMS
// steps with the carried prefix. dense J: one thread block per sequence, Affine<D> for D = 1..8 (a template
// instance each; larger D is refused with std::invalid_argument: the composed maps live in registers).

#include "cuda/host.cuh"
#include "cuda/scan/engine.cuh"
#include "seqref/opt/scan/linear_recurrence.hpp"

#include <cuda_runtime.h>

#include <string>

namespace seqref::cuda {

namespace {

constexpr int kThreads = 128;

template <int ITEMS>
__global__ void elementwise_scan(const float* J, const float* b, const float* x0, float* x, float* x_final,
                                 long long batch, long long len, long long dim, bool scalar) {
  using BlockScan = cub::BlockScan<scan::Affine<1>, kThreads>;
  __shared__ typename BlockScan::TempStorage temp;
  const long long lane = blockIdx.x;  // β·D + i
  const long long beta = lane / dim, i = lane % dim;
  scan::CarriedPrefix<1> carry;
  carry.running.J[0] = 1.f;
  carry.running.b[0] = x0 ? x0[lane] : 0.f;
  auto load = [&](long long t, scan::Affine<1>& s) {
    const long long step = beta * len + t;
    s.J[0] = scalar ? J[step] : J[step * dim + i];
    s.b[0] = b[step * dim + i];
  };
  auto emit = [&](long long t, const float (&xt)[1]) {
    if (x) x[(beta * len + t) * dim + i] = xt[0];
    if (x_final && t == len - 1) x_final[lane] = xt[0];
  };
  for (long long tile = 0; tile < len; tile += static_cast<long long>(kThreads) * ITEMS)
    scan::scan_tile<1, kThreads, ITEMS>(tile, len, carry, temp, load, emit);
}

template <int D, int ITEMS>
__global__ void dense_scan(const float* J, const float* b, const float* x0, float* x, float* x_final,
                           long long len) {
  using BlockScan = cub::BlockScan<scan::Affine<D>, kThreads>;
  __shared__ typename BlockScan::TempStorage temp;
  const long long beta = blockIdx.x;
  scan::CarriedPrefix<D> carry;
  carry.running = scan::identity<D>();
  for (int k = 0; k < D; ++k) carry.running.b[k] = x0 ? x0[beta * D + k] : 0.f;
  auto load = [&](long long t, scan::Affine<D>& s) {
    const long long step = beta * len + t;
    for (int k = 0; k < D * D; ++k) s.J[k] = J[step * D * D + k];
    for (int k = 0; k < D; ++k) s.b[k] = b[step * D + k];
  };
  auto emit = [&](long long t, const float (&xt)[D]) {
    if (x)
      for (int k = 0; k < D; ++k) x[(beta * len + t) * D + k] = xt[k];
    if (x_final && t == len - 1)
      for (int k = 0; k < D; ++k) x_final[beta * D + k] = xt[k];
  };
  for (long long tile = 0; tile < len; tile += static_cast<long long>(kThreads) * ITEMS)
    scan::scan_tile<D, kThreads, ITEMS>(tile, len, carry, temp, load, emit);
}

template <int D>
void launch_dense(const float* J, const float* b, const float* x0, float* x, float* xf, Index batch, Index len,
                  cudaStream_t stream) {
  dense_scan<D, (D <= 2 ? 4 : 1)><<<static_cast<unsigned>(batch), kThreads, 0, stream>>>(J, b, x0, x, xf, len);
}

}  // namespace

Index linear_recurrence(const LinearRecurrence<float>& p, std::span<float> x, std::span<float> x_final,
                        ScanSchedule schedule) {
  constexpr std::string_view fn = "seqref::cuda::linear_recurrence";
  detail::check_linear_recurrence<float>(fn, p, x, x_final);
  require(p.kind != Transition::dense || p.dim <= 8, fn,
          "dense J is supported for dim <= 8 on CUDA (maps are composed in registers); got dim " +
              std::to_string(p.dim));
  require(schedule.chunk == 0, fn, "schedule.chunk must be 0 (the tile is fixed by the kernel); got " +
                                       std::to_string(schedule.chunk));
  host::require_device(fn);
  host::DeviceZero device(fn);
  host::Stream stream(fn);
  host::DeviceBuffer<float> dJ(static_cast<Index>(p.J.size()), fn), db(static_cast<Index>(p.b.size()), fn);
  host::DeviceBuffer<float> dx0(std::max<Index>(1, static_cast<Index>(p.x0.size())), fn);
  host::DeviceBuffer<float> dx(std::max<Index>(1, static_cast<Index>(x.size())), fn);
  host::DeviceBuffer<float> dxf(std::max<Index>(1, static_cast<Index>(x_final.size())), fn);
  dJ.upload(p.J.data());
  db.upload(p.b.data());
  if (!p.x0.empty()) dx0.upload(p.x0.data());
  const float* x0 = p.x0.empty() ? nullptr : dx0.get();
  float* xo = x.empty() ? nullptr : dx.get();
  float* xf = x_final.empty() ? nullptr : dxf.get();
  Index tile = 0;
  if (p.kind == Transition::dense) {
    switch (p.dim) {
      case 1: launch_dense<1>(dJ.get(), db.get(), x0, xo, xf, p.batch, p.len, stream.get()); break;
      case 2: launch_dense<2>(dJ.get(), db.get(), x0, xo, xf, p.batch, p.len, stream.get()); break;
      case 3: launch_dense<3>(dJ.get(), db.get(), x0, xo, xf, p.batch, p.len, stream.get()); break;
      case 4: launch_dense<4>(dJ.get(), db.get(), x0, xo, xf, p.batch, p.len, stream.get()); break;
      case 5: launch_dense<5>(dJ.get(), db.get(), x0, xo, xf, p.batch, p.len, stream.get()); break;
      case 6: launch_dense<6>(dJ.get(), db.get(), x0, xo, xf, p.batch, p.len, stream.get()); break;
      case 7: launch_dense<7>(dJ.get(), db.get(), x0, xo, xf, p.batch, p.len, stream.get()); break;
      default: launch_dense<8>(dJ.get(), db.get(), x0, xo, xf, p.batch, p.len, stream.get()); break;
    }
    tile = kThreads * (p.dim <= 2 ? 4 : 1);
  } else {
    constexpr int items = 8;
    elementwise_scan<items><<<static_cast<unsigned>(p.batch * p.dim), kThreads, 0, stream.get()>>>(
        dJ.get(), db.get(), x0, xo, xf, p.batch, p.len, p.dim, p.kind == Transition::scalar);
    tile = kThreads * items;
  }
  host::check_cuda(cudaGetLastError(), fn, "kernel launch");
  host::check_cuda(cudaStreamSynchronize(stream.get()), fn, "kernel");
  if (!x.empty()) dx.download(x.data());
  if (!x_final.empty()) dxf.download(x_final.data());
  return tile;
}

}  // namespace seqref::cuda
