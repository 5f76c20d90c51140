// The FFT library comparison behind seqref::cpu::dft_batched (optimized/cpu/ssm/fft.cpp): complex double batched
// DFTs, 8 rows, n = 2^10..2^15, 3·2^k and a prime, one thread per library (the libraries compared, not OpenMP),
// plus seqref::cpu::dft_batched itself (threaded over rows) and the reference (radix-2, and the O(n²) definition at
// n = 2^10 only). Counter GFLOP/s uses the conventional 5 n log2 n flops per complex transform.
//
//   Eigen   unsupported/Eigen/FFT (KISS FFT back end), MPL-2.0, header-only, already a dependency      <- chosen
//   KISS    kissfft.hh from Debian libkissfft-dev (BSD-3), header-only template; compiled in when the header
//           is installed (__has_include)
//   FFTW3   libfftw3-dev, GPL-2+: NEVER compiled into bench_ssm or any seqref target. Measured only by building
//           this file by hand into a private binary that is not installed or distributed:
//             c++ -O3 -march=native -std=c++20 -fopenmp -DSEQREF_BENCH_FFTW -Ireference/include -Ioptimized/include \
//               -I. -I/usr/include/eigen3 verify/bench/ssm/fft_bench.cpp build-rtf/optimized/libseqref_cpu.a \
//               build-rtf/reference/libseqref_reference.a -lbenchmark_main -lbenchmark -lfftw3 -o /tmp/fft_bench_fftw
//
// Medians of 9 repetitions on the shared 2-core development machine (ms per 8-row batch, complex double, one
// thread per library; seqref cpu with OMP_NUM_THREADS=1):
//   n         Eigen    KISS     FFTW3(ESTIMATE)  seqref cpu   ref radix-2
//   1024      0.107    0.120    0.024            0.104        0.840
//   4096      0.511    0.503    0.151            0.408        4.14
//   16384     2.50     2.50     0.927            2.82         21.3
//   32768     7.70     9.14     2.02             5.27         45.1
//   3072      0.457    0.422    0.093            0.362        -
//   24576     5.26     5.25     1.31             3.85         -
//   4099      367      367      1.37             4.43 (Bluestein)
// Eigen and KISS are the same algorithm (same speed); FFTW is 2.5-5x faster but GPL-2+, which would make the
// MIT seqref binaries GPL; Eigen costs no new dependency. Both KISS variants need Bluestein for large primes.

#include "seqref/opt/ssm/fft.hpp"
#include "seqref/ref/ssm/fourier.hpp"

#include <benchmark/benchmark.h>
#include <unsupported/Eigen/FFT>

#if __has_include(<kissfft/kissfft.hh>)
#include <kissfft/kissfft.hh>
#define SEQREF_HAVE_KISSFFT 1
#endif
#ifdef SEQREF_BENCH_FFTW
#include <fftw3.h>
#endif

#include <cmath>
#include <complex>
#include <random>
#include <vector>

