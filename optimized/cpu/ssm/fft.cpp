// Batched DFTs and FFT causal convolution on the CPU: the one place every SSM kernel gets its FFTs from.
//
// Library: Eigen's FFT module (unsupported/Eigen/FFT, its built-in KISS FFT back end; MPL-2.0, header-only, already
// a dependency of seqref, so nothing new to install or link and the MIT licence stays coherent). Chosen by
// verify/bench/ssm/fft_bench.cpp against KISS FFT (Debian libkissfft-dev) and FFTW3 (measured outside every seqref
// target; GPL): see the comment at the top of that file for the medians.
//
// KISS FFT factors n into radices 4, 2, 3, 5 and a generic O(p²) butterfly for any other prime p, so a size with a
// large prime factor would cost O(n·p) (O(n²) for n prime). Such sizes go through Bluestein's chirp-z identity
//
//   jk = (j² + k² − (k − j)²)/2   ⇒   X_k = w_k Σ_j (x_j w_j) conj(w_{k−j}),   w_j = e^{−πi j²/n}
//
// which is a linear convolution of length 2n − 1, done as a circular one of a power-of-two size m ≥ 2n − 1 with
// three FFTs (the chirp's spectrum is computed once per call and shared by every row). The chirp angle is reduced
// exactly in integers, π(j² mod 2n)/n, and evaluated in double, so no error grows with j².
//
// Rows are independent; OpenMP threads take rows, each with its own thread-local plan cache (Eigen::FFT keeps one
// plan per size and is not thread-safe), so results do not depend on the number of threads.

#include "seqref/opt/ssm/fft.hpp"

#include "seqref/core/validate.hpp"

#include <omp.h>
#include <unsupported/Eigen/FFT>

#include <atomic>
#include <cmath>
#include <numbers>
#include <string>
#include <vector>

