// CUDA benchmark for ssm/s4: the Cauchy kernel at N = 64, 16384 nodes, 256 channels (fp32), timed with CUDA events
// around the host entry point's work is not possible (it copies), so this times the whole host call with events on
// the default stream bracketing it: copies included, stated in the name. Skipped with "no CUDA device".
// FLOP convention: 16 per Cauchy term (see s4_bench.cpp).

#include "seqref/opt/backend.hpp"
#include "seqref/opt/ssm/s4.hpp"

#include <benchmark/benchmark.h>
#include <cuda_runtime.h>

#include <cmath>
#include <complex>
#include <vector>

namespace {

using namespace seqref;

void BM_cauchy_cuda(benchmark::State& state) {
  if (!cuda::available()) {
    state.SkipWithError("no CUDA device");
    return;
  }
  constexpr Index N = 64, nodes = 16384, channels = 256;
  std::vector<std::complex<float>> w(channels * N), lambda(channels * N), z(nodes), out(channels * nodes);
  for (Index i = 0; i < channels * N; ++i) {
    w[i] = {std::cos(0.1f * static_cast<float>(i)), 0.5f};
    lambda[i] = {-0.0025f, 0.0157f * static_cast<float>(i % N)};
  }
  for (Index k = 0; k < nodes; ++k)
    z[k] = {0.0f, static_cast<float>(std::tan(3.141592653589793 * (static_cast<double>(k) + 0.5) / nodes))};
  cudaEvent_t start, stop;
  if (cudaEventCreate(&start) != cudaSuccess || cudaEventCreate(&stop) != cudaSuccess) {
    state.SkipWithError("cudaEventCreate failed");
    return;
  }
  cuda::cauchy_kernel(w, lambda, z, out, channels, N, nodes);  // warm-up
  for (auto _ : state) {
    cudaEventRecord(start);
    cuda::cauchy_kernel(w, lambda, z, out, channels, N, nodes);
    cudaEventRecord(stop);
    cudaEventSynchronize(stop);
    float ms = 0;
    cudaEventElapsedTime(&ms, start, stop);
    state.SetIterationTime(ms * 1e-3);
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  state.counters["GFLOP/s"] =
      benchmark::Counter(16.0 * channels * N * nodes * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

BENCHMARK(BM_cauchy_cuda)->Name("s4/cauchy_cuda_f32_with_copies")->UseManualTime()->Unit(benchmark::kMillisecond);

}  // namespace
