// S4 / S4D kernels on the CPU: the Cauchy kernel, the Vandermonde kernel and the full S4 DPLR kernel path
// (Woodbury + fused Cauchy sums + inverse DFT through seqref::cpu::dft_batched), batched over channels.
//
// Layout: complex inputs arrive interleaved (std::complex) and are split into real and imaginary arrays per task,
// so that the inner loops run over contiguous lanes of nodes (Cauchy) or of powers (Vandermonde):
//
//   Cauchy      tasks = (channel, block of nodes); acc[k] += w_n / (z_k − λ_n) with the division done as
//               w·conj(d) · (1/|d|²); the poles are summed in blocks of 32 into a fresh partial sum, and the
//               partial sums are added up in double (summation error ~32u, not ~N u: at N = 2048 this is what keeps
//               the kernel within 2x of a straightforward f32 implementation that reduces pairwise, as NumPy/torch
//               do; 32-pole partial sums added in float alone gave 2.2x there). float + AVX-512: 1/|d|² by rcp14 and one Newton step (relative error
//               ≈ 2^-28, below fp32 rounding) instead of vdivps, in register tiles of 64 nodes; otherwise (double,
//               tails, no AVX-512) the same loop with a true division, vectorized by the compiler.
//   Vandermonde per channel: powers z_n^r for r < 64 (a table, in double) and the running factor w_n z_n^{64b}
//               (in double, one multiplication by z_n^64 per block); out[64b + r] = 2 Σ_n Re(w_n z^{64b} · z^r):
//               two FMAs per term; error ~ (64 + L/64) u instead of the reference's ~L u.
//   S4 DPLR     per channel, the four Cauchy sums of the Woodbury identity share one denominator z'_k − Δλ_n/2 with
//               z'_k = (1 − ω^k)/(1 + ω^k) = i·tan(πk/L) (one reciprocal, four numerators); then
//               K̂ = 2/(1+ω^k) · (Δ/2)[s00 − (Δ/2) s01 s10 / (1 + (Δ/2) s11)], the node ω^{L/2} = −1 by its limit
//               (Δ/2) C̃B, and one batched inverse DFT over all channels.
// Threads (OpenMP) take whole tasks; each output element is written by one task in a fixed order, so the bits do
// not depend on the thread count.

#include "seqref/opt/ssm/s4.hpp"

#include "seqref/core/validate.hpp"
#include "seqref/opt/ssm/fft.hpp"

#include <omp.h>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>
#include <vector>

namespace seqref::cpu {

namespace {

template <class T>
void check_finite(std::string_view fn, const std::complex<T>* x, Index n, const char* name) {
  for (Index i = 0; i < n; ++i)
    if (!std::isfinite(x[i].real()) || !std::isfinite(x[i].imag()))
      invalid_argument(fn, std::string(name) + " has a non-finite value at flat index " + std::to_string(i));
}

// ---- Cauchy -------------------------------------------------------------------------------------------------------

constexpr Index kNodeBlock = blocking::s4::node_block;  // nodes per task: 8 KiB of fp32 accumulators, L1-resident

constexpr Index kPoleBlock = blocking::s4::pole_block;  // poles summed into a fresh partial sum before the total

/// acc[k] += Σ_n w_n / (z_k − λ_n) for k < count by the plain (compiler-vectorized) loop. The poles are summed in
/// blocks of kPoleBlock into a zeroed partial sum in T, and the partial sums are added up in double: rounding error
/// ~(P + 1)·u per node for float instead of ~N·u for one running sum (the difference shows at N in the thousands).
template <class T>
void cauchy_lanes(const T* wr, const T* wi, const T* lr, const T* li, Index N, const T* zr, const T* zi, T* ar, T* ai,
                  Index count) {
  constexpr Index KB = 64;  // nodes whose partial sums live on the stack
  for (Index k0 = 0; k0 < count; k0 += KB) {
    const Index kc = std::min(KB, count - k0);
    double tr[KB] = {}, ti[KB] = {};  // the totals
    for (Index n0 = 0; n0 < N; n0 += kPoleBlock) {
      const Index n1 = std::min(N, n0 + kPoleBlock);
      T pr[KB] = {}, pi[KB] = {};
      for (Index n = n0; n < n1; ++n) {
        const T wrn = wr[n], win = wi[n], lrn = lr[n], lin = li[n];
#pragma omp simd
        for (Index k = 0; k < kc; ++k) {
          const T dr = zr[k0 + k] - lrn, di = zi[k0 + k] - lin;
          const T inv = T(1) / (dr * dr + di * di);
          pr[k] += (wrn * dr + win * di) * inv;  // w·conj(d) / |d|²
          pi[k] += (win * dr - wrn * di) * inv;
        }
      }
      for (Index k = 0; k < kc; ++k) tr[k] += double(pr[k]), ti[k] += double(pi[k]);
    }
    for (Index k = 0; k < kc; ++k) ar[k0 + k] += T(tr[k]), ai[k0 + k] += T(ti[k]);
  }
}

#if defined(__AVX512F__)
/// t[0..16) += x (16 floats widened to double).
inline void add_to_double(__m512 x, double* t) {
  const __m512d lo = _mm512_cvtps_pd(_mm512_castps512_ps256(x));
  const __m512d hi = _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(x), 1)));
  _mm512_store_pd(t, _mm512_add_pd(_mm512_load_pd(t), lo));
  _mm512_store_pd(t + 8, _mm512_add_pd(_mm512_load_pd(t + 8), hi));
}

