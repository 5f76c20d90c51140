// bench_rnn: every benchmark in verify/bench/rnn/*.cpp (and *.cu with CUDA) registers itself; this is the one main.
#include <benchmark/benchmark.h>

BENCHMARK_MAIN();
