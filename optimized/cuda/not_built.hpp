#pragma once
/// \file
/// For builds without CUDA (SEQREF_CUDA=OFF, or no nvcc): every seqref::cuda entry point still exists, so callers
/// link either way; it reports built() == false and throws std::runtime_error if called. Each method keeps its
/// stubs next to its kernels in optimized/cuda/<family>/<method>_not_built.cpp (compiled only without CUDA).

#include <stdexcept>
#include <string>

namespace seqref::cuda::detail {
[[noreturn]] inline void not_built(const char* fn) {
  throw std::runtime_error(std::string(fn) + ": seqref was built without CUDA (configure with SEQREF_CUDA=ON)");
}
}  // namespace seqref::cuda::detail