/// float, 64 nodes at a time in registers (4 zmm per real/imag accumulator), reciprocal by rcp14 + Newton.
Index cauchy_avx512(const float* wr, const float* wi, const float* lr, const float* li, Index N, const float* zr,
                    const float* zi, float* ar, float* ai, Index count) {
  constexpr int V = static_cast<int>(blocking::s4::cauchy_lanes);
  constexpr int U = static_cast<int>(blocking::s4::cauchy_tile / blocking::s4::cauchy_lanes);
  static_assert(V == 16, "one zmm holds 16 floats");
  Index k = 0;
  const __m512 two = _mm512_set1_ps(2.0f);
  for (; k + V * U <= count; k += V * U) {
    __m512 zrv[U], ziv[U];
    alignas(64) double tr[V * U] = {}, ti[V * U] = {};  // the totals, in double
    for (int u = 0; u < U; ++u) {
      zrv[u] = _mm512_loadu_ps(zr + k + V * u);
      ziv[u] = _mm512_loadu_ps(zi + k + V * u);
    }
    for (Index n0 = 0; n0 < N; n0 += kPoleBlock) {  // partial sums over a block of poles, then into the total
      const Index n1 = std::min(N, n0 + kPoleBlock);
      __m512 pr[U], pi[U];
      for (int u = 0; u < U; ++u) pr[u] = _mm512_setzero_ps(), pi[u] = _mm512_setzero_ps();
      for (Index n = n0; n < n1; ++n) {
        const __m512 lrn = _mm512_set1_ps(lr[n]), lin = _mm512_set1_ps(li[n]);
        const __m512 wrn = _mm512_set1_ps(wr[n]), win = _mm512_set1_ps(wi[n]);
        for (int u = 0; u < U; ++u) {
          const __m512 dr = _mm512_sub_ps(zrv[u], lrn), di = _mm512_sub_ps(ziv[u], lin);
          const __m512 den = _mm512_fmadd_ps(dr, dr, _mm512_mul_ps(di, di));
          __m512 r = _mm512_rcp14_ps(den);
          r = _mm512_mul_ps(r, _mm512_fnmadd_ps(den, r, two));  // Newton: r(2 − den·r)
          const __m512 nr = _mm512_fmadd_ps(wrn, dr, _mm512_mul_ps(win, di));
          const __m512 ni = _mm512_fmsub_ps(win, dr, _mm512_mul_ps(wrn, di));
          pr[u] = _mm512_fmadd_ps(nr, r, pr[u]);
          pi[u] = _mm512_fmadd_ps(ni, r, pi[u]);
        }
      }
      for (int u = 0; u < U; ++u) add_to_double(pr[u], tr + V * u), add_to_double(pi[u], ti + V * u);
    }
    for (int i = 0; i < V * U; ++i) ar[k + i] = static_cast<float>(tr[i]), ai[k + i] = static_cast<float>(ti[i]);
  }
  return k;
}
#endif

