#pragma once
/// \file
/// The same-run rooflines benchmark binaries register beside their kernels: Eigen SGEMM, n x n x n, with the
/// threads the cpu kernels use (OpenMP), for compute-bound kernels; a STREAM-style triad for memory-bound ones
/// (scans). tools/bench-compare divides a kernel's GFLOP/s or GB/s by the roofline's; absolute rates on shared
/// machines drift, same-run fractions do not.

#include <Eigen/Core>
#include <benchmark/benchmark.h>
#include <omp.h>

#include <vector>

namespace seqref::bench {

inline void sgemm_eigen_roofline(benchmark::State& state) {
  const Eigen::Index n = state.range(0);
  Eigen::MatrixXf a = Eigen::MatrixXf::Random(n, n), b = Eigen::MatrixXf::Random(n, n), c(n, n);
  for (auto _ : state) {
    c.noalias() = a * b;
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * double(n) * double(n) * double(n) * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["threads"] = Eigen::nbThreads();
}

/// Memory bandwidth: a[i] = b[i] + s·c[i] over n floats (n far beyond the last-level cache), OpenMP threads, static
/// schedule, first-touch by the same threads. Counter "GB/s" counts 12 bytes per element (two reads, one write;
/// write-allocate traffic is not counted, as STREAM does not).
inline void stream_triad_roofline(benchmark::State& state) {
  const long long n = state.range(0);
  std::vector<float> a(static_cast<std::size_t>(n)), b(a.size()), c(a.size());
#pragma omp parallel for schedule(static)
  for (long long i = 0; i < n; ++i) {
    a[static_cast<std::size_t>(i)] = 0.f;
    b[static_cast<std::size_t>(i)] = 1.f;
    c[static_cast<std::size_t>(i)] = 2.f;
  }
  const float s = 0.5f;
  for (auto _ : state) {
    float* pa = a.data();
    const float* pb = b.data();
    const float* pc = c.data();
#pragma omp parallel for schedule(static)
    for (long long i = 0; i < n; ++i) pa[i] = pb[i] + s * pc[i];
    benchmark::DoNotOptimize(pa);
    benchmark::ClobberMemory();
  }
  state.counters["GB/s"] = benchmark::Counter(12.0 * double(n) * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["threads"] = omp_get_max_threads();
}

}  // namespace seqref::bench
