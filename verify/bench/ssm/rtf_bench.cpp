// ssm/rtf benchmarks (binary bench_ssm, beside the S4 DPLR kernel of s4_bench.cpp):
//   * FFT causal convolution vs the direct O(L²) sum against L: reference (ref::causal_conv_fft / _direct, one
//     channel) and cpu (cpu::causal_conv, 16 channels);
//   * RTF kernel cost against N = 16..1024 at L = 16384 (reference: one channel; cpu: 16 channels) — eq. (2) has
//     no N beyond an O(N) fold, so time should be flat in N (target: within 1.5x over the range).

#include "seqref/opt/ssm/fft.hpp"
#include "seqref/opt/ssm/rtf.hpp"
#include "seqref/ref/ssm/fourier.hpp"
#include "seqref/ref/ssm/rtf.hpp"

#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <vector>

namespace {

std::vector<double> normal(long n, unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> nd;
  std::vector<double> x(static_cast<std::size_t>(n));
  for (auto& v : x) v = nd(rng);
  return x;
}

// Stable-ish RTF coefficients of any order: a small random denominator (|a_i| ≤ 0.5/N keeps 1 + Σ a_i z^i away
// from zero on the unit circle), random numerator.
void rtf_coefficients(long N, long channels, std::vector<double>& a, std::vector<double>& b) {
  a = normal(N * channels, 1);
  b = normal(N * channels, 2);
  for (auto& v : a) v = 0.5 * std::tanh(v) / double(N);
}

void BM_rtf_conv_ref_fft(benchmark::State& state) {
  const long L = state.range(0);
  const auto k = normal(L, 3), u = normal(L, 4);
  for (auto _ : state) benchmark::DoNotOptimize(seqref::ref::causal_conv_fft(k, u).data());
  state.counters["L"] = double(L);
}

void BM_rtf_conv_ref_direct(benchmark::State& state) {
  const long L = state.range(0);
  const auto k = normal(L, 3), u = normal(L, 4);
  for (auto _ : state) benchmark::DoNotOptimize(seqref::ref::causal_conv_direct(k, u).data());
  state.counters["L"] = double(L);
}

constexpr long kChannels = 16;

void BM_rtf_conv_cpu(benchmark::State& state) {
  const long L = state.range(0);
  const auto k = normal(kChannels * L, 3), u = normal(kChannels * L, 4);
  std::vector<double> y(k.size());
  for (auto _ : state) {
    seqref::cpu::causal_conv(k, u, y, kChannels, L);
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["L"] = double(L);
  state.counters["channels"] = double(kChannels);
}

constexpr long kKernelL = 16384;

void BM_rtf_kernel_ref(benchmark::State& state) {
  const long N = state.range(0);
  std::vector<double> a, b;
  rtf_coefficients(N, 1, a, b);
  for (auto _ : state) benchmark::DoNotOptimize(seqref::ref::rtf_kernel(a, b, kKernelL).data());
  state.counters["N"] = double(N);
  state.counters["L"] = double(kKernelL);
}

void BM_rtf_kernel_cpu(benchmark::State& state) {
  const long N = state.range(0);
  std::vector<double> a, b;
  rtf_coefficients(N, kChannels, a, b);
  std::vector<double> k(static_cast<std::size_t>(kChannels * kKernelL));
  for (auto _ : state) {
    seqref::cpu::rtf_kernel(a, b, k, kChannels, N, kKernelL);
    benchmark::DoNotOptimize(k.data());
  }
  state.counters["N"] = double(N);
  state.counters["L"] = double(kKernelL);
  state.counters["channels"] = double(kChannels);
}

}  // namespace

BENCHMARK(BM_rtf_conv_ref_fft)->RangeMultiplier(4)->Range(256, 16384)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_rtf_conv_ref_direct)->RangeMultiplier(4)->Range(256, 4096)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_rtf_conv_cpu)->RangeMultiplier(4)->Range(256, 16384)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_rtf_kernel_ref)->RangeMultiplier(4)->Range(16, 1024)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_rtf_kernel_cpu)->RangeMultiplier(4)->Range(16, 1024)->Unit(benchmark::kMillisecond);