template <class T>
void cauchy_impl(const std::complex<T>* w, const std::complex<T>* lambda, const std::complex<T>* z,
                 std::complex<T>* out, Index channels, Index N, Index nodes) {
  constexpr std::string_view fn = "seqref::cpu::cauchy_kernel";
  check_finite(fn, w, channels * N, "w");
  check_finite(fn, lambda, channels * N, "lambda");
  check_finite(fn, z, nodes, "z");
  std::vector<T> zr(static_cast<std::size_t>(nodes)), zi(static_cast<std::size_t>(nodes));
  for (Index k = 0; k < nodes; ++k)
    zr[static_cast<std::size_t>(k)] = z[k].real(), zi[static_cast<std::size_t>(k)] = z[k].imag();
  const Index blocks = (nodes + kNodeBlock - 1) / kNodeBlock;
#pragma omp parallel
  {
    std::vector<T> wr(static_cast<std::size_t>(N)), wi(wr), lr(wr), li(wr);
    std::vector<T> ar(static_cast<std::size_t>(kNodeBlock)), ai(ar);
    Index loaded = -1;
#pragma omp for schedule(static)
    for (Index task = 0; task < channels * blocks; ++task) {
      const Index c = task / blocks, k0 = (task % blocks) * kNodeBlock, count = std::min(kNodeBlock, nodes - k0);
      if (c != loaded) {
        for (Index n = 0; n < N; ++n) {
          const auto wn = w[c * N + n], ln = lambda[c * N + n];
          wr[static_cast<std::size_t>(n)] = wn.real(), wi[static_cast<std::size_t>(n)] = wn.imag();
          lr[static_cast<std::size_t>(n)] = ln.real(), li[static_cast<std::size_t>(n)] = ln.imag();
        }
        loaded = c;
      }
      Index done = 0;
#if defined(__AVX512F__)
      if constexpr (std::is_same_v<T, float>)
        done = cauchy_avx512(wr.data(), wi.data(), lr.data(), li.data(), N, zr.data() + k0, zi.data() + k0, ar.data(),
                             ai.data(), count);
#endif
      if (done < count) {
        std::fill(ar.begin() + done, ar.begin() + count, T(0));
        std::fill(ai.begin() + done, ai.begin() + count, T(0));
        cauchy_lanes(wr.data(), wi.data(), lr.data(), li.data(), N, zr.data() + k0 + done, zi.data() + k0 + done,
                     ar.data() + done, ai.data() + done, count - done);
      }
      for (Index k = 0; k < count; ++k)
        out[c * nodes + k0 + k] = {ar[static_cast<std::size_t>(k)], ai[static_cast<std::size_t>(k)]};
    }
  }
}

// ---- Vandermonde --------------------------------------------------------------------------------------------------

constexpr Index kPowerBlock =
    blocking::s4::power_block;  // powers per table: out[64b + r] uses z^r from the table and z^{64b} running

template <class T>
void vandermonde_impl(const std::complex<T>* w, const std::complex<T>* z, T* out, Index channels, Index N, Index L) {
  constexpr std::string_view fn = "seqref::cpu::vandermonde_kernel";
  check_finite(fn, w, channels * N, "w");
  check_finite(fn, z, channels * N, "z");
  constexpr Index Bp = kPowerBlock;
#pragma omp parallel
  {
    std::vector<T> pr(static_cast<std::size_t>(N * Bp)), pi(pr);  // z_n^r, r < Bp, split
    std::vector<std::complex<double>> cur(static_cast<std::size_t>(N)), step(cur);
    std::vector<T> cr(static_cast<std::size_t>(N)), ci(cr), acc(static_cast<std::size_t>(Bp));
#pragma omp for schedule(static)
    for (Index c = 0; c < channels; ++c) {
      for (Index n = 0; n < N; ++n) {
        const std::complex<double> zn(z[c * N + n]);
        std::complex<double> p(1.0, 0.0);
        for (Index r = 0; r < Bp; ++r) {
          pr[static_cast<std::size_t>(n * Bp + r)] = static_cast<T>(p.real());
          pi[static_cast<std::size_t>(n * Bp + r)] = static_cast<T>(p.imag());
          p *= zn;
        }
        step[static_cast<std::size_t>(n)] = p;  // z_n^Bp
        cur[static_cast<std::size_t>(n)] = std::complex<double>(w[c * N + n]);
      }
      for (Index j0 = 0; j0 < L; j0 += Bp) {
        const Index count = std::min(Bp, L - j0);
        for (Index n = 0; n < N; ++n) {
          cr[static_cast<std::size_t>(n)] = static_cast<T>(cur[static_cast<std::size_t>(n)].real());
          ci[static_cast<std::size_t>(n)] = static_cast<T>(cur[static_cast<std::size_t>(n)].imag());
          cur[static_cast<std::size_t>(n)] *= step[static_cast<std::size_t>(n)];  // w_n z_n^{j0 + Bp}
        }
        std::fill(acc.begin(), acc.end(), T(0));
        for (Index n = 0; n < N; ++n) {
          const T a = cr[static_cast<std::size_t>(n)], b = ci[static_cast<std::size_t>(n)];
          const T* prn = pr.data() + n * Bp;
          const T* pin = pi.data() + n * Bp;
#pragma omp simd
          for (Index r = 0; r < Bp; ++r) acc[static_cast<std::size_t>(r)] += a * prn[r] - b * pin[r];  // Re(cur·z^r)
        }
        for (Index r = 0; r < count; ++r) out[c * L + j0 + r] = T(2) * acc[static_cast<std::size_t>(r)];
      }
    }
  }
}

