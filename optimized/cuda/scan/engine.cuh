#pragma once
// The CUDA scan engine: x_t = J_t x_{t−1} + b_t as a block scan over affine maps with a carried prefix.
// (Internal header of seqref_cuda; the cpu engine is optimized/cpu/scan/engine.hpp, the reference
// seqref/ref/scan/linear_recurrence.hpp.)
//
// A step is the affine map x ↦ J x + b. Maps compose associatively,
//
//   (J₂, b₂) ∘ (J₁, b₁) = (J₂ J₁, J₂ b₁ + b₂)      (apply (J₁, b₁) first),
//
// so a sequence of T steps is an inclusive scan under ∘. scan_tile is the one block-level primitive: one thread
// block walks one lane's (one recurrence's, or one state entry's of a diagonal one) time axis in tiles of
// THREADS × ITEMS steps: each thread composes its ITEMS consecutive steps sequentially, cub::BlockScan scans the
// THREADS partial maps, and a running prefix — the composite of every earlier tile applied to x_0, i.e. the state
// entering the tile — is carried from one tile to the next (BlockScan's prefix callback). Each thread then
// re-applies its ITEMS steps to the state entering its run, so x_t is produced without materializing the composite
// maps. This is the "chunked block scan with carried prefixes" of Mamba's and FlashLinearAttention's kernels.
//
// Two ways to run it over a whole problem:
//   one block per lane  the caller's kernel loops scan_tile over the lane's whole time axis (many lanes fill the
//                       GPU): ssm/selective_scan.cu, ssm/ssd.cu, scan/linear_recurrence.cu (many or short lanes);
//   chunked             chunked_scan below (multi-block), for few long sequences, where one block per sequence would
//                       leave most SMs idle — the cpu engine's two-level scheme in three launches, each scan a
//                       scan_tile loop:
//                         chunk_summaries  one block per (chunk, sequence): the chunk's composite map from I;
//                         chunk_entering   one block per sequence: scans the chunk composites from (I, x_0),
//                                          giving the state entering every chunk;
//                         chunk_rescan     one block per (chunk, sequence): scan_tile again from the entering
//                                          state, emitting x_t.
//                       Used by rnn/deer.cu (one sequence), scan/linear_recurrence.cu (few long lanes).
// sequential_lanes (at the end) is the separate engine for opaque steps: ssm/hippo.cu.
//
// Types: Affine<1> is the scalar/diagonal element (a, b); Affine<D> the dense one (D×D row-major J, b). The carry
// is kept as an Affine whose J is the full product and whose b is the state: starting from (I, x_0), x_t is the b
// of the inclusive prefix at t.

#include <cub/block/block_scan.cuh>

#include <cuda_runtime.h>

#include <cstddef>

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
    if (t < len)
      load(t, steps[k]);
    else
      steps[k] = identity<D>();
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

// ---- Chunked (multi-block) scan of few long sequences ----
//
// Steps and Emit are small device-copyable functor structs (passed by value as kernel parameters). Each block binds
// its sequence once, then calls the bound object per step (per-sequence index arithmetic is done once per block):
//   Steps: __device__ S bind(long long seq) const;
//          S: __device__ void operator()(long long t, Affine<D>& step) const;      // fills step t's map
//   Emit:  __device__ E bind(long long seq) const;
//          E: __device__ void operator()(long long t, const float (&x)[D]) const;  // receives x_t
// S, E: a value or a const reference (e.g. to the functor itself: `return *this;`). seq is the sequence
// (0..sequences−1), t the step within it (0..len−1); every sequence has the same length. E(t, ·) is called once per
// (seq, t), by the chunk_rescan block that owns t, in no particular order across t.
// Grids: chunk_summaries and chunk_rescan run (chunks, sequences) blocks — sequences ≤ 65535 (gridDim.y); a larger
// batch fails at launch with cudaErrorInvalidConfiguration. chunk_entering runs one block per sequence.
// The association differs from one block per lane (chunk composites are formed from I, then combined), so results
// agree to rounding, not bitwise; for a fixed ChunkPlan they are deterministic.

