// CUDA benchmark for ssm/ssd: the chunked kernels (fp32, device-resident data, Q = 64) at the shapes of
// ssd_bench.cpp (batch 8, heads 24, P 64, N in {16, 64}, T in {2048, 16384}), timed with CUDA events around
// device::ssd (manual time); beside a device-to-device copy of 1 GiB as the same-run HBM roofline (GB/s of read +
// write). Counters as ssd_bench.cpp. Without a device each benchmark reports "no CUDA device" and is skipped.

#include "seqref/opt/backend.hpp"
#include "seqref/opt/ssm/ssd.hpp"

#include "verify/bench/support/cuda_check.cuh"

#include <benchmark/benchmark.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <vector>

namespace {

using namespace seqref;

constexpr Index kQ = 64;

double ssd_flops(const SsdShape& s, Index Q) {
  double per_head = 0;
  for (Index t0 = 0; t0 < s.len; t0 += Q) {
    const double q = static_cast<double>(std::min(Q, s.len - t0));
    per_head +=
        q * (q + 1) * static_cast<double>(s.dstate + s.headdim) + 4.0 * q * static_cast<double>(s.headdim * s.dstate);
  }
  return per_head * static_cast<double>(s.batch * s.heads);
}

void fill(std::vector<float>& v, std::uint64_t seed, float scale, float shift) {
  for (auto& h : v) {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    h = shift + scale * static_cast<float>(static_cast<double>(seed >> 11) * 0x1.0p-53 * 2.0 - 1.0);
  }
}

void BM_ssd_cuda(benchmark::State& state) {
  if (!cuda::available()) {
    state.SkipWithError("no CUDA device");
    return;
  }
  const SsdShape s{8, state.range(0), 24, 64, 1, state.range(1)};
  std::vector<float> hX(static_cast<std::size_t>(s.x_size())), hA(static_cast<std::size_t>(s.a_size())),
      hB(static_cast<std::size_t>(s.bc_size())), hC(hB.size());
  fill(hX, 1, 1.f, 0.f);
  fill(hA, 2, 0.05f, -0.05f);
  fill(hB, 3, 1.f, 0.f);
  fill(hC, 4, 1.f, 0.f);
  float *X, *A, *B, *C, *Y;
  void* ws;
  const std::size_t wsb = cuda::device::ssd_workspace_bytes(s, kQ);
  SEQREF_BENCH_CUDA_CHECK(cudaMalloc(&X, hX.size() * 4));
  SEQREF_BENCH_CUDA_CHECK(cudaMalloc(&Y, hX.size() * 4));
  SEQREF_BENCH_CUDA_CHECK(cudaMalloc(&A, hA.size() * 4));
  SEQREF_BENCH_CUDA_CHECK(cudaMalloc(&B, hB.size() * 4));
  SEQREF_BENCH_CUDA_CHECK(cudaMalloc(&C, hC.size() * 4));
  SEQREF_BENCH_CUDA_CHECK(cudaMalloc(&ws, wsb));
  SEQREF_BENCH_CUDA_CHECK(cudaMemcpy(X, hX.data(), hX.size() * 4, cudaMemcpyHostToDevice));
  SEQREF_BENCH_CUDA_CHECK(cudaMemcpy(A, hA.data(), hA.size() * 4, cudaMemcpyHostToDevice));
  SEQREF_BENCH_CUDA_CHECK(cudaMemcpy(B, hB.data(), hB.size() * 4, cudaMemcpyHostToDevice));
  SEQREF_BENCH_CUDA_CHECK(cudaMemcpy(C, hC.data(), hC.size() * 4, cudaMemcpyHostToDevice));
  cudaEvent_t start, stop;
  SEQREF_BENCH_CUDA_CHECK(cudaEventCreate(&start));
  SEQREF_BENCH_CUDA_CHECK(cudaEventCreate(&stop));
  auto dspan = [](float* p, Index n) { return std::span<float>(p, static_cast<std::size_t>(n)); };
  const SsdProblem<float> problem{
      s, dspan(X, s.x_size()), dspan(A, s.a_size()), dspan(B, s.bc_size()), dspan(C, s.bc_size()), {}};
  const std::span<float> Yd = dspan(Y, s.x_size());
  const std::span<std::byte> wsd(static_cast<std::byte*>(ws), wsb);
  cuda::device::ssd(problem, Yd, {}, kQ, wsd);  // warm-up
  SEQREF_BENCH_CUDA_CHECK(cudaDeviceSynchronize());
  for (auto _ : state) {
    SEQREF_BENCH_CUDA_CHECK(cudaEventRecord(start));
    cuda::device::ssd(problem, Yd, {}, kQ, wsd);
    SEQREF_BENCH_CUDA_CHECK(cudaEventRecord(stop));
    SEQREF_BENCH_CUDA_CHECK(cudaEventSynchronize(stop));
    float ms = 0;
    SEQREF_BENCH_CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
    state.SetIterationTime(ms * 1e-3);
  }
  SEQREF_BENCH_CUDA_CHECK(cudaGetLastError());
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  for (void* p : {static_cast<void*>(X), static_cast<void*>(Y), static_cast<void*>(A), static_cast<void*>(B),
                  static_cast<void*>(C), ws})
    cudaFree(p);
  const double bytes = 4.0 * static_cast<double>(2 * s.x_size() + s.a_size() + 2 * s.bc_size());
  state.counters["GB/s"] = benchmark::Counter(bytes * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["GFLOP/s"] =
      benchmark::Counter(ssd_flops(s, kQ) * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["T"] = static_cast<double>(s.len);
  state.counters["N"] = static_cast<double>(s.dstate);
}

BENCHMARK(BM_ssd_cuda)
    ->Name("ssd/cuda_f32")
    ->Args({2048, 16})
    ->Args({2048, 64})
    ->Args({16384, 16})
    ->Args({16384, 64})
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
