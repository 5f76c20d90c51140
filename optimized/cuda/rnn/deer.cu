// DEER for the tanh RNN on the GPU (seqref/opt/rnn/deer.hpp), fp32, state size D = 1..8 as template instances.
// Per sweep, all on device 0 with one stream:
//   evaluate   one thread per t: F_t = tanh(A x^(k)_{t−1} + u_t) and |x^(k)_t − F_t|, max-reduced into one word
//              (non-negative floats order like their bit patterns; NaN/Inf count as +Inf) — the residual of the
//              current iterate, the only number copied back for the convergence check;
//   solve      the sweep's linear recurrence by the engine's chunked (multi-block) scan, scan::chunked_scan
//              (optimized/cuda/scan/engine.cuh), on the one sequence: chunk_summaries (each chunk's composite map,
//              steps (J_t, b_t) formed on the fly from F and the iterate by SweepSteps), chunk_entering (the state
//              entering every chunk, from (I, x_0)), chunk_rescan (x̂_t, damped if asked, by DampedEmit).
// A single long sequence in one block would run on one SM; the chunked scan spreads it over ~512 blocks.
// Steps: newton J_t = diag(1 − F_t²) A, fixed_a J_t = A, quasi J_t = diag((1 − F_t²) ∘ diag A) (carried as a dense
// Affine<D> with zero off-diagonals), b_t = F_t − J_t x^(k)_{t−1}.

#include "../host.cuh"
#include "cuda/scan/engine.cuh"
#include "seqref/opt/rnn/deer.hpp"

#include "seqref/core/validate.hpp"
#include "seqref/opt/backend.hpp"

#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace seqref::cuda {

