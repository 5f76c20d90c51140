// Fused selective-scan forward on the cpu (Mamba S6, arXiv 2312.00752; equations (1)-(6) of
// seqref/ref/ssm/selective_scan.hpp) as a diagonal policy of the scan engine (optimized/cpu/scan/engine.hpp).
//
// Lanes: W consecutive channels c0..c0+W−1 of one sequence β (W = 4 AVX-512 registers: 64 floats, 32 doubles); the
// state of a lane is its dstate = N entries, kept lane-minor, x[n*W + l]. coeffs() computes Δ_t (softplus, bias)
// once per step and then, for every n, a = exp(Δ_t A[c, n]) and b = B̄_t[n] u_t; emit() forms y_t = Σ_n C_t[n] x[n]
// + D u_t and the silu(z_t) gate and writes W contiguous outputs. Nothing of size [T, N] exists: per step the policy
// reads W values of u, δ and z, N values of B and C (shared by all channels), and writes W values of y.
//
// exp, expm1, softplus and silu are vectorized here (plain loops over the W lanes that the compiler turns into
// AVX-512; libm's scalar calls would not vectorize): Cody–Waite range reduction with Cephes' float polynomial / a
// degree-13 Taylor polynomial for double, scaled by 2^k in two halves (with AVX-512 the transition's exp, the hot
// loop, applies 2^k by vscalefps instead: exp_block); results below the smallest normal number are flushed to 0
// (subnormal operands cost ~100 cycles each on x86; the flush changes a result by less than 2^-126); expm1 by its Taylor series for
// |x| < 1/2; log1p(e) for e ∈ (0, 1] as 2 atanh(e/(2+e)). Each is within a few ulp.

#include "seqref/opt/ssm/selective_scan.hpp"

#include "cpu/scan/engine.hpp"
#include "seqref/core/limits.hpp"

#include <bit>
#include <cstdint>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif
#include <limits>
#include <vector>

