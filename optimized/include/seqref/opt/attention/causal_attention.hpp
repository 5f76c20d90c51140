#pragma once
/// \file
/// Optimized causal self-attention forward (flash-style: tiles of queries against tiles of keys, online softmax,
/// scores never materialized beyond one tile). One declaration per backend, same signature in seqref::cpu and
/// seqref::cuda; the reference is seqref::ref::causal_attention.
///
///   out[h, i, :] = Σ_{j≤i} exp(scale·q_i·k_j) v_j / Σ_{j≤i} exp(scale·q_i·k_j)
///
/// Shapes: q, k [H, T, d]; v [H, T, dv]; out [H, T, dv]; row-major contiguous, heads outermost.
/// Errors: std::invalid_argument (naming the function, the argument and the shapes) for mismatched or empty shapes,
/// non-finite q/k/v/scale, or logits that overflow the accumulation precision. Inputs ±1e4-sized logits are fine
/// (the running maximum is subtracted before exponentiation). Results do not depend on the thread count, and o_t
/// is bit-identical whatever q, k, v hold at positions after t (causality is exact, not approximate).

#include "seqref/core/bf16.hpp"
#include "seqref/core/tensor.hpp"
#include "seqref/opt/backend.hpp"

namespace seqref::cpu::blocking::attention {
// Blocking constants of the cpu kernel (optimized/cpu/attention/causal_attention.cpp); tests draw sizes around them.
inline constexpr Index block_q = 128;  ///< query rows per tile (one task), the default of AttentionTiling
inline constexpr Index block_k = 256;  ///< keys per inner score tile (128 x 256 measured best of 9 shapes, T=2048, d=64)
inline constexpr Index lanes_f32 = 16;  ///< AVX-512 lane group (floats) of the vectorized exp / scaling over a score row
inline constexpr Index lanes_f64 = 8;   ///< the same, doubles
}  // namespace seqref::cpu::blocking::attention

namespace seqref::cuda::blocking::attention {
// Blocking constants of the CUDA kernel (optimized/cuda/attention/causal_attention_kernel.cuh).
inline constexpr Index block_q = 64;        ///< query rows per thread block
inline constexpr Index block_k = 64;        ///< keys per shared-memory tile
inline constexpr Index threads = 128;       ///< threads per block
inline constexpr Index rows_per_thread = 4;  ///< query rows per thread (one row group)
inline constexpr Index lanes_per_row = 8;    ///< threads sharing a row group
inline constexpr Index max_dim = 128;        ///< largest (padded) head / value dim
}  // namespace seqref::cuda::blocking::attention

namespace seqref::cpu {

/// Tile sizes of the CPU kernel. Exposed so tests can put tile edges anywhere and benchmarks can tune.
struct AttentionTiling {
  Index block_q = blocking::attention::block_q;  ///< query rows per tile (one task)
  Index block_k = blocking::attention::block_k;  ///< keys per inner tile
};

void causal_attention(ConstTensorView<float> q, ConstTensorView<float> k, ConstTensorView<float> v,
                      TensorView<float> out, float scale);
void causal_attention(ConstTensorView<double> q, ConstTensorView<double> k, ConstTensorView<double> v,
                      TensorView<double> out, double scale);
/// Same, with explicit tile sizes (block_q, block_k >= 1).
void causal_attention(ConstTensorView<float> q, ConstTensorView<float> k, ConstTensorView<float> v,
                      TensorView<float> out, float scale, AttentionTiling tiling);
void causal_attention(ConstTensorView<double> q, ConstTensorView<double> k, ConstTensorView<double> v,
                      TensorView<double> out, double scale, AttentionTiling tiling);

}  // namespace seqref::cpu

namespace seqref::cuda {

/// Host-memory entry points: copy in, run the kernel on device 0, copy out. fp32 throughout.
/// Throws std::runtime_error when !available() (not built, or no device).
void causal_attention(ConstTensorView<float> q, ConstTensorView<float> k, ConstTensorView<float> v,
                      TensorView<float> out, float scale);
/// bf16 inputs (round-to-nearest-even storage, see seqref/core/bf16.hpp), fp32 softmax and accumulation, fp32 out.
void causal_attention(ConstTensorView<bf16> q, ConstTensorView<bf16> k, ConstTensorView<bf16> v,
                      TensorView<float> out, float scale);

/// Device-memory entry points for callers that keep data on the GPU (and for benchmarks): pointers are device
/// pointers with the layouts above; `stream` is a cudaStream_t (nullptr: the default stream). Asynchronous.
namespace device {
void causal_attention(const float* q, const float* k, const float* v, float* out, Index heads, Index len,
                      Index head_dim, Index value_dim, float scale, void* stream = nullptr);
void causal_attention(const bf16* q, const bf16* k, const bf16* v, float* out, Index heads, Index len,
                      Index head_dim, Index value_dim, float scale, void* stream = nullptr);
}  // namespace device

}  // namespace seqref::cuda
