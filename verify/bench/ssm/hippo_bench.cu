// CUDA benchmark for ssm/hippo: the LegS online memory (fp32, device-resident data) against N at C = 64 and 4096
// channels, L = 1024, timed with CUDA events (manual time); registered into bench_ssm. Without a device each
// benchmark reports "no CUDA device" and is skipped.

#include "seqref/opt/backend.hpp"
#include "seqref/opt/ssm/hippo.hpp"

#include "verify/bench/support/cuda_check.cuh"

#include <benchmark/benchmark.h>
#include <cuda_runtime.h>

#include <string>
#include <vector>

namespace {

using namespace seqref;

constexpr Index kLen = 1024;

void BM_legs_cuda(benchmark::State& state) {
  if (!cuda::available()) {
    state.SkipWithError("no CUDA device");
    return;
  }
  const Index N = state.range(0), C = state.range(1);
  std::vector<float> host(static_cast<std::size_t>(C * kLen));
  std::uint64_t x = 42;
  for (auto& h : host) {
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    h = static_cast<float>(static_cast<double>(x >> 11) * 0x1.0p-53 * 2.0 - 1.0);
  }
  float *u = nullptr, *s = nullptr;
  SEQREF_BENCH_CUDA_CHECK(cudaMalloc(&u, host.size() * sizeof(float)));
  SEQREF_BENCH_CUDA_CHECK(cudaMalloc(&s, static_cast<std::size_t>(C * kLen * N) * sizeof(float)));
  SEQREF_BENCH_CUDA_CHECK(cudaMemcpy(u, host.data(), host.size() * sizeof(float), cudaMemcpyHostToDevice));
  cudaEvent_t start, stop;
  SEQREF_BENCH_CUDA_CHECK(cudaEventCreate(&start));
  SEQREF_BENCH_CUDA_CHECK(cudaEventCreate(&stop));
  const ConstTensorView<float> uv{u, C, kLen, 1};
  const TensorView<float> sv{s, C, kLen, N};
  cuda::device::hippo_legs_online(uv, sv, {});  // warm-up
  SEQREF_BENCH_CUDA_CHECK(cudaDeviceSynchronize());
  for (auto _ : state) {
    SEQREF_BENCH_CUDA_CHECK(cudaEventRecord(start));
    cuda::device::hippo_legs_online(uv, sv, {});
    SEQREF_BENCH_CUDA_CHECK(cudaEventRecord(stop));
    SEQREF_BENCH_CUDA_CHECK(cudaEventSynchronize(stop));
    float ms = 0;
    SEQREF_BENCH_CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
    state.SetIterationTime(ms * 1e-3);
  }
  SEQREF_BENCH_CUDA_CHECK(cudaGetLastError());
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  cudaFree(u);
  cudaFree(s);
  const double entries = static_cast<double>(C) * kLen * N;
  state.counters["GB/s"] = benchmark::Counter(entries * 8 * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["GFLOP/s"] = benchmark::Counter(entries * 10 * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["N"] = static_cast<double>(N);
}

BENCHMARK(BM_legs_cuda)
    ->Name("hippo/legs_cuda_f32")
    ->Args({16, 64})
    ->Args({64, 64})
    ->Args({256, 64})
    ->Args({64, 4096})
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