namespace seqref::cpu {

namespace {

// Lanes per engine block: 4 AVX-512 registers (64 floats, 32 doubles). One block then reads 4 contiguous cache lines
// of u, δ, z and y per step and B_t, C_t once for 64 channels, and the 4 registers give the read-out 4 independent
// accumulation chains.
constexpr int kRegisters = static_cast<int>(blocking::selective_scan::registers);
template <class S>
constexpr int kLanes = static_cast<int>(sizeof(S) == 4 ? blocking::selective_scan::lanes_f32
                                                       : blocking::selective_scan::lanes_f64);
static_assert(kLanes<float> == kRegisters * 16 && kLanes<double> == kRegisters * 8);

// ---- vectorizable elementary functions (one lane each; called inside `omp simd` loops) -----------------------------

#pragma omp declare simd notinbranch
inline float vexp(float x) {
  constexpr float log2e = 1.44269504088896341f, ln2_hi = 0.693359375f, ln2_lo = -2.12194440e-4f;
  const float xc = x < -104.0f ? -104.0f : (x > 88.8f ? 88.8f : x);
  const float k = (xc * log2e + 12582912.0f) - 12582912.0f;  // round to nearest (1.5·2^23 trick)
  const float r = (xc - k * ln2_hi) - k * ln2_lo;            // |r| <= ln2/2
  const float r2 = r * r;
  float p = 1.9875691500e-4f;  // Cephes expf
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r2 + r + 1.0f;
  const std::int32_t ki = static_cast<std::int32_t>(k), k1 = ki >> 1, k2 = ki - k1;
  const float s1 = std::bit_cast<float>((k1 + 127) << 23), s2 = std::bit_cast<float>((k2 + 127) << 23);
  const float e = x < -87.33654f ? 0.0f : p * s1 * s2;  // flushed below 2^-126, as exp_zmm
  return x > 88.7228394f ? std::numeric_limits<float>::infinity() : e;
}

#pragma omp declare simd notinbranch
inline double vexp(double x) {
  constexpr double log2e = 1.4426950408889634074, ln2_hi = 6.93145751953125e-1, ln2_lo = 1.42860682030941723212e-6;
  const double xc = x < -746.0 ? -746.0 : (x > 710.0 ? 710.0 : x);
  const double k = (xc * log2e + 6755399441055744.0) - 6755399441055744.0;  // 1.5·2^52
  const double r = (xc - k * ln2_hi) - k * ln2_lo;
  double p = 1.0 / 6227020800.0;  // Σ_{j<=13} r^j / j!, Horner
  p = p * r + 1.0 / 479001600.0;
  p = p * r + 1.0 / 39916800.0;
  p = p * r + 1.0 / 3628800.0;
  p = p * r + 1.0 / 362880.0;
  p = p * r + 1.0 / 40320.0;
  p = p * r + 1.0 / 5040.0;
  p = p * r + 1.0 / 720.0;
  p = p * r + 1.0 / 120.0;
  p = p * r + 1.0 / 24.0;
  p = p * r + 1.0 / 6.0;
  p = p * r + 0.5;
  p = p * r + 1.0;
  p = p * r + 1.0;
  const std::int64_t ki = static_cast<std::int64_t>(k), k1 = ki >> 1, k2 = ki - k1;
  const double s1 = std::bit_cast<double>((k1 + 1023) << 52), s2 = std::bit_cast<double>((k2 + 1023) << 52);
  const double e = x < -708.3964185322641 ? 0.0 : p * s1 * s2;  // flushed below 2^-1022, as exp_zmm
  return x > 709.782712893384 ? std::numeric_limits<double>::infinity() : e;
}

// exp of one block of W lanes, in place of W calls of vexp: with AVX-512 the range reduction is the same but 2^k
// is applied by vscalefps / vscalefpd (one instruction, exact overflow to inf and gradual underflow), which halves
// the instruction count of the policy's hot loop; without AVX-512 it is the loop over vexp.
#if defined(__AVX512F__)
// Below the smallest normal number the result is flushed to 0 (|error| < 2^-126 · 1, far below the error model's
// u·|h| terms): a subnormal transition would make every later multiply by it a microcode assist (~100 cycles; with
// Mamba's decays exp(ΔA) < 2^-126 is common) and a 0 costs nothing.
inline __m512 exp_zmm(__m512 x) {
  const __mmask16 normal = _mm512_cmp_ps_mask(x, _mm512_set1_ps(-87.33654f), _CMP_GE_OQ);  // exp(x) >= 2^-126
  x = _mm512_max_ps(_mm512_min_ps(x, _mm512_set1_ps(88.8f)), _mm512_set1_ps(-104.0f));
  const __m512 k = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(k, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(k, _mm512_set1_ps(-2.12194440e-4f), r);
  const __m512 r2 = _mm512_mul_ps(r, r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);  // Cephes expf, as vexp
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  p = _mm512_add_ps(_mm512_fmadd_ps(p, r2, r), _mm512_set1_ps(1.0f));
  return _mm512_maskz_scalef_ps(normal, p, k);  // overflows to inf for x > 88.72; 0 below −87.34
}
inline __m512d exp_zmm(__m512d x) {
  const __mmask8 normal = _mm512_cmp_pd_mask(x, _mm512_set1_pd(-708.3964185322641), _CMP_GE_OQ);  // >= 2^-1022
  x = _mm512_max_pd(_mm512_min_pd(x, _mm512_set1_pd(710.0)), _mm512_set1_pd(-746.0));
  const __m512d k = _mm512_roundscale_pd(_mm512_mul_pd(x, _mm512_set1_pd(1.4426950408889634074)),
                                         _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512d r = _mm512_fnmadd_pd(k, _mm512_set1_pd(6.93145751953125e-1), x);
  r = _mm512_fnmadd_pd(k, _mm512_set1_pd(1.42860682030941723212e-6), r);
  constexpr double inv[13] = {1.0 / 479001600.0,
                              1.0 / 39916800.0,
                              1.0 / 3628800.0,
                              1.0 / 362880.0,
                              1.0 / 40320.0,
                              1.0 / 5040.0,
                              1.0 / 720.0,
                              1.0 / 120.0,
                              1.0 / 24.0,
                              1.0 / 6.0,
                              0.5,
                              1.0,
                              1.0};
  __m512d p = _mm512_set1_pd(1.0 / 6227020800.0);  // Σ_{j<=13} r^j / j!, as vexp
  for (double c : inv) p = _mm512_fmadd_pd(p, r, _mm512_set1_pd(c));
  return _mm512_maskz_scalef_pd(normal, p, k);
}
inline void exp_block(const float* x, float* out) {
  for (int r = 0; r < kRegisters; ++r) _mm512_storeu_ps(out + 16 * r, exp_zmm(_mm512_loadu_ps(x + 16 * r)));
}
inline void exp_block(const double* x, double* out) {
  for (int r = 0; r < kRegisters; ++r) _mm512_storeu_pd(out + 8 * r, exp_zmm(_mm512_loadu_pd(x + 8 * r)));
}
#else
template <class S>
inline void exp_block(const S* x, S* out) {
  constexpr int W = kLanes<S>;
#pragma omp simd
  for (int l = 0; l < W; ++l) out[l] = vexp(x[l]);
}
#endif

// y[l] = Σ_n C[n] x[n*W + l], n in order (the reference's order; fused multiply-adds): with AVX-512 the sums stay
// in registers (the generic loop over an array makes the compiler spill them to the stack at every n).
#if defined(__AVX512F__)
inline void readout(const float* C, const float* x, Index N, float* y) {
  __m512 acc[kRegisters];
  for (int r = 0; r < kRegisters; ++r) acc[r] = _mm512_setzero_ps();
  for (Index n = 0; n < N; ++n) {
    const __m512 c = _mm512_set1_ps(C[n]);
    for (int r = 0; r < kRegisters; ++r)
      acc[r] = _mm512_fmadd_ps(c, _mm512_loadu_ps(x + n * kLanes<float> + 16 * r), acc[r]);
  }
  for (int r = 0; r < kRegisters; ++r) _mm512_storeu_ps(y + 16 * r, acc[r]);
}
inline void readout(const double* C, const double* x, Index N, double* y) {
  __m512d acc[kRegisters];
  for (int r = 0; r < kRegisters; ++r) acc[r] = _mm512_setzero_pd();
  for (Index n = 0; n < N; ++n) {
    const __m512d c = _mm512_set1_pd(C[n]);
    for (int r = 0; r < kRegisters; ++r)
      acc[r] = _mm512_fmadd_pd(c, _mm512_loadu_pd(x + n * kLanes<double> + 8 * r), acc[r]);
  }
  for (int r = 0; r < kRegisters; ++r) _mm512_storeu_pd(y + 8 * r, acc[r]);
}
#else
template <class S>
inline void readout(const S* C, const S* x, Index N, S* y) {
  constexpr int W = kLanes<S>;
  S acc[W] = {};
  for (Index n = 0; n < N; ++n)
#pragma omp simd
    for (int l = 0; l < W; ++l) acc[l] += C[n] * x[n * W + l];
  for (int l = 0; l < W; ++l) y[l] = acc[l];
}
#endif

// expm1: Taylor for |x| < 1/2 (relative truncation < 1e-9 / 1e-20), exp(x) − 1 otherwise (cancellation <= 1.6x).
#pragma omp declare simd notinbranch
inline float vexpm1(float x) {
  float p = 1.0f / 362880.0f;
  p = p * x + 1.0f / 40320.0f;
  p = p * x + 1.0f / 5040.0f;
  p = p * x + 1.0f / 720.0f;
  p = p * x + 1.0f / 120.0f;
  p = p * x + 1.0f / 24.0f;
  p = p * x + 1.0f / 6.0f;
  p = p * x + 0.5f;
  p = p * x + 1.0f;
  const float small = p * x;
  const float big = vexp(x) - 1.0f;
  return (x < 0.5f && x > -0.5f) ? small : big;
}

#pragma omp declare simd notinbranch
inline double vexpm1(double x) {
  double p = 1.0 / 355687428096000.0;  // 1/17!
  constexpr double inv[16] = {1.0 / 20922789888000.0,
                              1.0 / 1307674368000.0,
                              1.0 / 87178291200.0,
                              1.0 / 6227020800.0,
                              1.0 / 479001600.0,
                              1.0 / 39916800.0,
                              1.0 / 3628800.0,
                              1.0 / 362880.0,
                              1.0 / 40320.0,
                              1.0 / 5040.0,
                              1.0 / 720.0,
                              1.0 / 120.0,
                              1.0 / 24.0,
                              1.0 / 6.0,
                              0.5,
                              1.0};
  for (int j = 0; j < 16; ++j) p = p * x + inv[j];
  const double small = p * x;
  const double big = vexp(x) - 1.0;
  return (x < 0.5 && x > -0.5) ? small : big;
}

// log1p(e) for e ∈ [0, 1]: 2 atanh(s), s = e/(2 + e) ∈ [0, 1/3]; odd series in s (s² <= 1/9).
template <class S>
inline S log1p_unit(S e) {
  const S s = e / (S(2) + e), s2 = s * s;
  constexpr int terms = sizeof(S) == 4 ? 8 : 17;  // (1/9)^terms / (2 terms + 1) below u
  S p = S(1) / S(2 * terms + 1);
  for (int j = terms - 1; j >= 0; --j) p = p * s2 + S(1) / S(2 * j + 1);
  return S(2) * s * p;
}

// Eq. (1): softplus with torch's threshold: x for x > 20, max(x, 0) + log1p(exp(−|x|)) otherwise.
template <class S>
inline S vsoftplus(S x) {
  const S ax = x < S(0) ? -x : x;
  const S sp = (x > S(0) ? x : S(0)) + log1p_unit(vexp(-ax));
  return x > S(blocking::selective_scan::softplus_threshold) ? x : sp;
}

// Eq. (6): silu(z) = z / (1 + exp(−z)).
template <class S>
inline S vsilu(S z) {
  return z / (S(1) + vexp(-z));
}

// ---- the engine policy ---------------------------------------------------------------------------------------------

template <class S>
struct SelectiveScanPolicy {
  using Scalar = S;
  static constexpr int width = kLanes<S>;
  static constexpr scan::Structure structure = scan::Structure::diagonal;
  static constexpr int W = width;

  const SelectiveScan<S>& p;
  S* y;       // nullptr: not wanted
  S* h_last;  // nullptr: not wanted
  Index groups;
  std::vector<S> At;    // [groups, N, W]: A transposed to lane-minor, padded lanes 0 (a = exp(0) = 1, b = 0)
  std::vector<S> bias;  // [groups * W], padded 0
  std::vector<S> Dv;    // [groups * W], padded 0

  SelectiveScanPolicy(const SelectiveScan<S>& problem, S* y_out, S* h_out)
      : p(problem), y(y_out), h_last(h_out), groups((problem.channels + W - 1) / W) {
    const Index Dc = p.channels, N = p.dstate;
    At.assign(static_cast<std::size_t>(groups * N * W), S(0));
    bias.assign(static_cast<std::size_t>(groups * W), S(0));
    Dv.assign(bias.size(), S(0));
    for (Index c = 0; c < Dc; ++c) {
      const Index g = c / W, l = c % W;
      for (Index n = 0; n < N; ++n) At[static_cast<std::size_t>((g * N + n) * W + l)] = p.A[c * N + n];
      if (!p.delta_bias.empty()) bias[static_cast<std::size_t>(c)] = p.delta_bias[c];
      if (!p.D.empty()) Dv[static_cast<std::size_t>(c)] = p.D[c];
    }
  }

  Index blocks() const { return p.batch * groups; }
  Index len() const { return p.len; }
  Index state() const { return p.dstate; }

  // The valid lanes of block blk: channels c0 .. c0 + lanes − 1 of sequence β.
  Index seq(Index blk) const { return blk / groups; }
  Index c0(Index blk) const { return (blk % groups) * W; }
  Index lanes(Index blk) const { return std::min<Index>(W, p.channels - c0(blk)); }

  // W values of a [batch, len, channels] input at (β, t, c0..), zero-padded past the last channel.
  void load(std::span<const S> v, Index blk, Index t, S* out) const {
    const S* src = v.data() + (seq(blk) * p.len + t) * p.channels + c0(blk);
    const Index m = lanes(blk);
    if (m == W) {
#pragma omp simd
      for (int l = 0; l < W; ++l) out[l] = src[l];
    } else {
      for (int l = 0; l < W; ++l) out[l] = l < m ? src[l] : S(0);
    }
  }

  void initial(Index blk, S* x) const {
    const Index N = p.dstate, m = lanes(blk), base = seq(blk) * p.channels + c0(blk);
    for (Index n = 0; n < N; ++n)
      for (Index l = 0; l < W; ++l) x[n * W + l] = (!p.h0.empty() && l < m) ? p.h0[(base + l) * N + n] : S(0);
  }

  void coeffs(Index blk, Index t, S* a, S* b) const {
    const Index N = p.dstate, g = blk % groups;
    alignas(64) S u[W], dt[W];
    load(p.u, blk, t, u);
    load(p.delta, blk, t, dt);
    const S* bi = bias.data() + g * W;
    if (p.delta_softplus) {
#pragma omp simd
      for (int l = 0; l < W; ++l) dt[l] = vsoftplus(dt[l] + bi[l]);  // eq. (1)
    } else {
#pragma omp simd
      for (int l = 0; l < W; ++l) dt[l] = dt[l] + bi[l];
    }
    const S* Bt = p.B.data() + (seq(blk) * p.len + t) * N;
    const S* Ag = At.data() + g * N * W;
    alignas(64) S du[W], x[W];
#pragma omp simd aligned(u, dt, du : 64)
    for (int l = 0; l < W; ++l) du[l] = dt[l] * u[l];
    for (Index n = 0; n < N; ++n) {
      const S Bn = Bt[n];
      const S* An = Ag + n * W;
      S* an = a + n * W;
      S* bn = b + n * W;
      if (p.discretization == BDiscretization::euler) {
#pragma omp simd aligned(dt, x : 64)
        for (int l = 0; l < W; ++l) x[l] = dt[l] * An[l];
        exp_block(x, an);  // eq. (2)
#pragma omp simd aligned(du : 64)
        for (int l = 0; l < W; ++l) bn[l] = Bn * du[l];  // eq. (3), Euler: B (Δ u)
      } else {
#pragma omp simd aligned(u, dt : 64)
        for (int l = 0; l < W; ++l) {
          const S x = dt[l] * An[l];
          an[l] = vexp(x);
          const S f = An[l] == S(0) ? dt[l] : vexpm1(x) / An[l];  // eq. (3), ZOH (→ Δ as A → 0)
          bn[l] = f * Bn * u[l];
        }
      }
    }
  }

  void emit(Index blk, Index t, const S* x) const {
    if (y == nullptr) return;
    const Index N = p.dstate, g = blk % groups;
    const S* Ct = p.C.data() + (seq(blk) * p.len + t) * N;
    alignas(64) S acc[W];
    readout(Ct, x, N, acc);  // eq. (5)
    alignas(64) S u[W], out[W];
    load(p.u, blk, t, u);
    const S* Dg = Dv.data() + g * W;
#pragma omp simd
    for (int l = 0; l < W; ++l) out[l] = acc[l] + Dg[l] * u[l];
    if (!p.z.empty()) {
      alignas(64) S z[W];
      load(p.z, blk, t, z);
#pragma omp simd
      for (int l = 0; l < W; ++l) out[l] = out[l] * vsilu(z[l]);  // eq. (6)
    }
    S* dst = y + (seq(blk) * p.len + t) * p.channels + c0(blk);
    const Index m = lanes(blk);
    if (m == W) {
#pragma omp simd
      for (int l = 0; l < W; ++l) dst[l] = out[l];
    } else {
      for (Index l = 0; l < m; ++l) dst[l] = out[l];
    }
  }

  void final(Index blk, const S* x) const {
    if (h_last == nullptr) return;
    const Index N = p.dstate, m = lanes(blk), base = seq(blk) * p.channels + c0(blk);
    for (Index l = 0; l < m; ++l)
      for (Index n = 0; n < N; ++n) h_last[(base + l) * N + n] = x[n * W + l];
  }
};

template <class S>
Index run(const SelectiveScan<S>& p, std::span<S> y, std::span<S> h_last, ScanSchedule schedule) {
  constexpr std::string_view fn = "seqref::cpu::selective_scan";
  detail::check_selective_scan<S>(fn, p, y, h_last);
  require(schedule.chunk >= 0, fn, "schedule.chunk must be >= 0 (0: automatic); got " + std::to_string(schedule.chunk));
  require_threads(fn, schedule.threads);  // an OpenMP team of 10^6 threads exhausts the process: refuse it here
  const SelectiveScanPolicy<S> policy(p, y.empty() ? nullptr : y.data(), h_last.empty() ? nullptr : h_last.data());
  return scan::run(policy, schedule);
}

}  // namespace

Index selective_scan(const SelectiveScan<float>& p, std::span<float> y, std::span<float> h_last,
                     ScanSchedule schedule) {
  return run<float>(p, y, h_last, schedule);
}
Index selective_scan(const SelectiveScan<double>& p, std::span<double> y, std::span<double> h_last,
                     ScanSchedule schedule) {
  return run<double>(p, y, h_last, schedule);
}

}  // namespace seqref::cpu