// ---- S4 DPLR kernel -----------------------------------------------------------------------------------------------

template <class T>
void s4_dplr_impl(const std::complex<T>* Lambda, const std::complex<T>* P, const std::complex<T>* Q,
                  const std::complex<T>* B, const std::complex<T>* Ct, const T* dt, T* out, Index channels, Index N,
                  Index L) {
  constexpr std::string_view fn = "seqref::cpu::s4_kernel_dplr";
  for (auto [p, name] : {std::pair{Lambda, "Lambda"}, {P, "P"}, {Q, "Q"}, {B, "B"}, {Ct, "Ctilde"}})
    check_finite(fn, p, channels * N, name);
  for (Index c = 0; c < channels; ++c)
    require(std::isfinite(dt[c]) && dt[c] > T(0), fn,
            "dt[" + std::to_string(c) + "] must be finite and > 0 (channels " + std::to_string(channels) + ")");

  // Nodes ω^k = e^{−2πik/L} and z'_k = (1 − ω^k)/(1 + ω^k) = i·tan(πk/L), in double from the reduced angle.
  const Index half = (L % 2 == 0) ? L / 2 : -1;  // the node ω^{L/2} = −1, if any
  std::vector<T> zi(static_cast<std::size_t>(L), T(0));
  std::vector<std::complex<T>> front(static_cast<std::size_t>(L));  // 2/(1 + ω^k)
  for (Index k = 0; k < L; ++k) {
    if (k == half) continue;
    const double theta = 2.0 * std::numbers::pi * static_cast<double>(k) / static_cast<double>(L);
    const std::complex<double> omega(std::cos(theta), -std::sin(theta));
    zi[static_cast<std::size_t>(k)] =
        static_cast<T>(std::tan(std::numbers::pi * static_cast<double>(k) / static_cast<double>(L)));
    front[static_cast<std::size_t>(k)] = std::complex<T>(2.0 / (1.0 + omega));
  }
  std::vector<std::complex<T>> spectrum(static_cast<std::size_t>(channels * L));
  const Index blocks = (L + kNodeBlock - 1) / kNodeBlock;
#pragma omp parallel
  {
    std::vector<T> lr(static_cast<std::size_t>(N)), li(lr), w[8];
    for (auto& v : w) v.resize(static_cast<std::size_t>(N));
    std::vector<T> acc[8];
    for (auto& v : acc) v.resize(static_cast<std::size_t>(kNodeBlock));
    Index loaded = -1;
#pragma omp for schedule(static)
    for (Index task = 0; task < channels * blocks; ++task) {
      const Index c = task / blocks, k0 = (task % blocks) * kNodeBlock, count = std::min(kNodeBlock, L - k0);
      const T h = dt[c] / T(2);
      if (c != loaded) {
        for (Index n = 0; n < N; ++n) {
          const std::size_t i = static_cast<std::size_t>(n);
          const auto l = Lambda[c * N + n] * h;  // λ'_n = Δλ_n/2: 1/(g − λ) = (Δ/2)/(z' − λ')
          const auto b = B[c * N + n], p = P[c * N + n], ct = Ct[c * N + n], qc = std::conj(Q[c * N + n]);
          const std::complex<T> ws[4] = {ct * b, ct * p, qc * b, qc * p};  // C̃'B', C̃'P', Q'*B', Q'*P'
          lr[i] = l.real(), li[i] = l.imag();
          for (int a = 0; a < 4; ++a) w[2 * a][i] = ws[a].real(), w[2 * a + 1][i] = ws[a].imag();
        }
        loaded = c;
      }
      for (auto& v : acc) std::fill(v.begin(), v.begin() + count, T(0));
      const T* zik = zi.data() + k0;
      for (Index n = 0; n < N; ++n) {
        const std::size_t i = static_cast<std::size_t>(n);
        const T lrn = lr[i], lin = li[i];
        const T w0r = w[0][i], w0i = w[1][i], w1r = w[2][i], w1i = w[3][i], w2r = w[4][i], w2i = w[5][i], w3r = w[6][i],
                w3i = w[7][i];
        T *a0r = acc[0].data(), *a0i = acc[1].data(), *a1r = acc[2].data(), *a1i = acc[3].data(), *a2r = acc[4].data(),
          *a2i = acc[5].data(), *a3r = acc[6].data(), *a3i = acc[7].data();
#pragma omp simd
        for (Index k = 0; k < count; ++k) {
          const T dr = -lrn, di = zik[k] - lin;  // d = z' − λ', z' purely imaginary
          const T inv = T(1) / (dr * dr + di * di);
          const T cr = dr * inv, ci = -di * inv;  // 1/d = conj(d)/|d|²
          a0r[k] += w0r * cr - w0i * ci, a0i[k] += w0r * ci + w0i * cr;
          a1r[k] += w1r * cr - w1i * ci, a1i[k] += w1r * ci + w1i * cr;
          a2r[k] += w2r * cr - w2i * ci, a2i[k] += w2r * ci + w2i * cr;
          a3r[k] += w3r * cr - w3i * ci, a3i[k] += w3r * ci + w3i * cr;
        }
      }
      for (Index k = 0; k < count; ++k) {
        const Index kk = k0 + k;
        const std::size_t i = static_cast<std::size_t>(k);
        std::complex<T>& s = spectrum[static_cast<std::size_t>(c * L + kk)];
        if (kk == half) {
          // even L: node z = −1 by its limit (Δ/2) C̃B
          std::complex<T> ctb(0, 0);
          for (Index n = 0; n < N; ++n) ctb += Ct[c * N + n] * B[c * N + n];
          s = h * ctb;
          continue;
        }
        const std::complex<T> k00 = h * std::complex<T>(acc[0][i], acc[1][i]),
                              k01 = h * std::complex<T>(acc[2][i], acc[3][i]),
                              k10 = h * std::complex<T>(acc[4][i], acc[5][i]),
                              k11 = h * std::complex<T>(acc[6][i], acc[7][i]);
        s = front[static_cast<std::size_t>(kk)] * (k00 - k01 * k10 / (T(1) + k11));  // Woodbury, rank 1
      }
    }
  }
  dft_batched(std::span<std::complex<T>>(spectrum), channels, L, /*inverse=*/true);
  for (Index i = 0; i < channels * L; ++i) out[i] = spectrum[static_cast<std::size_t>(i)].real();
}

}  // namespace

