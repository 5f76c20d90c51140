// Benchmarks for rnn/deer (bench_rnn): the tanh RNN x_t = tanh(A x_{t−1} + u_t) evaluated by the optimized
// sequential loop (cpu::rnn_sequential, the baseline) and by DEER on the cpu (Newton and quasi-DEER sweeps through
// the chunked scan engine), for T in {1k, 10k, 100k} and hidden size d in {1, 2, 4, 8}; fp32, one sequence,
// A = 0.9·G/‖G‖_F (spectral radius ≤ 0.9), u ~ N(0, 1), x_0 = 0, default tolerance. Counter "sweeps": sweeps to
// convergence. The speedup of DEER over the loop is the ratio of the two medians of one run (tools/bench-compare,
// baselines/rnn.json); on a few cpu cores it is < 1 by design (each sweep does the loop's work several times over:
// f, J_t and, for Newton, d×d chunk products); DEER's target (≥ 100× at T = 100k, d = 1) is the GPU (deer_bench.cu).

#include "seqref/opt/rnn/deer.hpp"

#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <vector>

namespace {

using namespace seqref;

struct Problem {
  TanhCell<float> cell;
  std::vector<float> u;
};

Problem make_problem(Index T, Index d) {
  std::uint64_t s = 0x2545F4914F6CDD1DULL ^ static_cast<std::uint64_t>(T * 131 + d);
  auto uniform = [&] {
    s = s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (static_cast<double>(s >> 11) + 0.5) * 0x1.0p-53;
  };
  auto normal = [&] { return std::sqrt(-2 * std::log(uniform())) * std::cos(6.283185307179586 * uniform()); };
  Problem p;
  p.cell.dim = d;
  std::vector<double> G(static_cast<std::size_t>(d * d));
  double fro = 0;
  for (auto& g : G) g = normal(), fro += g * g;
  fro = std::sqrt(fro);
  for (double g : G) p.cell.A.push_back(static_cast<float>(0.9 * g / fro));
  p.u.resize(static_cast<std::size_t>(T * d));
  for (auto& v : p.u) v = static_cast<float>(normal());
  return p;
}

void BM_deer_sequential(benchmark::State& state) {
  const Problem p = make_problem(state.range(0), state.range(1));
  for (auto _ : state) benchmark::DoNotOptimize(cpu::rnn_sequential(p.cell, std::span<const float>(p.u), {}));
  state.counters["d"] = static_cast<double>(state.range(1));
}

void deer_cpu(benchmark::State& state, DeerMethod method) {
  const Problem p = make_problem(state.range(0), state.range(1));
  DeerOptions<float> o;
  o.method = method;
  DeerResult<float> r;
  for (auto _ : state) {
    r = cpu::deer(p.cell, std::span<const float>(p.u), {}, o);
    benchmark::DoNotOptimize(r.states.data());
  }
  if (!r.converged) state.SkipWithError(r.reason.c_str());
  state.counters["sweeps"] = static_cast<double>(r.sweeps);
  state.counters["d"] = static_cast<double>(state.range(1));
}

void BM_deer_newton_cpu(benchmark::State& state) { deer_cpu(state, DeerMethod::newton); }
void BM_deer_quasi_cpu(benchmark::State& state) { deer_cpu(state, DeerMethod::quasi); }

void grid(benchmark::internal::Benchmark* b) {
  for (long T : {1000L, 10000L, 100000L})
    for (long d : {1L, 2L, 4L, 8L}) b->Args({T, d});
  b->ArgNames({"T", "d"})->Unit(benchmark::kMillisecond);
}

BENCHMARK(BM_deer_sequential)->Name("deer/sequential_cpu_f32")->Apply(grid);
BENCHMARK(BM_deer_newton_cpu)->Name("deer/newton_cpu_f32")->Apply(grid);
BENCHMARK(BM_deer_quasi_cpu)->Name("deer/quasi_cpu_f32")->Apply(grid);

}  // namespace
