// bench_ssm's CUDA roofline, registered once (verify/bench/support/cuda_roofline.cuh): roofline/cuda_d2d_copy.
#include "verify/bench/support/cuda_roofline.cuh"

BENCHMARK(seqref::bench::device_copy_roofline)
    ->Name("roofline/cuda_d2d_copy")
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