/// How each sequence's time axis is cut into chunks: chunk is a whole number of tiles (THREADS × ITEMS steps).
struct ChunkPlan {
  long long len = 0;        ///< steps per sequence
  long long sequences = 0;  ///< independent sequences (blockIdx.y of the per-chunk kernels)
  long long chunk = 0;      ///< steps per chunk, a multiple of THREADS × ITEMS
  long long chunks = 0;     ///< chunks per sequence: ⌈len / chunk⌉
};

/// Chunks of as few tiles as possible, at most max(1, max_blocks / sequences) chunks per sequence (so about
/// max_blocks blocks per per-chunk launch, and a short combine scan). From the shape only: the same shape always
/// gets the same plan, hence the same bits.
template <int THREADS, int ITEMS>
inline ChunkPlan plan_chunks(long long len, long long sequences, long long max_blocks = 512) {
  constexpr long long tile = static_cast<long long>(THREADS) * ITEMS;
  ChunkPlan p;
  p.len = len > 0 ? len : 0;
  p.sequences = sequences > 0 ? sequences : 0;
  long long per_sequence = max_blocks / (p.sequences > 0 ? p.sequences : 1);
  if (per_sequence < 1) per_sequence = 1;
  const long long tiles = (p.len + tile - 1) / tile;
  const long long tiles_per_chunk = (tiles + per_sequence - 1) / per_sequence;
  p.chunk = tile * (tiles_per_chunk > 1 ? tiles_per_chunk : 1);
  p.chunks = (p.len + p.chunk - 1) / p.chunk;
  return p;
}

/// Device scratch of chunked_scan: sequences × chunks composite maps, then sequences × chunks × D entering states.
template <int D>
inline std::size_t chunked_scratch_bytes(const ChunkPlan& p) {
  const std::size_t n = static_cast<std::size_t>(p.sequences) * static_cast<std::size_t>(p.chunks);
  return n * sizeof(Affine<D>) + n * D * sizeof(float);
}

/// Stage 1, block (c, seq): summaries[seq · chunks + c] = the composite map of seq's steps
/// [c · chunk, min(len, (c+1) · chunk)), scanned from the identity (J: their product,
/// b: the state they reach from 0).
template <int D, int THREADS, int ITEMS, class Steps>
__global__ void chunk_summaries(Steps steps, long long len, long long chunk, long long chunks,
                                Affine<D>* __restrict__ summaries) {
  using BlockScan = cub::BlockScan<Affine<D>, THREADS>;
  __shared__ typename BlockScan::TempStorage temp;
  const long long seq = blockIdx.y, c = blockIdx.x;
  const long long begin = c * chunk, end = min(len, begin + chunk);
  const auto& load = steps.bind(seq);
  CarriedPrefix<D> carry{identity<D>()};
  for (long long tile = begin; tile < end; tile += static_cast<long long>(THREADS) * ITEMS)
    scan_tile<D, THREADS, ITEMS>(
        tile, end, carry, temp, [&](long long t, Affine<D>& s) { load(t, s); }, [](long long, const float(&)[D]) {});
  // thread 0 (warp 0) ran the prefix callback on every tile: its carry is the chunk's composite
  if (threadIdx.x == 0) summaries[seq * chunks + c] = carry.running;
}

