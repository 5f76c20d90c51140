// CUDA benchmarks for attention/causal_attention (fp32, and bf16 inputs with fp32 accumulation), timed with CUDA
// events (manual time) on device-resident data; registered into bench_attention. Without a device each benchmark
// reports "no CUDA device" and is skipped.

#include "seqref/core/bf16.hpp"
#include "seqref/opt/attention/causal_attention.hpp"
#include "seqref/opt/backend.hpp"

#include "verify/bench/support/cuda_check.cuh"

#include <benchmark/benchmark.h>
#include <cuda_runtime.h>

#include <string>
#include <vector>

namespace {

using namespace seqref;

constexpr Index kHeads = 8, kDim = 64;

template <class In>
void BM_attention_cuda(benchmark::State& state) {
  if (!cuda::available()) {
    state.SkipWithError("no CUDA device");
    return;
  }
  const Index T = state.range(0);
  const std::size_t n = static_cast<std::size_t>(kHeads * T * kDim);
  std::vector<In> host(n);
  std::uint64_t x = 42;  // inputs ~ U(-1, 1), never zeros
  for (auto& h : host) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    float f = static_cast<float>(static_cast<double>(x >> 11) * 0x1.0p-53 * 2.0 - 1.0);
    if constexpr (std::is_same_v<In, bf16>)
      h = to_bf16(f);
    else
      h = f;
  }
  In *q = nullptr, *k = nullptr, *v = nullptr;
  float* o = nullptr;
  SEQREF_BENCH_CUDA_CHECK(cudaMalloc(&q, n * sizeof(In)));
  SEQREF_BENCH_CUDA_CHECK(cudaMalloc(&k, n * sizeof(In)));
  SEQREF_BENCH_CUDA_CHECK(cudaMalloc(&v, n * sizeof(In)));
  SEQREF_BENCH_CUDA_CHECK(cudaMalloc(&o, n * sizeof(float)));
  for (In* p : {q, k, v}) SEQREF_BENCH_CUDA_CHECK(cudaMemcpy(p, host.data(), n * sizeof(In), cudaMemcpyHostToDevice));
  cudaEvent_t start, stop;
  SEQREF_BENCH_CUDA_CHECK(cudaEventCreate(&start));
  SEQREF_BENCH_CUDA_CHECK(cudaEventCreate(&stop));
  const float scale = 0.125f;
  const ConstTensorView<In> qv{q, kHeads, T, kDim}, kv{k, kHeads, T, kDim}, vv{v, kHeads, T, kDim};
  const TensorView<float> ov{o, kHeads, T, kDim};
  cuda::device::causal_attention(qv, kv, vv, ov, scale);  // warm-up
  SEQREF_BENCH_CUDA_CHECK(cudaDeviceSynchronize());
  for (auto _ : state) {
    cudaEventRecord(start);
    cuda::device::causal_attention(qv, kv, vv, ov, scale);
    cudaEventRecord(stop);
    cudaEventSynchronize(stop);
    float ms = 0;
    cudaEventElapsedTime(&ms, start, stop);
    state.SetIterationTime(ms * 1e-3);
  }
  SEQREF_BENCH_CUDA_CHECK(cudaGetLastError());
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  cudaFree(q), cudaFree(k), cudaFree(v), cudaFree(o);
  const double flops = 4.0 * kHeads * kDim * static_cast<double>(T) * (T + 1) / 2.0;
  state.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["T"] = static_cast<double>(T);
}

BENCHMARK(BM_attention_cuda<float>)
    ->Name("attention/cuda_f32")
    ->Arg(512)
    ->Arg(2048)
    ->Arg(8192)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_attention_cuda<bf16>)
    ->Name("attention/cuda_bf16")
    ->Arg(512)
    ->Arg(2048)
    ->Arg(8192)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