// The public entry points: the shared shape and length checks (seqref/opt/ssm/s4.hpp), then the kernels, which
// check values (finiteness, dt > 0).
#define SEQREF_S4_ENTRIES(T)                                                                                          \
  void cauchy_kernel(std::span<const std::complex<T>> w, std::span<const std::complex<T>> lambda,                     \
                     std::span<const std::complex<T>> z, std::span<std::complex<T>> out, Index channels, Index N,     \
                     Index nodes) {                                                                                   \
    detail::check_cauchy_kernel<T>("seqref::cpu::cauchy_kernel", w, lambda, z, out, channels, N, nodes);              \
    cauchy_impl(w.data(), lambda.data(), z.data(), out.data(), channels, N, nodes);                                   \
  }                                                                                                                   \
  void vandermonde_kernel(std::span<const std::complex<T>> w, std::span<const std::complex<T>> z, std::span<T> out,   \
                          Index channels, Index N, Index L) {                                                         \
    detail::check_vandermonde_kernel<T>("seqref::cpu::vandermonde_kernel", w, z, out, channels, N, L);                \
    vandermonde_impl(w.data(), z.data(), out.data(), channels, N, L);                                                 \
  }                                                                                                                   \
  void s4_kernel_dplr(std::span<const std::complex<T>> Lambda, std::span<const std::complex<T>> P,                    \
                      std::span<const std::complex<T>> Q, std::span<const std::complex<T>> B,                         \
                      std::span<const std::complex<T>> Ctilde, std::span<const T> dt, std::span<T> out,               \
                      Index channels, Index N, Index L) {                                                             \
    detail::check_s4_kernel_dplr<T>("seqref::cpu::s4_kernel_dplr", Lambda, P, Q, B, Ctilde, dt, out, channels, N, L); \
    s4_dplr_impl(Lambda.data(), P.data(), Q.data(), B.data(), Ctilde.data(), dt.data(), out.data(), channels, N, L);  \
  }
SEQREF_S4_ENTRIES(float)
SEQREF_S4_ENTRIES(double)
#undef SEQREF_S4_ENTRIES

}  // namespace seqref::cpu
