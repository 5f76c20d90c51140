// The scan engine on arrays, CUDA (seqref/opt/scan/linear_recurrence.hpp): instances of cuda/scan/engine.cuh.
//
// scalar / diagonal J: a lane is one state entry of one sequence (β, i), Affine<1> steps, tiles of 128 × 8 steps.
// dense J: a lane is one sequence, Affine<D> for D = 1..8 (a template instance each, tiles of 128 × {4, 1}; larger
// D is refused with std::invalid_argument: the composed maps live in registers).
// Two schedules, chosen from the shape only (so a shape always gets the same path, hence the same bits):
//   one block per lane  scan_tile over the lane's whole time axis with the carried prefix — when there are many
//                       lanes, or the lanes are short;
//   chunked             scan::chunked_scan (three launches: chunk composites, states entering the chunks, rescan)
//                       when lanes < kFewLanes and len ≥ kLongTiles tiles: one block per lane would occupy fewer than
//                       ~2 blocks per SM of an H100 (132 SMs) while each block walks many tiles in series. It reads
//                       J and b twice; the association differs, so the two paths agree to rounding, not bitwise.
// Both paths use the same Steps/Emit functors below.

#include "cuda/host.cuh"
#include "cuda/scan/engine.cuh"
#include "seqref/opt/scan/linear_recurrence.hpp"

#include <cuda_runtime.h>

#include <string>
#include <string_view>