namespace {

using host::check_cuda;
using host::DeviceBuffer;
using host::DeviceZero;
using host::grid_for;
using host::Stream;
using scan::Affine;

constexpr std::string_view kFn = "seqref::cuda::deer";
constexpr int kThreads = static_cast<int>(blocking::deer::threads);

template <int D>
struct Weights {
  float A[D * D];
};

template <int D>
constexpr int items_for() {
  return D <= 2 ? 8 : D <= 4 ? 4 : D <= 6 ? 2 : 1;
}

enum Kind : int { kNewton = 0, kFixed = 1, kQuasi = 2 };

template <int D>
__global__ void evaluate_kernel(Weights<D> w, const float* __restrict__ u, const float* __restrict__ x0,
                                const float* __restrict__ x, float* __restrict__ F, long long T,
                                unsigned* __restrict__ residual_bits) {
  unsigned local = 0;
  for (long long t = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; t < T;
       t += static_cast<long long>(gridDim.x) * blockDim.x) {
    float prev[D];
#pragma unroll
    for (int j = 0; j < D; ++j) prev[j] = t == 0 ? x0[j] : x[(t - 1) * D + j];
#pragma unroll
    for (int i = 0; i < D; ++i) {
      float acc = 0.f;
#pragma unroll
      for (int j = 0; j < D; ++j) acc = fmaf(w.A[i * D + j], prev[j], acc);
      const float f = tanhf(acc + u[t * D + i]);
      F[t * D + i] = f;
      float e = fabsf(x[t * D + i] - f);
      if (!isfinite(e)) e = INFINITY;
      local = max(local, __float_as_uint(e));
    }
  }
  for (int off = 16; off > 0; off >>= 1) local = max(local, __shfl_xor_sync(0xffffffffu, local, off));
  if ((threadIdx.x & 31) == 0 && local > 0) atomicMax(residual_bits, local);
}

// Step t of the sweep's linear recurrence.
template <int D>
__device__ inline void sweep_step(const Weights<D>& w, int kind, const float* F, const float* xk, const float* x0,
                                  long long t, Affine<D>& s) {
  float f[D], prev[D];
#pragma unroll
  for (int i = 0; i < D; ++i) {
    f[i] = F[t * D + i];
    prev[i] = t == 0 ? x0[i] : xk[(t - 1) * D + i];
  }
#pragma unroll
  for (int i = 0; i < D; ++i) {
    const float g = 1.f - f[i] * f[i];
    float acc = 0.f;
#pragma unroll
    for (int j = 0; j < D; ++j) {
      float Jij = kind == kFixed ? w.A[i * D + j] : g * w.A[i * D + j];
      if (kind == kQuasi && i != j) Jij = 0.f;
      s.J[i * D + j] = Jij;
      acc = fmaf(Jij, prev[j], acc);
    }
    s.b[i] = f[i] - acc;
  }
}

// The sweep's steps as the chunked scan's Steps functor (one sequence: bind ignores seq, which is always 0).
template <int D>
struct SweepSteps {
  Weights<D> w;
  int kind;
  const float* F;
  const float* xk;
  const float* x0;
  __device__ const SweepSteps& bind(long long) const { return *this; }
  __device__ void operator()(long long t, Affine<D>& s) const { sweep_step<D>(w, kind, F, xk, x0, t, s); }
};

// The chunked scan's Emit functor: out_t = x̂_t, or x^(k)_t + damping (x̂_t − x^(k)_t) when damping ≠ 1.
template <int D>
struct DampedEmit {
  const float* xk;
  float damping;
  float* out;
  __device__ const DampedEmit& bind(long long) const { return *this; }
  __device__ void operator()(long long t, const float (&x)[D]) const {
#pragma unroll
    for (int i = 0; i < D; ++i)
      out[t * D + i] = damping == 1.f ? x[i] : xk[t * D + i] + damping * (x[i] - xk[t * D + i]);
  }
};

__global__ void sequential_kernel(const float* __restrict__ A, const float* __restrict__ u,
                                  const float* __restrict__ x0, float* __restrict__ out, long long T, int d) {
  float x[8], y[8];
  for (int i = 0; i < d; ++i) x[i] = x0[i];
  for (long long t = 0; t < T; ++t) {
    for (int i = 0; i < d; ++i) {
      float acc = 0.f;
      for (int j = 0; j < d; ++j) acc = fmaf(A[i * d + j], x[j], acc);
      y[i] = tanhf(acc + u[t * d + i]);
    }
    for (int i = 0; i < d; ++i) {
      x[i] = y[i];
      out[t * d + i] = y[i];
    }
  }
}

float bits_to_float(unsigned bits) {
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

template <int D>
DeerResult<float> run(const TanhCell<float>& cell, std::span<const float> u, std::span<const float> x0,
                      const DeerOptions<float>& opt, Index T, double tolerance, bool refine) {
  constexpr int ITEMS = items_for<D>();
  DeviceZero device(kFn);
  Stream stream(kFn);
  cudaStream_t s = stream.get();
  const Index n = T * D;
  Weights<D> w;
  for (int i = 0; i < D * D; ++i) w.A[i] = cell.A[static_cast<std::size_t>(i)];
  // post_fixed: the post's constant matrix of the tanh cell is A itself (= fixed_a); at_zero is refused in deer()
  const int kind = opt.method == DeerMethod::newton                                            ? kNewton
                   : opt.method == DeerMethod::fixed_a || opt.method == DeerMethod::post_fixed ? kFixed
                                                                                               : kQuasi;
  // chunks: at least one tile each, at most 512 of them (enough blocks for every SM; few for the combine scan)
  const scan::ChunkPlan plan = scan::plan_chunks<kThreads, ITEMS>(T, 1, 512);

  DeviceBuffer<float> du(n, kFn), dx0(D, kFn), dx(n, kFn), dnext(n, kFn), dF(n, kFn), dbest(n, kFn);
  DeviceBuffer<unsigned char> dscratch(static_cast<Index>(scan::chunked_scratch_bytes<D>(plan)), kFn);
  DeviceBuffer<unsigned> dres(1, kFn);
  std::vector<float> host_x0(D, 0.f), host_x = opt.initial_guess;
  if (!x0.empty()) std::copy(x0.begin(), x0.end(), host_x0.begin());
  if (host_x.empty()) host_x.assign(static_cast<std::size_t>(n), 0.f);
  du.upload(u.data(), s);
  dx0.upload(host_x0.data(), s);
  dx.upload(host_x.data(), s);
  float* cur = dx.get();     // x^(k)
  float* nxt = dnext.get();  // x̂, then x^(k+1)

  DeerResult<float> res;
  res.tolerance = tolerance;
  const Index max_sweeps = detail::deer_sweep_limit(T, D, opt.max_sweeps);
  res.sweep_limit_from_budget = opt.max_sweeps == 0 && max_sweeps < T;
  std::ostringstream why;
  res.status = DeerStatus::max_sweeps;
  for (;;) {
    check_cuda(cudaMemsetAsync(dres.get(), 0, sizeof(unsigned), s), kFn, "cudaMemset");
    evaluate_kernel<D><<<grid_for(T), 256, 0, s>>>(w, du.get(), dx0.get(), cur, dF.get(), T, dres.get());
    check_cuda(cudaGetLastError(), kFn, "evaluate kernel launch");
    unsigned bits = 0;
    check_cuda(cudaMemcpyAsync(&bits, dres.get(), sizeof bits, cudaMemcpyDeviceToHost, s), kFn, "cudaMemcpy D2H");
    check_cuda(cudaStreamSynchronize(s), kFn, "cudaStreamSynchronize");
    const float rf = bits_to_float(bits);
    const double r = std::isfinite(rf) ? double(rf) : std::numeric_limits<double>::infinity();
    if (!std::isfinite(r) && res.sweeps > 0) {  // the last sweep overflowed
      res.status = DeerStatus::non_finite;
      res.residuals.push_back(r);
      why << "the iterate of sweep " << res.sweeps << " overflowed (Inf/NaN): the iteration diverges";
      break;
    }
    res.residuals.push_back(r);
    if (opt.keep_iterates || opt.on_sweep) {
      check_cuda(cudaMemcpy(host_x.data(), cur, dx.bytes(), cudaMemcpyDeviceToHost), kFn, "cudaMemcpy D2H");
      if (opt.keep_iterates) res.iterates.push_back(host_x);
      if (opt.on_sweep) opt.on_sweep(DeerSweepInfo<float>{res.sweeps, std::span<const float>(host_x), r});
    }
    if (res.sweeps == 0 || r < res.residual) {
      check_cuda(cudaMemcpyAsync(dbest.get(), cur, dx.bytes(), cudaMemcpyDeviceToDevice, s), kFn, "cudaMemcpy D2D");
      res.residual = r;
      res.best_sweep = res.sweeps;
    }
    if (detail::deer_should_stop(res.residuals, res.tolerance, refine)) break;
    if (res.sweeps >= max_sweeps) break;
    check_cuda(scan::chunked_scan<D, kThreads, ITEMS>(plan, SweepSteps<D>{w, kind, dF.get(), cur, dx0.get()},
                                                      DampedEmit<D>{cur, static_cast<float>(opt.damping), nxt},
                                                      dx0.get(), dscratch.get(), s),
               kFn, "chunked scan kernel launch");
    std::swap(cur, nxt);
    ++res.sweeps;
  }
  res.states.resize(static_cast<std::size_t>(n));
  check_cuda(cudaStreamSynchronize(s), kFn, "cudaStreamSynchronize");
  dbest.download(res.states.data(), s);
  if (res.residual <= res.tolerance) res.status = DeerStatus::converged;
  detail::finish_deer_result(res, opt.method, why);
  return res;
}

}  // namespace

DeerResult<float> deer(const TanhCell<float>& cell, std::span<const float> u, std::span<const float> x0,
                       const DeerOptions<float>& opt) {
  const Index T = detail::check_deer_problem<TanhCell<float>, float>(kFn, cell, u, x0);
  const Index d = cell.dim;
  detail::check_deer_options<float>(kFn, T, d, opt.tolerance, opt.max_sweeps, opt.damping, opt.initial_guess);
  require(d <= kDeerMaxDim, kFn,
          "the CUDA backend instantiates state sizes d = 1.." + std::to_string(kDeerMaxDim) +
              "; got d = " + std::to_string(d) + " (use seqref::cpu::deer)");
  detail::check_deer_clip(kFn, opt.clip);
  require(opt.clip == 0, kFn,
          "clip is not implemented by the CUDA backend (use seqref::cpu::deer or ref); got clip = " +
              std::to_string(opt.clip));
  require(opt.method != DeerMethod::at_zero, kFn,
          "method at_zero is not implemented by the CUDA backend (use seqref::cpu::deer or ref)");
  double x0_scale = 1;
  for (float v : x0) x0_scale = std::max(x0_scale, double(std::fabs(v)));
  const double default_tol = ref::deer_default_tolerance(cell) * x0_scale;
  const double tol = opt.tolerance > 0 ? opt.tolerance : default_tol;
  const bool refine = !(opt.tolerance > 0);
  if (!available()) throw std::runtime_error(std::string(kFn) + ": no CUDA device available");
  switch (d) {
    case 1: return run<1>(cell, u, x0, opt, T, tol, refine);
    case 2: return run<2>(cell, u, x0, opt, T, tol, refine);
    case 3: return run<3>(cell, u, x0, opt, T, tol, refine);
    case 4: return run<4>(cell, u, x0, opt, T, tol, refine);
    case 5: return run<5>(cell, u, x0, opt, T, tol, refine);
    case 6: return run<6>(cell, u, x0, opt, T, tol, refine);
    case 7: return run<7>(cell, u, x0, opt, T, tol, refine);
    default: return run<8>(cell, u, x0, opt, T, tol, refine);
  }
}

std::vector<float> rnn_sequential(const TanhCell<float>& cell, std::span<const float> u, std::span<const float> x0) {
  constexpr std::string_view fn = "seqref::cuda::rnn_sequential";
  const Index T = detail::check_deer_problem<TanhCell<float>, float>(fn, cell, u, x0);
  const Index d = cell.dim;
  require(d <= kDeerMaxDim, fn, "d must be in 1..8; got d = " + std::to_string(d));
  if (!available()) throw std::runtime_error(std::string(fn) + ": no CUDA device available");
  DeviceZero device(fn);
  std::vector<float> host_x0(static_cast<std::size_t>(d), 0.f), out(static_cast<std::size_t>(T * d));
  if (!x0.empty()) std::copy(x0.begin(), x0.end(), host_x0.begin());
  DeviceBuffer<float> dA(d * d, fn), du(T * d, fn), dx0(d, fn), dout(T * d, fn);
  dA.upload(cell.A.data(), nullptr);
  du.upload(u.data(), nullptr);
  dx0.upload(host_x0.data(), nullptr);
  sequential_kernel<<<1, 1>>>(dA.get(), du.get(), dx0.get(), dout.get(), T, static_cast<int>(d));
  check_cuda(cudaGetLastError(), fn, "sequential kernel launch");
  dout.download(out.data(), nullptr);
  return out;
}

}  // namespace seqref::cuda
