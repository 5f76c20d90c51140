#pragma once
/// \file
/// The same-run roofline every benchmark binary registers beside its kernels: Eigen SGEMM, n x n x n, with the
/// threads the cpu kernels use (OpenMP). tools/bench-compare divides kernel GFLOP/s by its GFLOP/s; absolute rates
/// on shared machines drift, same-run fractions do not.

#include <Eigen/Core>
#include <benchmark/benchmark.h>

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

}  // namespace seqref::bench
