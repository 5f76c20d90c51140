#pragma once
/// \file
/// Optimized HiPPO-LegS online memory (kexue.fm/archives/10137, "计算高效"), batched over independent channels. One
/// declaration per backend, same signature in seqref::cpu and seqref::cuda; the reference is
/// seqref::ref::legs_online_fast (O(N) per step) / seqref::ref::legs_online (dense) with LegsScheme::bilinear:
///
///   x_1 = B_0 u_0 e_0   (exact on [0, ε]),
///   x_{k+1} = (I − A/(2(k+1)))⁻¹ [(I + A/(2k)) x_k + w_k B u_k],   k = 1..L−1,
///   w_k = 1/k (LegsOnlineOptions::log_weight = false) or ln(1 + 1/k) (true),
///
/// with the LegS A (A_nk = −√(2n+1)√(2k+1) for n > k, −(n+1) on the diagonal, 0 above) and B_n = b_scale·√(2n+1)
/// (b_scale = 1: the paper's / state-spaces convention; √2: the post's). Each step costs O(N): the matvec is a
/// cumulative sum and the solve the post's scalar recurrence, fused into one pass over n.
///
/// Shapes: u [C, L, 1] (C channels of L samples), states [C, L, N]: states[c, k−1, :] = x_k of channel c.
/// Row-major, contiguous. Errors: std::invalid_argument (naming the function, the argument and the shapes) for
/// empty or mismatched shapes, a null view, non-finite u or b_scale. The header has no CUDA types.

#include "seqref/core/tensor.hpp"
#include "seqref/core/validate.hpp"
#include "seqref/opt/backend.hpp"

#include <cmath>
#include <string>
#include <string_view>

namespace seqref::cpu::blocking::hippo {
// Blocking constants of optimized/cpu/ssm/hippo.cpp: channels advanced together in one 64-byte SIMD group.
inline constexpr Index lanes_f32 = 16;  ///< channels per lane block, float
inline constexpr Index lanes_f64 = 8;   ///< channels per lane block, double
}  // namespace seqref::cpu::blocking::hippo

namespace seqref::cuda::blocking::hippo {
inline constexpr Index threads = 128;  ///< channels (one thread each) per block of optimized/cuda/ssm/hippo.cu
}  // namespace seqref::cuda::blocking::hippo

namespace seqref {

/// Options of the LegS online update shared by the backends.
struct LegsOnlineOptions {
  double b_scale = 1.0;     ///< B_n = b_scale·√(2n+1)
  bool log_weight = false;  ///< input weight ln(1 + 1/k) instead of 1/k
};

namespace detail {
/// Shapes and options only, no access to the data (the device entry point uses it on device memory): u [C, L, 1],
/// states [C, L, N] with C, L, N >= 1, non-null views, finite options.b_scale.
template <class S>
void check_legs_online_shapes(std::string_view fn, ConstTensorView<S> u, TensorView<S> states,
                              const LegsOnlineOptions& options) {
  const std::string got = "; got u " + shape_string(u) + ", states " + shape_string(states);
  require(u.data != nullptr, fn, "u has a null data pointer");
  require(states.data != nullptr, fn, "states has a null data pointer");
  require(u.heads >= 1 && u.len >= 1 && u.dim == 1, fn, "u must have shape [C, L, 1] with C, L >= 1" + got);
  require(states.heads == u.heads && states.len == u.len && states.dim >= 1, fn,
          "states must have shape [C, L, N] with N >= 1 and C, L those of u" + got);
  require(std::isfinite(options.b_scale), fn, "options.b_scale must be finite");
}

/// The argument checks every backend's host entry point shares (same checks, same messages): the shapes
/// (check_legs_online_shapes), then u finite.
template <class S>
void check_legs_online_args(std::string_view fn, ConstTensorView<S> u, TensorView<S> states,
                            const LegsOnlineOptions& options) {
  check_legs_online_shapes<S>(fn, u, states, options);
  require_finite(u, fn, "u");
}
}  // namespace detail

}  // namespace seqref

namespace seqref::cpu {

/// LegS online memory on the CPU: channels in SIMD lanes (blocks of 16 floats / 8 doubles), blocks over OpenMP
/// threads. Results do not depend on the thread count.
void hippo_legs_online(ConstTensorView<float> u, TensorView<float> states, LegsOnlineOptions options = {});
void hippo_legs_online(ConstTensorView<double> u, TensorView<double> states, LegsOnlineOptions options = {});

}  // namespace seqref::cpu

namespace seqref::cuda {

/// Host-memory entry point: copy u in, one thread per channel on device 0, copy states out. fp32.
/// Throws std::runtime_error when !available() (not built, or no device), after the argument checks.
void hippo_legs_online(ConstTensorView<float> u, TensorView<float> states, LegsOnlineOptions options = {});

namespace device {
/// Device memory: the views point to device memory, u [C, L, 1], states [C, L, N]; shape checks only
/// (detail::check_legs_online_shapes; u is not scanned for NaN on the device); asynchronous on `stream` (a
/// cudaStream_t; nullptr: default stream).
void hippo_legs_online(ConstTensorView<float> u, TensorView<float> states, LegsOnlineOptions options,
                       void* stream = nullptr);
}  // namespace device

}  // namespace seqref::cuda
