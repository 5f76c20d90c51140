// Benchmarks for ssm/ssd (Mamba-2 SSD, arXiv 2405.21060): the selective-scan bench shape adapted to SSD —
// batch 8, heads 24, headdim P = 64 (1536 channels), dstate N in {16, 64}, one B/C group, T in {2048, 16384} —
// for the cpu chunked kernel (f32, Q = 64), and the f32 reference chunked form at a small T (1 batch, T = 512) beside
// the cpu kernel at the same small shape, with all threads and with one (the one-thread ratio is the per-core
// speedup, which a loaded 2-core machine does not distort). Same-run rooflines: Eigen SGEMM 1024³
// (GFLOP/s) and a large-array copy (GB/s of read + write traffic). Counters:
//   GB/s     essential traffic: X and Y (B·T·H·P each), A (B·T·H), B and C (B·T·G·N), in bytes of S, once each
//   GFLOP/s  2 flops per multiply-add of the chunked algorithm: per chunk of q steps and head,
//            q(q+1)·N (C Bᵀ, lower triangle) + q(q+1)·P (triangular product) + 2qPN (state) + 2qPN (readout)

#include "seqref/opt/ssm/ssd.hpp"
#include "seqref/ref/ssm/ssd.hpp"
#include "verify/bench/support/roofline.hpp"

#include <benchmark/benchmark.h>

#include <cstring>
#include <vector>

namespace {

using namespace seqref;

constexpr Index kQ = 64;

struct Problem {
  SsdShape s;
  std::vector<float> X, A, B, C, Y;
  explicit Problem(const SsdShape& shape) : s(shape) {
    std::uint64_t x = 42;
    auto next = [&] {
      x = x * 6364136223846793005ull + 1442695040888963407ull;
      return static_cast<float>(static_cast<double>(x >> 11) * 0x1.0p-53 * 2.0 - 1.0);
    };
    X.resize(static_cast<std::size_t>(s.x_size()));
    for (auto& v : X) v = next();
    A.resize(static_cast<std::size_t>(s.a_size()));
    for (auto& v : A) v = -0.05f * (next() + 1.0f);
    B.resize(static_cast<std::size_t>(s.bc_size()));
    for (auto& v : B) v = next();
    C.resize(B.size());
    for (auto& v : C) v = next();
    Y.resize(X.size());
  }
  SsdProblem<float> problem() const { return {s, X, A, B, C, {}}; }
};

double flops(const SsdShape& s, Index Q) {
  double per_head = 0;
  for (Index t0 = 0; t0 < s.len; t0 += Q) {
    const double q = static_cast<double>(std::min(Q, s.len - t0));
    per_head +=
        q * (q + 1) * static_cast<double>(s.dstate + s.headdim) + 4.0 * q * static_cast<double>(s.headdim * s.dstate);
  }
  return per_head * static_cast<double>(s.batch * s.heads);
}

double bytes(const SsdShape& s) { return 4.0 * static_cast<double>(2 * s.x_size() + s.a_size() + 2 * s.bc_size()); }

void counters(benchmark::State& state, const SsdShape& s) {
  state.counters["GB/s"] = benchmark::Counter(bytes(s) * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["GFLOP/s"] = benchmark::Counter(flops(s, kQ) * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["T"] = static_cast<double>(s.len);
  state.counters["N"] = static_cast<double>(s.dstate);
}

// args: T, N
void BM_ssd_cpu(benchmark::State& state) {
  const SsdShape s{8, state.range(0), 24, 64, 1, state.range(1)};
  Problem p(s);
  SsdOptions o;
  o.chunk = kQ;
  for (auto _ : state) {
    cpu::ssd(p.problem(), p.Y, {}, o);
    benchmark::DoNotOptimize(p.Y.data());
    benchmark::ClobberMemory();
  }
  counters(state, s);
}

// the small shape of the reference comparison: batch 1, T = 512, heads 24, P = 64, N; args: N, threads (0: all)
void BM_ssd_cpu_small(benchmark::State& state) {
  const SsdShape s{1, 512, 24, 64, 1, state.range(0)};
  Problem p(s);
  SsdOptions o;
  o.chunk = kQ;
  o.scan.threads = static_cast<int>(state.range(1));
  for (auto _ : state) {
    cpu::ssd(p.problem(), p.Y, {}, o);
    benchmark::DoNotOptimize(p.Y.data());
    benchmark::ClobberMemory();
  }
  counters(state, s);
}

void BM_ssd_ref_small(benchmark::State& state) {
  const SsdShape s{1, 512, 24, 64, 1, state.range(0)};
  Problem p(s);
  for (auto _ : state) {
    ref::ssd_chunked<float>(p.problem(), kQ, p.Y);
    benchmark::DoNotOptimize(p.Y.data());
    benchmark::ClobberMemory();
  }
  counters(state, s);
}

BENCHMARK(BM_ssd_cpu)
    ->Name("ssd/cpu_f32")
    ->Args({2048, 16})
    ->Args({2048, 64})
    ->Args({16384, 16})
    ->Args({16384, 64})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_ssd_cpu_small)
    ->Name("ssd/cpu_f32_small")
    ->Args({16, 0})
    ->Args({64, 0})
    ->Args({16, 1})
    ->Args({64, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(BM_ssd_ref_small)
    ->Name("ssd/ref_f32_small")
    ->Arg(16)
    ->Arg(64)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->Iterations(2);

}  // namespace
