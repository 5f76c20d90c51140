#pragma once
// The CUDA scan engine: x_t = J_t x_{t−1} + b_t as a block scan over affine maps with a carried prefix.
// (Internal header of seqref_cuda; the cpu engine is optimized/cpu/scan/engine.hpp, the reference
// seqref/ref/scan/linear_recurrence.hpp.)
//
// A step is the affine map x ↦ J x + b. Maps compose associatively,
//
//   (J₂, b₂) ∘ (J₁, b₁) = (J₂ J₁, J₂ b₁ + b₂)      (apply (J₁, b₁) first),
//
// so a sequence of T steps is an inclusive scan under ∘. One thread block owns one lane (one recurrence, or one
// state entry of a diagonal one) and walks its time axis in tiles of THREADS × ITEMS steps: each thread composes its
// ITEMS consecutive steps sequentially, cub::BlockScan scans the THREADS partial maps, and a running prefix — the
// composite of every earlier tile applied to x_0, i.e. the state entering the tile — is carried from one tile to the
// next (BlockScan's prefix callback). Each thread then re-applies its ITEMS steps to the state entering its run,
// so x_t is produced without materializing the composite maps. This is the "chunked block scan with carried
// prefixes" of Mamba's and FlashLinearAttention's kernels, written once for every recurrence in seqref:
//   scan/linear_recurrence.cu (arrays), ssm/selective_scan.cu (fused, J = exp(Δ A)), rnn/deer.cu (sweeps).
//
// Types: Affine<1> is the scalar/diagonal element (a, b); Affine<D> the dense one (D×D row-major J, b). The carry
// is kept as an Affine whose J is the full product and whose b is the state: starting from (I, x_0), x_t is the b
// of the inclusive prefix at t.

#include <cub/block/block_scan.cuh>

namespace seqref::cuda::scan {

template <int D>
struct Affine {
  float J[D * D];
  float b[D];
};

/// later ∘ earlier: apply `earlier` first. Sums over j in order 0..D−1 (the reference's order).
template <int D>
__host__ __device__ inline Affine<D> compose(const Affine<D>& earlier, const Affine<D>& later) {
  Affine<D> r;
#pragma unroll
  for (int i = 0; i < D; ++i) {
    float acc = 0.f;
#pragma unroll
    for (int j = 0; j < D; ++j) acc = fmaf(later.J[i * D + j], earlier.b[j], acc);
    r.b[i] = acc + later.b[i];
#pragma unroll
    for (int k = 0; k < D; ++k) {
      float m = 0.f;
#pragma unroll
      for (int j = 0; j < D; ++j) m = fmaf(later.J[i * D + j], earlier.J[j * D + k], m);
      r.J[i * D + k] = m;
    }
  }
  return r;
}

/// x ← J x + b for one step (the cheap re-application in the second half of a tile).
template <int D>
__host__ __device__ inline void apply(const Affine<D>& step, float (&x)[D]) {
  float y[D];
#pragma unroll
  for (int i = 0; i < D; ++i) {
    float acc = 0.f;
#pragma unroll
    for (int j = 0; j < D; ++j) acc = fmaf(step.J[i * D + j], x[j], acc);
    y[i] = acc + step.b[i];
  }
#pragma unroll
  for (int i = 0; i < D; ++i) x[i] = y[i];
}

template <int D>
__host__ __device__ inline Affine<D> identity() {
  Affine<D> r;
#pragma unroll
  for (int i = 0; i < D; ++i) {
    r.b[i] = 0.f;
#pragma unroll
    for (int k = 0; k < D; ++k) r.J[i * D + k] = i == k ? 1.f : 0.f;
  }
  return r;
}

template <int D>
struct ComposeOp {
  __device__ Affine<D> operator()(const Affine<D>& earlier, const Affine<D>& later) const {
    return compose(earlier, later);
  }
};

/// BlockScan prefix callback: holds the composite of all earlier tiles applied to x_0 (thread 0's copy is live).
template <int D>
struct CarriedPrefix {
  Affine<D> running;
  __device__ Affine<D> operator()(const Affine<D>& tile_total) {
    const Affine<D> before = running;
    running = compose(running, tile_total);
    return before;
  }
};

/// One tile of THREADS × ITEMS steps for one lane. `load(t, step)` fills step t's map (return false past the end: the
/// step is the identity); `emit(t, x)` receives x_t. `carry` (meaningful in thread 0) enters as the composite map
/// of every earlier step with b = the state entering the tile, and leaves advanced past this tile.
template <int D, int THREADS, int ITEMS, class Load, class Emit>
__device__ void scan_tile(long long tile_begin, long long len, CarriedPrefix<D>& carry,
                          typename cub::BlockScan<Affine<D>, THREADS>::TempStorage& temp, Load&& load, Emit&& emit) {
  using BlockScan = cub::BlockScan<Affine<D>, THREADS>;
  const long long first = tile_begin + static_cast<long long>(threadIdx.x) * ITEMS;
  Affine<D> steps[ITEMS];
  Affine<D> run = identity<D>();
#pragma unroll
  for (int k = 0; k < ITEMS; ++k) {
    const long long t = first + k;
    if (t < len) load(t, steps[k]); else steps[k] = identity<D>();
    run = compose(run, steps[k]);
  }
  Affine<D> entering;  // composite of every step before this thread's run, applied to x_0
  BlockScan(temp).ExclusiveScan(run, entering, ComposeOp<D>{}, carry);
  // thread 0's exclusive result is the prefix the callback returned
  float x[D];
#pragma unroll
  for (int i = 0; i < D; ++i) x[i] = entering.b[i];
#pragma unroll
  for (int k = 0; k < ITEMS; ++k) {
    const long long t = first + k;
    if (t < len) {
      apply(steps[k], x);
      emit(t, x);
    }
  }
  __syncthreads();  // temp storage is reused by the next tile
}

}  // namespace seqref::cuda::scan

namespace seqref::cuda::scan {

/// Recurrences whose step is applied, not composed ("opaque", like the cpu engine's opaque policies): HiPPO-LegS,
/// whose J_k = (I − A/(2(k+1)))⁻¹(I + A/(2k)) is a dense N×N matrix applied in O(N) but composed only in O(N³).
/// One thread per lane, sequential in time: the same order of evaluation as the reference and as the cpu engine's
/// one-chunk path. The policy provides
///   long long lanes() const; long long len() const;
///   State initial(long long lane) const;                 // x_0 (State: registers, or a cursor into the output)
///   void step(long long lane, long long t, State& x) const;  // x ← J_t x + b_t
///   void emit(long long lane, long long t, const State& x) const;
template <class Policy>
__global__ void sequential_lanes(Policy p) {
  const long long lane = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (lane >= p.lanes()) return;
  auto x = p.initial(lane);
  for (long long t = 0; t < p.len(); ++t) {
    p.step(lane, t, x);
    p.emit(lane, t, x);
  }
}

}  // namespace seqref::cuda::scan
