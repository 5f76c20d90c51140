// Benchmarks for ssm/selective_scan (Mamba S6 forward; registered into bench_ssm, main in verify/bench/ssm/main.cpp):
// Mamba's shape batch 8, 1536 channels, dstate 16, every option on (softplus + bias, D, z gate, h0 = 0, Euler B̄),
// T in {2048, 16384, 65536}:
//   * reference f32 (ref::selective_scan: per (sequence, channel) a coefficient pass + the scan engine's sequential
//     loop + the read-out): T = 2048 only (~10 s per call on this 2-core machine);
//   * cpu f32 and f64 (the fused engine policy) at T = 2048 and 16384; at T = 65536 with batch 1 (batch 8 needs
//     12.9 GB of u, δ, z, y in f32, more than this shared machine has to give);
//   * cuda f32 in selective_scan_bench.cu (device pointers, kernel time by CUDA events) at every T, batch 8;
//   * roofline/stream_triad: this machine's memory bandwidth in the same run (the roofline).
// Counters: "GB/s" = bytes moved / time with bytes = 4 (u, δ, z, y) · B·T·channels + 2 (B, C) · B·T·dstate +
// channels·(dstate + 2) + B·channels·dstate (h_last), times sizeof(S) — each input read once, each output written
// once, the minimum any implementation moves; "bw_fraction" = GB/s over the stream triad's GB/s measured once in
// this process; "GFLOP/s" with 8 flops per state update (Δ·A, exp, Δ·B·u: 2, a·h + b: 2, C·h: 2), the same for
// every variant, so GFLOP/s ratios are time ratios. Run with --benchmark_repetitions=9 and compare medians.

#include "seqref/opt/ssm/selective_scan.hpp"
#include "seqref/ref/ssm/selective_scan.hpp"
#include "verify/bench/support/roofline.hpp"

#include <benchmark/benchmark.h>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

namespace {

using namespace seqref;

constexpr Index kBatch = 8, kChannels = 1536, kDstate = 16;

// Deterministic values from the element index (cheap, parallel): x in [lo, hi).
inline double hashed(std::uint64_t i, std::uint64_t stream, double lo, double hi) {
  std::uint64_t z = (i + 1) * 0x9e3779b97f4a7c15ull ^ (stream * 0xbf58476d1ce4e5b9ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  z ^= z >> 31;
  return lo + (hi - lo) * (static_cast<double>(z >> 11) * 0x1.0p-53);
}

template <class S>
struct Data {
  Index batch, len;
  std::vector<S> u, delta, A, B, C, D, z, bias, y, h;
  Data(Index b, Index T) : batch(b), len(T) {
    const Index btd = b * T * kChannels, btn = b * T * kDstate;
    auto fill = [](std::vector<S>& v, Index n, std::uint64_t stream, double lo, double hi) {
      v.resize(static_cast<std::size_t>(n));
      S* p = v.data();
#pragma omp parallel for schedule(static)
      for (Index i = 0; i < n; ++i) p[i] = static_cast<S>(hashed(static_cast<std::uint64_t>(i), stream, lo, hi));
    };
    fill(u, btd, 1, -1, 1);
    fill(delta, btd, 2, -4, 0);  // softplus(δ + bias) ∈ ~(0.01, 1.3): Mamba's dt range
    fill(z, btd, 3, -2, 2);
    fill(B, btn, 4, -1, 1);
    fill(C, btn, 5, -1, 1);
    fill(bias, kChannels, 6, -1, 1);
    fill(D, kChannels, 7, -1, 1);
    A.resize(static_cast<std::size_t>(kChannels * kDstate));
    for (Index c = 0; c < kChannels; ++c)
      for (Index n = 0; n < kDstate; ++n)
        A[static_cast<std::size_t>(c * kDstate + n)] = -static_cast<S>(n + 1);  // S4D-real
    fill(y, btd, 8, 0, 0);
    fill(h, b * kChannels * kDstate, 9, 0, 0);
  }
  SelectiveScan<S> view() const {
    SelectiveScan<S> p;
    p.batch = batch;
    p.len = len;
    p.channels = kChannels;
    p.dstate = kDstate;
    p.u = u;
    p.delta = delta;
    p.A = A;
    p.B = B;
    p.C = C;
    p.D = D;
    p.z = z;
    p.delta_bias = bias;
    p.delta_softplus = true;
    return p;
  }
};

// One data set alive at a time (the largest is 3.2 GB): switching sizes frees the previous one.
template <class S>
Data<S>& data(Index batch, Index T) {
  static std::unique_ptr<Data<S>> d;
  if (!d || d->batch != batch || d->len != T) {
    d.reset();
    d = std::make_unique<Data<S>>(batch, T);
  }
  return *d;
}

// The minimum traffic of one call (see the file comment), in bytes.
template <class S>
double bytes_moved(Index batch, Index T) {
  const double btd = static_cast<double>(batch * T * kChannels), btn = static_cast<double>(batch * T * kDstate);
  return sizeof(S) *
         (4 * btd + 2 * btn + kChannels * (kDstate + 2.0) + static_cast<double>(batch * kChannels * kDstate));
}

template <class S>
void counters(benchmark::State& state, Index batch, Index T, double seconds_per_iteration) {
  const double btd = static_cast<double>(batch * T * kChannels);
  state.counters["GB/s"] =
      benchmark::Counter(bytes_moved<S>(batch, T) * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["GFLOP/s"] =
      benchmark::Counter(8.0 * btd * kDstate * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["stream_GB/s"] = seqref::bench::stream_triad_gbs();
  state.counters["bw_fraction"] =
      bytes_moved<S>(batch, T) / seconds_per_iteration * 1e-9 / seqref::bench::stream_triad_gbs();
  state.counters["T"] = static_cast<double>(T);
  state.counters["batch"] = static_cast<double>(batch);
}

void BM_ref_f32(benchmark::State& state) {
  const Index T = state.range(0);
  auto& d = data<float>(kBatch, T);
  double total = 0;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    ref::selective_scan<float>(d.view(), std::span<float>(d.y), std::span<float>(d.h));
    total += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    benchmark::DoNotOptimize(d.y.data());
    benchmark::ClobberMemory();
  }
  counters<float>(state, kBatch, T, total / static_cast<double>(state.iterations()));
}

template <class S>
void BM_cpu(benchmark::State& state) {
  const Index batch = state.range(0), T = state.range(1);
  auto& d = data<S>(batch, T);
  double total = 0;
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    cpu::selective_scan(d.view(), std::span<S>(d.y), std::span<S>(d.h));
    total += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    benchmark::DoNotOptimize(d.y.data());
    benchmark::ClobberMemory();
  }
  counters<S>(state, batch, T, total / static_cast<double>(state.iterations()));
  state.counters["threads"] = omp_get_max_threads();
}

BENCHMARK(BM_ref_f32)
    ->Name("selective_scan/ref_f32")
    ->Arg(2048)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_cpu<float>)
    ->Name("selective_scan/cpu_f32")
    ->Args({kBatch, 2048})
    ->Args({kBatch, 16384})
    ->Args({1, 65536})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_cpu<double>)
    ->Name("selective_scan/cpu_f64")
    ->Args({kBatch, 2048})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
