#pragma once
/// \file
/// Causal attention forward on the GPU, FlashAttention-2 style, in fp32 on CUDA cores (SIMT FMA, no tensor cores):
///
///   out[h, i, :] = Σ_{j≤i} exp(scale·q_i·k_j) v_j / Σ_{j≤i} exp(scale·q_i·k_j)
///
/// One thread block computes one tile of kBlockQ = 64 query rows of one head. It stages the tile's queries in
/// shared memory once, then walks the key tiles 0 .. (its own diagonal tile) in order: K and V tiles (64 keys)
/// are staged in shared memory as fp32, the 64x64 score tile S = scale·(Q Kᵀ) is computed into registers, and each
/// row's online softmax (running max m, running sum l, output accumulator o, all fp32) absorbs the tile:
///
///   m' = max(m, rowmax S);  α = exp(m − m');  P = exp(S − m');  l = α·l + rowsum P;  o = α·o + P V
///
/// and after the last tile out = o / l (IEEE division). Key tiles after the diagonal are never visited.
///
/// Thread layout (128 threads = 4 warps). Thread t has
///   ty = t / 8  (0..15): its row group, query rows 4·ty .. 4·ty+3 of the tile;
///   tx = t % 8  (0..7) : its slot inside the row group: keys tx, tx+8, …, tx+56 of each key tile (score columns)
///                        and output columns tx, tx+8, …, tx+D−8.
/// The 8 threads of a row group are one aligned 8-lane segment of a warp, so row-wise reductions (max, sum) and
/// the broadcast of P for P·V are warp shuffles of width 8; shared memory holds only Q, K and V.
/// Per thread: s[4][8] scores, o[4][D/8] accumulators, m[4], l[4] (l is this thread's partial row sum over its own
/// keys; the 8 partials are added once at the end).
///
/// Shared memory rows are padded to D+1 floats, so the column reads of the S loop (Q: 4 rows, K: 8 rows per warp)
/// and the row reads of the P·V loop (V: 8 consecutive columns per warp) hit distinct banks.
///
/// Exactness properties (documented in the public header):
///   * masked keys (j > i) get p = 0 explicitly, are excluded from the row max, and in the diagonal tile never
///     touch the accumulator (the FMA is predicated off), so o_i is bit-identical whatever k, v hold after i —
///     even NaN/Inf there (the device entry point does not validate values);
///   * head dims are zero-padded up to D; padded columns add exact zeros (+0) to the dot products;
///   * rows and keys past `len` are zero-filled in shared memory and never written back;
///   * each output element is produced by one thread in a fixed order: deterministic, no atomics;
///   * a visible non-finite logit (finite inputs whose scale·q·k overflows fp32) poisons its row with NaN, so the
///     host entry point can report it (it scans the output; see causal_attention.cu).
///
/// exp is CUDA's expf (accurate to 2 ulp; not the __expf intrinsic), with no log2(e) folding. The scale multiplies
/// each finished dot product, s = scale·(q·k), as in the reference and the CPU backend (folding it into Q would
/// round scale·q first: different logits unless scale is a power of two).

#include "seqref/core/bf16.hpp"
#include "seqref/opt/attention/causal_attention.hpp"

#include <cuda_runtime.h>

#include <cstdint>

