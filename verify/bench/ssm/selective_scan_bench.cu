// CUDA benchmarks for ssm/selective_scan (see selective_scan_bench.cpp for the shape, options and counters): the
// fused kernel through seqref::cuda::device::selective_scan on device buffers filled on the device, batch 8,
// 1536 channels, dstate 16, T in {2048, 16384, 65536}, kernel time by CUDA events (no copies). The roofline is this
// device's copy bandwidth measured in the same run (roofline/cuda_d2d_copy: cudaMemcpy device to device of
// 1 GiB, counting read + write), and "bw_fraction" divides by it. Skipped with "no CUDA device".

#include "seqref/opt/backend.hpp"
#include "seqref/opt/ssm/selective_scan.hpp"
#include "verify/bench/support/cuda_roofline.cuh"

#include <benchmark/benchmark.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <vector>

namespace {

using namespace seqref;

constexpr Index kBatch = 8, kChannels = 1536, kDstate = 16;

__global__ void fill_kernel(float* x, long long n, unsigned long long stream, float lo, float hi) {
  for (long long i = blockIdx.x * static_cast<long long>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<long long>(gridDim.x) * blockDim.x) {
    unsigned long long z =
        (static_cast<unsigned long long>(i) + 1) * 0x9e3779b97f4a7c15ull ^ (stream * 0xbf58476d1ce4e5b9ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    x[i] = lo + (hi - lo) * static_cast<float>(static_cast<double>(z >> 11) * 0x1.0p-53);
  }
}

struct DeviceArray {
  float* p = nullptr;
  long long n = 0;
  DeviceArray(long long count, unsigned long long stream, float lo, float hi) : n(count) {
    if (cudaMalloc(&p, static_cast<std::size_t>(n) * sizeof(float)) != cudaSuccess) {
      p = nullptr;
      return;
    }
    fill_kernel<<<1024, 256>>>(p, n, stream, lo, hi);
  }
  ~DeviceArray() { cudaFree(p); }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
};

void BM_cuda_f32(benchmark::State& state) {
  if (!cuda::available()) {
    state.SkipWithError("no CUDA device");
    return;
  }
  const Index T = state.range(0), chunk = state.range(1);
  const long long btd = kBatch * T * kChannels, btn = kBatch * T * kDstate;
  DeviceArray u(btd, 1, -1, 1), delta(btd, 2, -4, 0), z(btd, 3, -2, 2), B(btn, 4, -1, 1), C(btn, 5, -1, 1),
      bias(kChannels, 6, -1, 1), D(kChannels, 7, -1, 1), A(kChannels * kDstate, 10, -4, -0.5f), y(btd, 8, 0, 0),
      h(kBatch * kChannels * kDstate, 9, 0, 0);
  if (!u.p || !delta.p || !z.p || !B.p || !C.p || !bias.p || !D.p || !A.p || !y.p || !h.p) {
    state.SkipWithError("cudaMalloc failed");
    return;
  }
  SelectiveScan<float> p;
  p.batch = kBatch;
  p.len = T;
  p.channels = kChannels;
  p.dstate = kDstate;
  p.u = {u.p, static_cast<std::size_t>(btd)};
  p.delta = {delta.p, static_cast<std::size_t>(btd)};
  p.z = {z.p, static_cast<std::size_t>(btd)};
  p.B = {B.p, static_cast<std::size_t>(btn)};
  p.C = {C.p, static_cast<std::size_t>(btn)};
  p.A = {A.p, static_cast<std::size_t>(kChannels * kDstate)};
  p.D = {D.p, static_cast<std::size_t>(kChannels)};
  p.delta_bias = {bias.p, static_cast<std::size_t>(kChannels)};
  p.delta_softplus = true;
  cudaEvent_t start, stop;
  cudaEventCreate(&start);
  cudaEventCreate(&stop);
  const std::span<float> yd(y.p, static_cast<std::size_t>(btd)),
      hd(h.p, static_cast<std::size_t>(kBatch * kChannels * kDstate));
  cuda::device::selective_scan(p, yd, hd, chunk, nullptr);  // warm-up (and the fills before it)
  SEQREF_BENCH_CUDA_CHECK(cudaDeviceSynchronize());         // a failed kernel is reported as an error, with its name
  double total = 0;
  for (auto _ : state) {
    cudaEventRecord(start);
    cuda::device::selective_scan(p, yd, hd, chunk, nullptr);
    cudaEventRecord(stop);
    cudaEventSynchronize(stop);
    float ms = 0;
    cudaEventElapsedTime(&ms, start, stop);
    state.SetIterationTime(ms * 1e-3);
    total += ms * 1e-3;
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  const double bytes = 4.0 * (4.0 * btd + 2.0 * btn + kChannels * (kDstate + 2.0) + kBatch * kChannels * kDstate);
  state.counters["GB/s"] = benchmark::Counter(bytes * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["GFLOP/s"] =
      benchmark::Counter(8.0 * btd * kDstate * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["d2d_GB/s"] = seqref::bench::device_copy_gbs();
  state.counters["bw_fraction"] =
      bytes / (total / static_cast<double>(state.iterations())) * 1e-9 / seqref::bench::device_copy_gbs();
  state.counters["T"] = static_cast<double>(T);
  state.counters["tile"] = static_cast<double>(chunk == 0 ? 1024 : chunk);
}

BENCHMARK(BM_cuda_f32)
    ->Name("selective_scan/cuda_f32")
    ->Args({2048, 0})
    ->Args({16384, 0})
    ->Args({65536, 0})
    ->Args({2048, 512})
    ->Args({2048, 2048})
    ->Args({65536, 2048})
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
