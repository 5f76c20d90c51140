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

#include "seqref/core/attention_args.hpp"
#include "seqref/core/bf16.hpp"
#include "seqref/core/tensor.hpp"
#include "seqref/core/validate.hpp"
#include "seqref/opt/backend.hpp"

#include <string>
#include <string_view>

namespace seqref::detail {

/// Shapes only, no access to the data (the device entry points use it on device memory): q, k [H, T, d],
/// v [H, T, dv], out [H, T, dv], H, T, d, dv >= 1, non-null views. std::invalid_argument naming `fn`, the argument
/// and the shapes otherwise.
template <class In, class Out>
void check_causal_attention_shapes(std::string_view fn, ConstTensorView<In> q, ConstTensorView<In> k,
                                   ConstTensorView<In> v, TensorView<Out> out) {
  const std::string got =
      "; got q " + shape_string(q) + ", k " + shape_string(k) + ", v " + shape_string(v) + ", out " + shape_string(out);
  require(q.data && k.data && v.data && out.data, fn, "null data pointer" + got);
  require(q.heads >= 1 && q.len >= 1 && q.dim >= 1 && v.dim >= 1, fn,
          "q must have heads, length and dim >= 1 and v dim >= 1" + got);
  require(k.heads == q.heads && k.len == q.len && k.dim == q.dim, fn, "k must have the shape of q [H, T, d]" + got);
  require(v.heads == q.heads && v.len == q.len, fn, "v must be [H, T, dv] with H, T those of q" + got);
  require(out.heads == q.heads && out.len == q.len && out.dim == v.dim, fn, "out must be [H, T, v.dim]" + got);
}

/// The argument checks every host entry point shares (cpu, cuda; the reference runs check_causal_attention_args,
/// the same checks): out non-null, then the shapes, finite q, k, v and a finite scale.
template <class S>
void check_causal_attention(std::string_view fn, ConstTensorView<S> q, ConstTensorView<S> k, ConstTensorView<S> v,
                            TensorView<S> out, S scale) {
  require(out.data != nullptr, fn, "out has a null data pointer");
  check_causal_attention_args<S>(fn, q, k, v, scale, out.data, ConstTensorView<S>(out));
}

}  // namespace seqref::detail
namespace seqref::cpu::blocking::attention {
// Blocking constants of the cpu kernel (optimized/cpu/attention/causal_attention.cpp); tests draw sizes around them.
inline constexpr Index block_q = 128;  ///< query rows per tile (one task), the default of AttentionTiling
inline constexpr Index block_k =
    256;  ///< keys per inner score tile (128 x 256 measured best of 9 shapes, T=2048, d=64)
inline constexpr Index lanes_f32 =
    16;                                ///< AVX-512 lane group (floats) of the vectorized exp / scaling over a score row
inline constexpr Index lanes_f64 = 8;  ///< the same, doubles
}  // namespace seqref::cpu::blocking::attention

namespace seqref::cuda::blocking::attention {
// Blocking constants of the CUDA kernel (optimized/cuda/attention/causal_attention_kernel.cuh).
inline constexpr Index block_q = 64;         ///< query rows per thread block
inline constexpr Index block_k = 64;         ///< keys per shared-memory tile
inline constexpr Index threads = 128;        ///< threads per block
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

/// Flash-style forward on the CPU, fp32 or fp64: (head, query tile) tasks over OpenMP threads, keys in tiles of
/// tiling.block_k with the online softmax. Checks: detail::check_causal_attention, then tiling.block_q,
/// tiling.block_k >= 1 (std::invalid_argument otherwise).
void causal_attention(ConstTensorView<float> q, ConstTensorView<float> k, ConstTensorView<float> v,
                      TensorView<float> out, float scale, AttentionTiling tiling = {});
void causal_attention(ConstTensorView<double> q, ConstTensorView<double> k, ConstTensorView<double> v,
                      TensorView<double> out, double scale, AttentionTiling tiling = {});

}  // namespace seqref::cpu

namespace seqref::cuda {

/// Host-memory entry points: copy in, run the kernel on device 0, copy out. fp32 throughout; d, dv <= 128.
/// Checks: detail::check_causal_attention (bf16: on exact fp32 copies). Throws std::runtime_error when
/// !available() (not built, or no device).
void causal_attention(ConstTensorView<float> q, ConstTensorView<float> k, ConstTensorView<float> v,
                      TensorView<float> out, float scale);
/// bf16 inputs (round-to-nearest-even storage, see seqref/core/bf16.hpp), fp32 softmax and accumulation, fp32 out.
void causal_attention(ConstTensorView<bf16> q, ConstTensorView<bf16> k, ConstTensorView<bf16> v, TensorView<float> out,
                      float scale);

/// Device-memory entry points for callers that keep data on the GPU (and for benchmarks): the views point to
/// device memory with the layouts above; `stream` is a cudaStream_t (nullptr: the default stream). Asynchronous.
/// Shape checks only (detail::check_causal_attention_shapes, d, dv <= 128; values live on the device).
namespace device {
void causal_attention(ConstTensorView<float> q, ConstTensorView<float> k, ConstTensorView<float> v,
                      TensorView<float> out, float scale, void* stream = nullptr);
void causal_attention(ConstTensorView<bf16> q, ConstTensorView<bf16> k, ConstTensorView<bf16> v, TensorView<float> out,
                      float scale, void* stream = nullptr);
}  // namespace device

}  // namespace seqref::cuda
