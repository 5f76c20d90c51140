// CUDA benchmarks for rnn/deer (see deer_bench.cpp for the problem and the grid): cuda::deer (Newton and quasi-DEER,
// fp32) through its host-memory entry point, so the time includes copying u in and the states out (what a caller
// with host data pays); wall-clock manual time after a warm-up call. Compare with deer/sequential_cpu_f32 of the
// same run for the speedup (target ≥ 100× at T = 100k, d = 1). Without a device each benchmark is skipped.

#include "seqref/opt/backend.hpp"
#include "seqref/opt/rnn/deer.hpp"

#include <benchmark/benchmark.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <vector>

namespace {

using namespace seqref;

void deer_cuda(benchmark::State& state, DeerMethod method) {
  if (!cuda::available()) {
    state.SkipWithError("no CUDA device");
    return;
  }
  const Index T = state.range(0), d = state.range(1);
  std::uint64_t s = 0x2545F4914F6CDD1DULL ^ static_cast<std::uint64_t>(T * 131 + d);  // as deer_bench.cpp
  auto uniform = [&] {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (static_cast<double>(s >> 11) + 0.5) * 0x1.0p-53;
  };
  auto normal = [&] { return std::sqrt(-2 * std::log(uniform())) * std::cos(6.283185307179586 * uniform()); };
  TanhCell<float> cell;
  cell.dim = d;
  std::vector<double> G(static_cast<std::size_t>(d * d));
  double fro = 0;
  for (auto& g : G) g = normal(), fro += g * g;
  fro = std::sqrt(fro);
  for (double g : G) cell.A.push_back(static_cast<float>(0.9 * g / fro));
  std::vector<float> u(static_cast<std::size_t>(T * d));
  for (auto& v : u) v = static_cast<float>(normal());
  DeerOptions<float> o;
  o.method = method;
  DeerResult<float> r = cuda::deer(cell, std::span<const float>(u), {}, o);  // warm-up
  for (auto _ : state) {
    const auto start = std::chrono::steady_clock::now();
    r = cuda::deer(cell, std::span<const float>(u), {}, o);
    state.SetIterationTime(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  if (!r.converged) state.SkipWithError(r.reason.c_str());
  state.counters["sweeps"] = static_cast<double>(r.sweeps);
  state.counters["d"] = static_cast<double>(d);
}

void BM_deer_newton_cuda(benchmark::State& state) { deer_cuda(state, DeerMethod::newton); }
void BM_deer_quasi_cuda(benchmark::State& state) { deer_cuda(state, DeerMethod::quasi); }

void grid(benchmark::internal::Benchmark* b) {
  for (long T : {1000L, 10000L, 100000L})
    for (long d : {1L, 2L, 4L, 8L}) b->Args({T, d});
  b->ArgNames({"T", "d"})->UseManualTime()->Unit(benchmark::kMillisecond);
}

BENCHMARK(BM_deer_newton_cuda)->Name("deer/newton_cuda_f32")->Apply(grid);
BENCHMARK(BM_deer_quasi_cuda)->Name("deer/quasi_cuda_f32")->Apply(grid);

}  // namespace
