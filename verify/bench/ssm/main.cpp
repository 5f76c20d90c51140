// bench_ssm: every benchmark in verify/bench/ssm/*.cpp (and *.cu with CUDA) registers itself; this is the one main.
#include <benchmark/benchmark.h>

BENCHMARK_MAIN();
