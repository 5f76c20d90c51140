// Benchmarks for ssm/s4 (registered into bench_ssm; main is verify/bench/ssm/main.cpp):
//   * the Cauchy kernel at N = 64, L = 16384 nodes, 256 channels: reference (f32, per channel), cpu f32, and
//     (s4_bench.cu) cuda f32, beside Eigen's SGEMM measured in the same run as this machine's practical fp32 roofline;
//   * the full S4 DPLR kernel path (cpu f32) at L = 16384, 16 channels, N = 16..1024 (ssm/rtf compares against it).
//
// FLOP convention, per Cauchy term w_n/(z_k − λ_n) accumulated: 16 = 2 (d = z − λ) + 3 (|d|²) + 1 (reciprocal)
// + 6 (w·conj(d)) + 4 (two multiply-adds into the accumulator's real and imaginary parts). Same count for every
// variant, so GFLOP/s ratios are time ratios. Run with --benchmark_repetitions=9 and compare medians.

#include "seqref/opt/ssm/s4.hpp"
#include "seqref/ref/ssm/s4.hpp"

#include <Eigen/Core>
#include "verify/bench/support/roofline.hpp"

#include <benchmark/benchmark.h>

#include <cmath>
#include <complex>
#include <vector>

namespace {

using namespace seqref;
using C32 = std::complex<float>;

constexpr Index kN = 64, kNodes = 16384, kChannels = 256;
constexpr double kFlopsPerTerm = 16.0;

struct CauchyData {
  std::vector<C32> w, lambda, z, out;
};

const CauchyData& cauchy_data() {
  static const CauchyData d = [] {
    CauchyData d;
    d.w.resize(kChannels * kN), d.lambda.resize(kChannels * kN), d.z.resize(kNodes), d.out.resize(kChannels * kNodes);
    for (Index c = 0; c < kChannels; ++c)
      for (Index n = 0; n < kN; ++n) {
        const float h = 0.5f * 0.01f * (1.0f + static_cast<float>(c % 7));  // Δ/2 · S4D-Lin mode
        d.lambda[c * kN + n] = {-0.5f * h, 3.14159265f * static_cast<float>(n) * h};
        d.w[c * kN + n] = {std::cos(0.1f * static_cast<float>(n + c)), std::sin(0.3f * static_cast<float>(n))};
      }
    for (Index k = 0; k < kNodes; ++k)  // S4's nodes: i·tan(πk/L)
      d.z[k] = {0.0f, static_cast<float>(std::tan(3.141592653589793 * (static_cast<double>(k) + 0.5) / kNodes))};
    return d;
  }();
  return d;
}

void cauchy_counters(benchmark::State& state, double channels) {
  state.counters["GFLOP/s"] =
      benchmark::Counter(kFlopsPerTerm * channels * kN * kNodes * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["channels"] = channels;
}

// Reference: one channel per iteration (the plain loop is ~50x slower), the rate is per channel-normalized work.
void BM_cauchy_ref(benchmark::State& state) {
  const auto& d = cauchy_data();
  const std::vector<C32> w(d.w.begin(), d.w.begin() + kN), l(d.lambda.begin(), d.lambda.begin() + kN);
  for (auto _ : state) benchmark::DoNotOptimize(ref::cauchy_kernel<float>(w, l, d.z));
  cauchy_counters(state, 1.0);
}

void BM_cauchy_cpu(benchmark::State& state) {
  auto& d = const_cast<CauchyData&>(cauchy_data());
  for (auto _ : state) {
    cpu::cauchy_kernel(d.w, d.lambda, d.z, d.out, kChannels, kN, kNodes);
    benchmark::DoNotOptimize(d.out.data());
    benchmark::ClobberMemory();
  }
  cauchy_counters(state, kChannels);
}

// Full S4 DPLR kernel (Woodbury + 4 fused Cauchy sums + iDFT), L = 16384, 16 channels; random DPLR parameters
// (the cost does not depend on the values; LegS's NPLR at N = 1024 would cost more to set up than to run).
void BM_s4_dplr_cpu(benchmark::State& state) {
  const Index N = state.range(0), L = 16384, channels = 16;
  std::vector<C32> Lambda(channels * N), P(channels * N), Q(channels * N), B(channels * N), Ct(channels * N);
  std::vector<float> dt(channels, 0.01f), out(channels * L);
  for (Index i = 0; i < channels * N; ++i) {
    const float n = static_cast<float>(i % N);
    Lambda[i] = {-0.5f, 3.14159265f * n};
    P[i] = Q[i] = {std::sqrt(n + 0.5f), 0.0f};
    B[i] = {1.0f, 0.1f * n};
    Ct[i] = {std::cos(n), std::sin(n)};
  }
  for (auto _ : state) {
    cpu::s4_kernel_dplr(Lambda, P, Q, B, Ct, dt, out, channels, N, L);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.counters["N"] = static_cast<double>(N);
  state.counters["L"] = static_cast<double>(L);
  state.counters["channels"] = static_cast<double>(channels);
}

BENCHMARK(BM_cauchy_ref)->Name("s4/cauchy_ref_f32_1ch")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_cauchy_cpu)->Name("s4/cauchy_cpu_f32")->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_s4_dplr_cpu)
    ->Name("s4/dplr_kernel_cpu_f32_L16384_16ch")
    ->RangeMultiplier(2)
    ->Range(16, 1024)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
