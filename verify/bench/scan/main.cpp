// bench_scan: every benchmark in verify/bench/scan/*.cpp registers itself; this is the one main.
#include <benchmark/benchmark.h>

BENCHMARK_MAIN();
