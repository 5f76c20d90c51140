// bench_attention: every benchmark in verify/bench/attention/*.cpp (and *.cu with CUDA) registers itself; this is the
// one main, and the one place the same-run roofline is registered (verify/bench/support/roofline.hpp): Eigen's SGEMM,
// this machine's practical fp32 peak, under the name "sgemm_eigen" that baselines/attention.json records.
#include "verify/bench/support/roofline.hpp"

#include <benchmark/benchmark.h>

BENCHMARK(seqref::bench::sgemm_eigen_roofline)
    ->Name("sgemm_eigen")
    ->Arg(1024)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

BENCHMARK_MAIN();