namespace seqref::cpu {

namespace {

/// Largest prime factor of n >= 1 (1 for n = 1).
Index largest_prime_factor(Index n) {
  Index p = 1;
  for (Index f = 2; f * f <= n; ++f)
    while (n % f == 0) {
      p = f;
      n /= f;
    }
  return n > 1 ? n : p;
}

// Above this prime factor Bluestein (3 power-of-two FFTs of size ≥ 2n − 1) beats KISS FFT's generic O(p²)
// butterfly; measured with fft_bench (n = 3·2^k stays on the library path, n = 2^k ± 1 mostly goes to Bluestein).
constexpr Index kBluesteinPrime = blocking::fft::bluestein_prime;

template <class S>
Eigen::FFT<S>& thread_fft() {
  thread_local Eigen::FFT<S> fft;  // scaled inverse (1/n), full spectrum
  return fft;
}

template <class S>
Eigen::FFT<S>& thread_real_fft() {
  thread_local Eigen::FFT<S> fft = [] {
    Eigen::FFT<S> f;
    f.SetFlag(Eigen::FFT<S>::HalfSpectrum);  // real transforms keep bins 0..n/2
    return f;
  }();
  return fft;
}

template <class S>
std::vector<std::complex<S>>& thread_buffer(int which) {
  thread_local std::vector<std::complex<S>> buf[3];
  return buf[which];
}

/// Bluestein's chirp for one size: w_j (forward sign) and the spectrum of the circular kernel conj(w_{±j}).
template <class S>
struct Chirp {
  Index n = 0, m = 0;
  std::vector<std::complex<S>> w;         // w_j = e^{∓πi j²/n}, j < n  (− forward, + inverse)
  std::vector<std::complex<S>> kernel_f;  // FFT_m of b, b_j = conj(w_j) for |j| < n, placed circularly
};

template <class S>
Chirp<S> make_chirp(Index n, bool inverse) {
  Chirp<S> c;
  c.n = n;
  c.m = 1;
  while (c.m < 2 * n - 1) c.m *= 2;
  c.w.resize(static_cast<std::size_t>(n));
  const Index two_n = 2 * n;
  for (Index j = 0; j < n; ++j) {
    const Index r = (j % two_n) * (j % two_n) % two_n;  // j² mod 2n, exact
    const double angle = std::numbers::pi * static_cast<double>(r) / static_cast<double>(n);
    c.w[static_cast<std::size_t>(j)] =
        std::complex<S>(static_cast<S>(std::cos(angle)), static_cast<S>(inverse ? std::sin(angle) : -std::sin(angle)));
  }
  std::vector<std::complex<S>> b(static_cast<std::size_t>(c.m), std::complex<S>(0, 0));
  b[0] = std::conj(c.w[0]);
  for (Index j = 1; j < n; ++j) {
    b[static_cast<std::size_t>(j)] = std::conj(c.w[static_cast<std::size_t>(j)]);
    b[static_cast<std::size_t>(c.m - j)] = std::conj(c.w[static_cast<std::size_t>(j)]);
  }
  c.kernel_f.resize(static_cast<std::size_t>(c.m));
  thread_fft<S>().fwd(c.kernel_f.data(), b.data(), c.m);
  return c;
}

/// One row by Bluestein: x ← DFT(x) (inverse: with the 1/n).
template <class S>
void bluestein_row(std::complex<S>* x, const Chirp<S>& c, bool inverse) {
  auto& a = thread_buffer<S>(0);
  auto& af = thread_buffer<S>(1);
  a.assign(static_cast<std::size_t>(c.m), std::complex<S>(0, 0));
  af.resize(static_cast<std::size_t>(c.m));
  for (Index j = 0; j < c.n; ++j) a[static_cast<std::size_t>(j)] = x[j] * c.w[static_cast<std::size_t>(j)];
  auto& fft = thread_fft<S>();
  fft.fwd(af.data(), a.data(), c.m);
  for (Index k = 0; k < c.m; ++k) af[static_cast<std::size_t>(k)] *= c.kernel_f[static_cast<std::size_t>(k)];
  fft.inv(a.data(), af.data(), c.m);  // includes 1/m
  const S scale = inverse ? S(1) / static_cast<S>(c.n) : S(1);
  for (Index k = 0; k < c.n; ++k) x[k] = c.w[static_cast<std::size_t>(k)] * a[static_cast<std::size_t>(k)] * scale;
}

/// One row through the library: x ← DFT(x).
template <class S>
void library_row(std::complex<S>* x, Index n, bool inverse) {
  auto& src = thread_buffer<S>(2);
  src.assign(x, x + n);  // KISS FFT works out of place
  auto& fft = thread_fft<S>();
  if (inverse)
    fft.inv(x, src.data(), n);
  else
    fft.fwd(x, src.data(), n);
}

template <class S>
void dft_batched_impl(std::span<std::complex<S>> span, Index batch, Index n, bool inverse) {
  constexpr std::string_view fn = "seqref::cpu::dft_batched";
  detail::check_dft_batched(fn, span, batch, n);
  std::complex<S>* data = span.data();
  for (Index i = 0; i < batch * n; ++i)
    if (!std::isfinite(data[i].real()) || !std::isfinite(data[i].imag()))
      invalid_argument(fn, "data has a non-finite value at row " + std::to_string(i / n) + ", column " +
                               std::to_string(i % n) + " (shape [" + std::to_string(batch) + ", " + std::to_string(n) +
                               "])");
  if (n == 1) return;  // the DFT of length 1 is the identity (inverse too: 1/n = 1)

  const bool bluestein = largest_prime_factor(n) > kBluesteinPrime;
  Chirp<S> chirp;
  if (bluestein) chirp = make_chirp<S>(n, inverse);
  const bool parallel = batch > 1 && batch * n >= 8192;
#pragma omp parallel for schedule(static) if (parallel)
  for (Index r = 0; r < batch; ++r) {
    if (bluestein)
      bluestein_row(data + r * n, chirp, inverse);
    else
      library_row(data + r * n, n, inverse);
  }
}

/// Smallest 2^a·3^b·5^c >= n with 4 | it: a size KISS FFT transforms with its fast radices, and a multiple of 4
/// so that Eigen's real transform takes its half-length complex path.
Index fast_conv_size(Index n) {
  for (Index m = std::max<Index>(n, 2);; ++m) {
    if (m % blocking::fft::conv_multiple) continue;
    Index r = m;
    for (Index f : {2, 3, 5})
      while (r % f == 0) r /= f;
    if (r == 1) return m;
  }
}

template <class S>
void causal_conv_impl(std::span<const S> kernel_span, std::span<const S> u_span, std::span<S> y_span, Index channels,
                      Index L) {
  constexpr std::string_view fn = "seqref::cpu::causal_conv";
  detail::check_causal_conv(fn, kernel_span, u_span, y_span, channels, L);
  const S* kernel = kernel_span.data();
  const S* u = u_span.data();
  S* y = y_span.data();
  const std::string shape = "[" + std::to_string(channels) + ", " + std::to_string(L) + "]";
  for (Index i = 0; i < channels * L; ++i) {
    if (!std::isfinite(kernel[i]))
      invalid_argument(fn, "kernel has a non-finite value at [" + std::to_string(i / L) + ", " + std::to_string(i % L) +
                               "] (shape " + shape + ")");
    if (!std::isfinite(u[i]))
      invalid_argument(fn, "u has a non-finite value at [" + std::to_string(i / L) + ", " + std::to_string(i % L) +
                               "] (shape " + shape + ")");
  }
  // Circular convolution of size n >= 2L − 1 equals the linear one on t < L: no index wraps around.
  const Index n = fast_conv_size(2 * L - 1);
  const Index bins = n / 2 + 1;
  const bool parallel = channels > 1 && channels * L >= 4096;
#pragma omp parallel if (parallel)
  {
    std::vector<S> pad(static_cast<std::size_t>(n));
    std::vector<std::complex<S>> kf(static_cast<std::size_t>(bins)), uf(static_cast<std::size_t>(bins));
    auto& fft = thread_real_fft<S>();
#pragma omp for schedule(static)
    for (Index c = 0; c < channels; ++c) {
      std::fill(pad.begin(), pad.end(), S(0));
      std::copy(kernel + c * L, kernel + (c + 1) * L, pad.begin());
      fft.fwd(kf.data(), pad.data(), n);
      std::copy(u + c * L, u + (c + 1) * L, pad.begin());  // entries L..n−1 are still zero
      fft.fwd(uf.data(), pad.data(), n);
      for (Index k = 0; k < bins; ++k) kf[static_cast<std::size_t>(k)] *= uf[static_cast<std::size_t>(k)];
      fft.inv(pad.data(), kf.data(), n);  // includes 1/n
      std::copy(pad.begin(), pad.begin() + L, y + c * L);
    }
  }
}

}  // namespace

void dft_batched(std::span<std::complex<float>> data, Index batch, Index n, bool inverse) {
  dft_batched_impl(data, batch, n, inverse);
}
void dft_batched(std::span<std::complex<double>> data, Index batch, Index n, bool inverse) {
  dft_batched_impl(data, batch, n, inverse);
}
void causal_conv(std::span<const float> kernel, std::span<const float> u, std::span<float> y, Index channels, Index L) {
  causal_conv_impl(kernel, u, y, channels, L);
}
void causal_conv(std::span<const double> kernel, std::span<const double> u, std::span<double> y, Index channels,
                 Index L) {
  causal_conv_impl(kernel, u, y, channels, L);
}

}  // namespace seqref::cpu
