// Benchmarks for ssm/hippo: the LegS online memory (bilinear, 1/k weight) against N — the O(N)-per-step reference
// (ref::legs_online_fast, one channel after another), the dense reference (ref::legs_online, O(N³) per step, small N
// only) and the batched cpu kernel — at C = 64 channels, L = 1024 steps. Counters: GB/s of states written
// (C·L·N·sizeof(S), the kernel's dominant traffic) and GFLOP/s at ~10 flops per state entry per step.

#include "seqref/opt/ssm/hippo.hpp"
#include "seqref/ref/ssm/hippo.hpp"
#include "verify/support/inputs.hpp"

#include <benchmark/benchmark.h>

namespace {

using namespace seqref;

constexpr Index kChannels = 64, kLen = 1024;

void set_counters(benchmark::State& state, Index channels, Index N, std::size_t bytes_per_scalar) {
  const double entries = static_cast<double>(channels) * kLen * N;
  state.counters["GB/s"] =
      benchmark::Counter(entries * bytes_per_scalar * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["GFLOP/s"] = benchmark::Counter(entries * 10 * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["N"] = static_cast<double>(N);
}

template <class S>
void BM_legs_ref_fast(benchmark::State& state) {
  const Index N = state.range(0);
  const auto u = verify::make_tensor<S>(kChannels, kLen, 1, verify::Values::normal, 42);
  for (auto _ : state)
    for (Index c = 0; c < kChannels; ++c)
      benchmark::DoNotOptimize(ref::legs_online_fast<S>(N, S(1), std::span<const S>(u.data() + c * kLen, kLen),
                                                        ref::LegsScheme::bilinear, ref::LegsWeight::inverse_k));
  set_counters(state, kChannels, N, sizeof(S));
}

void BM_legs_ref_dense(benchmark::State& state) {
  const Index N = state.range(0);
  const auto u = verify::make_tensor<double>(1, kLen, 1, verify::Values::normal, 42);
  const auto sys = ref::hippo_transition<double>(ref::HippoMeasure::legs, N, ref::HippoConvention::paper);
  for (auto _ : state)
    benchmark::DoNotOptimize(ref::legs_online<double>(sys, std::span<const double>(u.data(), kLen), 1.0,
                                                      ref::LegsScheme::bilinear, ref::LegsWeight::inverse_k));
  set_counters(state, 1, N, sizeof(double));
}

template <class S>
void BM_legs_cpu(benchmark::State& state) {
  const Index N = state.range(0);
  const auto u = verify::make_tensor<S>(kChannels, kLen, 1, verify::Values::normal, 42);
  Tensor3<S> out(kChannels, kLen, N);
  for (auto _ : state) {
    cpu::hippo_legs_online(u.view(), out.view());
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, kChannels, N, sizeof(S));
}

BENCHMARK(BM_legs_ref_fast<float>)
    ->Name("hippo/legs_ref_fast_f32")
    ->Arg(16)
    ->Arg(64)
    ->Arg(256)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_legs_ref_fast<double>)
    ->Name("hippo/legs_ref_fast_f64")
    ->Arg(16)
    ->Arg(64)
    ->Arg(256)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_legs_ref_dense)
    ->Name("hippo/legs_ref_dense_f64_1ch")
    ->Arg(16)
    ->Arg(64)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);
BENCHMARK(BM_legs_cpu<float>)
    ->Name("hippo/legs_cpu_f32")
    ->Arg(16)
    ->Arg(64)
    ->Arg(256)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_legs_cpu<double>)
    ->Name("hippo/legs_cpu_f64")
    ->Arg(16)
    ->Arg(64)
    ->Arg(256)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
