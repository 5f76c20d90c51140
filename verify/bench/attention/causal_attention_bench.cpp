// Benchmarks for attention/causal_attention: reference (eq. 1, materialized) in f64 and f32, the cpu kernel in f32
// and f64, and (causal_attention_cuda_bench.cu) the CUDA kernels, all at the same sizes, beside Eigen's SGEMM
// measured in the same run as this machine's practical fp32 roofline (registered in main.cpp, the family's one
// main). Ratios between them (optimized / reference, optimized / SGEMM) are computed by tools/bench-compare from the
// JSON output; absolute times on these machines are not stable, same-run ratios are.
//
// FLOP convention: 4·H·d·T(T+1)/2 (the QKᵀ and PV products over the visible pairs only) for every variant, so
// GFLOP/s ratios equal time ratios even though the reference computes the full square.

#include "seqref/opt/attention/causal_attention.hpp"
#include "seqref/ref/attention/causal_attention.hpp"
#include "verify/support/inputs.hpp"

#include <Eigen/Core>
#include "verify/bench/support/roofline.hpp"

#include <benchmark/benchmark.h>

#include <map>

namespace {

using namespace seqref;

constexpr Index kHeads = 8, kDim = 64;

double attention_flops(Index T) { return 4.0 * kHeads * kDim * static_cast<double>(T) * (T + 1) / 2.0; }

template <class S>
const verify::AttentionInputs<S>& inputs(Index T) {
  static std::map<Index, verify::AttentionInputs<S>> cache;  // built once per size, outside the timed region
  auto it = cache.find(T);
  if (it == cache.end())
    it = cache.emplace(T, verify::make_attention_inputs<S>(kHeads, T, kDim, kDim, verify::Values::normal, 42)).first;
  return it->second;
}

void set_counters(benchmark::State& state, double flops_per_iter) {
  state.counters["GFLOP/s"] = benchmark::Counter(flops_per_iter * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["T"] = static_cast<double>(state.range(0));
}

template <class S>
void BM_attention_ref(benchmark::State& state) {
  const Index T = state.range(0);
  const auto& in = inputs<S>(T);
  for (auto _ : state) benchmark::DoNotOptimize(ref::causal_attention<S>(in.q, in.k, in.v, in.scale));
  set_counters(state, attention_flops(T));
}

template <class S>
void BM_attention_cpu(benchmark::State& state) {
  const Index T = state.range(0);
  const auto& in = inputs<S>(T);
  Tensor3<S> out(kHeads, T, kDim);
  for (auto _ : state) {
    cpu::causal_attention(in.q, in.k, in.v, out.view(), in.scale);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, attention_flops(T));
}

// Reference f64 at T = 8192 needs ~1 GB for its two T x T matrices per head and tens of seconds per run.
BENCHMARK(BM_attention_ref<double>)
    ->Name("attention/ref_f64")
    ->Arg(512)
    ->Arg(2048)
    ->Arg(8192)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);
BENCHMARK(BM_attention_ref<float>)
    ->Name("attention/ref_f32")
    ->Arg(512)
    ->Arg(2048)
    ->Arg(8192)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(1);
BENCHMARK(BM_attention_cpu<float>)
    ->Name("attention/cpu_f32")
    ->Arg(512)
    ->Arg(2048)
    ->Arg(8192)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_attention_cpu<double>)
    ->Name("attention/cpu_f64")
    ->Arg(512)
    ->Arg(2048)
    ->Arg(8192)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
