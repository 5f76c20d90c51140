#pragma once
/// \file
/// For CUDA benchmarks: a failing CUDA call marks the benchmark skipped with the call and the error, and returns
/// from the benchmark function (which must have a `benchmark::State& state` in scope).

#include <benchmark/benchmark.h>
#include <cuda_runtime.h>

#include <string>

#define SEQREF_BENCH_CUDA_CHECK(expr)                                                      \
  do {                                                                                     \
    cudaError_t err_ = (expr);                                                             \
    if (err_ != cudaSuccess) {                                                             \
      state.SkipWithError((std::string(#expr) + ": " + cudaGetErrorString(err_)).c_str()); \
      return;                                                                              \
    }                                                                                      \
  } while (0)
