// Benchmarks of the judge (seqref::judge::check): the check of a float32 causal attention candidate at 8 heads,
// d = 64 (the "check your kernel" issue's size is T = 8192), beside the cpu float64 kernel it uses as the truth, on
// the same inputs in the same run. tools/bench-compare reports the ratio kernel time / check time
// (baselines/judge.json): the check costs the kernel plus the candidate's metric and a sampled yardstick.
// The inputs are float32 values held as judge::Array (float64 storage, what the Python layer hands over) and built
// once, outside the timed region.

#include "seqref/judge/judge.hpp"
#include "seqref/opt/attention/causal_attention.hpp"
#include "verify/support/inputs.hpp"

#include <benchmark/benchmark.h>

#include <cmath>
#include <map>

namespace {

using namespace seqref;

constexpr Index kHeads = 8, kDim = 64;

struct Problem {
  judge::Inputs in;
  judge::Array candidate;  // the cpu f32 kernel's output
};

const Problem& problem(Index T) {
  static std::map<Index, Problem> cache;
  auto it = cache.find(T);
  if (it != cache.end()) return it->second;
  const auto a = verify::make_attention_inputs<float>(kHeads, T, kDim, kDim, verify::Values::normal, 42);
  Tensor3<float> out(kHeads, T, kDim);
  cpu::causal_attention(a.q, a.k, a.v, out.view(), a.scale);
  auto arr = [&](const Tensor3<float>& t) {
    return judge::Array{{kHeads, T, kDim}, std::vector<double>(t.data(), t.data() + t.size()), judge::DType::f32};
  };
  Problem p;
  p.in.arrays["q"] = arr(a.q);
  p.in.arrays["k"] = arr(a.k);
  p.in.arrays["v"] = arr(a.v);
  p.in.numbers["scale"] = static_cast<double>(a.scale);
  p.candidate = arr(out);
  return cache.emplace(T, std::move(p)).first->second;
}

void BM_check_f32(benchmark::State& state) {
  const Problem& p = problem(state.range(0));
  double error = 0;
  for (auto _ : state) {
    const judge::Verdict v = judge::check("attention/causal_attention", p.in, p.candidate);
    if (!v.passed) state.SkipWithError(v.summary().c_str());
    error = v.error_u;
  }
  state.counters["error_u"] = error;
  state.counters["T"] = static_cast<double>(state.range(0));
}

void BM_cpu_f64_kernel(benchmark::State& state) {
  const Problem& p = problem(state.range(0));
  const Index T = state.range(0);
  std::vector<double> out(static_cast<std::size_t>(kHeads * T * kDim));
  const auto& q = p.in.arrays.at("q").values;
  const auto& k = p.in.arrays.at("k").values;
  const auto& v = p.in.arrays.at("v").values;
  for (auto _ : state) {
    cpu::causal_attention({q.data(), kHeads, T, kDim}, {k.data(), kHeads, T, kDim}, {v.data(), kHeads, T, kDim},
                          {out.data(), kHeads, T, kDim}, p.in.numbers.at("scale"));
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.counters["T"] = static_cast<double>(T);
}

BENCHMARK(BM_check_f32)
    ->Name("judge/check_attention_f32")
    ->Arg(2048)
    ->Arg(8192)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_cpu_f64_kernel)
    ->Name("judge/cpu_f64_kernel")
    ->Arg(2048)
    ->Arg(8192)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
