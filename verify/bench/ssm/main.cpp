// bench_ssm: every benchmark in verify/bench/ssm/*.cpp (and *.cu with CUDA) registers itself; this is the one main,
// and the one place the same-run rooflines are registered (verify/bench/support/roofline.hpp; the CUDA copy roofline
// in rooflines.cu): roofline/sgemm_eigen/1024 for compute-bound kernels, roofline/stream_triad for memory-bound ones.
#include "verify/bench/support/roofline.hpp"

#include <benchmark/benchmark.h>

BENCHMARK(seqref::bench::sgemm_eigen_roofline)
    ->Name("roofline/sgemm_eigen")
    ->Arg(1024)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();
BENCHMARK(seqref::bench::stream_triad_roofline)
    ->Name("roofline/stream_triad")
    ->Arg(64 << 20)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

BENCHMARK_MAIN();
