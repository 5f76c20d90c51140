#include "verify/tests/ssm/fft_properties.hpp"

#include "seqref/core/random.hpp"
#include "seqref/opt/ssm/fft.hpp"
#include "seqref/ref/ssm/fourier.hpp"
#include "verify/support/error.hpp"

#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <type_traits>

namespace seqref::verify::ssm_fft {

namespace {

bool is_pow2(Index n) { return n >= 1 && (n & (n - 1)) == 0; }

/// The reference transform of one row at precision T: radix-2 FFT where it applies, else the definition.
template <class T>
std::vector<std::complex<T>> ref_transform(const std::vector<std::complex<T>>& x, bool inverse) {
  return is_pow2(static_cast<Index>(x.size())) ? ref::fft(x, inverse) : ref::dft(x, inverse);
}

/// Row-wise reference transform of a batch, computed at precision T from data of precision S.
template <class T, class S>
std::vector<std::complex<T>> ref_batch(const std::vector<std::complex<S>>& x, Index batch, Index n, bool inverse) {
  std::vector<std::complex<T>> out;
  out.reserve(x.size());
  for (Index r = 0; r < batch; ++r) {
    std::vector<std::complex<T>> row;
    for (Index j = 0; j < n; ++j) {
      const auto& v = x[static_cast<std::size_t>(r * n + j)];
      row.emplace_back(T(v.real()), T(v.imag()));
    }
    const auto X = ref_transform(row, inverse);
    out.insert(out.end(), X.begin(), X.end());
  }
  return out;
}

template <class S>
std::string describe_dft(const char* backend, Index batch, Index n, bool inverse, std::uint64_t seed) {
  std::ostringstream os;
  os << backend << (std::is_same_v<S, float> ? " f32 " : " f64 ") << (inverse ? "inverse" : "forward")
     << " DFT batch=" << batch << " n=" << n << " seed=" << seed;
  return os.str();
}

/// err(x) against the oracle for a batch already transformed by an optimized backend.
template <class S>
Measured judge_dft(const std::vector<std::complex<S>>& x, const std::vector<std::complex<S>>& out, Index batch, Index n,
                   bool inverse, Backend backend, std::string detail) {
  const double u = unit_roundoff<S>();
  const auto reference = ref_batch<S>(x, batch, n, inverse);
  double err_opt, err_ref;
  if constexpr (std::is_same_v<S, float>) {
    const auto oracle = ref_batch<double>(x, batch, n, inverse);
    err_opt = relative_error(out, oracle) / u;
    err_ref = relative_error(reference, oracle) / u;
  } else {
    const auto oracle = ref_batch<Oracle>(x, batch, n, inverse);
    err_opt = relative_error(out, oracle) / u;
    err_ref = relative_error(reference, oracle) / u;
  }
  const auto& tol = tolerance(kMethod, "dft", precision_of<S>(), backend);
  return {judge_relative(tol, err_opt, err_ref), std::move(detail)};
}

template <class S>
std::vector<S> decaying_kernel(Index channels, Index L, std::uint64_t seed) {
  SplitMix64 rng(seed);
  std::vector<S> k(static_cast<std::size_t>(channels * L));
  for (Index c = 0; c < channels; ++c)
    for (Index t = 0; t < L; ++t)
      k[static_cast<std::size_t>(c * L + t)] = static_cast<S>(rng.normal() * std::exp(-0.02 * double(t)));
  return k;
}

template <class S>
std::vector<S> normal_signal(Index channels, Index L, std::uint64_t seed) {
  SplitMix64 rng(seed);
  std::vector<S> u(static_cast<std::size_t>(channels * L));
  for (auto& v : u) v = static_cast<S>(rng.normal());
  return u;
}

/// Per-channel convolution at precision T by `conv` (a reference function), data of precision S.
template <class T, class S, class Conv>
std::vector<T> conv_rows(const std::vector<S>& k, const std::vector<S>& u, Index channels, Index L, Conv conv) {
  std::vector<T> y;
  for (Index c = 0; c < channels; ++c) {
    std::vector<T> kc(k.begin() + c * L, k.begin() + (c + 1) * L), uc(u.begin() + c * L, u.begin() + (c + 1) * L);
    const auto yc = conv(kc, uc);
    y.insert(y.end(), yc.begin(), yc.end());
  }
  return y;
}

template <class S>
Measured judge_conv(const std::vector<S>& k, const std::vector<S>& u, const std::vector<S>& y, Index channels, Index L,
                    Backend backend, std::string detail) {
  const double uu = unit_roundoff<S>();
  const auto reference =
      conv_rows<S>(k, u, channels, L, [](const auto& a, const auto& b) { return ref::causal_conv_fft(a, b); });
  using O = Truth<S>;
  const auto oracle =
      conv_rows<O>(k, u, channels, L, [](const auto& a, const auto& b) { return ref::causal_conv_direct(a, b); });
  // Errors in the scale of an FFT convolution, u·‖k‖₂‖u‖₂ per channel (its rounding is relative to the inputs, not
  // to y: with cancellation, errors relative to ‖y‖ are noisy for both the kernel and the reference, e.g. 9.4u vs a
  // lucky 1.1u at L = 4), summed over channels as ‖ŷ − y‖₂ / sqrt(Σ_c ‖k_c‖²‖u_c‖²).
  auto scaled_error = [&](const std::vector<S>& x) {
    long double num = 0, den = 0;
    for (Index c = 0; c < channels; ++c) {
      long double kk = 0, un = 0;
      for (Index t = 0; t < L; ++t) {
        const std::size_t i = static_cast<std::size_t>(c * L + t);
        kk += static_cast<long double>(k[i]) * static_cast<long double>(k[i]);
        un += static_cast<long double>(u[i]) * static_cast<long double>(u[i]);
        const long double d = static_cast<long double>(x[i]) - static_cast<long double>(oracle[i]);
        num += d * d;
      }
      den += kk * un;
    }
    return den > 0 ? static_cast<double>(std::sqrt(num / den)) / uu : static_cast<double>(std::sqrt(num)) / uu;
  };
  const double err_opt = scaled_error(y), err_ref = scaled_error(reference);
  const auto& tol = tolerance(kMethod, "causal_conv", precision_of<S>(), backend);
  return {judge_relative(tol, err_opt, err_ref), std::move(detail) + " (errors in u·‖k‖‖u‖)"};
}

template <class S>
std::string describe_conv(const char* backend, Index channels, Index L, std::uint64_t seed) {
  std::ostringstream os;
  os << backend << (std::is_same_v<S, float> ? " f32" : " f64") << " causal conv channels=" << channels << " L=" << L
     << " seed=" << seed;
  return os.str();
}

}  // namespace

template <class S>
std::vector<std::complex<S>> random_rows(Index batch, Index n, std::uint64_t seed) {
  SplitMix64 rng(seed);
  std::vector<std::complex<S>> x(static_cast<std::size_t>(batch * n));
  for (auto& v : x) v = std::complex<S>(static_cast<S>(rng.normal()), static_cast<S>(rng.normal()));
  return x;
}

template <class S>
Measured cpu_dft_vs_oracle(Index batch, Index n, bool inverse, std::uint64_t seed) {
  const auto x = random_rows<S>(batch, n, seed);
  auto out = x;
  cpu::dft_batched(out, batch, n, inverse);
  return judge_dft(x, out, batch, n, inverse, Backend::cpu, describe_dft<S>("cpu", batch, n, inverse, seed));
}

template <class S>
Measured cpu_causal_conv_vs_oracle(Index channels, Index L, std::uint64_t seed) {
  const auto k = decaying_kernel<S>(channels, L, seed * 2 + 1);
  const auto u = normal_signal<S>(channels, L, seed * 2 + 2);
  auto y = poisoned<S>(k.size());  // an unwritten entry fails
  cpu::causal_conv(k, u, y, channels, L);
  return judge_conv(k, u, y, channels, L, Backend::cpu, describe_conv<S>("cpu", channels, L, seed));
}

Measured cuda_dft_vs_oracle(Index batch, Index n, bool inverse, std::uint64_t seed) {
#ifdef SEQREF_HAS_CUDA
  const auto x = random_rows<float>(batch, n, seed);
  auto out = x;
  cuda::dft_batched(out, batch, n, inverse);
  return judge_dft(x, out, batch, n, inverse, Backend::cuda, describe_dft<float>("cuda", batch, n, inverse, seed));
#else
  (void)batch, (void)n, (void)inverse, (void)seed;
  throw std::runtime_error("cuda_dft_vs_oracle: seqref was built without CUDA");
#endif
}

Measured cuda_causal_conv_vs_oracle(Index channels, Index L, std::uint64_t seed) {
#ifdef SEQREF_HAS_CUDA
  const auto k = decaying_kernel<float>(channels, L, seed * 2 + 1);
  const auto u = normal_signal<float>(channels, L, seed * 2 + 2);
  auto y = poisoned<float>(k.size());
  cuda::causal_conv(k, u, y, channels, L);
  return judge_conv(k, u, y, channels, L, Backend::cuda, describe_conv<float>("cuda", channels, L, seed));
#else
  (void)channels, (void)L, (void)seed;
  throw std::runtime_error("cuda_causal_conv_vs_oracle: seqref was built without CUDA");
#endif
}

template <class S>
bool batch_independence(Index batch, Index n, bool inverse, std::uint64_t seed) {
  const auto x = random_rows<S>(batch, n, seed);
  auto all = x;
  cpu::dft_batched(all, batch, n, inverse);
  for (Index r = 0; r < batch; ++r) {
    std::vector<std::complex<S>> row(x.begin() + r * n, x.begin() + (r + 1) * n);
    cpu::dft_batched(row, 1, n, inverse);
    if (!bit_identical(row.data(), all.data() + r * n, n)) return false;
  }
  return true;
}

template <class S>
double roundtrip_error_u(Index batch, Index n, std::uint64_t seed) {
  const auto x = random_rows<S>(batch, n, seed);
  auto y = x;
  cpu::dft_batched(y, batch, n, false);
  cpu::dft_batched(y, batch, n, true);
  return relative_error(y, x) / unit_roundoff<S>();
}

template std::vector<std::complex<float>> random_rows(Index, Index, std::uint64_t);
template std::vector<std::complex<double>> random_rows(Index, Index, std::uint64_t);
template Measured cpu_dft_vs_oracle<float>(Index, Index, bool, std::uint64_t);
template Measured cpu_dft_vs_oracle<double>(Index, Index, bool, std::uint64_t);
template Measured cpu_causal_conv_vs_oracle<float>(Index, Index, std::uint64_t);
template Measured cpu_causal_conv_vs_oracle<double>(Index, Index, std::uint64_t);
template bool batch_independence<float>(Index, Index, bool, std::uint64_t);
template bool batch_independence<double>(Index, Index, bool, std::uint64_t);
template double roundtrip_error_u<float>(Index, Index, std::uint64_t);
template double roundtrip_error_u<double>(Index, Index, std::uint64_t);

}  // namespace seqref::verify::ssm_fft
