#pragma once
/// \file
/// The same-run rooflines benchmark binaries register beside their kernels: Eigen SGEMM, n x n x n, with the
/// threads the cpu kernels use (OpenMP), for compute-bound kernels; a STREAM-style triad for memory-bound ones
/// (scans). tools/bench-compare divides a kernel's GFLOP/s or GB/s by the roofline's; absolute rates on shared
/// machines drift, same-run fractions do not.

#include <benchmark/benchmark.h>
#include <omp.h>
#include <Eigen/Core>

#include <algorithm>
#include <chrono>
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

/// One STREAM triad pass a[i] = b[i] + s·c[i] over n floats with OpenMP threads (static schedule).
inline void triad_pass(float* a, const float* b, const float* c, long long n) {
#pragma omp parallel for schedule(static)
  for (long long i = 0; i < n; ++i) a[i] = b[i] + 0.5f * c[i];
  benchmark::DoNotOptimize(a);
  benchmark::ClobberMemory();
}

/// Memory bandwidth: the triad over n floats (n far beyond the last-level cache), first-touch by the same threads.
/// Counter "GB/s" counts 12 bytes per element (two reads, one write; write-allocate traffic is not counted, as
/// STREAM does not).
inline void stream_triad_roofline(benchmark::State& state) {
  const long long n = state.range(0);
  std::vector<float> a(static_cast<std::size_t>(n)), b(a.size()), c(a.size());
#pragma omp parallel for schedule(static)
  for (long long i = 0; i < n; ++i) {
    a[static_cast<std::size_t>(i)] = 0.f;
    b[static_cast<std::size_t>(i)] = 1.f;
    c[static_cast<std::size_t>(i)] = 2.f;
  }
  for (auto _ : state) triad_pass(a.data(), b.data(), c.data(), n);
  state.counters["GB/s"] = benchmark::Counter(12.0 * double(n) * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["threads"] = omp_get_max_threads();
}

/// The same triad measured once per process (median of 5 passes over 3 × 64 Mi floats), in GB/s: for kernels that
/// report their own "bw_fraction" counter beside the registered roofline.
inline double stream_triad_gbs() {
  static const double gbs = [] {
    const long long n = 64ll << 20;
    std::vector<float> a(static_cast<std::size_t>(n), 0.f), b(a.size(), 1.f), c(a.size(), 2.f);
    std::vector<double> t;
    for (int r = 0; r < 5; ++r) {
      const auto start = std::chrono::steady_clock::now();
      triad_pass(a.data(), b.data(), c.data(), n);
      t.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    }
    std::sort(t.begin(), t.end());
    return 12.0 * double(n) / t[2] * 1e-9;
  }();
  return gbs;
}

}  // namespace seqref::bench
