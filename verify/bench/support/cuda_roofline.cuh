#pragma once
/// \file
/// The same-run roofline of CUDA benchmarks: device-to-device cudaMemcpy of 1 GiB (counting read + write), as a
/// registered benchmark (device_copy_roofline, counter "GB/s") and measured once per process (device_copy_gbs(), the
/// median of 5 copies after a warm-up) for kernels that report their own "bw_fraction". Skipped / 0 without a device.

#include "seqref/opt/backend.hpp"
#include "verify/bench/support/cuda_check.cuh"

#include <benchmark/benchmark.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstddef>
#include <vector>

namespace seqref::bench {

/// Milliseconds of one device-to-device copy of `bytes` from a to b, by CUDA events (negative on a CUDA error).
inline float device_copy_ms(void* b, const void* a, std::size_t bytes) {
  cudaEvent_t start, stop;
  if (cudaEventCreate(&start) != cudaSuccess) return -1.f;
  if (cudaEventCreate(&stop) != cudaSuccess) {
    cudaEventDestroy(start);
    return -1.f;
  }
  float ms = -1.f;
  if (cudaEventRecord(start) == cudaSuccess && cudaMemcpy(b, a, bytes, cudaMemcpyDeviceToDevice) == cudaSuccess &&
      cudaEventRecord(stop) == cudaSuccess && cudaEventSynchronize(stop) == cudaSuccess)
    cudaEventElapsedTime(&ms, start, stop);
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  return ms;
}

inline double device_copy_gbs() {
  static const double gbs = [] {
    if (!cuda::available()) return 0.0;
    const std::size_t bytes = std::size_t(1) << 30;
    void *a = nullptr, *b = nullptr;
    if (cudaMalloc(&a, bytes) != cudaSuccess || cudaMalloc(&b, bytes) != cudaSuccess) {
      cudaFree(a);
      return 0.0;
    }
    device_copy_ms(b, a, bytes);  // warm-up
    std::vector<float> ms;
    for (int r = 0; r < 5; ++r) ms.push_back(device_copy_ms(b, a, bytes));
    cudaFree(a);
    cudaFree(b);
    std::sort(ms.begin(), ms.end());
    return ms[2] > 0 ? 2.0 * double(bytes) / (double(ms[2]) * 1e-3) * 1e-9 : 0.0;
  }();
  return gbs;
}

inline void device_copy_roofline(benchmark::State& state) {
  if (!cuda::available()) {
    state.SkipWithError("no CUDA device");
    return;
  }
  const std::size_t bytes = std::size_t(1) << 30;
  void *a = nullptr, *b = nullptr;
  SEQREF_BENCH_CUDA_CHECK(cudaMalloc(&a, bytes));
  SEQREF_BENCH_CUDA_CHECK(cudaMalloc(&b, bytes));
  SEQREF_BENCH_CUDA_CHECK(cudaMemset(a, 0, bytes));
  for (auto _ : state) {
    const float ms = device_copy_ms(b, a, bytes);
    if (ms < 0) {
      state.SkipWithError("device-to-device copy failed");
      break;
    }
    state.SetIterationTime(double(ms) * 1e-3);
  }
  cudaFree(a);
  cudaFree(b);
  state.counters["GB/s"] =
      benchmark::Counter(2.0 * double(bytes) * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

}  // namespace seqref::bench
