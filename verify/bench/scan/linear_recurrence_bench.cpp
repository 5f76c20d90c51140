// bench_scan: the scan engine x_t = J_t x_{t−1} + b_t (seqref/opt/scan/linear_recurrence.hpp).
//
//   Many lanes (memory-bound): diagonal J, B = 4, D = 2048, T = 2048, f32: 3 arrays of 64 MiB streamed once
//     (J, b read; x written). Counter GB/s = 12 bytes per (β, t, i) / time; compare with the same-run triad.
//   Few long lanes (latency-bound): one diagonal lane, T = 2^22; one dense 4x4 lane, T = 2^18. The sequential loop
//     (chunk = T) is a chain of dependent multiply-adds; the two-level scan (automatic chunk) reads the inputs twice
//     but runs chunks in parallel and has independent work inside a chunk's summary.
// Reference (the plain loop) for the memory-bound case only at the default size.

#include "seqref/opt/scan/linear_recurrence.hpp"
#include "seqref/ref/scan/linear_recurrence.hpp"
#include "verify/bench/support/roofline.hpp"

#include <benchmark/benchmark.h>

#include <random>
#include <vector>

namespace {

using namespace seqref;

struct Arrays {
  std::vector<float> J, b, x, xf;
};

Arrays make(Transition kind, Index B, Index T, Index D) {
  Arrays a;
  std::mt19937 gen(7);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  a.J.resize(static_cast<std::size_t>(B * T * transition_size(kind, D)));
  for (auto& v : a.J) v = kind == Transition::dense ? 0.5f * dist(gen) / static_cast<float>(D) : dist(gen);
  a.b.resize(static_cast<std::size_t>(B * T * D));
  for (auto& v : a.b) v = dist(gen);
  a.x.resize(a.b.size());
  a.xf.resize(static_cast<std::size_t>(B * D));
  return a;
}

void set_counters(benchmark::State& state, Transition kind, Index B, Index T, Index D) {
  const double bytes = 4.0 * double(B) * double(T) * double(transition_size(kind, D) + 2 * D);
  state.counters["GB/s"] = benchmark::Counter(bytes * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["Msteps/s"] =
      benchmark::Counter(double(B) * double(T) * 1e-6, benchmark::Counter::kIsIterationInvariantRate);
}

template <int Backend>  // 0: reference, 1: cpu automatic chunk, 2: cpu one chunk (sequential per lane)
void BM_scan(benchmark::State& state) {
  const auto kind = static_cast<Transition>(state.range(0));
  const Index B = state.range(1), T = state.range(2), D = state.range(3);
  Arrays a = make(kind, B, T, D);
  const LinearRecurrence<float> p{kind, B, T, D, a.J, a.b, {}};
  Index chunk = 0;
  for (auto _ : state) {
    if constexpr (Backend == 0)
      ref::linear_recurrence<float>(p, a.x, a.xf);
    else
      chunk = cpu::linear_recurrence(p, a.x, a.xf, ScanSchedule{Backend == 2 ? T : 0, 0});
    benchmark::DoNotOptimize(a.x.data());
    benchmark::ClobberMemory();
  }
  set_counters(state, kind, B, T, D);
  state.counters["chunk"] = double(chunk);
}

constexpr long kDiag = static_cast<long>(Transition::diagonal), kDense = static_cast<long>(Transition::dense);

BENCHMARK(seqref::bench::stream_triad_roofline)
    ->Name("roofline/stream_triad")
    ->Arg(64 << 20)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_scan<0>)
    ->Name("scan/ref_f32/many_lanes")
    ->Args({kDiag, 4, 2048, 2048})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_scan<1>)
    ->Name("scan/cpu_f32/many_lanes")
    ->Args({kDiag, 4, 2048, 2048})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_scan<2>)
    ->Name("scan/cpu_f32_sequential/one_long_lane")
    ->Args({kDiag, 1, 1 << 22, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_scan<1>)
    ->Name("scan/cpu_f32_chunked/one_long_lane")
    ->Args({kDiag, 1, 1 << 22, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_scan<2>)
    ->Name("scan/cpu_f32_sequential/dense4")
    ->Args({kDense, 1, 1 << 18, 4})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_scan<1>)
    ->Name("scan/cpu_f32_chunked/dense4")
    ->Args({kDense, 1, 1 << 18, 4})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