namespace seqref::cuda {

namespace {

constexpr int kThreads = static_cast<int>(blocking::scan::threads);
constexpr int kElementwiseItems = static_cast<int>(blocking::scan::elementwise_items);

template <int D>
constexpr int dense_items() {
  return D <= 2 ? static_cast<int>(blocking::scan::dense_items_small) : 1;
}

// Shape-only switch to the chunked scan (untuned: no GPU measurements behind the constants).
constexpr long long kFewLanes = blocking::scan::few_lanes;  // ≈ 2 × the SM count of an H100
constexpr long long kLongTiles =
    blocking::scan::long_tiles;  // a lane of ≥ 8 tiles: worth two more launches and a second read
constexpr long long kChunkBlocks =
    blocking::scan::chunk_blocks;  // plan_chunks' max_blocks: up to 1024 / lanes (> 4) chunks per lane

bool use_chunked(long long lanes, long long len, long long tile) {
  return lanes < kFewLanes && len >= kLongTiles * tile;
}

// Elementwise (scalar / diagonal J): lane = β·dim + i. bind(lane) does the division once per block and returns
// pointers to the lane's first step with their strides along t.
struct ElementwiseSteps {
  const float* J;
  const float* b;
  long long len, dim;
  bool scalar;
  struct Lane {
    const float* J;  // J_t = J[t · J_stride]
    const float* b;  // b_t = b[t · b_stride]
    long long J_stride, b_stride;
    __device__ void operator()(long long t, scan::Affine<1>& s) const {
      s.J[0] = J[t * J_stride];
      s.b[0] = b[t * b_stride];
    }
  };
  __device__ Lane bind(long long lane) const {
    const long long beta = lane / dim, i = lane % dim;
    const long long first = beta * len;  // step index of (β, t = 0)
    return Lane{scalar ? J + first : J + first * dim + i, b + first * dim + i, scalar ? 1 : dim, dim};
  }
};

struct ElementwiseEmit {
  float* x;        // null: not wanted
  float* x_final;  // null: not wanted
  long long len, dim;
  struct Lane {
    float* x;        // x_t = x[t · stride]; null: not wanted
    float* x_final;  // this lane's entry; null: not wanted
    long long stride, len;
    __device__ void operator()(long long t, const float (&xt)[1]) const {
      if (x) x[t * stride] = xt[0];
      if (x_final && t == len - 1) *x_final = xt[0];
    }
  };
  __device__ Lane bind(long long lane) const {
    const long long beta = lane / dim, i = lane % dim;
    return Lane{x ? x + beta * len * dim + i : nullptr, x_final ? x_final + lane : nullptr, dim, len};
  }
};

// Dense J: lane = sequence β.
template <int D>
struct DenseSteps {
  const float* J;
  const float* b;
  long long len;
  struct Lane {
    const float* J;  // the sequence's len × D × D
    const float* b;  // the sequence's len × D
    __device__ void operator()(long long t, scan::Affine<D>& s) const {
      for (int k = 0; k < D * D; ++k) s.J[k] = J[t * D * D + k];
      for (int k = 0; k < D; ++k) s.b[k] = b[t * D + k];
    }
  };
  __device__ Lane bind(long long beta) const { return Lane{J + beta * len * D * D, b + beta * len * D}; }
};

template <int D>
struct DenseEmit {
  float* x;        // null: not wanted
  float* x_final;  // null: not wanted
  long long len;
  struct Lane {
    float* x;        // the sequence's len × D; null: not wanted
    float* x_final;  // the sequence's D; null: not wanted
    long long len;
    __device__ void operator()(long long t, const float (&xt)[D]) const {
      if (x)
        for (int k = 0; k < D; ++k) x[t * D + k] = xt[k];
      if (x_final && t == len - 1)
        for (int k = 0; k < D; ++k) x_final[k] = xt[k];
    }
  };
  __device__ Lane bind(long long beta) const {
    return Lane{x ? x + beta * len * D : nullptr, x_final ? x_final + beta * D : nullptr, len};
  }
};

// One block per lane (blockIdx.x), from x0[lane · D ..] (zeros when x0 is null), over the whole time axis.
template <int D, int ITEMS, class Steps, class Emit>
__global__ void lane_scan(Steps steps, Emit emit, const float* x0, long long len) {
  using BlockScan = cub::BlockScan<scan::Affine<D>, kThreads>;
  __shared__ typename BlockScan::TempStorage temp;
  const long long lane = blockIdx.x;
  scan::CarriedPrefix<D> carry;
  carry.running = scan::identity<D>();
  for (int k = 0; k < D; ++k) carry.running.b[k] = x0 ? x0[lane * D + k] : 0.f;
  const auto load = steps.bind(lane);
  const auto out = emit.bind(lane);
  for (long long tile = 0; tile < len; tile += static_cast<long long>(kThreads) * ITEMS)
    scan::scan_tile<D, kThreads, ITEMS>(tile, len, carry, temp, load, out);
}

// Either schedule for `lanes` lanes of `len` steps; returns the tile (THREADS × ITEMS steps).
template <int D, int ITEMS, class Steps, class Emit>
Index launch(const Steps& steps, const Emit& emit, const float* x0, long long lanes, long long len, cudaStream_t stream,
             std::string_view fn) {
  constexpr long long tile = static_cast<long long>(kThreads) * ITEMS;
  if (lanes <= 0 || len <= 0) return tile;
  if (use_chunked(lanes, len, tile)) {
    const scan::ChunkPlan plan = scan::plan_chunks<kThreads, ITEMS>(len, lanes, kChunkBlocks);
    host::DeviceBuffer<unsigned char> scratch(static_cast<Index>(scan::chunked_scratch_bytes<D>(plan)), fn);
    host::check_cuda(scan::chunked_scan<D, kThreads, ITEMS>(plan, steps, emit, x0, scratch.get(), stream), fn,
                     "kernel launch");
    // scratch is freed here; cudaFree waits for the launches still using it
  } else {
    lane_scan<D, ITEMS><<<static_cast<unsigned>(lanes), kThreads, 0, stream>>>(steps, emit, x0, len);
    host::check_cuda(cudaGetLastError(), fn, "kernel launch");
  }
  return tile;
}

template <int D>
Index launch_dense(const float* J, const float* b, const float* x0, float* x, float* xf, Index batch, Index len,
                   cudaStream_t stream, std::string_view fn) {
  return launch<D, dense_items<D>()>(DenseSteps<D>{J, b, len}, DenseEmit<D>{x, xf, len}, x0, batch, len, stream, fn);
}

}  // namespace

Index linear_recurrence(const LinearRecurrence<float>& p, std::span<float> x, std::span<float> x_final,
                        ScanSchedule schedule) {
  constexpr std::string_view fn = "seqref::cuda::linear_recurrence";
  detail::check_linear_recurrence<float>(fn, p, x, x_final);
  require(
      p.kind != Transition::dense || p.dim <= 8, fn,
      "dense J is supported for dim <= 8 on CUDA (maps are composed in registers); got dim " + std::to_string(p.dim));
  require(schedule.chunk == 0, fn,
          "schedule.chunk must be 0 (the tile is fixed by the kernel); got " + std::to_string(schedule.chunk));
  // One block per lane (or per chunk of a lane): the lanes must fit a grid's x dimension, 2^31 - 1. Beyond it the
  // unsigned cast of the grid size truncated silently and left lanes unwritten.
  const long long lanes = p.kind == Transition::dense ? p.batch : p.batch * p.dim;
  require(lanes <= 2147483647LL, fn,
          "the lanes (batch" + std::string(p.kind == Transition::dense ? "" : " x dim") + " = " +
              std::to_string(lanes) + ") must be < 2^31 on CUDA (one block per lane)");
  host::require_device(fn);
  host::DeviceZero device(fn);
  host::Stream stream(fn);
  host::DeviceBuffer<float> dJ(static_cast<Index>(p.J.size()), fn), db(static_cast<Index>(p.b.size()), fn);
  host::DeviceBuffer<float> dx0(std::max<Index>(1, static_cast<Index>(p.x0.size())), fn);
  host::DeviceBuffer<float> dx(std::max<Index>(1, static_cast<Index>(x.size())), fn);
  host::DeviceBuffer<float> dxf(std::max<Index>(1, static_cast<Index>(x_final.size())), fn);
  dJ.upload(p.J.data(), stream.get());
  db.upload(p.b.data(), stream.get());
  if (!p.x0.empty()) dx0.upload(p.x0.data(), stream.get());
  const float* x0 = p.x0.empty() ? nullptr : dx0.get();
  float* xo = x.empty() ? nullptr : dx.get();
  float* xf = x_final.empty() ? nullptr : dxf.get();
  Index tile = 0;
  if (p.kind == Transition::dense) {
    const float* J = dJ.get();
    const float* b = db.get();
    cudaStream_t st = stream.get();
    switch (p.dim) {
      case 1: tile = launch_dense<1>(J, b, x0, xo, xf, p.batch, p.len, st, fn); break;
      case 2: tile = launch_dense<2>(J, b, x0, xo, xf, p.batch, p.len, st, fn); break;
      case 3: tile = launch_dense<3>(J, b, x0, xo, xf, p.batch, p.len, st, fn); break;
      case 4: tile = launch_dense<4>(J, b, x0, xo, xf, p.batch, p.len, st, fn); break;
      case 5: tile = launch_dense<5>(J, b, x0, xo, xf, p.batch, p.len, st, fn); break;
      case 6: tile = launch_dense<6>(J, b, x0, xo, xf, p.batch, p.len, st, fn); break;
      case 7: tile = launch_dense<7>(J, b, x0, xo, xf, p.batch, p.len, st, fn); break;
      default: tile = launch_dense<8>(J, b, x0, xo, xf, p.batch, p.len, st, fn); break;
    }
  } else {
    tile = launch<1, kElementwiseItems>(
        ElementwiseSteps{dJ.get(), db.get(), p.len, p.dim, p.kind == Transition::scalar},
        ElementwiseEmit{xo, xf, p.len, p.dim}, x0, p.batch * p.dim, p.len, stream.get(), fn);
  }
  host::check_cuda(cudaStreamSynchronize(stream.get()), fn, "kernel");
  if (!x.empty()) dx.download(x.data(), stream.get());
  if (!x_final.empty()) dxf.download(x_final.data(), stream.get());
  return tile;
}

}  // namespace seqref::cuda