namespace seqref::cuda::kernels {

constexpr int kBlockQ = static_cast<int>(seqref::cuda::blocking::attention::block_q);   ///< query rows per thread block
constexpr int kBlockK = static_cast<int>(seqref::cuda::blocking::attention::block_k);   ///< keys per shared-memory tile
constexpr int kThreads = static_cast<int>(seqref::cuda::blocking::attention::threads);  ///< threads per block
constexpr int kRowsPerThread =
    static_cast<int>(seqref::cuda::blocking::attention::rows_per_thread);  ///< query rows per thread (one row group)
constexpr int kLanesPerRow =
    static_cast<int>(seqref::cuda::blocking::attention::lanes_per_row);  ///< threads sharing a row group
constexpr int kKeysPerLane = kBlockK / kLanesPerRow;                     ///< score columns per thread
constexpr int kMaxDim =
    static_cast<int>(seqref::cuda::blocking::attention::max_dim);  ///< largest (padded) head / value dim
static_assert(kThreads == (kBlockQ / kRowsPerThread) * kLanesPerRow, "thread layout must cover the query tile");
static_assert(kBlockQ == kBlockK, "the diagonal key tile is the query tile's own index");

/// Padded dim D for a head dim d and a value dim dv: the smallest of 16, 32, 64, 128 holding both.
inline int padded_dim(std::int64_t head_dim, std::int64_t value_dim) {
  const std::int64_t d = head_dim > value_dim ? head_dim : value_dim;
  return d <= 16 ? 16 : d <= 32 ? 32 : d <= 64 ? 64 : 128;
}

/// Dynamic shared memory of one block for padded dim D: Q, K, V tiles of 64 rows of D+1 floats.
constexpr int shared_bytes(int D) { return 3 * kBlockQ * (D + 1) * static_cast<int>(sizeof(float)); }

/// fp32 value of element i of an input array (bf16 widens exactly: its bits are the high half of a float).
__device__ __forceinline__ float load_float(const float* p, std::int64_t i) { return __ldg(p + i); }
__device__ __forceinline__ float load_float(const bf16* p, std::int64_t i) {
  const auto bits = __ldg(reinterpret_cast<const unsigned short*>(p) + i);
  return __uint_as_float(static_cast<unsigned>(bits) << 16);
}

/// Stage rows [row0, row0 + 64) of a row-major [len, dim] matrix into a 64 x (D+1) shared tile as fp32.
/// Rows >= len and columns >= dim are written as 0, so the tile never holds stale or uninitialized values.
/// Consecutive threads take consecutive columns: coalesced global reads when dim == D.
template <int D, class In>
__device__ __forceinline__ void stage_tile(float* tile, const In* __restrict__ src, int row0, int len, int dim) {
  constexpr int kStride = D + 1;
  static_assert(kBlockQ * D % kThreads == 0, "whole passes over the tile");
#pragma unroll 4
  for (int pass = 0; pass < kBlockQ * D / kThreads; ++pass) {
    const int e = pass * kThreads + static_cast<int>(threadIdx.x);
    const int r = e / D, c = e % D;  // D is a power of two: shifts and masks
    const int row = row0 + r;
    float x = 0.0f;
    if (row < len && c < dim) x = load_float(src, static_cast<std::int64_t>(row) * dim + c);
    tile[r * kStride + c] = x;
  }
}

/// The per-thread online-softmax state of its 4 query rows.
template <int D>
struct RowState {
  static constexpr int kCols = D / kLanesPerRow;  ///< output columns per thread: tx, tx+8, …
  float m[kRowsPerThread];                        ///< running max of the visible logits (same in the 8 lanes)
  float l[kRowsPerThread];                        ///< this lane's partial Σ exp(s − m) over its own keys
  float o[kRowsPerThread][kCols];                 ///< Σ exp(s − m) v over all keys, columns tx + 8c
};

/// Absorb one key tile (keys j0 .. j0+63, already staged in Ks, Vs) into the row state.
/// kDiagonal: the tile is the query tile's own (j0 == i0), where key j is visible to row i iff j <= i;
/// in earlier tiles every key is visible to every row.
template <int D, bool kDiagonal>
__device__ __forceinline__ void absorb_key_tile(RowState<D>& st, const float* Qs, const float* Ks, const float* Vs,
                                                float scale, int ty, int tx) {
  constexpr int kStride = D + 1;
  constexpr int kCols = RowState<D>::kCols;
  const float kNegInf = -__int_as_float(0x7f800000);  // −inf
  constexpr unsigned kFull = 0xffffffffu;

  // S = scale·(Q Kᵀ) for rows 4·ty + i and keys tx + 8n: 32 independent FMA chains per thread.
  float s[kRowsPerThread][kKeysPerLane];
#pragma unroll
  for (int i = 0; i < kRowsPerThread; ++i)
#pragma unroll
    for (int n = 0; n < kKeysPerLane; ++n) s[i][n] = 0.0f;

  const float* q_rows = Qs + (ty * kRowsPerThread) * kStride;
  const float* k_rows = Ks + tx * kStride;
#pragma unroll 8
  for (int c = 0; c < D; ++c) {
    float a[kRowsPerThread], b[kKeysPerLane];
#pragma unroll
    for (int i = 0; i < kRowsPerThread; ++i) a[i] = q_rows[i * kStride + c];
#pragma unroll
    for (int n = 0; n < kKeysPerLane; ++n) b[n] = k_rows[(n * kLanesPerRow) * kStride + c];
#pragma unroll
    for (int i = 0; i < kRowsPerThread; ++i)
#pragma unroll
      for (int n = 0; n < kKeysPerLane; ++n) s[i][n] = fmaf(a[i], b[n], s[i][n]);
  }
#pragma unroll
  for (int i = 0; i < kRowsPerThread; ++i)
#pragma unroll
    for (int n = 0; n < kKeysPerLane; ++n) s[i][n] *= scale;

      // Online softmax, row by row. Local indices: row ty·4 + i, key tx + 8n (the tile offsets cancel on the diagonal).
#pragma unroll
  for (int i = 0; i < kRowsPerThread; ++i) {
    const int row = ty * kRowsPerThread + i;
    float tile_max = kNegInf;
#pragma unroll
    for (int n = 0; n < kKeysPerLane; ++n) {
      const bool visible = !kDiagonal || tx + n * kLanesPerRow <= row;
      if (visible) tile_max = fmaxf(tile_max, s[i][n]);  // masked keys never enter the max
    }
    // Max over the row group's 8 lanes (xor butterfly: every lane ends with the same value).
    tile_max = fmaxf(tile_max, __shfl_xor_sync(kFull, tile_max, 1, kLanesPerRow));
    tile_max = fmaxf(tile_max, __shfl_xor_sync(kFull, tile_max, 2, kLanesPerRow));
    tile_max = fmaxf(tile_max, __shfl_xor_sync(kFull, tile_max, 4, kLanesPerRow));

    const float m_new = fmaxf(st.m[i], tile_max);
    // α rescales what was accumulated under the old max; exp(−inf) = 0 when nothing was accumulated yet. If no
    // finite maximum exists yet (m_new = −inf), nothing was accumulated and α = 1 keeps the zeros.
    const float alpha = m_new == kNegInf ? 1.0f : expf(st.m[i] - m_new);
    float row_sum = 0.0f;
#pragma unroll
    for (int n = 0; n < kKeysPerLane; ++n) {
      const bool visible = !kDiagonal || tx + n * kLanesPerRow <= row;
      const float x = s[i][n];
      float p = 0.0f;                                                               // masked keys: exactly zero weight
      if (visible) p = isfinite(x) ? expf(x - m_new) : __int_as_float(0x7fffffff);  // overflowed logit: NaN row
      s[i][n] = p;
      row_sum += p;
    }
    st.l[i] = fmaf(alpha, st.l[i], row_sum);
#pragma unroll
    for (int c = 0; c < kCols; ++c) st.o[i][c] *= alpha;
    st.m[i] = m_new;
  }

  // o += P V. P[row][key tx' + 8n] lives in lane tx' of the row group (register s[i][n]): broadcast it with a
  // width-8 shuffle, then each lane updates its own output columns tx + 8c from V's row in shared memory.
#pragma unroll
  for (int n = 0; n < kKeysPerLane; ++n) {
#pragma unroll 2
    for (int src = 0; src < kLanesPerRow; ++src) {
      const int key = src + n * kLanesPerRow;
      float p[kRowsPerThread];
#pragma unroll
      for (int i = 0; i < kRowsPerThread; ++i) p[i] = __shfl_sync(kFull, s[i][n], src, kLanesPerRow);
      const float* v_row = Vs + key * kStride + tx;
#pragma unroll
      for (int c = 0; c < kCols; ++c) {
        const float v = v_row[c * kLanesPerRow];
#pragma unroll
        for (int i = 0; i < kRowsPerThread; ++i) {
          // On the diagonal a masked key must not touch o at all (0·v is NaN for v = ±inf/NaN, and +0 could flip
          // an accumulated −0): predicate the FMA off rather than relying on p = 0.
          if (!kDiagonal || key <= ty * kRowsPerThread + i) st.o[i][c] = fmaf(p[i], v, st.o[i][c]);
        }
      }
    }
  }
}

/// One block: query tile qt of head h. Blocks are numbered so that the longest (latest) query tiles of all heads
/// start first — the causal triangle makes them the most expensive. Grid: heads · ceil(len / 64) blocks of 128.
template <int D, class In>
__global__ void __launch_bounds__(kThreads)
    causal_attention_forward(const In* __restrict__ q, const In* __restrict__ k, const In* __restrict__ v,
                             float* __restrict__ out, int heads, int len, int head_dim, int value_dim, float scale) {
  static_assert(D == 16 || D == 32 || D == 64 || D == 128, "padded dim must be 16, 32, 64 or 128");
  constexpr int kStride = D + 1;
  constexpr int kCols = RowState<D>::kCols;
  const float kNegInf = -__int_as_float(0x7f800000);  // −inf
  constexpr unsigned kFull = 0xffffffffu;

  extern __shared__ float smem[];
  float* Qs = smem;                    // [64][D+1]: q of this tile's rows
  float* Ks = Qs + kBlockQ * kStride;  // [64][D+1]: current key tile
  float* Vs = Ks + kBlockK * kStride;  // [64][D+1]: current value tile

  const int n_qtiles = (len + kBlockQ - 1) / kBlockQ;
  const int h = static_cast<int>(blockIdx.x % static_cast<unsigned>(heads));
  const int qt = n_qtiles - 1 - static_cast<int>(blockIdx.x / static_cast<unsigned>(heads));
  const int i0 = qt * kBlockQ;
  const int tx = threadIdx.x % kLanesPerRow;
  const int ty = threadIdx.x / kLanesPerRow;

  const std::int64_t qk_head = static_cast<std::int64_t>(h) * len * head_dim;
  const std::int64_t v_head = static_cast<std::int64_t>(h) * len * value_dim;

  RowState<D> st;
#pragma unroll
  for (int i = 0; i < kRowsPerThread; ++i) {
    st.m[i] = kNegInf;
    st.l[i] = 0.0f;
#pragma unroll
    for (int c = 0; c < kCols; ++c) st.o[i][c] = 0.0f;
  }

  stage_tile<D>(Qs, q + qk_head, i0, len, head_dim);

  // Every thread runs every iteration (no early exit): the shuffles and barriers need the whole block.
  for (int kt = 0; kt <= qt; ++kt) {
    const int j0 = kt * kBlockK;
    __syncthreads();  // the previous tile's K, V are no longer read
    stage_tile<D>(Ks, k + qk_head, j0, len, head_dim);
    stage_tile<D>(Vs, v + v_head, j0, len, value_dim);
    __syncthreads();  // K, V (and, on the first pass, Q) are staged
    if (kt < qt)
      absorb_key_tile<D, false>(st, Qs, Ks, Vs, scale, ty, tx);
    else
      absorb_key_tile<D, true>(st, Qs, Ks, Vs, scale, ty, tx);
  }

  // Row sums: add the 8 lanes' partials (butterfly: bitwise the same in every lane), then out = o / l.
#pragma unroll
  for (int i = 0; i < kRowsPerThread; ++i) {
    float l = st.l[i];
    l += __shfl_xor_sync(kFull, l, 1, kLanesPerRow);
    l += __shfl_xor_sync(kFull, l, 2, kLanesPerRow);
    l += __shfl_xor_sync(kFull, l, 4, kLanesPerRow);
    const int row = i0 + ty * kRowsPerThread + i;
    if (row < len) {
      float* out_row = out + v_head + static_cast<std::int64_t>(row) * value_dim;
#pragma unroll
      for (int c = 0; c < kCols; ++c) {
        const int col = tx + c * kLanesPerRow;
        if (col < value_dim) out_row[col] = st.o[i][c] / l;
      }
    }
  }
}

}  // namespace seqref::cuda::kernels