namespace {

using C = std::complex<double>;
constexpr long kRows = 8;

std::vector<C> random_batch(long n) {
  std::mt19937_64 rng(42);
  std::normal_distribution<double> nd;
  std::vector<C> x(static_cast<std::size_t>(kRows * n));
  for (auto& v : x) v = C(nd(rng), nd(rng));
  return x;
}

void set_counters(benchmark::State& state, long n) {
  const double flops = 5.0 * double(n) * std::log2(double(n)) * double(kRows);
  state.counters["GFLOP/s"] = benchmark::Counter(flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["n"] = double(n);
}

void BM_fft_eigen(benchmark::State& state) {
  const long n = state.range(0);
  auto x = random_batch(n);
  std::vector<C> out(x.size());
  Eigen::FFT<double> fft;
  for (auto _ : state) {
    for (long r = 0; r < kRows; ++r) fft.fwd(out.data() + r * n, x.data() + r * n, n);
    benchmark::DoNotOptimize(out.data());
  }
  set_counters(state, n);
}

#ifdef SEQREF_HAVE_KISSFFT
void BM_fft_kiss(benchmark::State& state) {
  const long n = state.range(0);
  auto x = random_batch(n);
  std::vector<C> out(x.size());
  kissfft<double> fft(static_cast<std::size_t>(n), false);
  for (auto _ : state) {
    for (long r = 0; r < kRows; ++r) fft.transform(x.data() + r * n, out.data() + r * n);
    benchmark::DoNotOptimize(out.data());
  }
  set_counters(state, n);
}
#endif

#ifdef SEQREF_BENCH_FFTW
void BM_fft_fftw(benchmark::State& state) {
  const long n = state.range(0);
  auto x = random_batch(n);
  std::vector<C> out(x.size());
  const int ni = static_cast<int>(n);
  fftw_plan plan =
      fftw_plan_many_dft(1, &ni, static_cast<int>(kRows), reinterpret_cast<fftw_complex*>(x.data()), nullptr, 1, ni,
                         reinterpret_cast<fftw_complex*>(out.data()), nullptr, 1, ni, FFTW_FORWARD, FFTW_ESTIMATE);
  for (auto _ : state) {
    fftw_execute(plan);
    benchmark::DoNotOptimize(out.data());
  }
  fftw_destroy_plan(plan);
  set_counters(state, n);
}
#endif

void BM_fft_seqref_cpu(benchmark::State& state) {
  const long n = state.range(0);
  const auto x = random_batch(n);
  auto y = x;
  for (auto _ : state) {
    state.PauseTiming();
    y = x;
    state.ResumeTiming();
    seqref::cpu::dft_batched(y, kRows, n, false);
    benchmark::DoNotOptimize(y.data());
  }
  set_counters(state, n);
}

void BM_fft_ref_radix2(benchmark::State& state) {
  const long n = state.range(0);
  const auto x = random_batch(n);
  for (auto _ : state) {
    for (long r = 0; r < kRows; ++r) {
      std::vector<C> row(x.begin() + r * n, x.begin() + (r + 1) * n);
      benchmark::DoNotOptimize(seqref::ref::fft(row).data());
    }
  }
  set_counters(state, n);
}

void BM_fft_ref_naive_dft(benchmark::State& state) {
  const long n = state.range(0);
  const auto x = random_batch(n);
  for (auto _ : state) {
    for (long r = 0; r < kRows; ++r) {
      std::vector<C> row(x.begin() + r * n, x.begin() + (r + 1) * n);
      benchmark::DoNotOptimize(seqref::ref::dft(row).data());
    }
  }
  set_counters(state, n);
}

// 2^10..2^15, 3·2^10, 3·2^13 (radix-3 paths), 4099 (prime: KISS FFT's generic O(n²) butterfly vs Bluestein).
void library_sizes(benchmark::internal::Benchmark* b) {
  for (long n = 1024; n <= 32768; n *= 2) b->Arg(n);
  b->Arg(3 * 1024)->Arg(3 * 8192)->Arg(4099);
  b->Unit(benchmark::kMillisecond);
}

void pow2_sizes(benchmark::internal::Benchmark* b) {
  for (long n = 1024; n <= 32768; n *= 2) b->Arg(n);
  b->Unit(benchmark::kMillisecond);
}

}  // namespace

BENCHMARK(BM_fft_eigen)->Apply(library_sizes);
#ifdef SEQREF_HAVE_KISSFFT
BENCHMARK(BM_fft_kiss)->Apply(library_sizes);
#endif
#ifdef SEQREF_BENCH_FFTW
BENCHMARK(BM_fft_fftw)->Apply(library_sizes);
#endif
BENCHMARK(BM_fft_seqref_cpu)->Apply(library_sizes);
BENCHMARK(BM_fft_ref_radix2)->Apply(pow2_sizes);
BENCHMARK(BM_fft_ref_naive_dft)->Arg(1024)->Unit(benchmark::kMillisecond);
