#pragma once
/// \file
/// What the optimized backends can do on this build and this machine.

#include <string>

namespace seqref::cpu {
/// Threads the CPU backend uses (OpenMP; set with OMP_NUM_THREADS).
int max_threads();
}  // namespace seqref::cpu

namespace seqref::cuda {
/// True when seqref was compiled with its CUDA backend (SEQREF_CUDA=ON).
bool built();
/// True when built() and a CUDA device can be used right now.
bool available();
/// "NVIDIA H100 80GB HBM3 (sm_90)" for device 0; "" when !available().
std::string device_name();
}  // namespace seqref::cuda