/// Stage 2, block seq: entering[(seq · chunks + c) · D + i] = state entry i entering chunk c of seq: x_0 for c = 0
/// (x0[seq · D + i], or 0 when x0 is null), else the b of the composites of chunks 0..c−1 applied to (I, x_0).
template <int D, int THREADS, int ITEMS>
__global__ void chunk_entering(const Affine<D>* __restrict__ summaries, const float* __restrict__ x0, long long chunks,
                               float* __restrict__ entering) {
  using BlockScan = cub::BlockScan<Affine<D>, THREADS>;
  __shared__ typename BlockScan::TempStorage temp;
  const long long seq = blockIdx.x;
  const Affine<D>* sum = summaries + seq * chunks;
  float* ent = entering + seq * chunks * D;
  CarriedPrefix<D> carry{identity<D>()};
#pragma unroll
  for (int i = 0; i < D; ++i) carry.running.b[i] = x0 ? x0[seq * D + i] : 0.f;
  if (threadIdx.x == 0)
    for (int i = 0; i < D; ++i) ent[i] = carry.running.b[i];
  for (long long tile = 0; tile < chunks; tile += static_cast<long long>(THREADS) * ITEMS)
    scan_tile<D, THREADS, ITEMS>(
        tile, chunks, carry, temp, [&](long long c, Affine<D>& s) { s = sum[c]; },
        [&](long long c, const float(&x)[D]) {  // x: the state leaving chunk c = entering chunk c + 1
          if (c + 1 < chunks)
            for (int i = 0; i < D; ++i) ent[(c + 1) * D + i] = x[i];
        });
}

/// Stage 3, block (c, seq): scan_tile over chunk c of seq again, from the state entering it; emit.bind(seq)(t, x_t).
template <int D, int THREADS, int ITEMS, class Steps, class Emit>
__global__ void chunk_rescan(Steps steps, Emit emit, long long len, long long chunk, long long chunks,
                             const float* __restrict__ entering) {
  using BlockScan = cub::BlockScan<Affine<D>, THREADS>;
  __shared__ typename BlockScan::TempStorage temp;
  const long long seq = blockIdx.y, c = blockIdx.x;
  const long long begin = c * chunk, end = min(len, begin + chunk);
  // only the carry's b reaches x_t (compose(carry, m).b = m.J · carry.b + m.b), so J = I is enough
  CarriedPrefix<D> carry{identity<D>()};
#pragma unroll
  for (int i = 0; i < D; ++i) carry.running.b[i] = entering[(seq * chunks + c) * D + i];
  const auto& load = steps.bind(seq);
  const auto& out = emit.bind(seq);
  for (long long tile = begin; tile < end; tile += static_cast<long long>(THREADS) * ITEMS)
    scan_tile<D, THREADS, ITEMS>(
        tile, end, carry, temp, [&](long long t, Affine<D>& s) { load(t, s); },
        [&](long long t, const float(&x)[D]) { out(t, x); });
}

/// The three stages on `stream` for plan p (from plan_chunks<THREADS, ITEMS>). x0: device, sequences × D initial
/// states (null: zeros); scratch: device, at least chunked_scratch_bytes<D>(p) bytes (float-aligned), in use until
/// the launches finish. Asynchronous; returns the first launch error (cudaGetLastError after each launch), or
/// cudaSuccess. Nothing is launched when len or sequences is 0.
template <int D, int THREADS, int ITEMS, class Steps, class Emit>
cudaError_t chunked_scan(const ChunkPlan& p, const Steps& steps, const Emit& emit, const float* x0, void* scratch,
                         cudaStream_t stream) {
  if (p.len <= 0 || p.sequences <= 0) return cudaSuccess;
  auto* summaries = static_cast<Affine<D>*>(scratch);
  auto* entering = reinterpret_cast<float*>(summaries + p.sequences * p.chunks);
  const dim3 grid(static_cast<unsigned>(p.chunks), static_cast<unsigned>(p.sequences));
  chunk_summaries<D, THREADS, ITEMS><<<grid, THREADS, 0, stream>>>(steps, p.len, p.chunk, p.chunks, summaries);
  cudaError_t err = cudaGetLastError();
  if (err != cudaSuccess) return err;
  chunk_entering<D, THREADS, ITEMS>
      <<<static_cast<unsigned>(p.sequences), THREADS, 0, stream>>>(summaries, x0, p.chunks, entering);
  err = cudaGetLastError();
  if (err != cudaSuccess) return err;
  chunk_rescan<D, THREADS, ITEMS><<<grid, THREADS, 0, stream>>>(steps, emit, p.len, p.chunk, p.chunks, entering);
  return cudaGetLastError();
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
